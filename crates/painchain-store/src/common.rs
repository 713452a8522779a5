//! Small helpers both backends share.

use chrono::{Duration, Utc};
use painchain_core::token::TokenInfo;

/// `find_token` records a use at most this often per token: it runs on every
/// request, and a write per request would cost more than the request.
pub(crate) const TOUCH_INTERVAL: Duration = Duration::seconds(60);

pub(crate) fn needs_touch(info: &TokenInfo) -> bool {
    let now = Utc::now();
    // An expired token is refused by the server: not a use.
    !info.expired_at(now) && info.last_used_at.is_none_or(|t| now - t >= TOUCH_INTERVAL)
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
