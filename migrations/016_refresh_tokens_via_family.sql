-- Less write work per refresh-token rotation, round two: a refresh token reaches its person and
-- its client through its family, so it needs neither a foreign key to users nor indexes on its
-- own user_id and client_id.
--
-- The user's foreign key took a FOR KEY SHARE lock on the person's row at every INSERT, that is
-- at every rotation: a write to the users heap each time, and a MultiXact when one person's
-- tokens rotate concurrently. Deleting a person still removes their refresh tokens:
-- token_families.user_id cascades to the family and refresh_tokens.family_id (NOT NULL)
-- cascades to its tokens; a token's user is always its family's (issueUserTokens and the
-- rotation statements copy it from there). The index on user_id served only that cascade.
ALTER TABLE refresh_tokens DROP CONSTRAINT IF EXISTS refresh_tokens_user_id_fkey;
DROP INDEX IF EXISTS refresh_tokens_user_idx;

-- The client purge, the only reader of this index, finds a client's tokens through its families
-- (token_families_client_idx, then refresh_tokens_family_idx).
DROP INDEX IF EXISTS refresh_tokens_client_idx;
