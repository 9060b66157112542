import type { Keyring } from '../crypto/keyring.js';
import type { Repositories } from '../repositories/index.js';
import type { Database, Queryable } from '../storage/database.js';

export interface ReencryptCounts {
  reencrypted: number;
  /** Rows whose ciphertext no configured key could open (left untouched, ids listed). */
  failed: string[];
}

export interface ReencryptResult {
  activeKid: string;
  googleCredentials: ReencryptCounts;
  signingKeys: ReencryptCounts;
  /** Rows still not under the active key afterwards (locked by someone else, or failed). */
  remaining: { googleCredentials: number; signingKeys: number };
}

/**
 * Re-encrypts every Google credential and signing key that is not under the keyring's active
 * key (ENCRYPTION_KEYS: first is active, the others still decrypt). Batches of `batchSize`,
 * each one transaction with FOR UPDATE SKIP LOCKED; resumable, because it only ever picks rows
 * not yet under the active key — stop it anywhere and run it again. Associated data is kept
 * exactly as the writers bind it (row id + field; signing keys: kid). Never logs plaintext.
 *
 * Rotation: deploy ENCRYPTION_KEYS="new,old" on every instance, run this, check `remaining`
 * is zero, then drop "old".
 */
export async function reencryptGoogleCredentials(opts: {
  db: Database;
  repos: Pick<Repositories, 'reencryption'>;
  keyring: Keyring;
  batchSize?: number;
}): Promise<ReencryptResult> {
  const { db, keyring } = opts;
  const repo = opts.repos.reencryption;
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 100, 10_000));
  const active = keyring.activeKid;
  const rewrap = (ciphertext: string | null, aad: string): string | null =>
    ciphertext === null ? null : keyring.encrypt(keyring.decrypt(ciphertext, aad), aad);

  const googleCredentials = await reencryptInBatches(
    db,
    (skip, tx) => repo.lockStaleCredentials(active, skip, batchSize, tx),
    (row) => row.id,
    async (row, tx) => {
      const access = rewrap(row.access_token_enc, `google_credentials:${row.id}:access_token`);
      const refresh = rewrap(row.refresh_token_enc, `google_credentials:${row.id}:refresh_token`);
      await repo.updateCredential(row.id, access, refresh, active, tx);
    },
  );
  const signingKeys = await reencryptInBatches(
    db,
    (skip, tx) => repo.lockStaleSigningKeys(active, skip, batchSize, tx),
    (row) => row.kid,
    (row, tx) => repo.updateSigningKey(row.kid, rewrap(row.private_key_enc, row.kid)!, active, tx),
  );

  return { activeKid: active, googleCredentials, signingKeys, remaining: await repo.countStale(active) };
}

/**
 * One transaction per batch: lock a batch of stale rows, re-encrypt each, until none is left.
 * A row no key opens is counted as failed and skipped by the later batches.
 */
async function reencryptInBatches<Row>(
  db: Database,
  lockBatch: (skip: readonly string[], tx: Queryable) => Promise<Row[]>,
  idOf: (row: Row) => string,
  reencrypt: (row: Row, tx: Queryable) => Promise<void>,
): Promise<ReencryptCounts> {
  const counts: ReencryptCounts = { reencrypted: 0, failed: [] };
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const rows = await lockBatch(counts.failed, tx);
      for (const row of rows) {
        try {
          await reencrypt(row, tx);
          counts.reencrypted++;
        } catch {
          counts.failed.push(idOf(row));
        }
      }
      return rows.length === 0;
    });
    if (done) return counts;
  }
}
