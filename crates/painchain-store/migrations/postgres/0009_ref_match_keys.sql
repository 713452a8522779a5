-- Refs are indexed under every key they match by (painchain_core::refs):
-- a commit also under its lower-cased sha and 7-character prefix, a
-- version also without its leading "v". New events get these rows on
-- insert; this adds them for events stored before.
INSERT INTO event_refs (event_seq, ref_type, value, tenant_id)
SELECT event_seq, ref_type, lower(substr(value, 1, 7)), tenant_id
FROM event_refs
WHERE ref_type = 'commit' AND value ~ '^[0-9a-fA-F]{7,64}$'
ON CONFLICT DO NOTHING;

INSERT INTO event_refs (event_seq, ref_type, value, tenant_id)
SELECT event_seq, ref_type, lower(value), tenant_id
FROM event_refs
WHERE ref_type = 'commit' AND value ~ '^[0-9a-fA-F]{8,64}$'
ON CONFLICT DO NOTHING;

INSERT INTO event_refs (event_seq, ref_type, value, tenant_id)
SELECT event_seq, ref_type, substr(value, 2), tenant_id
FROM event_refs
WHERE ref_type = 'version' AND value ~ '^[vV][0-9]'
ON CONFLICT DO NOTHING;
