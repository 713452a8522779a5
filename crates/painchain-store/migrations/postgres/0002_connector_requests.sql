-- "Sync now" and "test the connection" requests waiting for a connector's
-- control poll, kept in the database so every replica sees them.
CREATE TABLE connector_requests (
    id               text    PRIMARY KEY,
    tenant_id        text    NOT NULL,
    integration_type text    NOT NULL,
    integration_id   text    NOT NULL,
    kind             text    NOT NULL,
    created_at       bigint  NOT NULL,
    claimed_at       bigint,
    answered_at      bigint,
    ok               boolean,
    error            text
);
CREATE INDEX connector_requests_open ON connector_requests (integration_type, created_at)
    WHERE claimed_at IS NULL;
CREATE INDEX connector_requests_created ON connector_requests (created_at);
