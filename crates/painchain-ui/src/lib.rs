//! The built web UI (`ui/dist`, produced by `npm run build` in `ui/`),
//! compiled into the binary so `painchain serve` needs no Node at run time.

use include_dir::{include_dir, Dir};

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../ui/dist");

pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Vite puts content-hashed files under `assets/`: cache them forever.
    pub immutable: bool,
}

/// The file at `path` (no leading slash), if the build has it.
pub fn asset(path: &str) -> Option<Asset> {
    let path = path.trim_start_matches('/');
    let file = DIST.get_file(path)?;
    Some(Asset {
        bytes: file.contents(),
        content_type: content_type(path),
        immutable: path.starts_with("assets/"),
    })
}

/// `index.html`, served for every client-side route (`/`, `/settings`, ...).
pub fn index() -> Option<Asset> {
    asset("index.html")
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
