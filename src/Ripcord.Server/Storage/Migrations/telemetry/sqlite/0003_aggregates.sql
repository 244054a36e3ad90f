-- Aggregated telemetry (docs/telemetry.md): one row per bucket — resolution 0 minute, 1 hour, 2 day; bucket is
-- its start in Unix seconds (UTC) — and dimensions. A missing workspace or cohort is '', a missing tier or revision
-- -1. Every measure is a sum, so a group commit adds to a row (upsert) in the same transaction as its raw events.
-- first_at is the earliest event time in Unix microseconds (9223372036854775807: none).
CREATE TABLE IF NOT EXISTS telemetry_buckets (
    program TEXT NOT NULL, resolution INTEGER NOT NULL, bucket INTEGER NOT NULL,
    workspace TEXT NOT NULL, tier INTEGER NOT NULL, cohort TEXT NOT NULL, revision INTEGER NOT NULL,
    modes INTEGER NOT NULL DEFAULT 0,
    modes_secure INTEGER NOT NULL DEFAULT 0,
    modes_baseline INTEGER NOT NULL DEFAULT 0,
    fallbacks INTEGER NOT NULL DEFAULT 0,
    fallbacks_proceed INTEGER NOT NULL DEFAULT 0,
    fallbacks_auto INTEGER NOT NULL DEFAULT 0,
    fallbacks_prompt INTEGER NOT NULL DEFAULT 0,
    fallbacks_blocked INTEGER NOT NULL DEFAULT 0,
    sends INTEGER NOT NULL DEFAULT 0,
    sends_ok INTEGER NOT NULL DEFAULT 0,
    sends_failed INTEGER NOT NULL DEFAULT 0,
    sends_timeout INTEGER NOT NULL DEFAULT 0,
    divergences INTEGER NOT NULL DEFAULT 0,
    divergence_count INTEGER NOT NULL DEFAULT 0,
    sessions INTEGER NOT NULL DEFAULT 0,
    crashes INTEGER NOT NULL DEFAULT 0,
    security_signals INTEGER NOT NULL DEFAULT 0,
    heartbeats INTEGER NOT NULL DEFAULT 0,
    late INTEGER NOT NULL DEFAULT 0,
    ahead INTEGER NOT NULL DEFAULT 0,
    first_at INTEGER NOT NULL DEFAULT 9223372036854775807,
    PRIMARY KEY (program, resolution, bucket, workspace, tier, cohort, revision));
-- Retention deletes by resolution and age.
CREATE INDEX IF NOT EXISTS telemetry_buckets_age ON telemetry_buckets (resolution, bucket);

-- Send ack latency histograms (fixed log-scale slots, LatencyHistogram), one per bucket, in its stored form
-- "slot:count,slot:count" and merged on upsert by ripcord_merge_latency (a function the server registers on its
-- SQLite connections): a group commit writes one row per bucket, not one per slot.
CREATE TABLE IF NOT EXISTS telemetry_latency (
    program TEXT NOT NULL, resolution INTEGER NOT NULL, bucket INTEGER NOT NULL,
    workspace TEXT NOT NULL, tier INTEGER NOT NULL, cohort TEXT NOT NULL, revision INTEGER NOT NULL,
    slots TEXT NOT NULL,
    PRIMARY KEY (program, resolution, bucket, workspace, tier, cohort, revision));
CREATE INDEX IF NOT EXISTS telemetry_latency_age ON telemetry_latency (resolution, bucket);
