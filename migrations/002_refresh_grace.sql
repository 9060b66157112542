-- security.refresh_token_grace_seconds lets the immediately previous refresh token be retried
-- once; this records that the one retry has been spent.
ALTER TABLE refresh_tokens ADD COLUMN grace_used boolean NOT NULL DEFAULT false;
