import type { Database, Queryable } from '../storage/database.js';
import type { Repositories } from '../repositories/index.js';
import type { RevokedFamily } from '../repositories/token-families.js';
import type { DenyList } from './deny-list.js';

/**
 * In the caller's transaction: voids the codes the user gave the client that were not redeemed
 * yet, then revokes every family of the two. Codes first: deleting a code waits for a
 * redemption in flight, and the revocation, a later statement, then sees the family that
 * redemption created. The caller denies the returned families once this commits.
 */
export async function endGrantsInTransaction(
  repos: Pick<Repositories, 'authorizationCodes' | 'tokenFamilies'>,
  tx: Queryable,
  userId: string,
  clientId: string,
  reason: string,
): Promise<RevokedFamily[]> {
  await repos.authorizationCodes.deleteUnredeemed(userId, clientId, tx);
  return repos.tokenFamilies.revokeForUserAndClient(userId, clientId, reason, tx);
}

/**
 * Ends every grant a user gave a client ("Remove access"): codes not yet redeemed, all its token
 * families (their access tokens are denied until they expire) and the remembered consent, so
 * the next authorization asks again.
 */
export async function revokeUserGrants(
  deps: {
    db: Pick<Database, 'transaction'>;
    repos: Pick<Repositories, 'authorizationCodes' | 'tokenFamilies' | 'consents'>;
    denyList: Pick<DenyList, 'denyFamily'>;
  },
  userId: string,
  clientId: string,
  reason: string,
): Promise<number> {
  const revoked = await deps.db.transaction(async (tx) => {
    const families = await endGrantsInTransaction(deps.repos, tx, userId, clientId, reason);
    await deps.repos.consents.forget(userId, clientId, tx);
    return families;
  });
  for (const f of revoked) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  return revoked.length;
}
