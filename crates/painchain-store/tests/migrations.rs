//! Migration `0004_token_kinds` on both engines: all-tenants tokens made
//! before connector tokens existed (what `painchain connector
//! --all-tenants` used) become connector tokens of any type (`*`), so those
//! connectors keep seeing the secrets they need; tenant tokens stay plain.

use sqlx::{Connection, Row};

const SQLITE: [&str; 3] = [
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_connector_requests.sql"),
    include_str!("../migrations/sqlite/0004_token_kinds.sql"),
];
const POSTGRES: [&str; 3] = [
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_connector_requests.sql"),
    include_str!("../migrations/postgres/0004_token_kinds.sql"),
];

const OLD_TOKENS: &str =
    "INSERT INTO tokens (id, tenant_id, name, scope, prefix, secret_hash, created_at) VALUES \
    ('a', '*', 'conn', 'ingest', 'pc_a', 'h1', 1), ('b', 'acme', 'ci', 'ingest', 'pc_b', 'h2', 1)";
const READ_BACK: &str = "SELECT id, connector_type, expires_at FROM tokens ORDER BY id";

#[tokio::test]
async fn sqlite_all_tenants_tokens_become_connector_tokens() {
    let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    for sql in &SQLITE[..2] {
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
    sqlx::raw_sql(OLD_TOKENS).execute(&mut c).await.unwrap();
    sqlx::raw_sql(SQLITE[2]).execute(&mut c).await.unwrap();
    let rows = sqlx::query(READ_BACK).fetch_all(&mut c).await.unwrap();
    let got: Vec<(String, Option<String>, Option<i64>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".into(), Some("*".into()), None),
            ("b".into(), None, None)
        ]
    );
}

#[tokio::test]
async fn postgres_all_tenants_tokens_become_connector_tokens() {
    let Some(db) = painchain_store::testing::PgTestDb::create().await else {
        return;
    };
    let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
    for sql in &POSTGRES[..2] {
        sqlx::raw_sql(sql).execute(&mut c).await.unwrap();
    }
    sqlx::raw_sql(OLD_TOKENS).execute(&mut c).await.unwrap();
    sqlx::raw_sql(POSTGRES[2]).execute(&mut c).await.unwrap();
    let rows = sqlx::query(READ_BACK).fetch_all(&mut c).await.unwrap();
    let got: Vec<(String, Option<String>, Option<i64>)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".into(), Some("*".into()), None),
            ("b".into(), None, None)
        ]
    );
    c.close().await.unwrap();
}
