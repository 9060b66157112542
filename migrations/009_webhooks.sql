-- Webhooks: receivers registered by an admin, an outbox of events written in the same
-- transaction as the change each one reports, and one delivery per (receiver, event).

CREATE TABLE webhooks (
  id          text PRIMARY KEY,
  url         text NOT NULL,
  events      text[] NOT NULL,
  -- The signing secret, AES-256-GCM under ENCRYPTION_KEYS (it must be used, so it cannot be hashed).
  secret_enc  text NOT NULL,
  key_id      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_events (
  id          text PRIMARY KEY,
  type        text NOT NULL,
  data        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,
  webhook_id       text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id         text NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
  -- [{at, status_code, error}] oldest first
  attempts         jsonb NOT NULL DEFAULT '[]',
  -- NULL once delivered or given up; while an instance holds it, the end of its lease.
  next_attempt_at  timestamptz,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- The delivery worker's poll: due deliveries only.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);
