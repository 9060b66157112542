import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { cookieName } from './cookie-name.js';
import { isSafeReturnTo } from './return-to.js';

/** `__Host-gh_google_state` on an https PUBLIC_URL (see cookieName). */
export const STATE_COOKIE = 'gh_google_state';
/** Only the callback needs it; a `__Host-` cookie must have Path=/ though. */
export const STATE_COOKIE_PATH = '/auth/google';

function stateCookie(secure: boolean): { name: string; path: string } {
  return { name: cookieName(STATE_COOKIE, secure), path: secure ? '/' : STATE_COOKIE_PATH };
}
export const STATE_TTL_SECONDS = 600;

/**
 * What ties a Google callback to the browser that started it (RFC 6749 §10.12, RFC 9700
 * §2.1): state, the OIDC nonce, the PKCE verifier and where to go afterwards. It travels in a
 * short-lived HttpOnly cookie signed with a key derived from ENCRYPTION_KEYS; nothing is stored
 * server-side until sign-in succeeds. The verifier in the browser's own cookie is fine: PKCE
 * protects against a code stolen elsewhere, not against the browser that started the flow.
 */
export interface LoginState {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  /** Whether this attempt already asked Google for consent (no bounce loop for a refresh token). */
  promptedConsent: boolean;
  /** Set when the attempt connects a Google account to a connection (the spent connect link). */
  connectLinkId?: string | undefined;
  issuedAt: number;
}

const payloadSchema = z.object({
  s: z.string().min(16),
  n: z.string().min(16),
  v: z.string().min(43).max(128),
  r: z.string().refine(isSafeReturnTo),
  c: z.boolean(),
  k: z.string().min(1).max(64).optional(),
  t: z.number().int(),
});

export function setStateCookie(reply: FastifyReply, state: Omit<LoginState, 'issuedAt'>, secure: boolean): void {
  const payload: z.infer<typeof payloadSchema> = {
    s: state.state,
    n: state.nonce,
    v: state.verifier,
    r: state.returnTo,
    c: state.promptedConsent,
    t: Date.now(),
    ...(state.connectLinkId ? { k: state.connectLinkId } : {}),
  };
  const cookie = stateCookie(secure);
  reply.setCookie(cookie.name, Buffer.from(JSON.stringify(payload)).toString('base64url'), {
    signed: true,
    httpOnly: true,
    // Lax: the callback is a top-level GET navigation from Google, which Lax cookies accompany.
    sameSite: 'lax',
    path: cookie.path,
    secure,
    maxAge: STATE_TTL_SECONDS,
  });
}

/** The state cookie if present, authentic and younger than STATE_TTL_SECONDS; else null. */
export function readStateCookie(request: FastifyRequest, secure: boolean): LoginState | null {
  const raw = request.cookies[stateCookie(secure).name];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return null;
  const p = parsed.data;
  // The cookie's Max-Age is advice to the browser; the signed timestamp is what we enforce.
  if (Date.now() - p.t > STATE_TTL_SECONDS * 1000 || p.t > Date.now() + 60_000) return null;
  return {
    state: p.s,
    nonce: p.n,
    verifier: p.v,
    returnTo: p.r,
    promptedConsent: p.c,
    connectLinkId: p.k,
    issuedAt: p.t,
  };
}

export function clearStateCookie(reply: FastifyReply, secure: boolean): void {
  const cookie = stateCookie(secure);
  reply.clearCookie(cookie.name, { httpOnly: true, sameSite: 'lax', path: cookie.path, secure });
}
