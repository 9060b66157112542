import fp from 'fastify-plugin';
import { DeliveryWorker } from '../webhooks/delivery-worker.js';
import { createWebhookStore, type WebhookStore } from '../webhooks/webhook-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhookStore;
    /** Delivers this instance's share of due webhook deliveries (webhooks.poll_interval_ms). */
    webhookWorker: DeliveryWorker;
  }
}

export const webhooksPlugin = fp(
  async (app) => {
    const store = createWebhookStore(app.db, app.keyring);
    const w = app.config.webhooks;
    const worker = new DeliveryWorker(store, app.log.child({ component: 'webhooks' }), {
      pollIntervalMs: w.poll_interval_ms,
      timeoutMs: w.timeout_ms,
      maxResponseBytes: w.max_response_bytes,
      concurrency: w.concurrency,
      retrySeconds: w.retry_seconds,
      giveUpAfterSeconds: w.give_up_after_seconds,
    });
    app.decorate('webhooks', store);
    app.decorate('webhookWorker', worker);
    // Start once the app is ready; stop (handing claimed deliveries back) before the caller
    // closes the database.
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  },
  { name: 'webhooks', dependencies: ['core'] },
);
