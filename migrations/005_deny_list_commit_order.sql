-- The deny list (src/oauth/deny-list.ts) re-reads revocations from Postgres in commit order,
-- never by wall-clock time. A timestamp or a sequence number is taken when a row is written, not
-- when its transaction commits: a long revoking transaction commits a row that sorts before a
-- watermark other instances have already passed, and if its pub/sub message was lost too, they
-- never see it. So every row the sync reads records the id of the transaction that wrote it
-- (xid8, 64 bits, never wraps), and a sync reads every row written by a transaction that had not
-- committed at the previous sync: xid >= that sync's snapshot xmin.

-- Families revoked before this migration whose access tokens may still be alive are read by
-- the first sync of every instance.
ALTER TABLE token_families ADD COLUMN revoked_xid xid8;
UPDATE token_families SET revoked_xid = pg_current_xact_id() WHERE revoked_at IS NOT NULL AND access_expires_at > now();

-- Every statement that revokes a family (reuse, replay, revoke, logout, remove access, user
-- deletion, client purge) sets revoked_at; the trigger stamps the transaction, so no revoking
-- statement can be written that the sync does not see.
CREATE FUNCTION token_families_stamp_revoked_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.revoked_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;
CREATE TRIGGER token_families_revoked_xid_on_update BEFORE UPDATE OF revoked_at ON token_families
  FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
  EXECUTE FUNCTION token_families_stamp_revoked_xid();
CREATE TRIGGER token_families_revoked_xid_on_insert BEFORE INSERT ON token_families
  FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION token_families_stamp_revoked_xid();
CREATE INDEX token_families_revoked_xid_idx ON token_families (revoked_xid) WHERE revoked_xid IS NOT NULL;

ALTER TABLE revoked_access_tokens ADD COLUMN revoked_xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX revoked_access_tokens_revoked_xid_idx ON revoked_access_tokens (revoked_xid);

-- Whole-client and whole-subject denials: disabling or purging a client denies every access
-- token issued to it, deleting a person every access token whose sub is them, until the longest
-- access-token lifetime has passed. Not tied to the clients or users rows by a foreign key: the
-- denial must outlive a purge or a deletion.
CREATE TABLE access_denials (
  id           bigserial PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('client', 'subject')),
  value        text NOT NULL,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_xid  xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX access_denials_created_xid_idx ON access_denials (created_xid);
CREATE INDEX access_denials_expires_idx ON access_denials (expires_at);
