-- OpenID Provider: authentication time, server-side authorization interactions, per-client
-- ID token algorithm and RP-initiated logout URLs.

-- OIDC Core §2 auth_time: when the person last authenticated at Google (the callback that
-- opened this session). Existing sessions were opened by a callback at created_at.
ALTER TABLE sessions ADD COLUMN auth_time timestamptz;
UPDATE sessions SET auth_time = created_at;
ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL, ALTER COLUMN auth_time SET DEFAULT now();

-- An authorization request waiting for the person: sign-in (re-authentication) or consent.
-- The consent form names only the id; what is granted is what is stored here.
CREATE TABLE authorization_interactions (
  id_hash            text PRIMARY KEY,
  client_id          text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  redirect_uri       text NOT NULL,
  redirect_uri_sent  boolean NOT NULL,
  scope              text NOT NULL,
  state              text,
  nonce              text,
  code_challenge     text,
  prompt             text NOT NULL DEFAULT '',
  max_age            integer,
  -- the person the consent page was shown to; null until then
  user_id            text REFERENCES users (id) ON DELETE CASCADE,
  -- a sign-in at or after this time satisfies prompt=login / max_age / id_token_hint
  login_after        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  CONSTRAINT authorization_interactions_ttl CHECK (expires_at <= created_at + interval '10 minutes')
);
CREATE INDEX authorization_interactions_expires_idx ON authorization_interactions (expires_at);

-- OIDC Dynamic Registration §2 id_token_signed_response_alg; RP-Initiated Logout §3.1
-- post_logout_redirect_uris.
ALTER TABLE clients
  ADD COLUMN id_token_signed_response_alg text CHECK (id_token_signed_response_alg IN ('RS256', 'ES256', 'EdDSA')),
  ADD COLUMN post_logout_redirect_uris text[] NOT NULL DEFAULT '{}';

-- OIDC Core §12.2: an ID token from a refresh keeps the auth_time of the original sign-in.
ALTER TABLE token_families ADD COLUMN auth_time timestamptz;
