-- Indexes for the janitor (src/janitor/) and for deleting users and purging clients: each
-- clean-up query and each cascade walks an index instead of the whole table.

-- Sessions end at the idle expiry or the absolute one, whichever comes first; the absolute one
-- has sessions_expires_idx already.
CREATE INDEX IF NOT EXISTS sessions_idle_expires_idx ON sessions (idle_expires_at);

-- Unrevoked families whose last access token expired long ago (revoked ones have
-- token_families_revoked_idx).
CREATE INDEX IF NOT EXISTS token_families_live_expiry_idx ON token_families (access_expires_at) WHERE revoked_at IS NULL;

-- Used connect links are dropped a day after use.
CREATE INDEX IF NOT EXISTS connect_links_used_idx ON connect_links (used_at) WHERE used_at IS NOT NULL;

-- google.drop_unused_after_days: the last time a credential was used, refreshed or saved. The
-- janitor's query repeats this expression exactly, so the planner can use the index.
CREATE INDEX IF NOT EXISTS google_credentials_last_activity_idx
  ON google_credentials ((GREATEST(last_used_at, last_refreshed_at, updated_at)));

-- ON DELETE CASCADE from users and clients, and the purge, find these rows by index.
CREATE INDEX IF NOT EXISTS authorization_codes_user_idx ON authorization_codes (user_id);
CREATE INDEX IF NOT EXISTS authorization_codes_client_idx ON authorization_codes (client_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_client_idx ON refresh_tokens (client_id);

-- Deleting a user scrubs the audit events that name them.
CREATE INDEX IF NOT EXISTS audit_events_actor_idx ON audit_events (actor) WHERE actor IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_events_subject_idx ON audit_events (subject) WHERE subject IS NOT NULL;
