/** What a periodic task logs through when a run fails. */
interface ErrorLog {
  error(obj: object, msg: string): void;
}

export interface PeriodicTaskOptions<T> {
  /** Time between the end of one run and the start of the next; 0 or less never schedules. */
  intervalMs: number;
  /** One run; the signal is aborted by stop(), so a long run can end after its current step. */
  run: (signal: AbortSignal) => Promise<T>;
  log: ErrorLog;
  /** Logged with the error when a run throws (the run's result is then undefined). */
  failureMessage: string;
}

/**
 * Background work on this instance, off the request path: one run at a time (runNow while a run
 * is going returns that run), the next scheduled only when the previous one has finished, so
 * runs never overlap here. The janitor, the webhook delivery worker and the proactive refresher
 * each wrap one.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T | undefined> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly opts: PeriodicTaskOptions<T>) {}

  /** Aborted once stop() was called. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /**
   * Schedules the first run. By default it waits a random part of the interval, so instances
   * started together do not all run at once.
   */
  start(firstDelayMs = Math.floor(Math.random() * this.opts.intervalMs)): void {
    if (this.opts.intervalMs <= 0) return;
    this.schedule(firstDelayMs);
  }

  /** One run now, unless one is already running (then that one's result); undefined once stopped. */
  runNow(): Promise<T | undefined> {
    if (this.abort.signal.aborted) return Promise.resolve(undefined);
    this.running ??= this.opts
      .run(this.abort.signal)
      .catch((err: unknown) => {
        this.opts.log.error({ err }, this.opts.failureMessage);
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Cancels the next run, aborts the signal and waits for a running one to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.runNow().finally(() => this.schedule(this.opts.intervalMs));
    }, delayMs);
    // Background work alone never keeps the process alive.
    this.timer.unref();
  }
}
