//! Event reads on PostgreSQL.

crate::event_reads::event_reads!(sqlx::Postgres, Dialect::Postgres);
