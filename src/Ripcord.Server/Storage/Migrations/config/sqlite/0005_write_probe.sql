-- One row, rewritten by /readyz: a write that fails here (full disk, read-only file) is a write that
-- would fail for a kill switch too.
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
