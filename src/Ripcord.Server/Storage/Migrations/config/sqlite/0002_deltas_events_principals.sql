-- Revisions store what changed (a delta from the revision before) and, now and then, the whole
-- state (a checkpoint); every revision written before this script was a whole state, so each
-- becomes a checkpoint. SQLite cannot relax NOT NULL in place: the table is rebuilt (DROP TABLE
-- fires no row triggers; the append-only triggers are made again below).
CREATE TABLE revisions_v2 (
    program TEXT NOT NULL,
    revision BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    principal TEXT NULL,
    actor TEXT NOT NULL,
    summary TEXT NOT NULL,
    command TEXT NULL,
    delta TEXT NULL,
    state TEXT NULL,
    digest TEXT NULL,
    PRIMARY KEY (program, revision),
    CHECK (delta IS NOT NULL OR state IS NOT NULL));
INSERT INTO revisions_v2 (program, revision, created_at, actor, summary, state)
    SELECT program, revision, created_at, actor, summary, state FROM revisions;
DROP TABLE revisions;
ALTER TABLE revisions_v2 RENAME TO revisions;
CREATE INDEX revisions_checkpoints ON revisions (program, revision) WHERE state IS NOT NULL;
CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
BEGIN SELECT RAISE(ABORT, 'the revisions table is append-only'); END;
CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
BEGIN SELECT RAISE(ABORT, 'the revisions table is append-only'); END;

-- What each revision's command did, written in the same transaction as the revision.
CREATE TABLE events (
    program TEXT NOT NULL, revision BIGINT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (program, revision, seq));
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END;

-- Stable principals: every token gets an immutable principal id; audit rows record it from now on
-- (rows before this script have none, and keep verifying with the hash they were written with).
ALTER TABLE audit ADD COLUMN principal TEXT NULL;
ALTER TABLE tokens ADD COLUMN principal TEXT NULL;
UPDATE tokens SET principal = 'prn_' || substr(id, 5) WHERE principal IS NULL;
