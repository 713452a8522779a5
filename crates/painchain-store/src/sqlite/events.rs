//! Event reads on SQLite, on the read-only pool.

crate::event_reads::event_reads!(sqlx::Sqlite, Dialect::Sqlite);
