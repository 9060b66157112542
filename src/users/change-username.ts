import type { AuditEvent } from '../audit/audit-event.js';
import type { Config } from '../config/schema.js';
import type { Repositories } from '../repositories/index.js';
import type { UserProfileCache } from './profile-cache.js';
import { UsernameTakenError } from '../repositories/users.js';
import { canonicalUsername, isReservedUsername } from './username.js';

/** What a rename touches: the users table, the cached profiles, the audit trail, the reserved names. */
export interface ChangeUsernameDeps {
  repos: Pick<Repositories, 'users'>;
  userProfiles: Pick<UserProfileCache, 'changed'>;
  audit: (event: AuditEvent) => void;
  config: Pick<Config, 'google'>;
}

export type UsernameChange = { ok: true; username: string } | { ok: false; status: 400 | 409; message: string };

/**
 * A signed-in person renames themselves from /account: the same canonical form, reserved names
 * and 30-day holds as /api/update_username, and the same audit events (the actor is the person).
 */
export async function changeOwnUsername(
  deps: ChangeUsernameDeps,
  userId: string,
  requested: string,
  ip: string,
): Promise<UsernameChange> {
  const refuse = (reason: string, status: 400 | 409, message: string): UsernameChange => {
    deps.audit({
      event: 'username_change_refused',
      actor: userId,
      subject: userId,
      ip,
      details: { reason, by: 'account_page' },
    });
    return { ok: false, status, message };
  };
  const wanted = canonicalUsername(requested);
  if (!wanted) return refuse('invalid_format', 400, 'A username is 3 to 32 characters: letters, digits, _ . and -.');
  if (isReservedUsername(wanted, deps.config.google.login_client_id))
    return refuse('reserved', 400, 'That username is reserved.');
  const before = await deps.repos.users.findById(userId);
  if (!before) return refuse('no_user', 400, 'Your account no longer exists.');
  if (before.username === wanted) return { ok: true, username: wanted };
  try {
    // The unique constraint decides races, and held names (given up recently) refuse the same way.
    const after = await deps.repos.users.changeUsername(userId, wanted);
    if (!after) return refuse('no_user', 400, 'Your account no longer exists.');
    await deps.userProfiles.changed(userId);
    deps.audit({
      event: 'username_changed',
      actor: userId,
      subject: userId,
      ip,
      details: { from: before.username, to: after.username, by: 'account_page' },
    });
    return { ok: true, username: after.username };
  } catch (err) {
    if (err instanceof UsernameTakenError)
      return refuse('taken', 409, 'That username is taken or was given up recently. Please choose another.');
    throw err;
  }
}
