//! Teams, tokens, connector types, integrations and connector requests on
//! SQLite: the queries of `crate::admin`. Writes run on the write
//! connection (in `BEGIN IMMEDIATE` when they take several statements),
//! reads on the read-only pool.

crate::admin::admin_queries!(sqlx::Sqlite);
