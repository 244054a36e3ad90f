-- Raw telemetry as accepted: one row per batch, its validated events a JSON array. Ingest writes a few hundred
-- rows a second rather than a hundred thousand (the dashboards read the aggregates, not these rows), and the
-- key appends instead of scattering random ids through a B-tree.
CREATE TABLE IF NOT EXISTS telemetry_batches (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, received_at timestamptz NOT NULL, program TEXT NOT NULL,
    instance TEXT NOT NULL, events INTEGER NOT NULL, payload TEXT NOT NULL, legacy_id TEXT UNIQUE);
CREATE INDEX IF NOT EXISTS telemetry_batches_received ON telemetry_batches (received_at);
INSERT INTO telemetry_batches (received_at, program, instance, events, payload, legacy_id)
    SELECT received_at, program, instance, 1, '[' || payload || ']', id FROM telemetry_events ORDER BY received_at, id;
DROP TABLE telemetry_events;
