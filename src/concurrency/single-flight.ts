/**
 * One task per key at a time: a caller asking for a key whose task is still running gets that
 * task's promise instead of starting another. The entry goes when the promise settles, so a
 * later call starts afresh and a failure is not cached. Used where concurrent requests would
 * repeat the same work: one Google refresh per subject for a burst of broker calls, one check
 * (one argon2 run, one counted attempt) for a burst carrying the same credential.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, task: () => Promise<T>): Promise<T> {
    const pending = this.running.get(key);
    if (pending) return pending;
    const started = task().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}
