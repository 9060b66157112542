-- Gatehouse schema. Secrets are never stored in the clear: client secrets and API keys as
-- argon2id hashes, refresh tokens, codes and session ids as SHA-256 hashes, Google tokens and
-- signing keys as AES-256-GCM ciphertext carrying their key id.

CREATE TABLE users (
  id              text PRIMARY KEY,
  google_sub      text UNIQUE,
  email           text,
  email_verified  boolean NOT NULL DEFAULT false,
  -- canonical form (NFKC, lowercase, [a-z0-9_.-]); the unique constraint is what decides races
  username        text NOT NULL CONSTRAINT users_username_key UNIQUE,
  first_name      text,
  last_name       text,
  name            text,
  picture         text,
  two_factor      boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_username_format CHECK (username ~ '^[a-z0-9_.-]{3,32}$')
);
CREATE INDEX users_email_idx ON users (lower(email));

CREATE TABLE clients (
  id                          text PRIMARY KEY,
  app_name                    text NOT NULL,
  contact_email               text NOT NULL,
  secret_hash                 text,
  redirect_uris               text[] NOT NULL DEFAULT '{}',
  grant_types                 text[] NOT NULL,
  scope                       text NOT NULL,
  token_endpoint_auth_method  text NOT NULL
    CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  first_party                 boolean NOT NULL DEFAULT false,
  resource_server             boolean NOT NULL DEFAULT false,
  -- bumped on every change; caches compare it to drop stale copies
  version                     integer NOT NULL DEFAULT 1,
  disabled_at                 timestamptz,
  secret_rotated_at           timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT clients_secret_matches_method
    CHECK ((token_endpoint_auth_method = 'none') = (secret_hash IS NULL))
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  -- the non-secret leading part of the key, to find the row without hashing every key
  lookup_prefix text NOT NULL CONSTRAINT api_keys_lookup_prefix_key UNIQUE,
  key_hash      text NOT NULL,
  scopes        text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- A grant: everything issued from one authorization (code, login, client grant) shares a family,
-- so reuse, replay, revocation and logout can end it as a whole.
CREATE TABLE token_families (
  id                 text PRIMARY KEY,
  client_id          text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  user_id            text REFERENCES users (id) ON DELETE CASCADE,
  scope              text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- the latest expiry of an access token issued in this family; a revoked family stays on the
  -- deny list until then
  access_expires_at  timestamptz NOT NULL,
  revoked_at         timestamptz,
  revoked_reason     text
);
CREATE INDEX token_families_user_client_idx ON token_families (user_id, client_id);
CREATE INDEX token_families_client_idx ON token_families (client_id);
CREATE INDEX token_families_revoked_idx ON token_families (access_expires_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE authorization_codes (
  code_hash              text PRIMARY KEY,
  client_id              text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  user_id                text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- NULL when the authorization request carried no redirect_uri (RFC 6749 §4.1.3)
  redirect_uri           text,
  scope                  text NOT NULL,
  code_challenge         text,
  code_challenge_method  text CHECK (code_challenge_method IN ('S256')),
  nonce                  text,
  auth_time              timestamptz NOT NULL DEFAULT now(),
  expires_at             timestamptz NOT NULL,
  consumed_at            timestamptz,
  -- the family the redemption created; a replay revokes it
  family_id              text REFERENCES token_families (id) ON DELETE SET NULL,
  created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_family_idx ON authorization_codes (family_id);

CREATE TABLE refresh_tokens (
  token_hash   text PRIMARY KEY,
  family_id    text NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
  client_id    text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  user_id      text REFERENCES users (id) ON DELETE CASCADE,
  scope        text NOT NULL,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- set when a newer token replaced this one; presenting it again is reuse
  rotated_at   timestamptz,
  replaced_by  text
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Source of truth for revoked access tokens (jti); Redis holds a copy with a TTL.
CREATE TABLE revoked_access_tokens (
  jti         text PRIMARY KEY,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);

CREATE TABLE consents (
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id   text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  scope       text NOT NULL,
  granted_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_idx ON consents (client_id);

CREATE TABLE sessions (
  id_hash        text PRIMARY KEY,
  user_id        text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  idle_expires_at timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- An external id (a shop branch, say) that a service connects a Google account to.
CREATE TABLE connections (
  id                  text PRIMARY KEY,
  created_by_api_key  text REFERENCES api_keys (id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Single-use connect links; id is the signed link's jti.
CREATE TABLE connect_links (
  id             text PRIMARY KEY,
  connection_id  text NOT NULL,
  api_key_id     text REFERENCES api_keys (id) ON DELETE SET NULL,
  return_to      text,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connect_links_expires_idx ON connect_links (expires_at);

-- One Google grant, held for a user (browser sign-in) or for a connection.
CREATE TABLE google_credentials (
  id                        text PRIMARY KEY,
  user_id                   text CONSTRAINT google_credentials_user_key UNIQUE
                            REFERENCES users (id) ON DELETE CASCADE,
  connection_id             text CONSTRAINT google_credentials_connection_key UNIQUE
                            REFERENCES connections (id) ON DELETE CASCADE,
  google_sub                text,
  email                     text,
  scopes                    text NOT NULL DEFAULT '',
  -- "<kid>.<iv>.<ciphertext+tag>" (base64url), AES-256-GCM under ENCRYPTION_KEYS[kid]
  access_token_enc          text,
  access_token_expires_at   timestamptz,
  refresh_token_enc         text,
  key_id                    text NOT NULL,
  status                    text NOT NULL DEFAULT 'active'
                            CHECK (status IN ('active', 'reauth_required')),
  last_refreshed_at         timestamptz,
  last_used_at              timestamptz,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT google_credentials_one_owner CHECK ((user_id IS NULL) <> (connection_id IS NULL))
);
CREATE INDEX google_credentials_expiry_idx ON google_credentials (access_token_expires_at)
  WHERE status = 'active';
CREATE INDEX google_credentials_key_idx ON google_credentials (key_id);

CREATE TABLE signing_keys (
  kid                text PRIMARY KEY,
  algorithm          text NOT NULL,
  public_jwk         jsonb NOT NULL,
  private_key_enc    text NOT NULL,
  encryption_key_id  text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- set when a newer key took over signing; the public key stays in the JWKS until
  -- retired_at plus the longest access-token lifetime
  retired_at         timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_active_idx ON signing_keys (algorithm) WHERE retired_at IS NULL;

CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  occurred_at  timestamptz NOT NULL DEFAULT now(),
  event        text NOT NULL,
  actor        text,
  subject      text,
  client_id    text,
  ip           text,
  details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at);
CREATE INDEX audit_events_event_idx ON audit_events (event, occurred_at);
