import type { AuditLog } from '../audit/audit-log.js';
import type { AdminActor } from '../clients/client-admin.js';
import type { Config } from '../config/schema.js';
import { deleteUser, type DeleteUserDeps, type DeleteUserResult } from '../users/delete-user.js';

export type AdminDeleteUserDeps = Omit<DeleteUserDeps, 'accessTokenLifetimeSeconds' | 'audit' | 'log'> & {
  config: Pick<Config, 'security'>;
  auditLog: Pick<AuditLog, 'flush' | 'record'>;
};

/**
 * An admin's erasure of a person (DELETE /users/:id, the console, `gatehouse users delete`): see
 * deleteUser; then one admin_action event with the admin as actor. The person's id is erased
 * everywhere, audit trail included, so the event names the deletion's reference instead. Null
 * when there is no such user.
 */
export async function deleteUserAsAdmin(
  deps: AdminDeleteUserDeps,
  userId: string,
  by: AdminActor,
  log: DeleteUserDeps['log'],
): Promise<DeleteUserResult | null> {
  const result = await deleteUser(
    {
      db: deps.db,
      repos: deps.repos,
      denyList: deps.denyList,
      sessions: deps.sessions,
      google: deps.google,
      vault: deps.vault,
      accessTokenLifetimeSeconds: deps.config.security.access_token_expiry_minutes * 60,
      audit: deps.auditLog,
      log,
    },
    userId,
  );
  if (!result) return null;
  deps.auditLog.record({
    event: 'admin_action',
    actor: by.actor,
    ip: by.ip ?? null,
    subject: result.reference,
    details: { action: 'user.delete', families_revoked: result.familiesRevoked },
  });
  return result;
}
