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

-- A username given up by a rename or a deletion is held for its last owner for 30 days. No
-- foreign key: the hold outlives a deleted user.
CREATE TABLE IF NOT EXISTS username_holds (
  username     text PRIMARY KEY,
  user_id      text NOT NULL,
  released_at  timestamptz NOT NULL DEFAULT now()
);

-- Kept in the database so every path that names or deletes a person (rename, sign-up, admin
-- deletion, CLI) obeys it. Taking a held name fails like taking a used one (unique violation
-- on users_username_key), so callers need no second error path. The advisory lock orders a
-- release and a take of one name.
CREATE OR REPLACE FUNCTION username_holds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_advisory_xact_lock(hashtext('username:' || OLD.username));
    INSERT INTO username_holds (username, user_id) VALUES (OLD.username, OLD.id)
      ON CONFLICT (username) DO UPDATE SET user_id = EXCLUDED.user_id, released_at = now();
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.username IS NOT DISTINCT FROM OLD.username THEN
    RETURN NEW;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('username:' || NEW.username));
  IF EXISTS (SELECT 1 FROM username_holds
             WHERE username = NEW.username AND user_id <> NEW.id AND released_at > now() - interval '30 days') THEN
    RAISE EXCEPTION 'username % is held after its release', NEW.username
      USING ERRCODE = 'unique_violation', CONSTRAINT = 'users_username_key';
  END IF;
  -- Taken (back): the hold has done its job.
  DELETE FROM username_holds WHERE username = NEW.username;
  IF TG_OP = 'UPDATE' THEN
    PERFORM pg_advisory_xact_lock(hashtext('username:' || OLD.username));
    INSERT INTO username_holds (username, user_id) VALUES (OLD.username, OLD.id)
      ON CONFLICT (username) DO UPDATE SET user_id = EXCLUDED.user_id, released_at = now();
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS users_username_holds ON users;
CREATE TRIGGER users_username_holds
  BEFORE INSERT OR UPDATE OF username OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION username_holds_guard();
