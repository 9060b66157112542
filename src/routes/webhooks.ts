import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../oauth/errors.js';
import { ADMIN_ERRORS, errors, ok, security } from '../openapi/components.js';
import { adminActor, requireAdmin } from '../guards/require-admin.js';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/event-types.js';
import {
  createWebhook,
  deleteWebhook,
  webhookCreateSchema,
  webhookIdSchema,
  webhookView,
  type WebhookAdminDeps,
} from '../webhooks/webhook-admin.js';
import type { Delivery } from '../webhooks/webhook-store.js';

const webhookViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  created_at: z.string(),
});

const deliveryViewSchema = z.object({
  id: z.string(),
  event_id: z.string(),
  event_type: z.enum(WEBHOOK_EVENT_TYPES),
  attempts: z.array(z.object({ at: z.string(), status_code: z.number().nullable(), error: z.string().nullable() })),
  next_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
});

const deliveryView = (d: Delivery) => ({
  id: d.id,
  event_id: d.eventId,
  event_type: d.eventType,
  attempts: d.attempts,
  next_attempt_at: d.nextAttemptAt?.toISOString() ?? null,
  delivered_at: d.deliveredAt?.toISOString() ?? null,
});

/** The deliveries listing shows the newest this many. */
const DELIVERIES_SHOWN = 100;

/** Admin API for webhook receivers and their delivery log. */
export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  app.addHook('onRequest', requireAdmin);
  const deps: WebhookAdminDeps = { webhooks: app.webhooks, audit: app.audit };
  const idParams = z.object({ id: webhookIdSchema });

  app.post(
    '/internal/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Register a webhook receiver; its signing secret is shown once',
        security: security.adminKey,
        body: webhookCreateSchema,
      },
      config: {
        openapi: {
          response: {
            201: ok('Created', webhookViewSchema.extend({ success: z.literal(true), secret: z.string() })),
            ...errors(400, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request, reply) => {
      const { webhook, secret } = await createWebhook(deps, request.body, adminActor(request));
      return reply.code(201).send({ success: true, ...webhookView(webhook), secret });
    },
  );

  app.get(
    '/internal/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'List webhook receivers (never their secrets)',
        security: security.adminKey,
      },
      config: {
        openapi: {
          response: {
            200: ok('Webhooks', z.object({ success: z.literal(true), webhooks: z.array(webhookViewSchema) })),
            ...errors(...ADMIN_ERRORS),
          },
        },
      },
    },
    async () => ({ success: true, webhooks: (await app.webhooks.list()).map(webhookView) }),
  );

  app.delete(
    '/internal/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook receiver and its pending deliveries',
        security: security.adminKey,
        params: idParams,
      },
      config: {
        openapi: {
          response: {
            200: ok('Deleted', z.object({ success: z.literal(true), id: z.string(), deleted: z.literal(true) })),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      await deleteWebhook(deps, request.params.id, adminActor(request));
      return { success: true, id: request.params.id, deleted: true };
    },
  );

  app.get(
    '/internal/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'The newest deliveries of a webhook, each with every attempt',
        security: security.adminKey,
        params: idParams,
      },
      config: {
        openapi: {
          response: {
            200: ok('Deliveries', z.object({ success: z.literal(true), deliveries: z.array(deliveryViewSchema) })),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request) => {
      const deliveries = await app.webhooks.deliveries(request.params.id, DELIVERIES_SHOWN);
      if (!deliveries) throw notFound('no such webhook');
      return { success: true, deliveries: deliveries.map(deliveryView) };
    },
  );

  app.post(
    '/internal/webhooks/:id/deliveries/:did/retry',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again now (also one that succeeded or was given up)',
        security: security.adminKey,
        params: z.object({ id: webhookIdSchema, did: z.uuid() }),
      },
      config: {
        openapi: {
          response: {
            202: ok('Queued', z.object({ success: z.literal(true), delivery: deliveryViewSchema })),
            ...errors(400, 404, ...ADMIN_ERRORS),
          },
        },
      },
    },
    async (request, reply) => {
      const delivery = await app.webhooks.retry(request.params.id, request.params.did);
      if (!delivery) throw notFound('no such delivery for this webhook');
      app.audit({
        event: 'admin_action',
        ...adminActor(request),
        subject: request.params.id,
        details: { action: 'webhook.retry', delivery_id: delivery.id },
      });
      void app.webhookWorker.runNow();
      return reply.code(202).send({ success: true, delivery: deliveryView(delivery) });
    },
  );
};
