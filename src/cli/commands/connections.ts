import { apiKeyIdSchema } from '../../api-keys/api-key-admin.js';
import { createKeyring } from '../../crypto/keyring.js';
import { createGoogleClient } from '../../google/client.js';
import { resolveGoogleSettings } from '../../google/settings.js';
import { createVaultAudit } from '../../vault/audit.js';
import {
  connectScopesSchema,
  connectionStatus,
  deleteConnection,
  returnToSchema,
} from '../../vault/connection-admin.js';
import { issueConnectLink } from '../../vault/issue-connect-link.js';
import { connectionIdSchema, subjectCacheKey } from '../../vault/subject.js';
import { TokenCache } from '../../vault/token-cache.js';
import { UsageError, positiveInt, stringList, type Command, type ParsedArgs } from '../command.js';

function connectionId(args: ParsedArgs): string {
  const id = args.positionals[0]!;
  if (!connectionIdSchema.safeParse(id).success)
    throw new UsageError(`'${id}' is not a connection id ([A-Za-z0-9._:-]{1,200}, never UUID-shaped)`);
  return id;
}

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

const link: Command = {
  name: 'connections link',
  summary: 'create a single-use connect link (15 min) a person opens to connect a Google account',
  synopsis: '<connection id> [--return-to <url>] [--scope <google scope>…] [--api-key <id>]',
  details: [
    '--return-to   where the person is sent afterwards, with connection_id and status appended',
    '--scope       repeatable (or comma-separated): Google scopes on top of the base ones',
    '--api-key     the service the confirmation page names (default: "A service")',
  ],
  positionals: ['connection id'],
  options: {
    'return-to': { type: 'string' },
    scope: { type: 'string', multiple: true },
    'api-key': { type: 'string' },
  },
  async run(ctx, args) {
    const id = connectionId(args);
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
    const audit = await ctx.audit();
    const { connectUrl, expiresAt } = await issueConnectLink(
      {
        config: ctx.config,
        repos: await ctx.repos(),
        vaultAudit: createVaultAudit((e) => audit.record(e)),
      },
      { connectionId: id, apiKeyId: keyId ?? null, returnTo, scopes: scopes.data },
      ctx.actor.actor,
    );
    return { success: true, connection_id: id, connect_url: connectUrl, expires_at: expiresAt.toISOString() };
  },
};

const remove: Command = {
  name: 'connections delete',
  summary: 'revoke a connection’s grant at Google and delete it (webhooks get connection.deleted)',
  synopsis: '<connection id>',
  positionals: ['connection id'],
  async run(ctx, args) {
    const id = connectionId(args);
    const keys = ctx.config.secrets.encryption_keys;
    if (!keys) throw new UsageError('ENCRYPTION_KEYS is not set: Google tokens are stored encrypted');
    const db = await ctx.db();
    const keyring = createKeyring(keys);
    const audit = await ctx.audit();
    // Cached tokens are dropped in Redis and announced, so running servers stop serving them.
    const tokenCache = new TokenCache(await ctx.cache(), keyring, ctx.config.google.refresh_skew_seconds * 1000);
    const { revokedAtGoogle } = await deleteConnection(
      {
        db,
        repos: await ctx.repos(),
        google: createGoogleClient(resolveGoogleSettings(ctx.config)),
        vault: {
          async forget(credentialId, ...subjects) {
            await tokenCache.drop(credentialId);
            await tokenCache.dropSubject(
              ...subjects.map((s) => subjectCacheKey(typeof s === 'string' ? { kind: 'person', subject: s } : s)),
            );
          },
        },
        vaultAudit: createVaultAudit((e) => audit.record(e)),
      },
      id,
      { log: { warn: (_obj: object, msg: string) => console.error(`gatehouse: ${msg}`) }, actor: ctx.actor.actor },
    );
    return { success: true, connection_id: id, deleted: true, revoked_at_google: revokedAtGoogle };
  },
};

export const connectionCommands: Command[] = [list, link, remove];
