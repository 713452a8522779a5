//! The built web UI (`ui/dist`, produced by `npm run build` in `ui/`),
//! compiled into the binary so `painchain serve` needs no Node at run time.
//!
//! Development only: when `PAINCHAIN_UI_DIR` is set, files are read from that
//! directory at run time instead, so UI work (and the browser tests) can use a
//! fresh `npm run build` without recompiling the binary.

use std::{
    collections::HashMap,
    path::{Component, Path, PathBuf},
    sync::Mutex,
    time::SystemTime,
};

use include_dir::{include_dir, Dir};

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../ui/dist");

/// Names the directory to serve instead of the embedded build (dev only).
pub const UI_DIR_ENV: &str = "PAINCHAIN_UI_DIR";

pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Vite puts content-hashed files under `assets/`: cache them forever.
    pub immutable: bool,
}

/// The file at `path` (no leading slash), if the build has it.
pub fn asset(path: &str) -> Option<Asset> {
    let path = path.trim_start_matches('/');
    let bytes = match std::env::var_os(UI_DIR_ENV) {
        Some(dir) if !dir.is_empty() => from_dir(Path::new(&dir), path)?,
        _ => DIST.get_file(path)?.contents(),
    };
    Some(Asset {
        bytes,
        content_type: content_type(path),
        immutable: path.starts_with("assets/"),
    })
}

/// `index.html`, served for every client-side route (`/`, `/settings`, ...).
pub fn index() -> Option<Asset> {
    asset("index.html")
}

/// Files read from `PAINCHAIN_UI_DIR`, keyed by path, size and mtime. The
/// callers want `&'static` bytes (like the embedded ones), so each distinct
/// version of a file is leaked once — fine for a dev-only switch where a
/// rebuild produces a handful of new files.
type Cache = HashMap<(PathBuf, u64, Option<SystemTime>), &'static [u8]>;
static READ: Mutex<Option<Cache>> = Mutex::new(None);

fn from_dir(dir: &Path, path: &str) -> Option<&'static [u8]> {
    // Only plain relative names: no `..`, no absolute paths, no drive prefixes.
    let rel = Path::new(path);
    if path.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = dir.join(rel);
    let meta = std::fs::metadata(&full).ok().filter(|m| m.is_file())?;
    let key = (full.clone(), meta.len(), meta.modified().ok());
    let mut guard = READ.lock().unwrap_or_else(|e| e.into_inner());
    let cache = guard.get_or_insert_with(HashMap::new);
    if let Some(bytes) = cache.get(&key) {
        return Some(bytes);
    }
    let bytes: &'static [u8] = Box::leak(std::fs::read(&full).ok()?.into_boxed_slice());
    cache.insert(key, bytes);
    Some(bytes)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test touches the process-wide env var, so the cases run in sequence.
    #[test]
    fn ui_dir_overrides_the_embedded_build() {
        let dir = std::env::temp_dir().join(format!("painchain-ui-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>dev").unwrap();
        std::fs::write(dir.join("assets/app-1234.js"), "console.log(1)").unwrap();
        std::fs::write(dir.parent().unwrap().join("outside.txt"), "secret").unwrap();

        std::env::set_var(UI_DIR_ENV, &dir);
        let page = index().expect("index from the dir");
        assert_eq!(page.bytes, b"<!doctype html>dev");
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert!(!page.immutable);

        let js = asset("/assets/app-1234.js").expect("asset from the dir");
        assert_eq!(js.bytes, b"console.log(1)");
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        assert!(js.immutable, "hashed assets keep the immutable cache rule");

        // A rewritten file (new size) is picked up without a restart.
        std::fs::write(dir.join("index.html"), "<!doctype html>dev v2").unwrap();
        assert_eq!(index_bytes(), b"<!doctype html>dev v2");

        assert!(asset("missing.js").is_none());
        assert!(asset("../outside.txt").is_none(), "no escaping the dir");
        assert!(asset("assets/../../outside.txt").is_none());
        assert!(asset("assets").is_none(), "directories are not files");

        std::env::remove_var(UI_DIR_ENV);
        std::fs::remove_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.parent().unwrap().join("outside.txt"));
        // Without the variable the embedded build answers again.
        if let Some(embedded) = index() {
            assert_ne!(embedded.bytes, b"<!doctype html>dev v2");
        }
    }

    fn index_bytes() -> &'static [u8] {
        index().unwrap().bytes
    }
}
