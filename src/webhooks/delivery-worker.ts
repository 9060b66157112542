import type { FastifyBaseLogger } from 'fastify';
import { PeriodicTask } from '../background/periodic-task.js';
import { postEvent } from './post-event.js';
import { nextAttemptAt, type RetryPolicy } from './retry-schedule.js';
import { signatureHeader } from './signature.js';
import type { ClaimedDelivery, WebhookStore } from './webhook-store.js';

export interface DeliveryWorkerOptions extends RetryPolicy {
  pollIntervalMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Deliveries in flight at once on this instance (so sockets are bounded too). */
  concurrency: number;
}

/**
 * Delivers due webhook deliveries from this instance: every poll it claims a batch (SKIP
 * LOCKED, under a lease longer than one attempt), posts each one signed, records the attempt
 * and schedules the next. At least once: a delivery whose instance dies mid-attempt is due again
 * when its lease ends; a stopping instance hands its claimed deliveries back at once.
 */
export class DeliveryWorker {
  private readonly task: PeriodicTask<void>;

  constructor(
    private readonly store: WebhookStore,
    private readonly log: FastifyBaseLogger,
    private readonly opts: DeliveryWorkerOptions,
  ) {
    this.task = new PeriodicTask({
      intervalMs: opts.pollIntervalMs,
      run: () => this.drain(),
      log,
      failureMessage: 'webhook delivery pass failed',
    });
  }

  start(): void {
    this.task.start(0);
  }

  /** One pass now (or the running one): claims and delivers until nothing is due. */
  async runNow(): Promise<void> {
    await this.task.runNow();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  private async drain(): Promise<void> {
    // A lease outlives one attempt by a margin, so a live instance always records first.
    const leaseMs = this.opts.timeoutMs + 5000;
    while (!this.task.signal.aborted) {
      const batch = await this.store.claimDue(this.opts.concurrency, leaseMs);
      if (batch.length === 0) return;
      await Promise.all(batch.map((d) => this.deliver(d)));
      if (batch.length < this.opts.concurrency) return;
    }
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify({
      id: d.event.id,
      type: d.event.type,
      created_at: d.event.createdAt.toISOString(),
      data: d.event.data,
    });
    const signature = signatureHeader(d.secret, body, Math.floor(Date.now() / 1000));
    const result = await postEvent(
      d.url,
      body,
      { 'gatehouse-signature': signature },
      {
        timeoutMs: this.opts.timeoutMs,
        maxResponseBytes: this.opts.maxResponseBytes,
        signal: this.task.signal,
      },
    );
    try {
      if (this.task.signal.aborted && result.statusCode === null) {
        // Shutting down mid-attempt: not the receiver's failure; another instance delivers it.
        await this.store.release([d.id]);
        return;
      }
      const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      const attempt = {
        at: new Date().toISOString(),
        status_code: result.statusCode,
        error: ok
          ? null
          : (result.error ??
            `HTTP ${result.statusCode}${result.statusCode !== null && result.statusCode < 400 ? ' (redirects are not followed)' : ''}`),
      };
      const next = ok ? null : nextAttemptAt(this.opts, d.attemptCount + 1, d.createdAt);
      await this.store.recordAttempt(d.id, attempt, ok, next);
      if (!ok)
        this.log.warn(
          {
            deliveryId: d.id,
            eventType: d.event.type,
            statusCode: result.statusCode,
            error: result.error,
            gaveUp: next === null,
          },
          'webhook delivery failed',
        );
    } catch (err) {
      // The lease expires and the delivery is tried again: at least once.
      this.log.error({ err, deliveryId: d.id }, 'could not record a webhook delivery attempt');
    }
  }
}
