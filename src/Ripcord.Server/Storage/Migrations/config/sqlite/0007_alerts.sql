-- Alerts (SPEC §7, docs/telemetry.md "Alerts"). alert_rule_state: the evaluator's memory for each
-- (program, rule) — phase, breach start, the alert it keeps open — as one JSON document. alerts: every
-- alert that fired, kept after it resolves. At most one firing alert per (program, rule): the dedupe,
-- held by the database too.
CREATE TABLE alert_rule_state (
    program TEXT NOT NULL,
    rule TEXT NOT NULL,
    phase TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (program, rule));
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    program TEXT NOT NULL,
    rule TEXT NOT NULL,
    status TEXT NOT NULL,
    fired_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX alerts_program ON alerts (program, fired_at);
CREATE UNIQUE INDEX alerts_one_firing ON alerts (program, rule) WHERE status = 'firing';
