-- Webhook subscriptions and their outbox. A delivery row is written in the same transaction as the
-- change it announces (so it commits or rolls back with it); the dispatcher sends it afterwards and
-- records each attempt on the row. The secret is kept because every delivery is signed with it; it
-- is never returned by the API after the create response.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    program TEXT NULL,
    audience TEXT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL);

-- status: pending | delivered | failed | cancelled. locked_until/locked_by: a node's lease on a row
-- while it sends it, so two nodes never send the same delivery at once.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    type TEXT NOT NULL,
    program TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT NULL,
    locked_by TEXT NULL,
    last_attempt_at TEXT NULL,
    last_status INTEGER NULL,
    last_error TEXT NULL,
    delivered_at TEXT NULL);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
