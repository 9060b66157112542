import { apiKeyIdSchema } from '../../api-keys/api-key-admin.js';
import { createVaultAudit } from '../../vault/audit.js';
import {
  connectScopesSchema,
  connectionStatus,
  deleteConnection,
  returnToSchema,
} from '../../vault/connection-admin.js';
import { issueConnectLink } from '../../vault/issue-connect-link.js';
import { connectionIdSchema } from '../../vault/subject.js';
import { UsageError, idCommand, positiveInt, stringList, type Command, type ParsedArgs } from '../command.js';

const connectionIdArg = {
  id: 'connection id',
  idSchema: connectionIdSchema,
  idMeaning: 'a connection id ([A-Za-z0-9._:-]{1,200}, never UUID-shaped)',
};

function apiKeyId(args: ParsedArgs): string | undefined {
  const id = args.values['api-key'];
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !apiKeyIdSchema.safeParse(id).success)
    throw new UsageError(`--api-key must be an API key id (a UUID)`);
  return id;
}

const list: Command = {
  name: 'connections list',
  summary: 'list connections, newest first, with the state of their Google grants (never a token)',
  synopsis: '[--api-key <id>] [--limit <n>]',
  details: ['--api-key   only the connections this API key created'],
  options: { 'api-key': { type: 'string' }, limit: { type: 'string' } },
  async run(ctx, args) {
    const filter = apiKeyId(args);
    const limit = positiveInt(args, 'limit', 100, 10_000);
    const rows = await (
      await ctx.repos()
    ).connections.list({
      limit,
      ...(filter ? { apiKeyId: filter } : {}),
    });
    return {
      success: true,
      connections: rows.map((c) => ({
        connection_id: c.id,
        ...connectionStatus(c.status ? { ...c, status: c.status } : null),
        created_by_api_key: c.createdByApiKey,
        created_at: c.createdAt.toISOString(),
      })),
    };
  },
};

const link = idCommand({
  name: 'connections link',
  summary: 'create a single-use connect link (15 min) a person opens to connect a Google account',
  ...connectionIdArg,
  synopsis: '[--return-to <url>] [--scope <google scope>…] [--api-key <id>]',
  details: [
    '--return-to   where the person is sent afterwards, with connection_id and status appended',
    '--scope       repeatable (or comma-separated): Google scopes on top of the base ones',
    '--api-key     the service the confirmation page names (default: "A service")',
  ],
  options: {
    'return-to': { type: 'string' },
    scope: { type: 'string', multiple: true },
    'api-key': { type: 'string' },
  },
  async run(ctx, id, args) {
    const rawReturnTo = args.values['return-to'];
    const returnTo = rawReturnTo === undefined ? null : String(rawReturnTo);
    if (returnTo !== null) {
      const parsed = returnToSchema.safeParse(returnTo);
      if (!parsed.success) throw new UsageError(`--return-to ${parsed.error.issues[0]!.message}`);
    }
    const scopes = connectScopesSchema.safeParse(stringList(args, 'scope') ?? []);
    if (!scopes.success) {
      const issue = scopes.error.issues[0]!;
      throw new UsageError(`--scope ${issue.path.length ? `#${Number(issue.path[0]) + 1} ` : ''}${issue.message}`);
    }
    const keyId = apiKeyId(args);
    if (keyId) {
      const key = await (await ctx.repos()).apiKeys.findById(keyId);
      if (!key || key.revoked) throw new UsageError(`no active API key ${keyId}`);
    }
    const { connectUrl, expiresAt } = await issueConnectLink(
      {
        config: ctx.config,
        repos: await ctx.repos(),
        vaultAudit: createVaultAudit(await ctx.recordAudit()),
      },
      { connectionId: id, apiKeyId: keyId ?? null, returnTo, scopes: scopes.data },
      ctx.actor,
    );
    return { success: true, connection_id: id, connect_url: connectUrl, expires_at: expiresAt.toISOString() };
  },
});

const remove = idCommand({
  name: 'connections delete',
  summary: 'revoke a connection’s grant at Google and delete it (webhooks get connection.deleted)',
  ...connectionIdArg,
  async run(ctx, id) {
    const { revokedAtGoogle } = await deleteConnection(
      {
        db: await ctx.db(),
        repos: await ctx.repos(),
        google: ctx.google,
        vault: await ctx.vault(),
        vaultAudit: createVaultAudit(await ctx.recordAudit()),
      },
      id,
      { log: ctx.log, by: ctx.actor },
    );
    return { success: true, connection_id: id, deleted: true, revoked_at_google: revokedAtGoogle };
  },
});

export const connectionCommands: Command[] = [list, link, remove];
