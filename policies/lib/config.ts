/**
 * Policy config with defaults. The engine validates `--policy-pack-config` against each policy's
 * `configSchema`; the defaults are applied here as well so a policy behaves the same whether or
 * not the engine filled them in (and in the SDK-level tests).
 */

/** The policy's config merged over its defaults; `enforcementLevel` is the engine's business. */
export function configWithDefaults<T extends object>(getConfig: () => Partial<T>, defaults: T): T {
  const given = (getConfig() ?? {}) as Partial<T> & { enforcementLevel?: unknown };
  const merged = { ...defaults } as T;
  for (const [k, v] of Object.entries(given)) {
    if (k !== "enforcementLevel" && v !== undefined) (merged as Record<string, unknown>)[k] = v;
  }
  return merged;
}

/** Schema of a list of strings, for `configSchema.properties`. */
export function stringList(description: string, defaults: readonly string[]) {
  return { type: "array" as const, items: { type: "string" as const }, default: [...defaults], description };
}

/** Compiles user-supplied regular expressions (case-insensitive); a bad one names itself. */
export function compilePatterns(field: string, patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p, "i");
    } catch (e) {
      throw new Error(
        `policy config ${field}: ${JSON.stringify(p)} is not a valid regular expression (${(e as Error).message})`,
      );
    }
  });
}
