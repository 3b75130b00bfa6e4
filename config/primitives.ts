/**
 * Small schema pieces shared by every section of the stack config.
 */
import { z } from "zod";

/** A resource name: lower-case DNS label, as Render and the local platform accept it. */
export const resourceName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/,
    "must be a lower-case name of 2-63 letters, digits and '-' starting with a letter (e.g. atlasux-api)",
  );

/** An environment variable name as POSIX shells and Render accept it. */
export const envVarName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    "is not a valid env-var name; use letters, digits and '_' and do not start with a digit",
  );

/** A stack config key (without the `fleetgate:` namespace) that holds a secret. */
export const configKeyName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, "must be a config key name such as renderApiKey");

/**
 * A secret value, never written in the stack file in plain text:
 * - `{ secret: "<key>" }` reads `fleetgate:<key>`, which must be set with `pulumi config set --secret`;
 * - `{ generated: "<name>" }` is created once by the stack itself (local stack: API keys, signing secrets).
 */
export const secretRef = z.union([
  z.strictObject({ secret: configKeyName }),
  z.strictObject({ generated: resourceName }),
]);
export type SecretRef = z.infer<typeof secretRef>;

/** A value that may be plain (non-sensitive) or a secret reference. */
export const plainOrSecret = z.union([z.string(), secretRef]);
export type PlainOrSecret = z.infer<typeof plainOrSecret>;

export function isSecretRef(v: unknown): v is SecretRef {
  return typeof v === "object" && v !== null && ("secret" in v || "generated" in v);
}

/** A positive duration in milliseconds, capped at one hour. */
export const durationMs = z
  .number()
  .int("must be a whole number of milliseconds")
  .positive("must be a positive number of milliseconds")
  .max(3_600_000, "must be at most 3600000 ms (1 hour)");

/** A positive duration in seconds, capped at one day. */
export const durationSeconds = z
  .number()
  .int("must be a whole number of seconds")
  .positive("must be a positive number of seconds")
  .max(86_400, "must be at most 86400 s (1 day)");

/** An HTTP path on a service. */
export const httpPath = z.string().regex(/^\/[^\s]*$/, "must be a path starting with '/' (e.g. /health)");

/** An absolute http(s) URL. */
export const httpUrl = z
  .string()
  .regex(
    /^https?:\/\/[^\s/]+(\/[^\s]*)?$/,
    "must be an absolute http:// or https:// URL such as https://api.example.com",
  )
  .refine((url) => !/^https?:\/\/[^/@\s]+@/.test(url), {
    // Credentials in a URL end up in diffs, outputs and state in plain text.
    message:
      "must not carry credentials (user:password@); remove them and pass them as a secret header or env var ({ secret: <key> })",
  });

/** A percentage in [0, 100]. */
export const percent = z
  .number()
  .min(0, "must be a percentage between 0 and 100")
  .max(100, "must be a percentage between 0 and 100");
