//! API tokens: a scope ladder and the token format. Only a SHA-256 hash of
//! the secret part is ever stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Ordered: `admin` can do what `ingest` can, which can do what `read` can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Ingest,
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "ingest" => Some(Scope::Ingest),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Ingest => "ingest",
            Scope::Admin => "admin",
        }
    }

    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

/// A token as listed by the API: never the secret, only a short prefix to
/// recognise it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub scope: Scope,
    /// The first characters of the token, e.g. `pc_3f9a…`.
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute per token.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// A connector token: the connector type it is bound to (`*`: any
    /// type). Only connector tokens see integration secrets in clear, and
    /// only those of integrations of their type.
    #[serde(default)]
    pub connector: Option<String>,
    /// After this instant the token is refused (`401`); `null`: never.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// The connector binding of a token valid for every connector type (what
/// all-tenants tokens made before connector tokens existed became).
pub const ANY_CONNECTOR: &str = "*";

/// Whether a token bound to `binding` serves integrations of `ty`.
pub fn connector_serves(binding: &str, ty: &str) -> bool {
    binding == ANY_CONNECTOR || binding == ty
}

/// The tenant of a token valid in every tenant (connector processes that
/// serve them all): such a token acts in the tenant its request names with
/// `x-tenant-id`. Not a valid tenant id, so it can't collide with one.
pub const ALL_TENANTS: &str = "*";

/// Tokens look like `pc_<32 random base62 chars>`.
pub const TOKEN_PREFIX: &str = "pc_";

pub fn visible_prefix(token: &str) -> String {
    token.chars().take(TOKEN_PREFIX.len() + 6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_a_ladder() {
        assert!(Scope::Admin.allows(Scope::Ingest));
        assert!(Scope::Ingest.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Ingest));
        assert!(!Scope::Ingest.allows(Scope::Admin));
    }
}
