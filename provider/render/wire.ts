/**
 * Property values as the engine hands them to a native provider (`@pulumi/pulumi/provider`
 * passes gRPC structs through `toJavaScript()`): secrets arrive wrapped in a signature object and
 * unknown values (during preview) as a sentinel string. Resources reveal their inputs on entry and
 * wrap the values that must stay secret on the way out, so the state holds them encrypted.
 */

/** Pulumi's signature key and value marking a secret (sdk/go/common/resource/sig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The value of a property not yet known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value the engine stores encrypted and shows as `[secret]`. */
export function secret<T>(value: T): { [SIG_KEY]: string; value: T } {
  return { [SIG_KEY]: SECRET_SIG, value };
}

function isSecret(v: unknown): v is { value: unknown } {
  return Boolean(v) && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The value with every secret wrapper removed (deep). */
export function reveal<T = unknown>(v: unknown): T {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map((x) => reveal(x)) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  }
  return v as T;
}

/** True when the value (or anything inside it) is not known yet (preview). */
export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (isSecret(v)) return isUnknown(v.value);
  if (Array.isArray(v)) return v.some(isUnknown);
  if (v && typeof v === "object") return Object.values(v).some(isUnknown);
  return false;
}

/** JSON with sorted object keys, for comparing values. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** A Render API base URL as it routes: scheme and host case, default port and trailing `/` ignored. */
export function normalizeBaseUrl(u: string): string {
  try {
    const url = new URL(u.trim()); // lower-cases scheme and host, drops a default port
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return u.trim().replace(/\/+$/, "");
  }
}

/** One entry of a `detailedDiff` (the engine's PropertyDiff kinds). */
export type PropertyDiffKind = "add" | "addReplace" | "delete" | "deleteReplace" | "update" | "updateReplace";

export interface PropertyDiff {
  kind: PropertyDiffKind;
  /** True when the difference is between old and new inputs (false: live state vs inputs). */
  inputDiff: boolean;
}

export interface ResourceDiff {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
  /** Property paths (e.g. `vars.DATABASE_URL`) and how they change; never values. */
  detailedDiff?: Record<string, PropertyDiff>;
}
