import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual, hmacSha256 } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';

export const CONNECT_CSRF_COOKIE = 'gh_connect_csrf';
const COOKIE_PATH = '/connect';

/**
 * CSRF protection of the connect-link confirmation form without a session (OWASP's "signed
 * double-submit cookie"): the page sets a random, signed, HttpOnly cookie and puts
 * HMAC(cookie value, link id) in the form. Another site can make a browser post the form, but
 * cannot read the cookie, so it cannot write a matching field; and a field is good for one link only.
 */
export interface ConnectCsrf {
  /** Sets a fresh cookie and returns the form field for this link. */
  issue(reply: FastifyReply, linkId: string): string;
  verify(request: FastifyRequest, linkId: string, field: string | undefined): boolean;
  clear(reply: FastifyReply): void;
}

export function createConnectCsrf(keys: readonly Buffer[], secure: boolean, maxAgeSeconds: number): ConnectCsrf {
  const mac = (key: Buffer, nonce: string, linkId: string) =>
    hmacSha256(key, `gatehouse:connect-csrf:${nonce}:${linkId}`).toString('base64url');
  const options = { httpOnly: true, sameSite: 'strict' as const, path: COOKIE_PATH, secure };
  return {
    issue(reply, linkId) {
      const nonce = randomToken(32);
      reply.setCookie(CONNECT_CSRF_COOKIE, nonce, { ...options, signed: true, maxAge: maxAgeSeconds });
      return mac(keys[0]!, nonce, linkId);
    },
    verify(request, linkId, field) {
      const raw = request.cookies[CONNECT_CSRF_COOKIE];
      if (!raw || !field) return false;
      const unsigned = request.unsignCookie(raw);
      if (!unsigned.valid || unsigned.value === null) return false;
      const nonce = unsigned.value;
      // Every key, without stopping early: timing says nothing about which one matched.
      return keys.map((key) => constantTimeEqual(mac(key, nonce, linkId), field)).includes(true);
    },
    clear(reply) {
      reply.clearCookie(CONNECT_CSRF_COOKIE, options);
    },
  };
}
