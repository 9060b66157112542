import type { Keyring } from '../crypto/keyring.js';
import { randomId } from '../crypto/random.js';
import type { Database, Queryable } from '../storage/database.js';
import type { WebhookEventType } from './event-types.js';

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: Date;
}

export interface DeliveryAttempt {
  at: string;
  status_code: number | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: WebhookEventType;
  attempts: DeliveryAttempt[];
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

/** A delivery this instance holds (its lease runs until the attempt is recorded). */
export interface ClaimedDelivery {
  id: string;
  url: string;
  secret: string;
  attemptCount: number;
  createdAt: Date;
  event: { id: string; type: WebhookEventType; createdAt: Date; data: Record<string, unknown> };
}

export interface WebhookStore {
  /** Registers a receiver; the secret is stored encrypted (it is needed to sign). */
  create(input: { url: string; events: WebhookEventType[]; secret: string }, tx?: Queryable): Promise<Webhook>;
  list(): Promise<Webhook[]>;
  /** Deletes a receiver and its pending deliveries; false when there is none. */
  delete(id: string, tx?: Queryable): Promise<boolean>;
  /** Newest first; null when there is no such webhook. */
  deliveries(webhookId: string, limit: number): Promise<Delivery[] | null>;
  /** Makes a delivery due now; null when the webhook has no such delivery. */
  retry(webhookId: string, deliveryId: string, tx?: Queryable): Promise<Delivery | null>;
  /**
   * Takes up to `limit` due deliveries for this instance (FOR UPDATE SKIP LOCKED: instances
   * never take the same one) and pushes each one's due time out by `leaseMs`, so a delivery
   * whose instance died becomes due again when the lease ends.
   */
  claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /** Appends an attempt; `next` null ends the delivery (delivered when `delivered`). */
  recordAttempt(id: string, attempt: DeliveryAttempt, delivered: boolean, next: Date | null): Promise<void>;
  /** Gives claimed deliveries back (due now) without recording an attempt: this instance stops. */
  release(ids: string[]): Promise<void>;
}

interface WebhookRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  created_at: Date | string;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: WebhookEventType;
  attempts: DeliveryAttempt[] | string;
  next_attempt_at: Date | string | null;
  delivered_at: Date | string | null;
}

interface ClaimRow {
  id: string;
  webhook_id: string;
  url: string;
  secret_enc: string;
  attempt_count: number;
  created_at: Date | string;
  event_id: string;
  event_type: WebhookEventType;
  event_created_at: Date | string;
  data: Record<string, unknown> | string;
}

/** Binds each secret's ciphertext to its webhook row. */
const aad = (id: string) => `webhooks:${id}:secret`;
const date = (v: Date | string | null) => (v === null ? null : new Date(v));
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  url: r.url,
  events: r.events,
  createdAt: new Date(r.created_at),
});
const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  eventId: r.event_id,
  eventType: r.event_type,
  attempts: json(r.attempts),
  nextAttemptAt: date(r.next_attempt_at),
  deliveredAt: date(r.delivered_at),
});

const DELIVERY_COLUMNS = `d.id, d.event_id, e.type AS event_type, d.attempts, d.next_attempt_at, d.delivered_at`;

export function createWebhookStore(db: Database, keyring: Keyring): WebhookStore {
  return {
    async create({ url, events, secret }, q = db) {
      const id = randomId();
      const r = await q.query<WebhookRow>(
        `INSERT INTO webhooks (id, url, events, secret_enc, key_id) VALUES ($1, $2, $3, $4, $5) RETURNING id, url, events, created_at`,
        [id, url, events, keyring.encrypt(secret, aad(id)), keyring.activeKid],
      );
      return toWebhook(r.rows[0]!);
    },

    async list() {
      const r = await db.query<WebhookRow>('SELECT id, url, events, created_at FROM webhooks ORDER BY created_at, id');
      return r.rows.map(toWebhook);
    },

    async delete(id, q = db) {
      const r = await q.query('DELETE FROM webhooks WHERE id = $1', [id]);
      return r.rowCount > 0;
    },

    async deliveries(webhookId, limit) {
      const exists = await db.query('SELECT 1 FROM webhooks WHERE id = $1', [webhookId]);
      if (exists.rowCount === 0) return null;
      const r = await db.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
         WHERE d.webhook_id = $1 ORDER BY d.created_at DESC, d.id LIMIT $2`,
        [webhookId, limit],
      );
      return r.rows.map(toDelivery);
    },

    async retry(webhookId, deliveryId, q = db) {
      const r = await q.query<DeliveryRow>(
        `WITH d AS (UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1 AND webhook_id = $2 RETURNING *)
         SELECT ${DELIVERY_COLUMNS} FROM d JOIN webhook_events e ON e.id = d.event_id`,
        [deliveryId, webhookId],
      );
      return r.rows[0] ? toDelivery(r.rows[0]) : null;
    },

    async claimDue(limit, leaseMs) {
      const r = await db.query<ClaimRow>(
        `WITH claimed AS (
           UPDATE webhook_deliveries SET next_attempt_at = now() + $2 * interval '1 millisecond'
           WHERE id IN (SELECT id FROM webhook_deliveries WHERE next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id, webhook_id, event_id, jsonb_array_length(attempts) AS attempt_count, created_at)
         SELECT c.id, c.webhook_id, w.url, w.secret_enc, c.attempt_count, c.created_at,
                e.id AS event_id, e.type AS event_type, e.created_at AS event_created_at, e.data
         FROM claimed c JOIN webhooks w ON w.id = c.webhook_id JOIN webhook_events e ON e.id = c.event_id`,
        [limit, leaseMs],
      );
      return r.rows.map((row) => ({
        id: row.id,
        url: row.url,
        secret: keyring.decrypt(row.secret_enc, aad(row.webhook_id)),
        attemptCount: Number(row.attempt_count),
        createdAt: new Date(row.created_at),
        event: {
          id: row.event_id,
          type: row.event_type,
          createdAt: new Date(row.event_created_at),
          data: json(row.data),
        },
      }));
    },

    async recordAttempt(id, attempt, delivered, next) {
      await db.query(
        `UPDATE webhook_deliveries SET attempts = attempts || $2::jsonb,
           delivered_at = CASE WHEN $3::boolean THEN now() ELSE delivered_at END, next_attempt_at = $4
         WHERE id = $1`,
        [id, JSON.stringify([attempt]), delivered, next],
      );
    },

    async release(ids) {
      if (ids.length === 0) return;
      await db.query(
        'UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = ANY ($1) AND next_attempt_at IS NOT NULL',
        [ids],
      );
    },
  };
}
