/** Values on the provider wire: secrets and unknowns as the engine encodes them in a Struct. */

/** The signature key the engine puts on a secret value (`{ <sig>: SECRET_SIG, value }`). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The sentinel the engine sends for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** The value with secrets unwrapped (for computing outputs, never for logging). */
export function reveal(v: unknown): unknown {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

/** The value with every secret replaced by `"[secret]"`: what the call log may hold. */
export function redact(v: unknown): unknown {
  if (isSecret(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
  }
  return v;
}

/** A property is missing when absent or null; an unknown (preview) value counts as present. */
export function isMissing(v: unknown): boolean {
  return v === undefined || v === null;
}
