//! Opening the configured store: PostgreSQL when `database_url` is set,
//! otherwise SQLite in `data_dir` (created and migrated on first start).

use std::sync::Arc;

use painchain_store::{Store, StoreError};

use crate::config::Config;

pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(url) = &config.database_url {
        let store = painchain_store::PgStore::connect(url.expose()).await?;
        return Ok(Arc::new(store));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        StoreError::Corrupt(format!(
            "cannot create data directory {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let store = painchain_store::SqliteStore::open(&config.sqlite_path()).await?;
    Ok(Arc::new(store))
}
