import type { Database } from '../storage/database.js';
import { consentsRepository } from '../repositories/consents.js';
import { tokenFamiliesRepository } from '../repositories/token-families.js';
import type { DenyList } from './deny-list.js';

/**
 * Ends every grant a user gave a client: all its token families (their access tokens are denied
 * until they expire) and the remembered consent, so the next authorization asks again.
 */
export async function revokeUserGrants(
  deps: { db: Database; denyList: DenyList },
  userId: string,
  clientId: string,
  reason: string,
): Promise<number> {
  const revoked = await deps.db.transaction(async (tx) => {
    const families = await tokenFamiliesRepository.revokeForUserAndClient(tx, userId, clientId, reason);
    await consentsRepository.forget(tx, userId, clientId);
    return families;
  });
  for (const f of revoked) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  return revoked.length;
}
