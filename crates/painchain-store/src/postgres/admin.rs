//! Teams, tokens, connector types, integrations and connector requests on
//! PostgreSQL: the queries of `crate::admin`, on the pool (or in a
//! transaction when they take several statements).

crate::admin::admin_queries!(sqlx::Postgres);
