import type { Config } from '../config/schema.js';
import { createGoogleClient, type GoogleClient } from '../google/client.js';
import { resolveGoogleSettings } from '../google/settings.js';
import type { Repositories } from '../repositories/index.js';
import {
  JANITOR_KINDS,
  janitorStatements,
  type JanitorRepository,
  type BatchStatement,
  type JanitorKind,
} from '../repositories/janitor.js';
import type { Database } from '../storage/database.js';

/** Rows per DELETE (one statement, one transaction): big enough to be quick, small enough that no lock is held long. */
export const DEFAULT_BATCH_SIZE = 1000;
/** Google revocations are network calls made while the batch's rows are locked: keep batches small. */
const GOOGLE_BATCH_SIZE = 25;
/** Expired rows are kept this much longer (access-token clock tolerance is 5 s; instances' clocks drift). */
export const EXPIRY_MARGIN_SECONDS = 300;
/** A replayed code revokes the family it issued (docs/data-lifecycle.md); keep codes a day so a late replay still does. */
export const CODE_KEEP_SECONDS = 86_400;
export const CONNECT_LINK_KEEP_SECONDS = 86_400;
/** RFC 8628 §3.5: a device polling after expiry is told expired_token; keep the row an hour for that. */
export const DEVICE_KEEP_SECONDS = 3600;
/** How long a released username stays held: the interval in migrations/004's username_holds_guard. */
export const USERNAME_HOLD_DAYS = 30;

export type JanitorCounts = Record<JanitorKind, number>;

export interface JanitorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JanitorDeps {
  db: Database;
  /** googleCredentials decrypts the Google tokens to revoke. */
  repos: Pick<Repositories, 'janitor' | 'googleCredentials'>;
  config: Config;
  log: JanitorLog;
  /** Revokes Google grants before their credentials are dropped; built from config when absent. */
  google?: Pick<GoogleClient, 'revoke'>;
  batchSize?: number;
  /** Checked between batches: app shutdown ends a pass early without cutting a batch short. */
  signal?: AbortSignal;
}

export interface JanitorResult {
  counts: JanitorCounts;
  /** Kinds whose clean-up failed this pass (logged); the next pass tries again. */
  failed: JanitorKind[];
  durationMs: number;
}

/**
 * One clean-up pass: deletes what has expired or outlived its retention, kind by kind, in
 * batches. Safe to run on several instances at once (every batch skips rows another holds) and
 * from the CLI while servers run. Logs one summary line with the counts (no row contents).
 */
export async function runJanitorPass(deps: JanitorDeps): Promise<JanitorResult> {
  const startedAt = Date.now();
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  const counts = Object.fromEntries(JANITOR_KINDS.map((k) => [k, 0])) as JanitorCounts;
  const failed: JanitorKind[] = [];
  const janitor = deps.repos.janitor;
  const statements = janitorStatements({
    marginSeconds: EXPIRY_MARGIN_SECONDS,
    codeKeepSeconds: CODE_KEEP_SECONDS,
    connectLinkKeepSeconds: CONNECT_LINK_KEEP_SECONDS,
    refreshTokenDays: deps.config.security.refresh_token_expiry_days,
    auditRetentionDays: deps.config.audit.retention_days,
    deviceKeepSeconds: DEVICE_KEEP_SECONDS,
    usernameHoldDays: USERNAME_HOLD_DAYS,
    webhookRetentionDays: deps.config.webhooks.delivery_retention_days,
  });

  for (const kind of JANITOR_KINDS) {
    if (deps.signal?.aborted) break;
    try {
      if (kind === 'google_credentials') {
        const days = deps.config.google.drop_unused_after_days;
        if (days !== undefined) counts[kind] = await dropUnusedGoogleCredentials(deps, janitor, days);
      } else {
        for (const statement of statements[kind])
          counts[kind] += await deleteInBatches(deps, janitor, statement, batchSize);
      }
    } catch (err) {
      failed.push(kind);
      deps.log.error({ err, kind }, 'janitor: clean-up failed; the next pass retries');
    }
  }

  const durationMs = Date.now() - startedAt;
  deps.log.info({ janitor: { deleted: counts, failed, duration_ms: durationMs } }, 'janitor pass');
  return { counts, failed, durationMs };
}

/** Repeats one batch statement until a batch comes back short (nothing left this instance can take). */
async function deleteInBatches(
  deps: JanitorDeps,
  janitor: JanitorRepository,
  statement: BatchStatement,
  batchSize: number,
): Promise<number> {
  let total = 0;
  while (!deps.signal?.aborted) {
    const rowCount = await janitor.deleteBatch(statement, batchSize);
    total += rowCount;
    if (rowCount < batchSize) break;
  }
  return total;
}

/**
 * google.drop_unused_after_days: revokes each idle credential's grant at Google, then deletes
 * it, a small batch per transaction. Revoking first means a credential is never deleted while
 * Google still honours its refresh token (unless Google cannot be reached: then it is logged and
 * deleted anyway, because keeping it would keep it for ever).
 */
async function dropUnusedGoogleCredentials(
  deps: JanitorDeps,
  janitor: JanitorRepository,
  days: number,
): Promise<number> {
  const google = deps.google ?? createGoogleClient(resolveGoogleSettings(deps.config));
  const credentials = deps.repos.googleCredentials;
  let total = 0;
  while (!deps.signal?.aborted) {
    const deleted = await deps.db.transaction(async (tx) => {
      const ids = await janitor.lockUnused(days, GOOGLE_BATCH_SIZE, tx);
      await Promise.all(
        ids.map(async (id) => {
          try {
            const tokens = await credentials.decryptTokens(id, tx);
            // Google revokes the whole grant whichever token is sent; the refresh token outlives the other.
            const token = tokens?.refreshToken ?? tokens?.accessToken;
            if (token) await google.revoke(token);
          } catch (err) {
            deps.log.warn(
              { err: errorSummary(err), credential_id: id },
              'janitor: could not revoke an unused Google grant; deleting it anyway',
            );
          }
        }),
      );
      return { count: await janitor.deleteByIds(ids, tx), batch: ids.length };
    });
    total += deleted.count;
    if (deleted.batch < GOOGLE_BATCH_SIZE) break;
  }
  return total;
}

/** The error without anything that could carry a token (request bodies, URLs with queries). */
export function errorSummary(err: unknown): { name: string; message: string } {
  const e = err as { name?: string; message?: string } | null;
  return { name: e?.name ?? 'Error', message: (e?.message ?? String(err)).slice(0, 200) };
}
