import type { AuditEvent } from '../audit/audit-event.js';
import type { AdminActor } from '../clients/client-admin.js';
import type { DenyList } from '../oauth/deny-list.js';
import type { SessionManager } from '../sign-in/session-manager.js';
import type { Repositories } from '../repositories/index.js';
import type { Database } from '../storage/database.js';

export interface SignOutEverywhereDeps {
  db: Database;
  repos: Pick<Repositories, 'sessions' | 'authorizationCodes' | 'tokenFamilies'>;
  sessions: Pick<SessionManager, 'forget'>;
  denyList: Pick<DenyList, 'denyFamily'>;
  audit: (event: AuditEvent) => void;
}

/**
 * Ends every browser session and every token family of a person, in one transaction (an admin's
 * "sign out everywhere"); their access tokens are denied until they expire. The person and their
 * consents stay: signing in again works. Audited with the admin as actor.
 */
export async function signOutEverywhere(
  deps: SignOutEverywhereDeps,
  userId: string,
  by: AdminActor,
): Promise<{ sessions: number; families: number }> {
  const { hashes, families } = await deps.db.transaction(async (tx) => {
    const hashes = await deps.repos.sessions.deleteForUser(userId, tx);
    // Codes first, as in revokeUserGrants: a redemption in flight finishes before the revocation sees its family.
    await deps.repos.authorizationCodes.deleteUnredeemedForUser(userId, tx);
    const families = await deps.repos.tokenFamilies.revokeForUser(userId, 'signed_out_by_admin', tx);
    return { hashes, families };
  });
  for (const h of hashes) await deps.sessions.forget(h);
  for (const f of families) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  deps.audit({
    event: 'admin_action',
    actor: by.actor,
    ip: by.ip ?? null,
    subject: userId,
    details: { action: 'user.sign_out', sessions: hashes.length, families: families.length },
  });
  return { sessions: hashes.length, families: families.length };
}
