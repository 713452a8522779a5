//! The one error type of the HTTP layer, mapped to a status code and the
//! `{"error": {"code", "message", "field"?}}` body at the edge.
//!
//! Rule: anything a client can cause is a 4xx naming what was wrong; a 500
//! means a bug or a broken database, is logged, and never echoes internals.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use painchain_core::ValidationError;
use painchain_store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An event (or part of one) failed validation: 400, or 413 for sizes.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// Any other bad input: a query parameter, a header, a body field.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("{0}")]
    NotFound(String),
    /// A 404 caused by a body field (an event's unknown `integrationId`).
    #[error("{message}")]
    NotFoundField {
        code: &'static str,
        message: String,
        field: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// A bad query parameter, header or body field, named in `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid_parameter",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(v) if v.is_too_large() => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) | ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) | ApiError::NotFoundField { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            ApiError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            ApiError::Store(StoreError::Closed) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body as it is sent: `{code, message, field?}`.
    pub fn body(&self) -> ErrorBody {
        let (code, message, field) = match self {
            ApiError::Validation(v) => (v.code, v.message.clone(), Some(v.field.clone())),
            ApiError::BadRequest {
                code,
                message,
                field,
            } => (*code, message.clone(), field.clone()),
            ApiError::NotFound(m) => ("not_found", m.clone(), None),
            ApiError::NotFoundField {
                code,
                message,
                field,
            } => (*code, message.clone(), Some(field.clone())),
            ApiError::Conflict(m) => ("conflict", m.clone(), None),
            ApiError::Unauthorized(m) => ("unauthorized", m.to_string(), None),
            ApiError::Forbidden(m) => ("forbidden", m.clone(), None),
            ApiError::PayloadTooLarge(m) => ("too_large", m.clone(), Some("body".into())),
            ApiError::UnsupportedMediaType(m) => ("unsupported_media_type", m.clone(), None),
            ApiError::MethodNotAllowed => ("method_not_allowed", self.to_string(), None),
            ApiError::Unavailable(m) => ("unavailable", m.clone(), None),
            ApiError::Store(StoreError::NotFound) => ("not_found", "not found".into(), None),
            ApiError::Store(StoreError::Conflict(m)) => ("conflict", m.clone(), None),
            ApiError::Store(StoreError::Closed) => {
                ("unavailable", "the server is shutting down".into(), None)
            }
            // Internals (SQL, paths) stay in the log, not in the response.
            ApiError::Store(_) => ("internal", "internal server error".into(), None),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field,
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "request refused");
        }
        let mut res = (status, Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
