-- Raw telemetry as accepted: one row per batch, its validated events a JSON array. Ingest writes a few hundred
-- rows a second rather than a hundred thousand (the dashboards read the aggregates, not these rows), and the
-- integer key appends instead of scattering random ids through a B-tree. legacy_id keeps a moved row's old id,
-- so moving telemetry an earlier release kept elsewhere can be repeated after a crash without counting twice.
CREATE TABLE IF NOT EXISTS telemetry_batches (
    id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, program TEXT NOT NULL, instance TEXT NOT NULL,
    events INTEGER NOT NULL, payload TEXT NOT NULL, legacy_id TEXT);
CREATE INDEX IF NOT EXISTS telemetry_batches_received ON telemetry_batches (received_at);
CREATE UNIQUE INDEX IF NOT EXISTS telemetry_batches_legacy ON telemetry_batches (legacy_id);
INSERT OR IGNORE INTO telemetry_batches (received_at, program, instance, events, payload, legacy_id)
    SELECT received_at, program, instance, 1, '[' || payload || ']', id FROM telemetry_events ORDER BY received_at, id;
DROP TABLE telemetry_events;
