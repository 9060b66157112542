import { hmacSha256 } from '../crypto/hash.js';
import { timingSafeEqual } from 'node:crypto';

/** product rule for /connections: "a signed, single-use link (15 min)". */
export const CONNECT_LINK_TTL_SECONDS = 15 * 60;

export type LinkCheck = { ok: true; linkId: string } | { ok: false; reason: 'malformed' | 'expired' };

const FORMAT = /^([A-Za-z0-9_-]{22,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
const macOf = (key: Buffer, linkId: string, exp: string) => hmacSha256(key, `gatehouse:connect-link:${linkId}:${exp}`);

/**
 * Connect-link tokens: `<link id>.<expiry, unix s>.<HMAC-SHA256>` under a key derived from
 * ENCRYPTION_KEYS for this purpose only. The signature makes a link unforgeable and its expiry
 * untouchable without a database read; the connect_links row makes it single-use.
 */
export function signConnectLink(keys: readonly Buffer[], linkId: string, expiresAt: Date): string {
  const exp = String(Math.floor(expiresAt.getTime() / 1000));
  return `${linkId}.${exp}.${macOf(keys[0]!, linkId, exp).toString('base64url')}`;
}

/** Any configured key verifies, so links survive a key rotation. */
export function verifyConnectLink(keys: readonly Buffer[], token: string, now = Date.now()): LinkCheck {
  const m = FORMAT.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, linkId, exp, mac] = m as unknown as [string, string, string, string];
  const presented = Buffer.from(mac, 'base64url');
  const valid = keys.some((key) => {
    const expected = macOf(key, linkId, exp);
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  });
  if (!valid) return { ok: false, reason: 'malformed' };
  if (Number(exp) * 1000 <= now) return { ok: false, reason: 'expired' };
  return { ok: true, linkId };
}
