-- Events of no integration were deduplicated tenant-wide by externalId, so
-- `ci/build-1` and then `jenkins/build-1` was a 409 and the second event was
-- lost. Their key now includes the connector. Every pair of rows distinct
-- under the old key is distinct under this one, so existing data fits.
-- The first two columns are the old index's, so the integrationId filter
-- and purges (`COALESCE(integration_id, '') = ...`) still use it.
CREATE UNIQUE INDEX events_dedup_key ON events (
    tenant_id,
    COALESCE(integration_id, ''),
    (CASE WHEN integration_id IS NULL THEN connector ELSE '' END),
    external_id
);
DROP INDEX events_dedup;
