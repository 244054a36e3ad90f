-- Batches stored but not yet added to the aggregates. Ingest inserts one row per batch with the batch; the
-- aggregation (TelemetryAggregation) deletes the rows of the batches it counts in the transaction that adds them
-- to the buckets, so each stored batch is counted exactly once — by whichever node deletes its row. Batches stored
-- before this migration were aggregated as they were stored.
CREATE TABLE IF NOT EXISTS telemetry_unaggregated (batch_id BIGINT PRIMARY KEY);
