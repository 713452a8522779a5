-- PainChain schema, SQLite. Timestamps are i64 nanoseconds since the epoch
-- (UTC); JSON columns hold text. Every table but connector_types carries
-- tenant_id, and every query filters on it.

CREATE TABLE events (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    tenant_id      TEXT    NOT NULL,
    ts             INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    title          TEXT    NOT NULL,
    connector      TEXT    NOT NULL,
    project        TEXT    NOT NULL,
    external_id    TEXT,
    integration_id TEXT,
    data           TEXT    NOT NULL DEFAULT '{}',
    tags           TEXT    NOT NULL DEFAULT '[]',
    kind           TEXT,
    status         TEXT,
    url            TEXT,
    actor          TEXT,
    environment    TEXT,
    service        TEXT,
    refs           TEXT    NOT NULL DEFAULT '[]',
    extra          TEXT    NOT NULL DEFAULT '{}'
);

-- Dedup key. NULL external ids are distinct in a unique index, so events
-- without one always insert. The same expression serves the integrationId
-- filter and purging an integration's events.
CREATE UNIQUE INDEX events_dedup
    ON events (tenant_id, COALESCE(integration_id, ''), external_id);
-- Timeline order, keyset pagination, time ranges.
CREATE INDEX events_tenant_ts ON events (tenant_id, ts DESC, id DESC);
CREATE INDEX events_connector_ts ON events (tenant_id, connector, ts DESC, id DESC);
CREATE INDEX events_project_ts ON events (tenant_id, project, ts DESC, id DESC);
CREATE INDEX events_kind_ts ON events (tenant_id, kind, ts DESC, id DESC);

-- Tags of each event. The primary key answers "has event X tag T" while
-- walking the timeline; the lookup index (with the event's ts, copied here)
-- finds and counts the events of a tag in a time range without visiting them.
CREATE TABLE event_tags (
    event_seq INTEGER NOT NULL,
    tag       TEXT    NOT NULL,
    tenant_id TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    PRIMARY KEY (event_seq, tag)
) WITHOUT ROWID;
CREATE INDEX event_tags_lookup ON event_tags (tenant_id, tag, ts, event_seq);

CREATE TABLE event_refs (
    event_seq INTEGER NOT NULL,
    ref_type  TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    tenant_id TEXT    NOT NULL,
    PRIMARY KEY (event_seq, ref_type, value)
) WITHOUT ROWID;
CREATE INDEX event_refs_lookup ON event_refs (tenant_id, ref_type, value, event_seq);

-- Full-text index over title + data, keyed by events.seq. Contentless (the
-- text lives in events) with delete support for retention. detail=none
-- keeps only which rows hold a term: searches are AND-ed word prefixes,
-- never phrases, so positions would be written and never read.
CREATE VIRTUAL TABLE events_fts USING fts5 (
    body, content = '', contentless_delete = 1, detail = none
);

-- Event counts per (time bucket, project, connector) at several
-- granularities (lvl 0..7 = 1 s, 5 s, 1 min, 5 min, 15 min, 1 h, 6 h, 1 day;
-- see src/rollup.rs), maintained with every insert and delete: totals,
-- group counts and histograms read these instead of millions of events.
CREATE TABLE event_rollups (
    tenant_id TEXT    NOT NULL,
    lvl       INTEGER NOT NULL,
    bucket    INTEGER NOT NULL,
    project   TEXT    NOT NULL,
    connector TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, lvl, bucket, project, connector)
) WITHOUT ROWID;

CREATE TABLE projects (
    tenant_id     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    connector     TEXT    NOT NULL,
    connectors    TEXT    NOT NULL DEFAULT '[]',
    tags          TEXT    NOT NULL DEFAULT '[]',
    event_count   INTEGER NOT NULL DEFAULT 0,
    last_event_ts INTEGER,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;

CREATE TABLE teams (
    id         TEXT    PRIMARY KEY,
    tenant_id  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    tags       TEXT    NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE tokens (
    id           TEXT    PRIMARY KEY,
    tenant_id    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX tokens_tenant ON tokens (tenant_id);

-- Global: connector processes register types for every tenant.
CREATE TABLE connector_types (
    id             TEXT    PRIMARY KEY,
    display_name   TEXT    NOT NULL,
    color          TEXT,
    logo           TEXT,
    description    TEXT,
    config_schema  TEXT    NOT NULL DEFAULT '{}',
    registered_at  INTEGER NOT NULL,
    last_heartbeat INTEGER
);

CREATE TABLE integrations (
    id            TEXT    PRIMARY KEY,
    tenant_id     TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    config        TEXT    NOT NULL DEFAULT '{}',
    status        TEXT    NOT NULL,
    enabled       INTEGER NOT NULL,
    managed_by    TEXT,
    last_sync     INTEGER,
    registered_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX integrations_tenant_type ON integrations (tenant_id, type);
CREATE INDEX integrations_type ON integrations (type);

-- config_tags(config) of each integration, so the `tag` filter can find the
-- events of tagged integrations through an index.
CREATE TABLE integration_tags (
    tenant_id      TEXT NOT NULL,
    tag            TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tag, integration_id)
) WITHOUT ROWID;
CREATE INDEX integration_tags_integration ON integration_tags (integration_id);

CREATE TABLE integration_cursors (
    tenant_id      TEXT    NOT NULL,
    integration_id TEXT    NOT NULL,
    cursor         TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, integration_id)
) WITHOUT ROWID;

CREATE TABLE integration_status (
    tenant_id        TEXT    NOT NULL,
    integration_id   TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    last_sync_at     INTEGER,
    last_error       TEXT,
    events_collected INTEGER,
    details          TEXT    NOT NULL DEFAULT 'null',
    reported_at      INTEGER,
    PRIMARY KEY (tenant_id, integration_id)
) WITHOUT ROWID;
