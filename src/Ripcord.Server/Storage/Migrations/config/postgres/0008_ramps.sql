-- Guarded ramps: the one ramp of each program (its plan, step, status and last figures) as a JSON
-- document, replaced on every evaluation; written in the same transaction as the audit row (and, for a
-- step, the revision) of what moved it. Numbered 0008: 0007 is another branch's.
CREATE TABLE ramps (
    program TEXT PRIMARY KEY,
    stage TEXT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at timestamptz NOT NULL);
