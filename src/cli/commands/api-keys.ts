import { apiKeyView } from '../../api-keys/api-key.js';
import {
  apiKeyCreateSchema,
  apiKeyIdSchema,
  createApiKey,
  revokeApiKey,
  type ApiKeyAdminDeps,
} from '../../api-keys/api-key-admin.js';
import { announceApiKeyChange } from '../../api-keys/api-key-auth.js';
import { UsageError, idCommand, requiredString, stringList, type Command } from '../command.js';
import type { CliContext } from '../context.js';

async function adminDeps(ctx: CliContext): Promise<ApiKeyAdminDeps> {
  const cache = await ctx.cache();
  return {
    apiKeys: (await ctx.repos()).apiKeys,
    hasher: ctx.hasher,
    changed: (key) => announceApiKeyChange(cache, key),
    audit: await ctx.recordAudit(),
  };
}

const create: Command = {
  name: 'api-keys create',
  summary: 'create an API key for an internal service; prints the key once',
  synopsis:
    '--name <name> [--scope tokens|connections|external]… [--default-subject <person> | --default-connection <id>] [--allowed-client <client id>]…',
  details: [
    '--scope               repeatable (or comma-separated); default tokens',
    '--default-subject     the person (user id, username or verified email) a broker request names when it names none',
    '--default-connection  the connection id a broker request names when it names none',
    '--allowed-client      repeatable (or comma-separated); the client ids an external key may mint for (none by default)',
  ],
  options: {
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'default-subject': { type: 'string' },
    'default-connection': { type: 'string' },
    'allowed-client': { type: 'string', multiple: true },
  },
  async run(ctx, args) {
    const person = args.values['default-subject'] === undefined ? undefined : String(args.values['default-subject']);
    const connection =
      args.values['default-connection'] === undefined ? undefined : String(args.values['default-connection']);
    if (person !== undefined && connection !== undefined)
      throw new UsageError('give --default-subject or --default-connection, not both');
    const parsed = apiKeyCreateSchema.safeParse({
      name: requiredString(args, 'name'),
      scopes: stringList(args, 'scope'),
      default_subject:
        person !== undefined
          ? { subject: person }
          : connection !== undefined
            ? { connection_id: connection }
            : undefined,
      allowed_clients: stringList(args, 'allowed-client'),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${issue.path.join('.') || 'input'}: ${issue.message}`);
    }
    const { apiKey, key } = await createApiKey(await adminDeps(ctx), parsed.data, ctx.actor);
    return { success: true, ...apiKeyView(apiKey), api_key: key };
  },
};

const list: Command = {
  name: 'api-keys list',
  summary: 'list API keys (never the keys themselves)',
  synopsis: '',
  async run(ctx) {
    const keys = await (await ctx.repos()).apiKeys.list();
    return { success: true, api_keys: keys.map(apiKeyView) };
  },
};

const revoke = idCommand({
  name: 'api-keys revoke',
  summary: 'revoke an API key on every instance',
  id: 'key id',
  idSchema: apiKeyIdSchema,
  idMeaning: 'an API key id (a UUID)',
  async run(ctx, id) {
    const key = await revokeApiKey(await adminDeps(ctx), id, ctx.actor);
    return { success: true, id: key.id, revoked: true };
  },
});

export const apiKeyCommands: Command[] = [create, list, revoke];
