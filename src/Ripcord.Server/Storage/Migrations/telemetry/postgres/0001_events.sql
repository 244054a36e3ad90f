-- Raw SDK telemetry. On PostgreSQL it shares the database but not the connection pool: a burst
-- of telemetry never holds a connection a configuration write is waiting for. The release
-- before versioned migrations created this table with text times; 0002 converts them.
CREATE TABLE IF NOT EXISTS telemetry_events (
    id TEXT PRIMARY KEY, received_at TEXT NOT NULL, program TEXT NOT NULL, instance TEXT NOT NULL,
    type TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS telemetry_events_program ON telemetry_events (program, type);
