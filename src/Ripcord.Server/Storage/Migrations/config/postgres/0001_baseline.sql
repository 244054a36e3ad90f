-- The schema as released before migrations were versioned (commit f17e861). IF NOT EXISTS, so
-- this script is a no-op on a database that release created, and creates it on a new one.
CREATE TABLE IF NOT EXISTS revisions (
    program TEXT NOT NULL, revision BIGINT NOT NULL, created_at TEXT NOT NULL, actor TEXT NOT NULL,
    summary TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (program, revision));
CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, before_json TEXT NULL, after_json TEXT NULL, outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT NULL);
CREATE OR REPLACE FUNCTION ripcord_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME; END $$;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'audit_append_only' AND tgrelid = 'audit'::regclass) THEN
    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION ripcord_append_only();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'revisions_append_only' AND tgrelid = 'revisions'::regclass) THEN
    CREATE TRIGGER revisions_append_only BEFORE UPDATE OR DELETE ON revisions FOR EACH ROW EXECUTE FUNCTION ripcord_append_only();
  END IF;
END $$;
