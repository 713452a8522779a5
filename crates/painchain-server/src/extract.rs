//! Body and query extractors whose rejections are [`ApiError`]s, so malformed
//! JSON, a wrong content type, an oversized body or a bad query string get
//! the same JSON error shape as everything else (axum's own extractors
//! answer in plain text).

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{header::CONTENT_TYPE, request::Parts, HeaderMap, StatusCode},
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// Accepts `application/json` and `application/<anything>+json`.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    let Some((ty, sub)) = mime.split_once('/') else {
        return false;
    };
    ty.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json") || sub.to_ascii_lowercase().ends_with("+json"))
}

/// Reads the raw body after checking it is JSON, within the body limit
/// (`DefaultBodyLimit`) of the route.
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(
            "expected `Content-Type: application/json`".into(),
        ));
    }
    Bytes::from_request(req, state).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("the request body is larger than the limit".into())
        } else if timed_out(&rej) {
            ApiError::bad_request(
                "body_timeout",
                "the request body stopped arriving (limits.body_read_timeout)",
            )
        } else {
            ApiError::bad_request("invalid_body", rej.body_text())
        }
    })
}

/// The body read timeout of [`crate::load`] fired.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(e) = cur {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = e.source();
    }
    false
}

/// The raw JSON body (content type and size checked), for handlers that
/// parse it piece by piece (batches: one item at a time, so a big batch is
/// never held as one `Value` tree).
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        json_bytes(req, state).await.map(JsonBytes)
    }
}

pub(crate) fn malformed(e: serde_json::Error) -> ApiError {
    ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body is not valid JSON: {e}"),
        field: Some("body".into()),
    }
}

/// Parses a body and refuses NUL (`\u0000`) in any key or string of it,
/// naming where (`name`, `config.url`, `[3].title`): PostgreSQL stores NUL
/// neither in text nor in JSON, so this is where every JSON body the API
/// takes is made storable on both backends.
fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(malformed)?;
    if let Some(field) = painchain_core::nul_path(&value) {
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            message: format!("`{field}` must not contain NUL (\\u0000) characters"),
            field: Some(field),
        });
    }
    Ok(value)
}

/// A JSON body parsed into a `Value`, for handlers that validate it field by
/// field themselves (events).
pub struct JsonValue(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonValue {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(JsonValue)
    }
}

/// A JSON body deserialized into `T`; a type mismatch names the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req, state).await?;
        // Syntax first, so "not JSON" and "wrong shape" are told apart.
        let value = parse_json(&bytes)?;
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner().to_string();
                let field = if path == "." {
                    missing_field(&inner).unwrap_or_else(|| "body".into())
                } else {
                    path
                };
                ApiError::BadRequest {
                    code: "invalid_field",
                    message: format!("`{field}`: {inner}"),
                    field: Some(field),
                }
            })
    }
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// A query string deserialized with `serde_html_form`, which collects
/// repeated keys (`tag=a&tag=b`) into `Vec`s.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_html_form::from_str(q).map(ApiQuery).map_err(|e| {
            let message = e.to_string();
            let field = message
                .strip_prefix("duplicate field `")
                .and_then(|r| r.split('`').next())
                .map(str::to_string);
            ApiError::BadRequest {
                code: "invalid_parameter",
                message: format!("invalid query string: {message}"),
                field,
            }
        })
    }
}
