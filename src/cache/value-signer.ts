import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { deriveSecrets } from '../crypto/derive.js';

/**
 * Authenticates values kept in a shared Redis: whoever can write to that Redis must not be able
 * to mint access by planting a client or key row. HMAC-SHA256 (RFC 2104) over the entry's
 * context (its namespace and id, so an entry cannot be moved to another key) and its payload.
 * The first secret signs; every secret verifies, so entries written before a key rotation stay
 * readable until they expire.
 */
export interface ValueSigner {
  seal(context: string, payload: string): string;
  /** The payload, or null when the entry was not sealed under any configured secret. */
  open(context: string, sealed: string): string | null;
}

const MAC_LENGTH = 43; // base64url of 32 bytes

export function createValueSigner(secrets: readonly Buffer[]): ValueSigner {
  if (secrets.length === 0) throw new Error('a value signer needs at least one secret');
  const mac = (secret: Buffer, context: string, payload: string) =>
    createHmac('sha256', secret).update(context).update('\0').update(payload).digest();
  return {
    seal: (context, payload) => `${mac(secrets[0]!, context, payload).toString('base64url')}.${payload}`,
    open(context, sealed) {
      if (sealed.length <= MAC_LENGTH || sealed[MAC_LENGTH] !== '.') return null;
      const presented = Buffer.from(sealed.slice(0, MAC_LENGTH), 'base64url');
      if (presented.length !== 32) return null;
      const payload = sealed.slice(MAC_LENGTH + 1);
      for (const secret of secrets) {
        if (timingSafeEqual(presented, mac(secret, context, payload))) return payload;
      }
      return null;
    },
  };
}

/** The signer for shared cache entries: HKDF-derived from ENCRYPTION_KEYS (crypto/derive.ts). */
export function cacheValueSigner(config: Config): ValueSigner {
  return createValueSigner(deriveSecrets(config, 'cache-values'));
}
