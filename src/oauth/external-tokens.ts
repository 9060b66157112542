import type { Client } from '../clients/client.js';
import { randomId } from '../crypto/random.js';
import type { Repositories } from '../repositories/index.js';
import type { RevokedFamily } from '../repositories/token-families.js';
import type { User, UsersRepository } from '../repositories/users.js';
import type { Database, Queryable } from '../storage/database.js';
import type { DenyList } from './deny-list.js';
import { ambiguousSubject, findPerson } from '../vault/subject.js';
import { forbidden, invalidRequest, notFound, unauthorizedClient } from './errors.js';
import type { TokenResponse } from './grants/grant.js';
import { issueUserTokens, type IssueUserTokensDeps } from './issue-user-tokens.js';
import { parseScope, requireSubset } from './scopes.js';
import { endGrantsInTransaction } from './revoke-user-grants.js';

/**
 * The external token service: a trusted authentication service (an API key with scope
 * `external`) has signed a person in by its own means and asks Gatehouse for that person's
 * tokens for one of our clients, or ends them.
 */
export interface ExternalTokenDeps extends IssueUserTokensDeps {
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'users' | 'authorizationCodes' | 'tokenFamilies' | 'refreshTokens'>;
  denyList: Pick<DenyList, 'denyFamily'>;
  findClient: (id: string) => Promise<Client | null>;
}

export interface MintRequest {
  /** The calling key's allowed_clients. */
  allowedClients: readonly string[];
  clientId: string;
  subject: string;
  scope: string;
  create: boolean;
  email?: string | undefined;
}

/**
 * A subject names a person as for the broker: a user id, a *verified* email or a username (the
 * forms cannot collide: ids are UUIDs, longer than any username, and no username contains
 * '@'). An email matching several verified accounts is 409 ambiguous_subject.
 */
export const resolveSubject = (users: UsersRepository, subject: string, q: Queryable): Promise<User | null> =>
  findPerson(users, subject, q);

/**
 * The key may act only for the clients it lists (none by default): a trusted external service
 * must not mint tokens of the first-party login client, or of any client it was not set up for.
 */
export function requireAllowedClient(allowedClients: readonly string[], clientId: string): void {
  if (!allowedClients.includes(clientId))
    throw forbidden("this API key may not act for that client_id (see the key's allowed_clients)");
}

/** Unknown and disabled clients look the same to the caller. */
async function requireClient(
  deps: ExternalTokenDeps,
  clientId: string,
  opts: { allowDisabled: boolean },
): Promise<Client> {
  const client = await deps.findClient(clientId);
  if (!client || (client.disabled && !opts.allowDisabled)) throw invalidRequest('client_id is unknown or disabled');
  return client;
}

export async function mintExternalTokens(
  deps: ExternalTokenDeps,
  req: MintRequest,
): Promise<{ user: User; created: boolean; response: TokenResponse }> {
  requireAllowedClient(req.allowedClients, req.clientId);
  const client = await requireClient(deps, req.clientId, { allowDisabled: false });
  // Only clients that hold user tokens anyway; a client_credentials-only client gets none.
  if (!client.grant_types.includes('authorization_code'))
    throw unauthorizedClient('this client does not take user tokens');
  const scopes = parseScope(req.scope);
  if (scopes.length === 0) throw invalidRequest('scope is required');
  // As at /oauth/authorize: a client's registered scope is the set it may ask for (product rule "Scopes").
  requireSubset(scopes, parseScope(client.scope), 'scope exceeds what the client is registered for');
  const email = createEmail(req);

  return deps.db.transaction(async (tx) => {
    let user = await resolveSubject(deps.repos.users, req.subject, tx);
    let created = false;
    if (!user && email) {
      // One creation per email even when the service retries concurrently: the second waits
      // here and then finds the first one's user.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`external-user:${email.toLowerCase()}`]);
      user = await findPerson(deps.repos.users, email, tx);
      // Not a verified account: the person this service created before, if any. A Google
      // account whose unverified email says the same is never one of them (it has a sub).
      if (!user) {
        const earlier = await deps.repos.users.findExternalByEmail(email, tx);
        if (earlier.length > 1) throw ambiguousSubject();
        user = earlier[0] ?? null;
      }
      if (!user) {
        user = await deps.repos.users.createWithEmail(email, tx);
        created = true;
      }
    }
    if (!user) throw notFound('no user matches subject');
    const claims = await deps.repos.users.findClaims(user.id, tx);
    const response = await issueUserTokens(tx, deps, {
      client,
      user: claims!,
      scopes,
      familyId: randomId(),
      newFamily: true,
      refresh: client.grant_types.includes('refresh_token') ? 'new' : undefined,
    });
    return { user, created, response };
  });
}

/**
 * With create: true, the subject must be the email to create the person with (or `email` must
 * equal it), so retries name the same person instead of creating a second one.
 */
function createEmail(req: MintRequest): string | undefined {
  if (!req.create) return undefined;
  const email = req.email ?? (req.subject.includes('@') ? req.subject : undefined);
  if (!email) throw invalidRequest('create: true needs an email');
  if (req.subject.toLowerCase() !== email.toLowerCase())
    throw invalidRequest('with create: true, subject must be the email');
  return email;
}

/** Ends every family of the user for the client; returns the user and what was revoked. */
export async function revokeExternalTokens(
  deps: ExternalTokenDeps,
  req: { allowedClients: readonly string[]; clientId: string; subject: string },
): Promise<{ user: User; client: Client; revoked: RevokedFamily[] }> {
  requireAllowedClient(req.allowedClients, req.clientId);
  // A disabled client's tokens can still be ended.
  const client = await requireClient(deps, req.clientId, { allowDisabled: true });
  const { user, revoked } = await deps.db.transaction(async (tx) => {
    const found = await resolveSubject(deps.repos.users, req.subject, tx);
    if (!found) throw notFound('no user matches subject');
    return {
      user: found,
      revoked: await endGrantsInTransaction(deps.repos, tx, found.id, client.id, 'external_revoke'),
    };
  });
  // product rule: family revocation also denies every access token of the family until it expires.
  for (const f of revoked) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  return { user, client, revoked };
}
