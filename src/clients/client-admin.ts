import { randomBytes } from 'node:crypto';
import type { AuditEvent } from '../audit/audit-event.js';
import type { SecretHasher } from '../crypto/secret-hasher.js';
import { randomToken } from '../crypto/random.js';
import { denialExpiry, type DenyList } from '../oauth/deny-list.js';
import { invalidClientMetadata, invalidRedirectUri, invalidRequest, notFound } from '../oauth/errors.js';
import type { ClientPurgeCounts } from '../repositories/client-purge.js';
import type { Repositories } from '../repositories/index.js';
import type { Database, Queryable } from '../storage/database.js';
import type { Client } from './client.js';
import type { ClientStore } from './client-store.js';
import { clientPatchSchema, registrationSchema } from './registration.js';

/**
 * Register, disable and rotate: the one implementation behind both the admin HTTP API and the
 * CLI. Each writes Postgres, then tells every instance through the client store, then audits.
 */
export interface ClientAdminDeps {
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'clients' | 'clientPurge' | 'accessDenials'>;
  hasher: SecretHasher;
  store: Pick<ClientStore, 'changed'>;
  /** Disabling a client denies its live access tokens on every instance at once. */
  denyList: Pick<DenyList, 'denyClient' | 'denyFamily'>;
  /** security.access_token_expiry_minutes in seconds: how long a disabled client's tokens stay denied. */
  accessTokenLifetimeSeconds: number;
  audit: (event: AuditEvent) => void;
}

/** Who asked, for the audit trail: `admin-key` + address over HTTP, `cli:<user>` from the CLI. */
export interface AdminActor {
  actor: string;
  ip?: string;
}

/**
 * Client ids are 40 hex characters: longer than any username (≤ 32), so a client id can never
 * equal one (product rule: a client id can never equal a username).
 */
function newClientId(): string {
  return randomBytes(20).toString('hex');
}

function auditAdmin(
  deps: ClientAdminDeps,
  by: AdminActor,
  action: string,
  client: Client,
  details: Record<string, unknown> = {},
): void {
  deps.audit({
    event: 'admin_action',
    actor: by.actor,
    ip: by.ip,
    subject: client.id,
    client_id: client.id,
    details: { action, ...details },
  });
}

/** Validates registration metadata; refusals are RFC 7591 §3.2.2 errors. */
function parseRegistration(body: unknown) {
  const parsed = registrationSchema.safeParse(body ?? {});
  if (!parsed.success) throw metadataError(parsed.error.issues[0]!);
  return parsed.data;
}

function metadataError(issue: { path: PropertyKey[]; message: string }) {
  const field = String(issue.path[0] ?? 'body');
  const description = `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`;
  // RFC 7591 §3.2.2: redirect problems have their own error code.
  return field.startsWith('redirect_url') || field.startsWith('post_logout_redirect_url')
    ? invalidRedirectUri(description)
    : invalidClientMetadata(description);
}

/** Validates RFC 7591 metadata (unknown body shape allowed) and creates the client. */
export async function registerClient(
  deps: ClientAdminDeps,
  body: unknown,
  by: AdminActor,
): Promise<{ client: Client; secret?: string }> {
  const reg = parseRegistration(body);
  const secret = reg.token_endpoint_auth_method === 'none' ? undefined : randomToken(32);
  const client = await deps.repos.clients.insert({
    id: newClientId(),
    ...reg,
    secret_hash: secret ? await deps.hasher.hash(secret) : null,
  });
  await deps.store.changed(client);
  auditAdmin(deps, by, 'client.register', client, {
    app_name: client.app_name,
    grant_types: client.grant_types,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    redirect_uris: client.redirect_uris,
  });
  return secret ? { client, secret } : { client };
}

/**
 * PATCH: changes the named fields. The client as it would be afterwards passes the same
 * validation as a registration (a code client keeps a redirect URL, and so on).
 */
export async function updateClient(deps: ClientAdminDeps, id: string, body: unknown, by: AdminActor): Promise<Client> {
  const patch = clientPatchSchema.safeParse(body ?? {});
  if (!patch.success) throw metadataError(patch.error.issues[0]!);
  const existing = await deps.repos.clients.findById(id);
  if (!existing) throw notFound('no such client');
  const next = parseRegistration({
    app_name: existing.app_name,
    contact_email: existing.contact_email,
    redirect_urls: existing.redirect_uris,
    post_logout_redirect_urls: existing.post_logout_redirect_uris,
    grant_types: existing.grant_types,
    scope: existing.scope,
    token_endpoint_auth_method: existing.token_endpoint_auth_method,
    first_party: existing.first_party,
    resource_server: existing.resource_server,
    ...(existing.id_token_signed_response_alg
      ? { id_token_signed_response_alg: existing.id_token_signed_response_alg }
      : {}),
    ...patch.data,
  });
  const changed = Object.keys(patch.data);
  const client = await deps.repos.clients.update(id, {
    app_name: next.app_name,
    contact_email: next.contact_email,
    redirect_uris: next.redirect_uris,
    post_logout_redirect_uris: next.post_logout_redirect_uris,
    scope: next.scope,
    grant_types: next.grant_types,
    first_party: next.first_party,
    resource_server: next.resource_server,
    id_token_signed_response_alg: next.id_token_signed_response_alg,
  });
  if (!client) throw notFound('no such client');
  await deps.store.changed(client);
  auditAdmin(deps, by, 'client.update', client, { fields: changed });
  return client;
}

/**
 * Idempotent; 404 `not_found` when there is no such client. Its live access tokens, user and
 * client_credentials alike, are denied on every instance until the longest access-token lifetime
 * has passed (product rule: ending access ends all of it; docs/token-lifecycle.md); the denial is written in the same transaction
 * as the disable, so an instance that missed the message finds it at its next sync.
 */
export async function disableClient(deps: ClientAdminDeps, id: string, by: AdminActor): Promise<Client> {
  const { client, deniedUntil } = await disableAndDeny(deps, id, async () => undefined);
  await deps.denyList.denyClient(client.id, deniedUntil);
  await deps.store.changed(client);
  auditAdmin(deps, by, 'client.disable', client);
  return client;
}

/**
 * DELETE /clients/:id?purge=true: disables the client (as disableClient) and, in the same
 * transaction, revokes its families and deletes its refresh tokens, codes and consents, so no
 * token can be issued between the two.
 */
export async function purgeClient(
  deps: ClientAdminDeps,
  id: string,
  by: AdminActor,
): Promise<{ client: Client; counts: ClientPurgeCounts }> {
  const {
    client,
    deniedUntil,
    extra: purged,
  } = await disableAndDeny(deps, id, (tx, clientId) => deps.repos.clientPurge.purge(clientId, tx));
  await deps.denyList.denyClient(client.id, deniedUntil);
  for (const f of purged.revoked) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  await deps.store.changed(client);
  auditAdmin(deps, by, 'client.purge', client, { ...purged.counts });
  return { client, counts: purged.counts };
}

async function disableAndDeny<T>(
  deps: ClientAdminDeps,
  id: string,
  alsoInTransaction: (tx: Queryable, clientId: string) => Promise<T>,
): Promise<{ client: Client; deniedUntil: Date; extra: T }> {
  const done = await deps.db.transaction(async (tx) => {
    const client = await deps.repos.clients.disable(id, tx);
    if (!client) return null;
    const extra = await alsoInTransaction(tx, client.id);
    // Computed after the row lock: a token signed before the disable committed expires inside it.
    const deniedUntil = denialExpiry(deps.accessTokenLifetimeSeconds);
    await deps.repos.accessDenials.insert('client', client.id, deniedUntil, tx);
    return { client, deniedUntil, extra };
  });
  if (!done) throw notFound('no such client');
  return done;
}

/** A new secret, shown once; the old one stops working on every instance at once. */
export async function rotateClientSecret(
  deps: ClientAdminDeps,
  id: string,
  by: AdminActor,
): Promise<{ client: Client; secret: string }> {
  const existing = await deps.repos.clients.findById(id);
  if (!existing) throw notFound('no such client');
  if (!existing.secret_hash) throw invalidRequest('a public client has no secret to rotate');
  const secret = randomToken(32);
  const client = await deps.repos.clients.replaceSecret(existing.id, await deps.hasher.hash(secret));
  if (!client) throw notFound('no such client');
  await deps.store.changed(client);
  auditAdmin(deps, by, 'client.rotate_secret', client);
  return { client, secret };
}

/** The one-time registration response (RFC 7591 §3.2.1 plus Gatehouse's names). */
export function registrationResponse(client: Client, secret: string | undefined) {
  return {
    success: true as const,
    client_id: client.id,
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    client_id_issued_at: Math.floor(Date.parse(client.created_at) / 1000),
    redirect_url: client.redirect_uris[0] ?? null,
    redirect_urls: client.redirect_uris,
    grant_types: client.grant_types,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    app_name: client.app_name,
    scope: client.scope,
    first_party: client.first_party,
    resource_server: client.resource_server,
    post_logout_redirect_urls: client.post_logout_redirect_uris,
    ...(client.id_token_signed_response_alg
      ? { id_token_signed_response_alg: client.id_token_signed_response_alg }
      : {}),
  };
}

export function rotationResponse(client: Client, secret: string) {
  return { success: true as const, client_id: client.id, client_secret: secret, client_secret_expires_at: 0 };
}
