import type { Database, Queryable } from '../storage/database.js';
import { authorizationCodesRepository } from '../repositories/authorization-codes.js';
import { consentsRepository } from '../repositories/consents.js';
import { tokenFamiliesRepository, type RevokedFamily } from '../repositories/token-families.js';
import type { DenyList } from './deny-list.js';

/**
 * In the caller's transaction: voids the codes the user gave the client that were not redeemed
 * yet, then revokes every family of the two. Codes first: deleting a code waits for a
 * redemption in flight, and the revocation, a later statement, then sees the family that
 * redemption created. The caller denies the returned families once this commits.
 */
export async function endGrantsInTransaction(
  tx: Queryable,
  userId: string,
  clientId: string,
  reason: string,
): Promise<RevokedFamily[]> {
  await authorizationCodesRepository.deleteUnredeemed(tx, userId, clientId);
  return tokenFamiliesRepository.revokeForUserAndClient(tx, userId, clientId, reason);
}

/**
 * Ends every grant a user gave a client ("Remove access"): codes not yet redeemed, all its token
 * families (their access tokens are denied until they expire) and the remembered consent, so
 * the next authorization asks again.
 */
export async function revokeUserGrants(
  deps: { db: Database; denyList: DenyList },
  userId: string,
  clientId: string,
  reason: string,
): Promise<number> {
  const revoked = await deps.db.transaction(async (tx) => {
    const families = await endGrantsInTransaction(tx, userId, clientId, reason);
    await consentsRepository.forget(tx, userId, clientId);
    return families;
  });
  for (const f of revoked) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  return revoked.length;
}
