//! Guards every request passes, whatever the route: so a class of bad
//! input is refused in one place rather than handler by handler.
//!
//! - [`refuse_nul`]: no path parameter or query-string value may contain NUL
//!   (`%00`). PostgreSQL cannot store NUL in text, so without this any string
//!   reaching SQL would be a 500 on one backend and fine on the other. JSON
//!   bodies get the same check in the body extractors
//!   ([`crate::extract`]); headers cannot carry NUL at all (HTTP refuses it).
//! - [`catch_panic`]: a handler that panics answers a JSON 500 instead of
//!   dropping the connection (or, with `panic = "abort"`, the process).

use std::any::Any;

use axum::{
    extract::{rejection::RawPathParamsRejection, RawPathParams, Request},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::{ApiError, ErrorBody, ErrorDetail};

fn nul_error(field: &str, what: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_parameter",
        message: format!("{what} `{field}` must not contain NUL (%00) characters"),
        field: Some(field.to_string()),
    }
}

/// The first query-string key whose key or value holds NUL; a key that
/// itself holds one is reported as `query`.
pub fn query_nul(query: &str) -> Option<String> {
    // Percent-decoding as every extractor does (`form_urlencoded`).
    let pairs: Vec<(String, String)> = serde_html_form::from_str(query).ok()?;
    pairs.into_iter().find_map(|(k, v)| {
        if k.contains('\0') {
            Some("query".to_string())
        } else {
            v.contains('\0').then_some(k)
        }
    })
}

/// Middleware (after routing, so the route's parameter names are known):
/// refuses NUL in any path parameter (400 naming it, e.g. `id`) or query
/// parameter (400 naming its key).
pub async fn refuse_nul(
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    if let Ok(params) = &params {
        if let Some((name, _)) = params.iter().find(|(_, v)| v.contains('\0')) {
            return nul_error(name, "path parameter").into_response();
        }
    }
    if let Some(field) = req.uri().query().and_then(query_nul) {
        return nul_error(&field, "query parameter").into_response();
    }
    next.run(req).await
}

/// The panic's message goes to the log (it may hold internals); the
/// client gets the generic `internal` error, like any other 500.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "request handler panicked");
    let body = ErrorBody {
        error: ErrorDetail {
            code: "internal",
            message: "internal server error".into(),
            field: None,
        },
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

pub type CatchPanic = CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response>;

/// See [`panic_response`].
pub fn catch_panic() -> CatchPanic {
    CatchPanicLayer::custom(panic_response as fn(_) -> _)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{routing::get, Router};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn finds_nul_in_query_values_and_keys() {
        assert_eq!(query_nul("a=1&b=2"), None);
        assert_eq!(query_nul("a=1&project=x%00y").as_deref(), Some("project"));
        assert_eq!(query_nul("a%00=1").as_deref(), Some("query"));
        assert_eq!(query_nul("cursor=%00").as_deref(), Some("cursor"));
    }

    /// Reads one HTTP/1.1 response with a Content-Length body.
    async fn read_response(s: &mut tokio::net::TcpStream) -> (u16, String) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).await.unwrap();
            assert!(
                n > 0,
                "connection closed: {}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    let status = head[9..12].parse().unwrap();
                    return (status, body[..len].to_string());
                }
            }
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_json_500_on_a_live_connection() {
        let app = Router::new()
            .route(
                "/boom",
                get(|| async {
                    if true {
                        panic!("boom: secret detail");
                    }
                    "unreachable"
                }),
            )
            .route("/ok", get(|| async { "fine" }))
            .layer(catch_panic());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });

        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /boom HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let (status, body) = read_response(&mut s).await;
        assert_eq!(status, 500);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        assert_eq!(v["error"]["field"], serde_json::Value::Null);
        assert!(!body.contains("secret"), "{body}");
        // The same connection still serves the next request.
        s.write_all(b"GET /ok HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_response(&mut s).await, (200, "fine".to_string()));
    }
}
