import { z } from 'zod';
import type { GoogleCredential, GoogleCredentialsRepository } from '../repositories/google-credentials.js';
import type { UsersRepository } from '../repositories/users.js';

/** SPEC /connections: connection ids are 1–200 of [A-Za-z0-9._:-]. */
export const CONNECTION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
export const connectionIdSchema = z.string().regex(CONNECTION_ID_PATTERN, 'must be 1-200 characters of A-Z a-z 0-9 . _ : -');

const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SUBJECT_MAX = 320;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/** An email (RFC 5321 caps it at 254), a username, a user id or a connection id. */
export const subjectSchema = z
  .string()
  .min(1, 'subject is required')
  .max(SUBJECT_MAX, 'subject is too long')
  .refine((s) => !WHITESPACE_OR_CONTROL.test(s), 'subject may not contain whitespace or control characters');

/** subjectSchema's rule without building a parse result: the broker's hot path asks it first. */
export function isWellFormedSubject(s: unknown): s is string {
  return typeof s === 'string' && s.length >= 1 && s.length <= SUBJECT_MAX && !WHITESPACE_OR_CONTROL.test(s);
}

export interface ResolvedCredential {
  credential: GoogleCredential;
  /** true when the subject named an id (cannot later name someone else). */
  immutable: boolean;
}

/** The subject the broker answers with: the user id or the connection id. */
export function canonicalSubject(c: GoogleCredential): string {
  return (c.userId ?? c.connectionId)!;
}

/**
 * Finds the Google credential a broker subject names, in a fixed order:
 * 1. a user id (generated UUIDs);
 * 2. a connection id — before usernames, because connection ids are chosen by trusted services
 *    holding an API key while usernames are chosen by anyone who signs in: a person must not be
 *    able to shadow a shop branch's connection by taking its id as their username;
 * 3. an email (the only form with "@"; connection ids and usernames cannot hold one), matched
 *    case-insensitively, preferring a verified, recently updated account;
 * 4. a username, canonicalised as at creation.
 */
export async function findCredentialForSubject(
  deps: { credentials: GoogleCredentialsRepository; users: UsersRepository },
  subject: string,
): Promise<ResolvedCredential | null> {
  const { credentials, users } = deps;
  if (USER_ID.test(subject)) {
    const credential = await credentials.findByOwner({ userId: subject.toLowerCase() });
    if (credential) return { credential, immutable: true };
  }
  if (CONNECTION_ID_PATTERN.test(subject)) {
    const credential = await credentials.findByOwner({ connectionId: subject });
    if (credential) return { credential, immutable: true };
  }
  const user = subject.includes('@') ? await users.findByEmail(subject) : await users.findByUsername(subject);
  if (!user) return null;
  const credential = await credentials.findByOwner({ userId: user.id });
  return credential ? { credential, immutable: false } : null;
}
