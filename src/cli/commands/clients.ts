import { publicView } from '../../clients/client.js';
import {
  disableClient,
  purgeClient,
  registerClient,
  registrationResponse,
  rotateClientSecret,
  rotationResponse,
  updateClient,
  type ClientAdminDeps,
} from '../../clients/client-admin.js';
import { UsageError, idCommand, positiveInt, requiredString, stringList, type Command } from '../command.js';
import type { CliContext } from '../context.js';

async function adminDeps(ctx: CliContext): Promise<ClientAdminDeps> {
  return {
    db: await ctx.db(),
    repos: await ctx.repos(),
    hasher: ctx.hasher,
    store: await ctx.clientStore(),
    denyList: await ctx.denyList(),
    accessTokenLifetimeSeconds: ctx.config.security.access_token_expiry_minutes * 60,
    audit: await ctx.recordAudit(),
  };
}

const create: Command = {
  name: 'clients create',
  summary: 'register an OAuth client (same rules as POST /clients/register); prints the secret once',
  synopsis:
    '--name <app name> --email <contact> --redirect-url <url>… [--post-logout-redirect-url <url>…] [--grant-type <type>…] [--scope "<scopes>"] [--public] [--auth-method client_secret_basic|client_secret_post] [--first-party] [--resource-server]',
  details: [
    '--redirect-url               repeatable (or comma-separated); https, or http on 127.0.0.1/[::1]/localhost',
    '--post-logout-redirect-url   repeatable (or comma-separated); where /oauth/logout may send people back to',
    '--grant-type                 repeatable: authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code, urn:ietf:params:oauth:grant-type:token-exchange (default: the first two)',
    '--scope                      space-separated scopes the client may ask for (default "openid profile email")',
    '--public                     a public client (token_endpoint_auth_method none, PKCE, no secret)',
    '--auth-method                client_secret_basic (default) or client_secret_post',
    '--first-party                consent is not asked (your own applications)',
    '--resource-server            may introspect tokens',
  ],
  options: {
    name: { type: 'string' },
    email: { type: 'string' },
    'redirect-url': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    scope: { type: 'string' },
    public: { type: 'boolean' },
    'auth-method': { type: 'string' },
    'first-party': { type: 'boolean' },
    'resource-server': { type: 'boolean' },
    'post-logout-redirect-url': { type: 'string', multiple: true },
  },
  async run(ctx, args) {
    const body = {
      post_logout_redirect_urls: stringList(args, 'post-logout-redirect-url'),
      app_name: requiredString(args, 'name'),
      contact_email: requiredString(args, 'email'),
      redirect_urls: stringList(args, 'redirect-url'),
      grant_types: stringList(args, 'grant-type'),
      scope: args.values.scope,
      token_endpoint_auth_method: args.values.public ? 'none' : args.values['auth-method'],
      first_party: args.values['first-party'],
      resource_server: args.values['resource-server'],
    };
    const { client, secret } = await registerClient(await adminDeps(ctx), body, ctx.actor);
    return registrationResponse(client, secret);
  },
};

const update = idCommand({
  name: 'clients update',
  summary: 'change a client (same rules as PATCH /clients/:id); only the options given change',
  id: 'client id',
  synopsis:
    '[--name <app name>] [--email <contact>] [--redirect-url <url>…] [--post-logout-redirect-url <url>…] [--grant-type <type>…] [--scope "<scopes>"] [--first-party true|false] [--resource-server true|false] [--id-token-alg RS256|ES256|EdDSA]',
  details: [
    '--redirect-url               repeatable; replaces the registered redirect URLs',
    '--post-logout-redirect-url   repeatable; replaces where /oauth/logout may return to ("" clears them)',
  ],
  options: {
    name: { type: 'string' },
    email: { type: 'string' },
    'redirect-url': { type: 'string', multiple: true },
    'post-logout-redirect-url': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    scope: { type: 'string' },
    'first-party': { type: 'string' },
    'resource-server': { type: 'string' },
    'id-token-alg': { type: 'string' },
  },
  async run(ctx, id, args) {
    const v = args.values;
    const flag = (name: 'first-party' | 'resource-server') => {
      const value = v[name];
      if (value === undefined) return undefined;
      if (value !== 'true' && value !== 'false') throw new UsageError(`--${name} must be true or false`);
      return value === 'true';
    };
    const list = (name: 'redirect-url' | 'post-logout-redirect-url' | 'grant-type') =>
      v[name] === undefined ? undefined : (stringList(args, name) ?? []);
    const body = Object.fromEntries(
      Object.entries({
        app_name: v.name,
        contact_email: v.email,
        redirect_urls: list('redirect-url'),
        post_logout_redirect_urls: list('post-logout-redirect-url'),
        grant_types: list('grant-type'),
        scope: v.scope,
        first_party: flag('first-party'),
        resource_server: flag('resource-server'),
        id_token_signed_response_alg: v['id-token-alg'],
      }).filter(([, value]) => value !== undefined),
    );
    const client = await updateClient(await adminDeps(ctx), id, body, ctx.actor);
    return { success: true, client: publicView(client) };
  },
});

const list: Command = {
  name: 'clients list',
  summary: 'list clients, newest first (never their secrets)',
  synopsis: '[--limit <n>] [--include-disabled]',
  options: { limit: { type: 'string' }, 'include-disabled': { type: 'boolean' } },
  async run(ctx, args) {
    const repos = await ctx.repos();
    const clients = await repos.clients.list({
      limit: positiveInt(args, 'limit', 100, 1000),
      includeDisabled: args.values['include-disabled'] === true,
    });
    return { success: true, clients: clients.map(publicView) };
  },
};

/** `clients <verb> <client id>`: one call of the client service the admin API uses. */
const byClientId = (
  name: string,
  summary: string,
  act: (deps: ClientAdminDeps, id: string, by: CliContext['actor']) => Promise<unknown>,
) => idCommand({ name, summary, id: 'client id', run: async (ctx, id) => act(await adminDeps(ctx), id, ctx.actor) });

const disable = byClientId(
  'clients disable',
  'disable a client on every instance (idempotent)',
  async (deps, id, by) => {
    const client = await disableClient(deps, id, by);
    return { success: true, client_id: client.id, disabled: true };
  },
);

const purge = byClientId(
  'clients purge',
  'disable a client and delete its tokens and consents (same as DELETE /clients/:id?purge=true)',
  async (deps, id, by) => {
    const { client, counts } = await purgeClient(deps, id, by);
    return { success: true, client_id: client.id, disabled: true, purged: counts };
  },
);

const rotateSecret = byClientId(
  'clients rotate-secret',
  "replace a confidential client's secret; prints the new one once",
  async (deps, id, by) => {
    const { client, secret } = await rotateClientSecret(deps, id, by);
    return rotationResponse(client, secret);
  },
);

export const clientCommands: Command[] = [create, update, list, disable, purge, rotateSecret];
