/**
 * Which env-var names look like they hold a credential, and which plain values carry one.
 * One rule for the config validator (so `pulumi up` without the policy pack refuses a plain
 * secret too) and the policy pack's `secret-env-values` policy (policies/secretEnvValues.ts).
 */

/** Env var names (regular expressions, case-insensitive) that look secret. */
export const DEFAULT_SECRET_NAME_PATTERNS = [
  "(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|APIKEY|KEY|SALT|DSN)S?(_|$)",
  "(^|_)(DATABASE|DB|POSTGRES|POSTGRESQL|PG|REDIS|MONGO|MONGODB|AMQP)_?UR[LI]$",
];

/** Names that match a secret pattern but are public by design. */
export const DEFAULT_ALLOW_PLAIN_PATTERNS = ["(^|_)PUBLIC(_|$)", "PUBLISHABLE"];

/** Compiles name patterns case-insensitively; `field` names the setting in the error. */
export function compileNamePatterns(field: string, patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p, "i");
    } catch (e) {
      throw new Error(
        `${field}: ${JSON.stringify(p)} is not a valid regular expression (${(e as Error).message})`,
      );
    }
  });
}

const DEFAULT_SECRET = compileNamePatterns("secret name patterns", DEFAULT_SECRET_NAME_PATTERNS);
const DEFAULT_ALLOW = compileNamePatterns("allowed plain patterns", DEFAULT_ALLOW_PLAIN_PATTERNS);

/** True when an env var of this name must get its value from a secret reference. */
export function nameLooksSecret(
  name: string,
  secretLike: readonly RegExp[] = DEFAULT_SECRET,
  allowed: readonly RegExp[] = DEFAULT_ALLOW,
): boolean {
  return secretLike.some((p) => p.test(name)) && !allowed.some((p) => p.test(name));
}

/** The fix for a plain value under a secret-looking name. */
export function plainSecretFix(name: string): string {
  return `run \`pulumi config set --secret fleetgate:<key> <value>\` and write ${name}: { secret: <key> }`;
}

// scheme://user:password@host: a password in the userinfo part of a URL.
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;
// scheme://user@host with no password still names an account (and some clients take a token there).
const URL_WITH_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i;

/** True when a plain value is a URL that carries credentials (`scheme://user[:password]@host`). */
export function urlHasCredentials(value: string): boolean {
  return URL_WITH_PASSWORD.test(value) || URL_WITH_USERINFO.test(value);
}
