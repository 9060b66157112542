import { createKeyring } from '../../crypto/keyring.js';
import {
  createWebhook,
  deleteWebhook,
  webhookCreateSchema,
  webhookIdSchema,
  webhookView,
  type WebhookAdminDeps,
} from '../../webhooks/webhook-admin.js';
import { createWebhookStore } from '../../webhooks/webhook-store.js';
import { UsageError, requiredString, stringList, type Command } from '../command.js';
import type { CliContext } from '../context.js';

async function adminDeps(ctx: CliContext): Promise<WebhookAdminDeps> {
  const keys = ctx.config.secrets.encryption_keys;
  if (!keys) throw new UsageError('ENCRYPTION_KEYS is not set: webhook secrets are stored encrypted');
  const audit = await ctx.audit();
  return { webhooks: createWebhookStore(await ctx.db(), createKeyring(keys)), audit: (e) => audit.record(e) };
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

const remove: Command = {
  name: 'webhooks delete',
  summary: 'delete a webhook receiver and its pending deliveries',
  synopsis: '<webhook id>',
  positionals: ['webhook id'],
  async run(ctx, args) {
    const id = args.positionals[0]!;
    if (!webhookIdSchema.safeParse(id).success) throw new UsageError(`'${id}' is not a webhook id (a UUID)`);
    await deleteWebhook(await adminDeps(ctx), id, ctx.actor);
    return { success: true, id, deleted: true };
  },
};

export const webhookCommands: Command[] = [create, list, remove];
