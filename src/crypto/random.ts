import { randomBytes, randomUUID } from 'node:crypto';

/** An unguessable bearer value (codes, refresh tokens, session ids): 32 random bytes, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A row id that is not a secret. */
export function randomId(): string {
  return randomUUID();
}
