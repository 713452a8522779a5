-- Connector tokens and token expiry (issue #10, items 9 and 4).
--
-- connector_type: the connector type a token is bound to ('*' = any).
-- Only connector tokens see integration secrets in clear (of integrations
-- of their type) and may register their type.
-- expires_at: UTC nanoseconds after which the token is refused; NULL never.
ALTER TABLE tokens ADD COLUMN connector_type TEXT;
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;

-- All-tenants tokens were, until now, documented as connector tokens
-- (`painchain token create --local --all-tenants` for connectors serving
-- every tenant): keep them working as connector tokens of any type.
UPDATE tokens SET connector_type = '*' WHERE tenant_id = '*';
