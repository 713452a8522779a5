-- PainChain schema, PostgreSQL. Timestamps are bigint nanoseconds since the
-- epoch (UTC). Ids compare byte-wise (COLLATE "C") so that `ORDER BY id`
-- and keyset cursors agree with SQLite and with UUIDv7 time order.

CREATE TABLE events (
    seq            bigserial PRIMARY KEY,
    id             text COLLATE "C" NOT NULL UNIQUE,
    tenant_id      text   NOT NULL,
    ts             bigint NOT NULL,
    created_at     bigint NOT NULL,
    title          text   NOT NULL,
    connector      text   NOT NULL,
    project        text   NOT NULL,
    external_id    text,
    integration_id text,
    data           jsonb  NOT NULL DEFAULT '{}',
    tags           jsonb  NOT NULL DEFAULT '[]',
    kind           text,
    status         text,
    url            text,
    actor          text,
    environment    text,
    service        text,
    refs           jsonb  NOT NULL DEFAULT '[]',
    extra          jsonb  NOT NULL DEFAULT '{}',
    -- Free-text search over title + data ('simple': no stemming, no stop
    -- words, so prefix queries behave predictably in every language).
    search         tsvector GENERATED ALWAYS AS (
                       to_tsvector('simple'::regconfig, title || ' ' || data::text)
                   ) STORED
);

-- Dedup key; NULL external ids never collide (NULLS DISTINCT). The same
-- expression serves the integrationId filter and purges.
CREATE UNIQUE INDEX events_dedup
    ON events (tenant_id, COALESCE(integration_id, ''), external_id);
CREATE INDEX events_tenant_ts ON events (tenant_id, ts DESC, id DESC);
CREATE INDEX events_connector_ts ON events (tenant_id, connector, ts DESC, id DESC);
CREATE INDEX events_project_ts ON events (tenant_id, project, ts DESC, id DESC);
CREATE INDEX events_kind_ts ON events (tenant_id, kind, ts DESC, id DESC);
-- A small pending list: with fastupdate, every search scans the pending
-- list linearly, and under constant ingest it would always be near full.
CREATE INDEX events_search ON events USING gin (search) WITH (gin_pending_list_limit = 512);
-- Retention scans the oldest events across tenants; BRIN stays tiny.
CREATE INDEX events_ts_brin ON events USING brin (ts);

-- Tags of each event. The primary key answers "has event X tag T" while
-- walking the timeline; the lookup index (with the event's ts, copied here)
-- finds and counts the events of a tag in a time range without visiting them.
CREATE TABLE event_tags (
    event_seq bigint NOT NULL,
    tag       text   NOT NULL,
    tenant_id text   NOT NULL,
    ts        bigint NOT NULL,
    PRIMARY KEY (event_seq, tag)
);
CREATE INDEX event_tags_lookup ON event_tags (tenant_id, tag, ts, event_seq);

CREATE TABLE event_refs (
    event_seq bigint NOT NULL,
    ref_type  text   NOT NULL,
    value     text   NOT NULL,
    tenant_id text   NOT NULL,
    PRIMARY KEY (event_seq, ref_type, value)
);
CREATE INDEX event_refs_lookup ON event_refs (tenant_id, ref_type, value, event_seq);

-- Event counts per (time bucket, project, connector) at several
-- granularities (lvl 0..7 = 1 s, 5 s, 1 min, 5 min, 15 min, 1 h, 6 h, 1 day;
-- see src/rollup.rs), maintained with every insert and
-- delete: totals, group counts and histograms read these instead of
-- millions of events (see src/rollup.rs).
CREATE TABLE event_rollups (
    tenant_id text    NOT NULL,
    lvl       bigint NOT NULL,
    bucket    bigint NOT NULL,
    project   text    NOT NULL,
    connector text    NOT NULL,
    n         bigint NOT NULL,
    PRIMARY KEY (tenant_id, lvl, bucket, project, connector)
);

CREATE TABLE projects (
    tenant_id     text   NOT NULL,
    name          text   NOT NULL,
    id            text   NOT NULL,
    connector     text   NOT NULL,
    connectors    jsonb  NOT NULL DEFAULT '[]',
    tags          jsonb  NOT NULL DEFAULT '[]',
    event_count   bigint NOT NULL DEFAULT 0,
    last_event_ts bigint,
    created_at    bigint NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE teams (
    id         text   PRIMARY KEY,
    tenant_id  text   NOT NULL,
    name       text   NOT NULL,
    tags       jsonb  NOT NULL DEFAULT '[]',
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE tokens (
    id           text   PRIMARY KEY,
    tenant_id    text   NOT NULL,
    name         text   NOT NULL,
    scope        text   NOT NULL,
    prefix       text   NOT NULL,
    secret_hash  text   NOT NULL UNIQUE,
    created_at   bigint NOT NULL,
    last_used_at bigint
);
CREATE INDEX tokens_tenant ON tokens (tenant_id);

-- Global: connector processes register types for every tenant.
CREATE TABLE connector_types (
    id             text   PRIMARY KEY,
    display_name   text   NOT NULL,
    color          text,
    logo           text,
    description    text,
    config_schema  jsonb  NOT NULL DEFAULT '{}',
    registered_at  bigint NOT NULL,
    last_heartbeat bigint
);

CREATE TABLE integrations (
    id            text    PRIMARY KEY,
    tenant_id     text    NOT NULL,
    type          text    NOT NULL,
    name          text    NOT NULL,
    config        jsonb   NOT NULL DEFAULT '{}',
    status        text    NOT NULL,
    enabled       boolean NOT NULL,
    managed_by    text,
    last_sync     bigint,
    registered_at bigint  NOT NULL,
    updated_at    bigint  NOT NULL
);
CREATE INDEX integrations_tenant_type ON integrations (tenant_id, type);
CREATE INDEX integrations_type ON integrations (type);

CREATE TABLE integration_tags (
    tenant_id      text NOT NULL,
    tag            text NOT NULL,
    integration_id text NOT NULL,
    PRIMARY KEY (tenant_id, tag, integration_id)
);
CREATE INDEX integration_tags_integration ON integration_tags (integration_id);

CREATE TABLE integration_cursors (
    tenant_id      text   NOT NULL,
    integration_id text   NOT NULL,
    cursor         jsonb  NOT NULL,
    updated_at     bigint NOT NULL,
    PRIMARY KEY (tenant_id, integration_id)
);

CREATE TABLE integration_status (
    tenant_id        text   NOT NULL,
    integration_id   text   NOT NULL,
    state            text   NOT NULL,
    last_sync_at     bigint,
    last_error       text,
    events_collected bigint,
    details          jsonb  NOT NULL DEFAULT 'null',
    reported_at      bigint,
    PRIMARY KEY (tenant_id, integration_id)
);
