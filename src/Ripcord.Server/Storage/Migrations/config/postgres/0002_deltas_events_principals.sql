-- Revisions store what changed (a delta from the revision before) and, now and then, the whole
-- state (a checkpoint); every revision written before this script was a whole state, so each
-- becomes a checkpoint. Times become timestamptz (ALTER ... TYPE rewrites the table without
-- firing the append-only row triggers; the stored ISO-8601 text converts exactly).
ALTER TABLE revisions ALTER COLUMN state DROP NOT NULL;
ALTER TABLE revisions
    ADD COLUMN principal TEXT NULL,
    ADD COLUMN command TEXT NULL,
    ADD COLUMN delta TEXT NULL,
    ADD COLUMN digest TEXT NULL,
    ADD CONSTRAINT revisions_body CHECK (delta IS NOT NULL OR state IS NOT NULL),
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
CREATE INDEX revisions_checkpoints ON revisions (program, revision) WHERE state IS NOT NULL;

-- What each revision's command did, written in the same transaction as the revision.
CREATE TABLE events (
    program TEXT NOT NULL, revision BIGINT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (program, revision, seq));
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION ripcord_append_only();

-- Stable principals: every token gets an immutable principal id; audit rows record it from now on
-- (rows before this script have none, and keep verifying with the hash they were written with).
ALTER TABLE audit
    ADD COLUMN principal TEXT NULL,
    ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE tokens
    ADD COLUMN principal TEXT NULL,
    ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz,
    ALTER COLUMN revoked_at TYPE timestamptz USING revoked_at::timestamptz;
UPDATE tokens SET principal = 'prn_' || substr(id, 5) WHERE principal IS NULL;
