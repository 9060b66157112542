import { sha256Hex } from '../crypto/hash.js';
import { randomToken } from '../crypto/random.js';
import { generateUserCode, normalizeUserCode } from '../oauth/user-code.js';
import type { Database, Queryable } from '../storage/database.js';

/** RFC 8628 §3.2 expires_in and interval, in seconds (the table's CHECK caps the lifetime). */
export const DEVICE_CODE_TTL_SECONDS = 600;
export const DEVICE_POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5 slow_down: "the interval MUST be increased by 5 seconds for this and all subsequent requests". */
const SLOW_DOWN_STEP_SECONDS = 5;

type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/** What /device shows for a user code. */
export interface DeviceAuthorizationView {
  clientId: string;
  scope: string;
  status: DeviceAuthorizationStatus;
  expired: boolean;
}

/** What the token endpoint sees for a device code, read under a row lock. */
interface DevicePoll {
  clientId: string;
  scope: string;
  status: DeviceAuthorizationStatus;
  userId: string | null;
  authTime: Date | null;
  expired: boolean;
  /** Polled again before the current interval elapsed (RFC 8628 §3.5 slow_down). */
  tooFast: boolean;
}

interface PollRow {
  client_id: string;
  scope: string;
  status: DeviceAuthorizationStatus;
  user_id: string | null;
  auth_time: Date | string | null;
  expired: boolean;
  too_fast: boolean;
}

export interface DeviceAuthorizationsRepository {
  /**
   * Stores a new device authorization; returns the device code and the user code (XXXX-XXXX).
   * Only their SHA-256 hashes are stored. A user code colliding with a stored one is drawn again.
   */
  create(a: { clientId: string; scope: string }, q?: Queryable): Promise<{ deviceCode: string; userCode: string }>;
  /** The authorization a (normalized or typed) user code names, expired or not; null when unknown. */
  findByUserCode(userCode: string, q?: Queryable): Promise<DeviceAuthorizationView | null>;
  /**
   * The person's decision, once: moves a live pending authorization to approved or denied and
   * records who decided. Returns the authorization, or null when it is unknown, expired or
   * already decided.
   */
  decide(
    userCode: string,
    d: { userId: string; authTime: Date; approve: boolean },
    q?: Queryable,
  ): Promise<{ clientId: string; scope: string } | null>;
  /**
   * Locks the row for the caller's transaction (concurrent polls queue: exactly one sees
   * `approved`) and records this poll. A too-fast poll raises the interval by 5 seconds.
   */
  pollForUpdate(deviceCode: string, tx: Queryable): Promise<DevicePoll | null>;
  /** Marks an approved authorization as spent: its tokens were issued. */
  consume(deviceCode: string, tx: Queryable): Promise<void>;
  /** Removes expired authorizations (called as new ones are made; at most a small batch). */
  deleteExpired(q?: Queryable): Promise<void>;
}

export function createDeviceAuthorizationsRepository(db: Database): DeviceAuthorizationsRepository {
  return {
    async create(a, q = db) {
      const deviceCode = randomToken(32);
      for (let attempt = 0; ; attempt++) {
        const userCode = generateUserCode();
        const { rowCount } = await q.query(
          `INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_id, scope, interval_seconds, expires_at)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
           ON CONFLICT (user_code_hash) DO NOTHING`,
          [
            sha256Hex(deviceCode),
            hashUserCode(userCode),
            a.clientId,
            a.scope,
            DEVICE_POLL_INTERVAL_SECONDS,
            DEVICE_CODE_TTL_SECONDS,
          ],
        );
        if (rowCount === 1) return { deviceCode, userCode };
        if (attempt >= 4) throw new Error('could not draw an unused user code');
      }
    },

    async findByUserCode(userCode, q = db) {
      const { rows } = await q.query<{
        client_id: string;
        scope: string;
        status: DeviceAuthorizationStatus;
        expired: boolean;
      }>(
        'SELECT client_id, scope, status, expires_at <= now() AS expired FROM device_authorizations WHERE user_code_hash = $1',
        [hashUserCode(userCode)],
      );
      const r = rows[0];
      return r ? { clientId: r.client_id, scope: r.scope, status: r.status, expired: r.expired } : null;
    },

    async decide(userCode, d, q = db) {
      const { rows } = await q.query<{ client_id: string; scope: string }>(
        `UPDATE device_authorizations SET status = $2, user_id = $3, auth_time = $4
         WHERE user_code_hash = $1 AND status = 'pending' AND expires_at > now()
         RETURNING client_id, scope`,
        [hashUserCode(userCode), d.approve ? 'approved' : 'denied', d.userId, d.authTime],
      );
      return rows[0] ? { clientId: rows[0].client_id, scope: rows[0].scope } : null;
    },

    async pollForUpdate(deviceCode, tx) {
      const hash = sha256Hex(deviceCode);
      const { rows } = await tx.query<PollRow>(
        `SELECT client_id, scope, status, user_id, auth_time, expires_at <= now() AS expired,
                (last_polled_at IS NOT NULL AND last_polled_at > now() - make_interval(secs => interval_seconds)) AS too_fast
         FROM device_authorizations WHERE device_code_hash = $1 FOR UPDATE`,
        [hash],
      );
      const r = rows[0];
      if (!r) return null;
      await tx.query(
        `UPDATE device_authorizations SET last_polled_at = now(),
           interval_seconds = interval_seconds + CASE WHEN $2 THEN $3::integer ELSE 0 END
         WHERE device_code_hash = $1`,
        [hash, r.too_fast && r.status === 'pending', SLOW_DOWN_STEP_SECONDS],
      );
      return {
        clientId: r.client_id,
        scope: r.scope,
        status: r.status,
        userId: r.user_id,
        authTime: r.auth_time === null ? null : new Date(r.auth_time),
        expired: r.expired,
        tooFast: r.too_fast,
      };
    },

    async consume(deviceCode, tx) {
      await tx.query("UPDATE device_authorizations SET status = 'consumed' WHERE device_code_hash = $1", [
        sha256Hex(deviceCode),
      ]);
    },

    async deleteExpired(q = db) {
      await q.query(
        `DELETE FROM device_authorizations WHERE device_code_hash IN (
           SELECT device_code_hash FROM device_authorizations WHERE expires_at < now() - interval '1 hour' LIMIT 100)`,
      );
    },
  };
}

/** User codes are compared by the hash of their normalized form (case and dashes ignored). */
function hashUserCode(userCode: string): string {
  return sha256Hex(normalizeUserCode(userCode) ?? userCode);
}
