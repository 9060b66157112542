import { runJanitorPass, type JanitorDeps, type JanitorResult } from './janitor-pass.js';

export interface JanitorScheduleOptions {
  intervalMs: number;
  /** Delay before the first pass; default a random fraction of the interval. */
  firstDelayMs?: number;
}

/**
 * Runs a janitor pass every interval on this instance, off the request path. The next pass is
 * scheduled only when the previous one has finished, so passes never overlap here; the first
 * waits a random part of the interval, so instances started together do not all clean at once.
 */
export class JanitorSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<JanitorResult | undefined> | undefined;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly deps: Omit<JanitorDeps, 'signal'>,
    private readonly opts: JanitorScheduleOptions,
  ) {}

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.schedule(this.opts.firstDelayMs ?? Math.floor(Math.random() * this.opts.intervalMs));
  }

  /** One pass now, unless one is already running (then that one's result). */
  runNow(): Promise<JanitorResult | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    this.running ??= runJanitorPass({ ...this.deps, signal: this.abort.signal })
      .catch((err: unknown) => {
        this.deps.log.error({ err }, 'janitor pass failed');
        return undefined;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** Cancels the next pass and ends a running one after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runNow().finally(() => this.schedule(this.opts.intervalMs));
    }, delayMs);
    // The janitor alone never keeps the process alive.
    this.timer.unref();
  }
}
