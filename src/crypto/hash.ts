import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How refresh tokens, codes and session ids are stored: SHA-256, hex. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
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
