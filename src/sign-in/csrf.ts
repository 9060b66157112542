import type { FastifyRequest } from 'fastify';
import { deriveSecrets } from '../crypto/derive.js';
import { constantTimeEqual, hmacSha256 } from '../crypto/hash.js';
import type { Config } from '../config/schema.js';

/**
 * CSRF tokens bound to the browser session (the "synchronizer token" of OWASP's CSRF cheat
 * sheet, without server state): HMAC-SHA256 of the session id hash under a key derived from the
 * active encryption key. A token from one session is useless in another, and it changes when the
 * person signs in again. Tokens made under an older key still verify until that key is dropped.
 */
export interface Csrf {
  tokenFor(sessionIdHash: string): string;
  verify(sessionIdHash: string, token: string | undefined): boolean;
}

export function createCsrf(config: Config): Csrf {
  const secrets = deriveSecrets(config, 'csrf');
  const mac = (secret: Buffer, idHash: string) => hmacSha256(secret, `csrf:${idHash}`).toString('base64url');
  return {
    tokenFor: (idHash) => mac(secrets[0]!, idHash),
    verify(idHash, token) {
      if (!token) return false;
      // Check every key without stopping early, so timing says nothing about which one matched.
      return secrets.map((s) => constantTimeEqual(mac(s, idHash), token)).includes(true);
    },
  };
}

/** The CSRF token for the request's session, for a hidden form field; null when signed out. */
export function csrfTokenFor(request: FastifyRequest): string | null {
  return request.session ? request.server.csrf.tokenFor(request.session.idHash) : null;
}

/** True when the request is signed in and `token` is that session's CSRF token. */
export function verifyCsrf(request: FastifyRequest, token: string | undefined): boolean {
  return request.session !== null && request.server.csrf.verify(request.session.idHash, token);
}
