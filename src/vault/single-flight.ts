/**
 * Concurrent callers asking for the same key share one in-flight promise: on one instance, a
 * burst of broker calls for one subject causes one refresh. The entry is removed when the
 * promise settles, so a later call starts afresh (and a failure is not cached).
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
