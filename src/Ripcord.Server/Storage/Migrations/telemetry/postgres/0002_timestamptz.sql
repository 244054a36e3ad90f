ALTER TABLE telemetry_events
    ALTER COLUMN received_at TYPE timestamptz USING received_at::timestamptz,
    ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
