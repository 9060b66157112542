import { randomFillSync, randomUUID } from 'node:crypto';

/**
 * Random bytes are drawn from the CSPRNG in 4 KiB batches (as node:crypto does for randomUUID):
 * one randomBytes call per token cost more than the rest of minting a client_credentials
 * token's id. Each byte is handed out once.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/** An unguessable bearer value (codes, refresh tokens, session ids): 32 random bytes, base64url. */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_BYTES) throw new RangeError(`randomToken draws at most ${POOL_BYTES} bytes`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + bytes);
  // Spent bytes are zeroed, so the pool never holds a token already handed out.
  pool.fill(0, offset, offset + bytes);
  offset += bytes;
  return token;
}

/** A row id that is not a secret. */
export function randomId(): string {
  return randomUUID();
}
