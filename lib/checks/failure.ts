/**
 * How a check reports why it failed. Plain Error objects tagged with a `kind` (no classes):
 * the deploy gate's provider is serialized by Pulumi's closure serializer, and plain objects
 * survive that without `instanceof` surprises.
 */

/** An assertion that failed: the service answered, but wrongly. Never retried. */
export function checkFailed(reason: string): Error {
  return Object.assign(new Error(reason), { checkFailure: "assertion" as const });
}

/** A connection problem worth one more try (refused, reset, DNS hiccup). */
export function transientError(reason: string): Error {
  return Object.assign(new Error(reason), { checkFailure: "transient" as const });
}

export function isTransient(err: unknown): boolean {
  return (err as { checkFailure?: string } | undefined)?.checkFailure === "transient";
}

export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
