import { z } from 'zod';
import type { AuditEvent } from '../audit/audit-event.js';
import { randomToken } from '../crypto/random.js';
import { notFound } from '../oauth/errors.js';
import type { AdminActor } from '../clients/client-admin.js';
import { WEBHOOK_EVENT_TYPES } from './event-types.js';
import type { Webhook, WebhookStore } from './webhook-store.js';

/**
 * A receiver URL: absolute http or https, without credentials (a secret in the URL would be
 * shown by every listing). Private and loopback hosts are allowed: admins are trusted and
 * internal receivers are normal.
 */
export const webhookUrlSchema = z
  .string()
  .max(2000)
  .refine((raw) => {
    if (!URL.canParse(raw)) return false;
    const u = new URL(raw);
    return (
      (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.hostname !== ''
    );
  }, 'must be an absolute http or https URL without credentials');

export const webhookCreateSchema = z.object({
  url: webhookUrlSchema,
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
});

export const webhookIdSchema = z.uuid();

export interface WebhookAdminDeps {
  webhooks: WebhookStore;
  audit: (event: AuditEvent) => void;
}

/** Registers a receiver; the signing secret is returned here once and never again. */
export async function createWebhook(
  deps: WebhookAdminDeps,
  input: z.infer<typeof webhookCreateSchema>,
  by: AdminActor,
): Promise<{ webhook: Webhook; secret: string }> {
  const secret = `whsec_${randomToken(32)}`;
  const webhook = await deps.webhooks.create({ url: input.url, events: [...new Set(input.events)], secret });
  deps.audit({
    event: 'admin_action',
    actor: by.actor,
    ip: by.ip,
    subject: webhook.id,
    details: { action: 'webhook.create', events: webhook.events },
  });
  return { webhook, secret };
}

/** 404 `not_found` when there is no such webhook. */
export async function deleteWebhook(deps: WebhookAdminDeps, id: string, by: AdminActor): Promise<void> {
  if (!(await deps.webhooks.delete(id))) throw notFound('no such webhook');
  deps.audit({ event: 'admin_action', actor: by.actor, ip: by.ip, subject: id, details: { action: 'webhook.delete' } });
}

export const webhookView = (w: Webhook) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  created_at: w.createdAt.toISOString(),
});
