-- Indexes for the janitor's clean-up of the tables added since 003: each batch walks an index
-- in order instead of the whole table.

-- Holds released more than 30 days ago (username_holds_guard ignores them).
CREATE INDEX IF NOT EXISTS username_holds_released_idx ON username_holds (released_at);

-- Finished deliveries (delivered or given up: next_attempt_at NULL), oldest first.
CREATE INDEX IF NOT EXISTS webhook_deliveries_finished_idx ON webhook_deliveries (created_at) WHERE next_attempt_at IS NULL;

-- Old events, each then checked for deliveries through webhook_deliveries_event_idx.
CREATE INDEX IF NOT EXISTS webhook_events_created_idx ON webhook_events (created_at);
