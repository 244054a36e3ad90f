-- Retention deletes by age and trims the oldest at the store's cap: both walk received_at.
CREATE INDEX IF NOT EXISTS telemetry_events_received ON telemetry_events (received_at);
