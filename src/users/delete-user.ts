import type { TokenBroker } from '../vault/broker.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { FastifyBaseLogger } from 'fastify';
import { randomId } from '../crypto/random.js';
import { errorSummary } from '../janitor/janitor-pass.js';
import type { GoogleClient } from '../google/client.js';
import { denialExpiry, subjectDigest, type DenyList } from '../oauth/deny-list.js';
import type { Repositories } from '../repositories/index.js';
import type { SessionManager } from '../sign-in/session-manager.js';
import { forgetUserEvents, recordWebhookEvent } from '../webhooks/outbox.js';
import type { Database } from '../storage/database.js';

export interface DeleteUserDeps {
  db: Pick<Database, 'transaction'>;
  repos: Pick<Repositories, 'userDeletion' | 'accessDenials' | 'sessions' | 'googleCredentials'>;
  denyList: Pick<DenyList, 'denyFamily' | 'denySubject'>;
  /** security.access_token_expiry_minutes in seconds: how long the person's tokens stay denied. */
  accessTokenLifetimeSeconds: number;
  sessions: Pick<SessionManager, 'forget'>;
  google: Pick<GoogleClient, 'revoke'>;
  /** Queued audit events may name the person: they are written before the scrub. */
  audit: Pick<AuditLog, 'flush'>;
  /** Cached Google tokens of the person must not outlive the credential. */
  vault: Pick<TokenBroker, 'forget'>;
  log: FastifyBaseLogger;
}

export interface DeleteUserResult {
  /** Random; the audit event carries it instead of anything naming the person. */
  reference: string;
  familiesRevoked: number;
  googleRevoked: boolean | null;
}

/**
 * Deletes a person and everything that names them, in one transaction: their codes deleted,
 * their token families revoked and detached, sessions, consents and the Google credential
 * deleted, audit events scrubbed, the user row deleted (refresh tokens cascade), every access
 * token whose sub is them denied until the longest access-token lifetime has passed, and a
 * `user_deleted` event recorded under a random reference. After the commit: the deny list
 * refuses their access tokens on every instance, cached sessions are dropped, and the Google
 * grant is revoked at Google (a failure there is logged; the data is already gone). Null when
 * there is no such user.
 */
export async function deleteUser(deps: DeleteUserDeps, userId: string): Promise<DeleteUserResult | null> {
  const reference = randomId();
  await deps.audit.flush();
  const done = await deps.db.transaction(async (tx) => {
    const who = await deps.repos.userDeletion.lockUser(userId, tx);
    if (!who) return null;
    await deps.repos.userDeletion.deleteCodes(userId, tx);
    const families = await deps.repos.userDeletion.revokeAndDetachFamilies(userId, tx);
    const sessionHashes = await deps.repos.sessions.deleteForUser(userId, tx);
    await deps.repos.userDeletion.deleteConsents(userId, tx);
    // Decrypted before the row goes: the grant is revoked at Google once this commits.
    const credential = await deps.repos.googleCredentials.findByOwner({ userId }, tx);
    const googleTokens = credential ? await deps.repos.googleCredentials.decryptTokens(credential.id, tx) : null;
    await deps.repos.userDeletion.deleteGoogleCredential(userId, tx);
    await deps.repos.userDeletion.scrubAuditEvents(who, `deleted-user:${reference}`, tx);
    await deps.repos.userDeletion.deleteUser(userId, tx);
    // Every access token whose sub is this person, whatever its family: a code exchange that
    // committed while this transaction waited for the user row created a family the revocation
    // above could not see (the cascade then deleted it). Computed after the delete, which waits
    // for such an exchange, so its token expires inside the denial.
    const deniedUntil = denialExpiry(deps.accessTokenLifetimeSeconds);
    await deps.repos.accessDenials.insert('subject', subjectDigest(userId), deniedUntil, tx);
    await forgetUserEvents(tx, userId);
    await recordWebhookEvent(tx, 'user.deleted', { user_id: userId });
    await deps.repos.userDeletion.recordDeletion(
      reference,
      {
        token_families_revoked: families.length,
        sessions_ended: sessionHashes.length,
        google_credential_deleted: credential !== null,
      },
      tx,
    );
    return {
      families,
      deniedUntil,
      sessionHashes,
      credentialId: credential?.id ?? null,
      subjects: [who.id, who.email, who.username].filter((x): x is string => Boolean(x)),
      googleToken: googleTokens?.refreshToken ?? googleTokens?.accessToken ?? null,
    };
  });
  if (!done) return null;

  await deps.denyList.denySubject(userId, done.deniedUntil);
  for (const f of done.families) await deps.denyList.denyFamily(f.id, f.access_expires_at);
  for (const hash of done.sessionHashes) await deps.sessions.forget(hash);
  if (done.credentialId) await deps.vault.forget(done.credentialId, ...done.subjects);
  let googleRevoked: boolean | null = null;
  if (done.googleToken) {
    try {
      await deps.google.revoke(done.googleToken);
      googleRevoked = true;
    } catch (err) {
      googleRevoked = false;
      deps.log.warn(
        { err: errorSummary(err), reference },
        'user deleted, but Google did not confirm revoking their grant',
      );
    }
  }
  deps.log.info(
    {
      audit: {
        event: 'user_deleted',
        reference,
        families_revoked: done.families.length,
        google_revoked: googleRevoked,
      },
    },
    'user_deleted',
  );
  return { reference, familiesRevoked: done.families.length, googleRevoked };
}
