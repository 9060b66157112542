import { createHash } from 'node:crypto';
import { randomToken } from '../crypto/random.js';

/**
 * RFC 7636 §4.1: code_verifier = high-entropy string of 43–128 characters from the unreserved
 * set; 32 random bytes in base64url give 43. §4.2: S256 challenge = BASE64URL(SHA256(verifier)).
 */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = randomToken(32);
  return { verifier, challenge: s256Challenge(verifier) };
}

export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
