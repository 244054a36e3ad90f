-- Aggregated telemetry (docs/telemetry.md): one row per bucket — resolution 0 minute, 1 hour, 2 day; bucket is
-- its start in Unix seconds (UTC) — and dimensions. A missing workspace or cohort is '', a missing tier or revision
-- -1. Every measure is a sum, so a group commit adds to a row (upsert) in the same transaction as its raw events.
-- first_at is the earliest event time in Unix microseconds (9223372036854775807: none).
CREATE TABLE IF NOT EXISTS telemetry_buckets (
    program TEXT NOT NULL, resolution BIGINT NOT NULL, bucket BIGINT NOT NULL,
    workspace TEXT NOT NULL, tier BIGINT NOT NULL, cohort TEXT NOT NULL, revision BIGINT NOT NULL,
    modes BIGINT NOT NULL DEFAULT 0,
    modes_secure BIGINT NOT NULL DEFAULT 0,
    modes_baseline BIGINT NOT NULL DEFAULT 0,
    fallbacks BIGINT NOT NULL DEFAULT 0,
    fallbacks_proceed BIGINT NOT NULL DEFAULT 0,
    fallbacks_auto BIGINT NOT NULL DEFAULT 0,
    fallbacks_prompt BIGINT NOT NULL DEFAULT 0,
    fallbacks_blocked BIGINT NOT NULL DEFAULT 0,
    sends BIGINT NOT NULL DEFAULT 0,
    sends_ok BIGINT NOT NULL DEFAULT 0,
    sends_failed BIGINT NOT NULL DEFAULT 0,
    sends_timeout BIGINT NOT NULL DEFAULT 0,
    divergences BIGINT NOT NULL DEFAULT 0,
    divergence_count BIGINT NOT NULL DEFAULT 0,
    sessions BIGINT NOT NULL DEFAULT 0,
    crashes BIGINT NOT NULL DEFAULT 0,
    security_signals BIGINT NOT NULL DEFAULT 0,
    heartbeats BIGINT NOT NULL DEFAULT 0,
    late BIGINT NOT NULL DEFAULT 0,
    ahead BIGINT NOT NULL DEFAULT 0,
    first_at BIGINT NOT NULL DEFAULT 9223372036854775807,
    PRIMARY KEY (program, resolution, bucket, workspace, tier, cohort, revision));
-- Retention deletes by resolution and age.
CREATE INDEX IF NOT EXISTS telemetry_buckets_age ON telemetry_buckets (resolution, bucket);

-- Send ack latency histograms (fixed log-scale slots, LatencyHistogram), one per bucket, in its stored form
-- "slot:count,slot:count" and merged on upsert by ripcord_merge_latency: a group commit writes one row per
-- bucket, not one per slot.
CREATE TABLE IF NOT EXISTS telemetry_latency (
    program TEXT NOT NULL, resolution BIGINT NOT NULL, bucket BIGINT NOT NULL,
    workspace TEXT NOT NULL, tier BIGINT NOT NULL, cohort TEXT NOT NULL, revision BIGINT NOT NULL,
    slots TEXT NOT NULL,
    PRIMARY KEY (program, resolution, bucket, workspace, tier, cohort, revision));
CREATE INDEX IF NOT EXISTS telemetry_latency_age ON telemetry_latency (resolution, bucket);
-- Slot by slot sums of two stored forms, lowest slot first: what LatencyHistogram.MergeEncoded computes.
CREATE OR REPLACE FUNCTION ripcord_merge_latency(a TEXT, b TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(string_agg(slot || ':' || n, ',' ORDER BY slot), '')
    FROM (SELECT split_part(pair, ':', 1)::BIGINT AS slot, SUM(split_part(pair, ':', 2)::BIGINT) AS n
          FROM unnest(string_to_array(COALESCE(a, '') || ',' || COALESCE(b, ''), ',')) AS pair
          WHERE pair <> '' GROUP BY 1) AS merged
$$;
