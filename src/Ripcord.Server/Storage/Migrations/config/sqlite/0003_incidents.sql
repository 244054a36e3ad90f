-- Workflow documents: incidents (with their timelines and action items), kill-switch activations
-- (with their verification), activation requests and post-action reviews. Each is one JSON
-- document, replaced whole in the same transaction as the revision and audit row of the change
-- that moved it; kind + status + program + incident make the lists cheap.
CREATE TABLE workflow_docs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    program TEXT NOT NULL,
    status TEXT NOT NULL,
    incident_id TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX workflow_docs_program ON workflow_docs (kind, program, status);
CREATE INDEX workflow_docs_incident ON workflow_docs (incident_id) WHERE incident_id IS NOT NULL;
