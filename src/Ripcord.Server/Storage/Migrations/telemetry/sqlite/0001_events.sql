-- Raw SDK telemetry, in a database file of its own (telemetry.db): a burst of telemetry takes
-- this file's write lock, never the configuration database's.
CREATE TABLE IF NOT EXISTS telemetry_events (
    id TEXT PRIMARY KEY, received_at TEXT NOT NULL, program TEXT NOT NULL, instance TEXT NOT NULL,
    type TEXT NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS telemetry_events_program ON telemetry_events (program, type);
