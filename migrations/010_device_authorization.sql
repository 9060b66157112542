-- RFC 8628 device authorization grant. One row per device authorization request: the device
-- polls with the device code, the person enters the user code at /device. Both are stored only
-- as SHA-256 hashes.
CREATE TABLE device_authorizations (
  device_code_hash  text PRIMARY KEY,
  user_code_hash    text NOT NULL UNIQUE,
  client_id         text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  scope             text NOT NULL,
  -- pending → approved | denied (at /device) → consumed (tokens issued, once)
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'consumed')),
  -- the person who approved or denied
  user_id           text REFERENCES users (id) ON DELETE CASCADE,
  auth_time         timestamptz,
  -- RFC 8628 §3.5 slow_down: the interval grows by 5 seconds per too-fast poll
  interval_seconds  integer NOT NULL DEFAULT 5,
  last_polled_at    timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  expires_at        timestamptz NOT NULL,
  CONSTRAINT device_authorizations_ttl CHECK (expires_at <= created_at + interval '10 minutes')
);
CREATE INDEX device_authorizations_expires_idx ON device_authorizations (expires_at);
-- Deleting a client or a person cascades here without scanning the table.
CREATE INDEX device_authorizations_client_idx ON device_authorizations (client_id);
CREATE INDEX device_authorizations_user_idx ON device_authorizations (user_id) WHERE user_id IS NOT NULL;
