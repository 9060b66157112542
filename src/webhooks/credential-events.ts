import type { GoogleCredential, SavedCredential } from '../repositories/google-credentials.js';
import type { Queryable } from '../storage/database.js';
import { recordWebhookEvent } from './outbox.js';

const subjectOf = (c: GoogleCredential) =>
  c.connectionId ? { connection_id: c.connectionId } : { user_id: c.userId! };

/**
 * In the transaction that saved a credential from a sign-in or a connect link: a new
 * connection is `connection.created`; a credential that needed reauthorisation and now works
 * again is `*.recovered`.
 */
export async function recordCredentialSaved(tx: Queryable, saved: SavedCredential): Promise<void> {
  if (saved.previousStatus === null && saved.connectionId) {
    await recordWebhookEvent(tx, 'connection.created', { connection_id: saved.connectionId });
  } else if (saved.previousStatus === 'reauth_required') {
    await recordWebhookEvent(
      tx,
      saved.connectionId ? 'connection.recovered' : 'user.google_recovered',
      subjectOf(saved),
    );
  }
}

/** In the transaction that marked a credential reauth_required. */
export async function recordReauthRequired(tx: Queryable, credential: GoogleCredential, reason: string): Promise<void> {
  await recordWebhookEvent(tx, credential.connectionId ? 'connection.reauth_required' : 'user.google_reauth_required', {
    ...subjectOf(credential),
    reason,
  });
}
