import {
  createWebhook,
  deleteWebhook,
  webhookCreateSchema,
  webhookIdSchema,
  webhookView,
  type WebhookAdminDeps,
} from '../../webhooks/webhook-admin.js';
import { createWebhookStore } from '../../webhooks/webhook-store.js';
import { UsageError, idCommand, requiredString, stringList, type Command } from '../command.js';
import type { CliContext } from '../context.js';

async function adminDeps(ctx: CliContext): Promise<WebhookAdminDeps> {
  return { webhooks: createWebhookStore(await ctx.db(), ctx.keyring), audit: await ctx.recordAudit() };
}

const create: Command = {
  name: 'webhooks create',
  summary: 'register a webhook receiver; prints its signing secret once',
  synopsis: '--url <url> --event <type>…',
  details: [
    '--event   repeatable (or comma-separated): connection.created|reauth_required|recovered|deleted, user.google_reauth_required|google_recovered|deleted',
  ],
  options: { url: { type: 'string' }, event: { type: 'string', multiple: true } },
  async run(ctx, args) {
    const parsed = webhookCreateSchema.safeParse({
      url: requiredString(args, 'url'),
      events: stringList(args, 'event') ?? [],
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${issue.path.join('.') || 'input'}: ${issue.message}`);
    }
    const { webhook, secret } = await createWebhook(await adminDeps(ctx), parsed.data, ctx.actor);
    return { success: true, ...webhookView(webhook), secret };
  },
};

const list: Command = {
  name: 'webhooks list',
  summary: 'list webhook receivers (never their secrets)',
  synopsis: '',
  async run(ctx) {
    const { webhooks } = await adminDeps(ctx);
    return { success: true, webhooks: (await webhooks.list()).map(webhookView) };
  },
};

const remove = idCommand({
  name: 'webhooks delete',
  summary: 'delete a webhook receiver and its pending deliveries',
  id: 'webhook id',
  idSchema: webhookIdSchema,
  idMeaning: 'a webhook id (a UUID)',
  async run(ctx, id) {
    await deleteWebhook(await adminDeps(ctx), id, ctx.actor);
    return { success: true, id, deleted: true };
  },
});

export const webhookCommands: Command[] = [create, list, remove];
