//! Test helpers shared with other crates' tests (cargo feature `testing`).
//!
//! - [`PgTestDb`]: a fresh PostgreSQL database per test, dropped afterwards
//!   (also when the test panics). The admin URL comes from
//!   `PAINCHAIN_TEST_DATABASE_URL`; when it is unset, [`PgTestDb::create`]
//!   prints that the test is skipped and returns `None`; when it is set but the
//!   server does not answer, it panics (the test fails).
//! - [`TempSqlite`]: a database path in a temporary directory.

use std::path::PathBuf;

use sqlx::{postgres::PgConnectOptions, ConnectOptions, Connection};

/// Environment variable naming the admin URL of a PostgreSQL server that
/// tests may create databases on (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).
pub const PG_URL_ENV: &str = "PAINCHAIN_TEST_DATABASE_URL";

/// A throw-away database `painchain_t_<random>`; dropped (`WITH (FORCE)`)
/// when this guard goes out of scope.
pub struct PgTestDb {
    /// Connection URL of the new database.
    pub url: String,
    /// Its name.
    pub name: String,
    admin: PgConnectOptions,
}

impl PgTestDb {
    /// `None` (after printing a notice) when `PAINCHAIN_TEST_DATABASE_URL` is
    /// unset. Panics when it is set but the database cannot be created.
    pub async fn create() -> Option<PgTestDb> {
        let Ok(admin_url) = std::env::var(PG_URL_ENV) else {
            eprintln!("{PG_URL_ENV} is not set: skipping this PostgreSQL test");
            return None;
        };
        Some(
            Self::create_at(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot create a test database via {PG_URL_ENV}: {e}")),
        )
    }

    /// Creates a fresh database on the server of `admin_url`.
    pub async fn create_at(admin_url: &str) -> Result<PgTestDb, sqlx::Error> {
        let admin: PgConnectOptions = admin_url.parse()?;
        let name = format!("painchain_t_{}", painchain_core::new_id().replace('-', ""));
        let mut conn = admin.connect().await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let url = replace_db_name(admin_url, &name);
        Ok(PgTestDb { url, name, admin })
    }
}

/// Swaps the database name in a `postgres://` URL (keeps query parameters).
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        // Drop may run inside a runtime (where blocking on it is not allowed)
        // or during a panic: do the async work on a thread of our own.
        let admin = self.admin.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let mut conn = admin.connect().await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                Ok::<_, sqlx::Error>(())
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {dropped:?}", self.name);
        }
    }
}

/// A SQLite database path inside a temporary directory removed on drop.
pub struct TempSqlite {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TempSqlite {
    pub fn new() -> std::io::Result<TempSqlite> {
        let dir = tempfile::tempdir()?;
        Ok(TempSqlite {
            path: dir.path().join("data").join("painchain.db"),
            _dir: dir,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        use super::replace_db_name as r;
        assert_eq!(r("postgres://u@h:5432/test", "x"), "postgres://u@h:5432/x");
        assert_eq!(r("postgres://u@h:5432", "x"), "postgres://u@h:5432/x");
        assert_eq!(
            r("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
