//! The embedded web UI, served for every path outside `/api`.
//!
//! Files from `ui/dist` are served with their content type; content-hashed
//! files under `assets/` are cached forever. Any other path that does not
//! look like a file gets `index.html`, so client-side routes (`/settings`)
//! survive a reload. A missing file (`/assets/gone.js`) is a plain 404 —
//! serving HTML for a script only produces confusing errors.

use axum::{
    http::{header, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// index.html must be revalidated so a new release is picked up at once.
const NO_CACHE: &str = "no-cache";

/// When the UI was not built into this binary.
const PLACEHOLDER: &str =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>PainChain</title></head>\
<body><h1>PainChain</h1><p>The web UI is not built into this binary. The API is at \
<a href=\"/api/docs\">/api/docs</a>.</p></body></html>";

pub async fn serve(method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = uri.path().trim_start_matches('/');
    if !path.is_empty() {
        if let Some(a) = painchain_ui::asset(path) {
            return asset_response(a.bytes, a.content_type, a.immutable);
        }
        let last = path.rsplit('/').next().unwrap_or("");
        if path.starts_with("assets/") || last.contains('.') {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        }
    }
    match painchain_ui::index() {
        Some(a) => asset_response(a.bytes, a.content_type, false),
        None => asset_response(PLACEHOLDER.as_bytes(), "text/html; charset=utf-8", false),
    }
}

fn asset_response(bytes: &'static [u8], content_type: &'static str, immutable: bool) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable { IMMUTABLE } else { NO_CACHE }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
