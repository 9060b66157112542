import { z } from 'zod';
import { conflict } from '../oauth/errors.js';
import type { GoogleCredential, GoogleCredentialsRepository } from '../repositories/google-credentials.js';
import type { User, UsersRepository } from '../repositories/users.js';
import type { Queryable } from '../storage/database.js';

/** User ids are generated UUIDs; a connection id may never look like one. */
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Connection ids are 1–200 of [A-Za-z0-9._:-], and never UUID-shaped (a user id's shape). */
export const CONNECTION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
export const isConnectionId = (s: unknown): s is string =>
  typeof s === 'string' && CONNECTION_ID_PATTERN.test(s) && !UUID_SHAPED.test(s);
export const connectionIdSchema = z
  .string()
  .regex(CONNECTION_ID_PATTERN, 'must be 1-200 characters of A-Z a-z 0-9 . _ : -')
  .refine((s) => !UUID_SHAPED.test(s), 'must not be UUID-shaped (user ids are UUIDs)');

const SUBJECT_MAX = 320;
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/** A person: user id, username or verified email (RFC 5321 caps an address at 254). */
export const subjectSchema = z
  .string()
  .min(1, 'subject is required')
  .max(SUBJECT_MAX, 'subject is too long')
  .refine((s) => !WHITESPACE_OR_CONTROL.test(s), 'subject may not contain whitespace or control characters');

/** subjectSchema's rule without building a parse result: the broker's hot path asks it first. */
export function isWellFormedSubject(s: unknown): s is string {
  return typeof s === 'string' && s.length >= 1 && s.length <= SUBJECT_MAX && !WHITESPACE_OR_CONTROL.test(s);
}

/**
 * What a broker request names. People and connections are separate namespaces: a request says
 * which one it means, and a lookup in one never falls through to the other (a person who takes
 * a shop branch's id as their username must not receive — or shadow — its token).
 */
export type SubjectRef = { kind: 'person'; subject: string } | { kind: 'connection'; connectionId: string };

/** The form an API key's default_subject is given and shown in. */
export type DefaultSubject = { subject: string } | { connection_id: string };

export const defaultSubjectSchema = z.union(
  [z.strictObject({ subject: subjectSchema }), z.strictObject({ connection_id: connectionIdSchema })],
  { error: 'default_subject must be {"subject": <user id | username | verified email>} or {"connection_id": <id>}' },
);

export const toSubjectRef = (d: DefaultSubject): SubjectRef =>
  'subject' in d ? { kind: 'person', subject: d.subject } : { kind: 'connection', connectionId: d.connection_id };

/** Worded once: the answer to a request that names both forms, or neither and has no default. */
export const ACCEPTED_SUBJECT_FORMS =
  'send exactly one of subject=<user id | username | verified email> (a person) or connection_id=<id> (a connection), or give the API key a default_subject';

/** Cache key of a subject: the namespace is part of it, so "branch-7" the person and "branch-7" the connection never share an entry. */
export const subjectCacheKey = (ref: SubjectRef): string =>
  ref.kind === 'person' ? `p:${ref.subject}` : `c:${ref.connectionId}`;

export interface ResolvedCredential {
  credential: GoogleCredential;
  /** true when the subject named an id (cannot later name someone else). */
  immutable: boolean;
}

/** The subject the broker answers with: the user id or the connection id. */
export function canonicalSubject(c: GoogleCredential): string {
  return (c.userId ?? c.connectionId)!;
}

export const ambiguousSubject = () =>
  conflict(
    'this email belongs to more than one verified account; name the person by user id or username',
    'ambiguous_subject',
  );

/**
 * The person a subject names: a user id (a UUID, longer than any username and without "@"), a
 * verified email (the only form with "@"), or a username canonicalised as at creation. An email
 * that matches no verified account names nobody; one that matches several is 409
 * ambiguous_subject — never broken by recency.
 */
export async function findPerson(users: UsersRepository, subject: string, q?: Queryable): Promise<User | null> {
  if (UUID_SHAPED.test(subject)) return users.findById(subject.toLowerCase(), q);
  if (subject.includes('@')) {
    const matches = await users.findByVerifiedEmail(subject, q);
    if (matches.length > 1) throw ambiguousSubject();
    return matches[0] ?? null;
  }
  return users.findByUsername(subject, q);
}

/** Finds the Google credential a subject names, in its own namespace only. */
export async function findCredentialForSubject(
  deps: { credentials: GoogleCredentialsRepository; users: UsersRepository },
  ref: SubjectRef,
): Promise<ResolvedCredential | null> {
  const { credentials, users } = deps;
  if (ref.kind === 'connection') {
    if (!isConnectionId(ref.connectionId)) return null;
    const credential = await credentials.findByOwner({ connectionId: ref.connectionId });
    return credential ? { credential, immutable: true } : null;
  }
  const user = await findPerson(users, ref.subject);
  if (!user) return null;
  const credential = await credentials.findByOwner({ userId: user.id });
  return credential ? { credential, immutable: UUID_SHAPED.test(ref.subject) } : null;
}
