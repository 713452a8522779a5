-- "Sync now" and "test the connection" requests waiting for a connector's
-- control poll, kept in the database so every replica sees them.
CREATE TABLE connector_requests (
    id               TEXT    PRIMARY KEY,
    tenant_id        TEXT    NOT NULL,
    integration_type TEXT    NOT NULL,
    integration_id   TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    claimed_at       INTEGER,
    answered_at      INTEGER,
    ok               BOOLEAN,
    error            TEXT
);
CREATE INDEX connector_requests_open ON connector_requests (integration_type, created_at)
    WHERE claimed_at IS NULL;
CREATE INDEX connector_requests_created ON connector_requests (created_at);
