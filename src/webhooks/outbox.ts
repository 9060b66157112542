import { randomId } from '../crypto/random.js';
import type { Queryable } from '../storage/database.js';
import type { WebhookEventData, WebhookEventType } from './event-types.js';

/**
 * Writes an event to the outbox in the caller's transaction, with one due delivery per webhook
 * subscribed to its type: the event commits (and is later delivered) exactly when the change it
 * reports commits. An event nobody subscribed to is not stored at all. One statement.
 */
export async function recordWebhookEvent(tx: Queryable, type: WebhookEventType, data: WebhookEventData): Promise<void> {
  await tx.query(
    `WITH subscribers AS (SELECT id FROM webhooks WHERE $2 = ANY (events)),
          event AS (INSERT INTO webhook_events (id, type, data) SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM subscribers) RETURNING id)
     INSERT INTO webhook_deliveries (id, webhook_id, event_id, next_attempt_at)
     SELECT gen_random_uuid()::text, subscribers.id, event.id, now() FROM subscribers, event`,
    [randomId(), type, JSON.stringify(data)],
  );
}

/**
 * Erasure: drops earlier events naming a person (and their deliveries), in the deletion's
 * transaction. The `user.deleted` event recorded after it is the one that still names them,
 * for as long as its receivers need it.
 */
export async function forgetUserEvents(tx: Queryable, userId: string): Promise<void> {
  await tx.query(`DELETE FROM webhook_events WHERE data->>'user_id' = $1`, [userId]);
}
