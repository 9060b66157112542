export interface RetryPolicy {
  /** Seconds to wait after the 1st, 2nd, … failed attempt; the last one repeats. */
  retrySeconds: readonly number[];
  /** No attempt is scheduled later than this after the event. */
  giveUpAfterSeconds: number;
}

/**
 * When to try again after `failedAttempts` failures of a delivery created at `createdAt`, or
 * null when that would fall past the give-up horizon.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  failedAttempts: number,
  createdAt: Date,
  now = Date.now(),
): Date | null {
  const delays = policy.retrySeconds;
  const delay = delays[Math.min(failedAttempts, delays.length) - 1] ?? delays[delays.length - 1]!;
  const next = now + delay * 1000;
  return next > createdAt.getTime() + policy.giveUpAfterSeconds * 1000 ? null : new Date(next);
}
