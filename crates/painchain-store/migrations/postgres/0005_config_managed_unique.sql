-- Config-as-code (integrations declared in painchain.yaml or a connector's
-- file; managed_by set) is applied as one
-- upsert keyed by (tenant, type, name), so two replicas starting together
-- can't both create a row, and each row remembers the config generation
-- that last declared it, so an older config never deletes or rewrites what
-- a newer one declared.

-- Duplicates left by the old check-then-insert race: the oldest row keeps
-- the name (and its cursor); the others become ordinary rows, never deleted.
UPDATE integrations SET managed_by = NULL
WHERE managed_by IS NOT NULL
  AND id NOT IN (
    SELECT MIN(id) FROM integrations WHERE managed_by IS NOT NULL
    GROUP BY tenant_id, type, name
  );

ALTER TABLE integrations ADD COLUMN config_generation BIGINT;

CREATE UNIQUE INDEX integrations_config_managed_name
    ON integrations (tenant_id, type, name) WHERE managed_by IS NOT NULL;
