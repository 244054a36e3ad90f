-- Stage gates (SPEC §3): CI check results, security sign-offs, operator support load and
-- known-safe revisions. Append-only but for support load (one figure per program and period,
-- replaced when posted again) and written in the same transaction as the audit row of the post.
-- seq: the order of posting, so two posts in the same instant still have a latest.
CREATE TABLE gate_checks (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    program TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    evidence TEXT NOT NULL,
    commit_sha TEXT NULL,
    posted_at timestamptz NOT NULL,
    posted_by TEXT NOT NULL);
CREATE INDEX gate_checks_program ON gate_checks (program, stage, kind);
CREATE TABLE security_signoffs (
    id TEXT PRIMARY KEY,
    program TEXT NOT NULL,
    tier INTEGER NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    signed_at timestamptz NOT NULL,
    signed_by TEXT NOT NULL);
CREATE INDEX security_signoffs_program ON security_signoffs (program, stage);
-- The figure is decimal text (invariant culture): exact on both backends.
CREATE TABLE support_load (
    program TEXT NOT NULL,
    period TEXT NOT NULL,
    tickets_per_day TEXT NOT NULL,
    posted_at timestamptz NOT NULL,
    posted_by TEXT NOT NULL,
    PRIMARY KEY (program, period));
-- kind: auto (the exit criteria passed on a stage advance; evidence is the checklist) or manual (reason).
CREATE TABLE known_safe_revisions (
    program TEXT NOT NULL,
    revision BIGINT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NULL,
    tagged_at timestamptz NOT NULL,
    tagged_by TEXT NOT NULL,
    PRIMARY KEY (program, revision));
