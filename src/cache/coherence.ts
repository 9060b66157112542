import type { Cache } from './cache.js';

/**
 * When a process-local copy may be trusted. Copies are kept coherent by invalidation messages
 * on a Redis channel, which are lost while the subscriber is disconnected; so:
 * - nothing is served from memory before `listen()` or while the subscription is down;
 * - every change of subscription epoch (a reconnect, a lost subscription) forgets everything
 *   held (`onReset`) and moves `trustSince`: shared copies written before it may predate a
 *   message this process never heard, and are re-read from Postgres;
 * - a copy read before an invalidation arrived is never stored after it (`mark`/`fillable`).
 */
export class Coherence {
  private epoch: number | null = null;
  private listening = false;
  private generation = 0;
  /** Unix ms; shared copies written earlier are not trusted. */
  private since = Number.POSITIVE_INFINITY;

  constructor(
    private readonly source: Pick<Cache, 'subscriptionEpoch'>,
    private readonly onReset: () => void,
  ) {}

  /** Call once subscribed to the invalidation channel. */
  listen(): void {
    this.epoch = this.source.subscriptionEpoch();
    this.listening = true;
    this.since = Date.now();
  }

  /** True while invalidations are heard; a new epoch forgets everything first. */
  live(): boolean {
    if (!this.listening) return false;
    const epoch = this.source.subscriptionEpoch();
    if (epoch === this.epoch) return epoch !== null;
    this.epoch = epoch;
    this.reset();
    return epoch !== null;
  }

  /** Forget everything held and distrust shared copies written until now. */
  reset(): void {
    this.generation++;
    this.since = Date.now();
    this.onReset();
  }

  /** An invalidation arrived: reads in flight must not store what they read. */
  invalidated(): void {
    this.generation++;
  }

  /** Taken before a read; hand it to `fillable` before storing what was read. */
  mark(): number {
    return this.generation;
  }

  fillable(mark: number): boolean {
    // live() first: an epoch change during the read bumps the generation.
    return this.live() && mark === this.generation;
  }

  /** Whether a shared copy written at `writtenAt` (unix ms) may be used. */
  trusts(writtenAt: number): boolean {
    this.live();
    return writtenAt >= this.since;
  }
}
