-- Dashboard sessions (docs/dashboard.md, "How sign-in works"): the SHA-256 of the session id the browser holds and
-- the SHA-256 of the token the session was opened with (never either secret), and when it ends. In the shared
-- database, so every node behind a load balancer knows a session and a sign-out ends it on all of them.
CREATE TABLE dashboard_sessions (
    id_hash TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

-- The key ring of ASP.NET Core Data Protection, which protects the dashboard's antiforgery tokens: one XML element
-- per key, shared, so a form one node rendered is accepted by another.
CREATE TABLE data_protection_keys (
    name TEXT PRIMARY KEY,
    xml TEXT NOT NULL,
    created_at TEXT NOT NULL);
