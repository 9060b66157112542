import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consoleActor } from '../../../admin/console-access.js';
import { notFound } from '../../../oauth/errors.js';
import { webhooksBody } from '../../../views/admin/pages/webhooks.js';
import { webhookIdSchema } from '../../../webhooks/webhook-admin.js';
import { formBase, noticeQuery, renderConsole } from '../../../admin/console-forms.js';

const DELIVERIES_SHOWN = 10;

/** /admin/webhooks: receivers with their recent deliveries, and retry. */
export const consoleWebhookRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/admin/webhooks', { schema: { hide: true, querystring: noticeQuery } }, async (request, reply) => {
    const hooks = await Promise.all(
      (await app.webhooks.list()).map(async (hook) => ({
        hook,
        deliveries: (await app.webhooks.deliveries(hook.id, DELIVERIES_SHOWN)) ?? [],
      })),
    );
    return renderConsole(request, reply, {
      title: 'Webhooks',
      section: 'webhooks',
      body: webhooksBody(hooks, app.csrf.tokenFor(request.session!.idHash)),
    });
  });

  app.post(
    '/admin/webhooks/:id/deliveries/:did/retry',
    { schema: { hide: true, params: z.object({ id: webhookIdSchema, did: z.uuid() }), body: formBase } },
    async (request, reply) => {
      const delivery = await app.webhooks.retry(request.params.id, request.params.did);
      if (!delivery) throw notFound('no such delivery for this webhook');
      const actor = consoleActor(request);
      app.audit({
        event: 'admin_action',
        actor: actor.actor,
        ip: actor.ip ?? null,
        subject: request.params.id,
        details: { action: 'webhook.retry', delivery_id: delivery.id },
      });
      void app.webhookWorker.runNow();
      return reply.redirect('/admin/webhooks?done=delivery_retried', 303);
    },
  );
};
