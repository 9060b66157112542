-- Less write work per refresh-token rotation (each one spends a token and stores the next).

-- A refresh token's client is its family's (the family row carries client_id, and its foreign
-- key removes the family, and with it every token, when the client goes), so this second foreign
-- key only added a check to every INSERT: a FOR KEY SHARE lock on the client row, which
-- concurrent refreshes of one popular client turn into a MultiXact per token. The user's foreign
-- key stays: deleting a person removes their refresh tokens through it.
ALTER TABLE refresh_tokens DROP CONSTRAINT IF EXISTS refresh_tokens_client_id_fkey;

-- Rotation sets rotated_at and replaced_by on the spent token; neither is indexed, so with room
-- left on its page the new row version is a heap-only tuple (HOT): no entry in any of the five
-- indexes. At the default fillfactor (100) pages are full by then and every rotation wrote five
-- index entries for the spent token on top of the five for the new one. New pages only.
ALTER TABLE refresh_tokens SET (fillfactor = 70);
