-- Refs are indexed under every key they match by (painchain_core::refs):
-- a commit also under its lower-cased sha and 7-character prefix, a
-- version also without its leading "v". New events get these rows on
-- insert; this adds them for events stored before.
INSERT OR IGNORE INTO event_refs (event_seq, ref_type, value, tenant_id)
SELECT event_seq, ref_type, lower(substr(value, 1, 7)), tenant_id
FROM event_refs
WHERE ref_type = 'commit' AND length(value) BETWEEN 7 AND 64
  AND value NOT GLOB '*[^0-9a-fA-F]*';

INSERT OR IGNORE INTO event_refs (event_seq, ref_type, value, tenant_id)
SELECT event_seq, ref_type, lower(value), tenant_id
FROM event_refs
WHERE ref_type = 'commit' AND length(value) BETWEEN 8 AND 64
  AND value NOT GLOB '*[^0-9a-fA-F]*';

INSERT OR IGNORE INTO event_refs (event_seq, ref_type, value, tenant_id)
SELECT event_seq, ref_type, substr(value, 2), tenant_id
FROM event_refs
WHERE ref_type = 'version' AND (value GLOB 'v[0-9]*' OR value GLOB 'V[0-9]*');
