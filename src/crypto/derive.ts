import { hkdfSync } from 'node:crypto';
import type { Config } from '../config/schema.js';

/**
 * Secrets for signing (cookies, CSRF tokens) derived from ENCRYPTION_KEYS with HKDF-SHA256
 * (RFC 5869), one per purpose, so no extra secret has to be configured and a key used for
 * AES-GCM is never used directly as an HMAC key. The first entry derives from the active key;
 * the others from older keys, so values signed before a key rotation still verify.
 */
export function deriveSecrets(config: Config, purpose: string): Buffer[] {
  const keys = config.secrets.encryption_keys;
  if (!keys || keys.length === 0) throw new Error('ENCRYPTION_KEYS is not configured');
  return keys.map(({ key }) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `gatehouse:${purpose}`, 32)));
}
