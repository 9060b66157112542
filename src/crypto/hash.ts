import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';

/**
 * How refresh tokens, codes and session ids are stored: SHA-256, hex. One-shot crypto.hash
 * (Node ≥ 20.12) costs a third of a Hash object, and it runs on every hot path.
 */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** SHA-256 of a string, base64: in-memory cache keys. */
export function sha256Base64(value: string): string {
  return hash('sha256', value, 'base64');
}

export function hmacSha256(key: Buffer | string, value: string): Buffer {
  return createHmac('sha256', key).update(value, 'utf8').digest();
}

/**
 * Constant-time equality of two secrets of any length: both sides are hashed first, so neither
 * the comparison nor an early length check reveals how much of a guess was right.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
