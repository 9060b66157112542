import { PeriodicTask } from '../background/periodic-task.js';
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
  private readonly task: PeriodicTask<JanitorResult>;

  constructor(
    deps: Omit<JanitorDeps, 'signal'>,
    private readonly opts: JanitorScheduleOptions,
  ) {
    this.task = new PeriodicTask({
      intervalMs: opts.intervalMs,
      run: (signal) => runJanitorPass({ ...deps, signal }),
      log: deps.log,
      failureMessage: 'janitor pass failed',
    });
  }

  start(): void {
    this.task.start(this.opts.firstDelayMs);
  }

  /** One pass now, unless one is already running (then that one's result). */
  runNow(): Promise<JanitorResult | undefined> {
    return this.task.runNow();
  }

  /** Cancels the next pass and ends a running one after its current batch. */
  stop(): Promise<void> {
    return this.task.stop();
  }
}
