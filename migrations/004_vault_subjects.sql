-- Vault subjects, connect-link confirmation and narrower API keys.

-- An API key's default broker subject, used when a request names none: either a person
-- ('subject': user id, username or verified email) or a connection ('connection_id').
-- `external` keys mint only for the client ids in allowed_clients (none by default).
ALTER TABLE api_keys
  ADD COLUMN IF NOT EXISTS default_subject_kind text CHECK (default_subject_kind IN ('subject', 'connection_id')),
  ADD COLUMN IF NOT EXISTS default_subject text,
  ADD COLUMN IF NOT EXISTS allowed_clients text[] NOT NULL DEFAULT '{}';
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_default_subject_pair;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_default_subject_pair
  CHECK ((default_subject_kind IS NULL) = (default_subject IS NULL));

-- A link is spent (used_at) by the confirmation form and completed (completed_at) by exactly
-- one Google callback. scopes: the Google scopes asked for on top of the base ones.
ALTER TABLE connect_links
  ADD COLUMN IF NOT EXISTS scopes text[] NOT NULL DEFAULT '{}',
  ADD COLUMN IF NOT EXISTS completed_at timestamptz;

-- A username given up by a rename or a deletion is held for 30 days: nobody else may take it,
-- its last owner may take it back. The name is kept only as a SHA-256 digest and a deleted
-- person's hold names nobody (user_id NULL), so after a deletion no column holds their
-- username or id. No foreign key: a hold outlives the person.
CREATE TABLE IF NOT EXISTS username_holds (
  username_sha256  text PRIMARY KEY,
  user_id          text,
  released_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS username_holds_user_idx ON username_holds (user_id);

-- Kept in the database so every path that names or deletes a person (rename, sign-up, admin
-- deletion, CLI) obeys it. Taking a held name fails like taking a used one (unique violation
-- on users_username_key), so callers need no second error path. The advisory lock orders a
-- release and a take of one name. Names share 256 lock buckets: a transaction that writes many
-- users (a bulk import) then holds at most 256 locks instead of one per row, which would exhaust
-- the lock table ("out of shared memory").
CREATE OR REPLACE FUNCTION username_holds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  released text;
  wanted text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    released := encode(sha256(convert_to(OLD.username, 'UTF8')), 'hex');
    PERFORM pg_advisory_xact_lock(7243, hashtext(released) & 255);
    UPDATE username_holds SET user_id = NULL WHERE user_id = OLD.id;
    INSERT INTO username_holds (username_sha256, user_id) VALUES (released, NULL)
      ON CONFLICT (username_sha256) DO UPDATE SET user_id = NULL, released_at = now();
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.username IS NOT DISTINCT FROM OLD.username THEN
    RETURN NEW;
  END IF;
  wanted := encode(sha256(convert_to(NEW.username, 'UTF8')), 'hex');
  PERFORM pg_advisory_xact_lock(7243, hashtext(wanted) & 255);
  IF EXISTS (SELECT 1 FROM username_holds
             WHERE username_sha256 = wanted AND user_id IS DISTINCT FROM NEW.id
               AND released_at > now() - interval '30 days') THEN
    RAISE EXCEPTION 'username is held after its release'
      USING ERRCODE = 'unique_violation', CONSTRAINT = 'users_username_key';
  END IF;
  -- Taken (back): the hold has done its job.
  DELETE FROM username_holds WHERE username_sha256 = wanted;
  IF TG_OP = 'UPDATE' THEN
    released := encode(sha256(convert_to(OLD.username, 'UTF8')), 'hex');
    PERFORM pg_advisory_xact_lock(7243, hashtext(released) & 255);
    INSERT INTO username_holds (username_sha256, user_id) VALUES (released, OLD.id)
      ON CONFLICT (username_sha256) DO UPDATE SET user_id = EXCLUDED.user_id, released_at = now();
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS users_username_holds ON users;
CREATE TRIGGER users_username_holds
  BEFORE INSERT OR UPDATE OF username OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION username_holds_guard();
