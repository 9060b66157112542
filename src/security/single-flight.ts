/**
 * One task per key at a time: a caller asking for a key whose task is still running gets that
 * task's promise instead of starting another. Used where concurrent requests carry the same
 * credential, so that they share one check (one argon2 run, one counted attempt).
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
