//! Who is calling: tenant resolution, bearer tokens and scope checks.
//!
//! Handlers ask for access by taking one of the extractors [`Read`],
//! [`Ingest`] or [`Admin`]; each resolves the [`Caller`] and refuses with
//! 401 (no/unknown token) or 403 (scope too low).
//!
//! - Auth off (explicit in config): the tenant is `x-tenant-id` (absent =
//!   `default`), every caller is admin.
//! - Auth on: `Authorization: Bearer pc_...` is required; the token's tenant
//!   wins over any `x-tenant-id` header — except for an all-tenants token
//!   (tenant `*`, created with `painchain token create --local
//!   --all-tenants` for connectors serving every tenant), which acts in the
//!   tenant its request names.
//!
//! Verified tokens are cached for `auth.token_cache_ttl` so the hot path
//! (ingest) doesn't ask the database on every request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{extract::FromRequestParts, http::request::Parts};
use painchain_core::{
    token::{Scope, TokenInfo, TOKEN_PREFIX},
    DEFAULT_TENANT,
};
use rand::{distributions::Alphanumeric, Rng};
use sha2::{Digest, Sha256};

use crate::{error::ApiError, state::AppState};

pub const TENANT_HEADER: &str = "x-tenant-id";

/// The resolved identity of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Arc<str>,
    pub scope: Scope,
    /// The token used, when auth is on.
    pub token_id: Option<Arc<str>>,
    /// May act in (and list across) every tenant: an all-tenants token, or
    /// anyone when auth is off (the header picks any tenant then anyway).
    pub all_tenants: bool,
    /// A connector token's type (`*`: any): the only callers that see
    /// integration secrets in clear (of their type) with auth on.
    pub connector: Option<Arc<str>>,
}

impl Caller {
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Whether this caller is a connector token serving type `ty`.
    pub fn connector_for(&self, ty: &str) -> bool {
        self.connector
            .as_deref()
            .is_some_and(|c| painchain_core::token::connector_serves(c, ty))
    }

    /// The operator: anyone with auth off, an all-tenants token, or an
    /// admin of the `default` tenant. Operator-only: tokens for other
    /// tenants, connector tokens, changing global connector types.
    /// (Scope is checked separately.) All-tenants tokens can only be made
    /// with store access (`--local`), so they are the operator's too.
    pub fn is_operator(&self, auth_enabled: bool) -> bool {
        !auth_enabled
            || self.all_tenants
            || (&*self.tenant == DEFAULT_TENANT && self.connector.is_none())
    }

    /// `None` (every tenant) when asked for and allowed, else this tenant.
    pub fn tenant_scope(&self, all: bool) -> Result<Option<&str>, ApiError> {
        match (all, self.all_tenants) {
            (false, _) => Ok(Some(self.tenant())),
            (true, true) => Ok(None),
            (true, false) => Err(ApiError::Forbidden(
                "allTenants needs a token valid in every tenant (painchain token create --local --all-tenants)"
                    .into(),
            )),
        }
    }
}

/// A new token: `pc_` + 32 random base62 characters (~190 bits).
pub fn generate_token() -> String {
    let mut s = String::with_capacity(TOKEN_PREFIX.len() + 32);
    s.push_str(TOKEN_PREFIX);
    s.extend(
        rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from),
    );
    s
}

/// What the store keeps of a token: SHA-256 hex of the whole string.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Tenant ids are short identifiers; anything else is refused rather than
/// stored (they end up in logs and URLs).
pub fn valid_tenant(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'))
}

fn tenant_from_header(parts: &Parts) -> Result<Arc<str>, ApiError> {
    match parts.headers.get(TENANT_HEADER) {
        None => Ok(Arc::from(DEFAULT_TENANT)),
        Some(v) => {
            let t = v.to_str().ok().map(str::trim).unwrap_or("");
            if t.is_empty() {
                return Ok(Arc::from(DEFAULT_TENANT));
            }
            if !valid_tenant(t) {
                return Err(ApiError::invalid(
                    TENANT_HEADER,
                    "x-tenant-id must be 1-128 characters of letters, digits and -_.:@",
                ));
            }
            Ok(Arc::from(t))
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Resolves the caller of a request (without checking a scope).
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Caller, ApiError> {
    if !state.config.auth.enabled {
        return Ok(Caller {
            tenant: tenant_from_header(parts)?,
            scope: Scope::Admin,
            token_id: None,
            all_tenants: true,
            connector: None,
        });
    }
    let Some(token) = bearer(parts) else {
        return Err(ApiError::Unauthorized(
            "missing API token: send `Authorization: Bearer pc_...`",
        ));
    };
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(ApiError::Unauthorized("invalid API token"));
    }
    let hash = hash_token(token);
    let info = match state.tokens.get(&hash) {
        Some(hit) => hit,
        None => {
            let found = state.store.find_token(&hash).await?;
            let entry = found.map(|t| CachedToken {
                tenant: Arc::from(t.tenant_id.as_str()),
                scope: t.scope,
                id: Arc::from(t.id.as_str()),
                connector: t.connector.as_deref().map(Arc::from),
                expires_at: t.expires_at,
            });
            state.tokens.put(hash, entry.clone());
            entry
        }
    };
    let Some(t) = info else {
        return Err(ApiError::Unauthorized("invalid API token"));
    };
    // Checked on every request (not only when cached), so a token stops
    // working at its expiry, not up to a cache TTL later.
    if t.expires_at.is_some_and(|e| e <= chrono::Utc::now()) {
        return Err(ApiError::Unauthorized("this API token has expired"));
    }
    let all_tenants = &*t.tenant == painchain_core::token::ALL_TENANTS;
    Ok(Caller {
        tenant: if all_tenants {
            tenant_from_header(parts)?
        } else {
            t.tenant
        },
        scope: t.scope,
        token_id: Some(t.id),
        all_tenants,
        connector: t.connector,
    })
}

async fn require(state: &AppState, parts: &Parts, needed: Scope) -> Result<Caller, ApiError> {
    let caller = authenticate(state, parts).await?;
    if !caller.scope.allows(needed) {
        return Err(ApiError::Forbidden(format!(
            "this token has scope `{}`; this call needs `{}`",
            caller.scope.as_str(),
            needed.as_str()
        )));
    }
    Ok(caller)
}

macro_rules! access_extractor {
    ($(#[$doc:meta])* $name:ident, $scope:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                require(state, parts, $scope).await.map($name)
            }
        }
    };
}

access_extractor!(
    /// A caller allowed to read (any valid token).
    Read,
    Scope::Read
);
access_extractor!(
    /// A caller allowed to post events.
    Ingest,
    Scope::Ingest
);
access_extractor!(
    /// A caller allowed to manage tokens, teams and integrations.
    Admin,
    Scope::Admin
);

#[derive(Debug, Clone)]
struct CachedToken {
    tenant: Arc<str>,
    scope: Scope,
    id: Arc<str>,
    connector: Option<Arc<str>>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A credential that lives only in this process's memory (the in-process
/// connectors of `painchain serve`): never in the store, never on disk,
/// gone when the process ends. Only its hash is kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalToken {
    pub hash: String,
    /// The connector type it is bound to.
    pub connector: String,
}

impl InternalToken {
    /// A new in-memory all-tenants connector token for `connector`; returns
    /// it with the secret to hand to the connector.
    pub fn mint(connector: &str) -> (InternalToken, String) {
        let secret = generate_token();
        (
            InternalToken {
                hash: hash_token(&secret),
                connector: connector.to_string(),
            },
            secret,
        )
    }
}

/// Token hash → verified token (or `None`: known bad, cached briefly so a
/// client retrying a wrong token doesn't hit the database each time).
pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Option<CachedToken>, Instant)>>,
    /// In-memory tokens ([`InternalToken`]), never expiring from the cache.
    internal: HashMap<String, CachedToken>,
}

/// Unknown tokens are remembered for a short time only, so a token created
/// on another replica becomes usable quickly.
const NEGATIVE_TTL: Duration = Duration::from_secs(2);
/// Bound on memory: past this many entries the cache starts over.
const MAX_ENTRIES: usize = 10_000;

impl TokenCache {
    pub fn new(ttl: Duration) -> Self {
        Self::with_internal(ttl, &[])
    }

    pub fn with_internal(ttl: Duration, internal: &[InternalToken]) -> Self {
        let internal = internal
            .iter()
            .map(|t| {
                let entry = CachedToken {
                    tenant: Arc::from(painchain_core::token::ALL_TENANTS),
                    scope: Scope::Ingest,
                    id: Arc::from(format!("internal-{}", t.connector)),
                    connector: Some(Arc::from(t.connector.as_str())),
                    expires_at: None,
                };
                (t.hash.clone(), entry)
            })
            .collect();
        TokenCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
            internal,
        }
    }

    fn get(&self, hash: &str) -> Option<Option<CachedToken>> {
        if let Some(t) = self.internal.get(hash) {
            return Some(Some(t.clone()));
        }
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (entry, at) = map.get(hash)?;
        let ttl = if entry.is_some() {
            self.ttl
        } else {
            NEGATIVE_TTL
        };
        (at.elapsed() < ttl).then(|| entry.clone())
    }

    fn put(&self, hash: String, entry: Option<CachedToken>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(hash, (entry, Instant::now()));
    }

    /// Forgets a revoked token at once on this replica.
    pub fn forget_id(&self, id: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (e, _)| e.as_ref().is_none_or(|t| &*t.id != id));
    }

    /// Forgets cached negatives (a token was just created on this replica).
    pub fn forget_unknown(&self) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (e, _)| e.is_some());
    }
}

/// What a new token is: its scope, and optionally a connector type it is
/// bound to (connector tokens are always `ingest`) and an expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    pub scope: Scope,
    pub connector: Option<String>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl TokenSpec {
    pub fn scope(scope: Scope) -> Self {
        TokenSpec {
            scope,
            connector: None,
            expires_at: None,
        }
    }
}

/// Builds the row for a new token; returns it with the secret to show once.
pub fn new_token(tenant: &str, name: &str, scope: Scope) -> (painchain_store::NewToken, String) {
    new_token_with(tenant, name, &TokenSpec::scope(scope))
}

/// [`new_token`] for any [`TokenSpec`] (connector tokens, expiry).
pub fn new_token_with(
    tenant: &str,
    name: &str,
    spec: &TokenSpec,
) -> (painchain_store::NewToken, String) {
    let secret = generate_token();
    let row = painchain_store::NewToken {
        id: painchain_core::new_id(),
        tenant_id: tenant.to_string(),
        name: name.to_string(),
        scope: if spec.connector.is_some() {
            Scope::Ingest
        } else {
            spec.scope
        },
        prefix: painchain_core::token::visible_prefix(&secret),
        secret_hash: hash_token(&secret),
        created_at: chrono::Utc::now(),
        connector: spec.connector.clone(),
        expires_at: spec.expires_at,
    };
    (row, secret)
}

/// Creates a token directly in a store (`painchain token create --local`,
/// the bootstrap path when no admin token exists yet).
pub async fn create_token_in_store(
    store: &dyn painchain_store::Store,
    tenant: &str,
    name: &str,
    scope: Scope,
) -> Result<(TokenInfo, String), painchain_store::StoreError> {
    create_token_in_store_with(store, tenant, name, &TokenSpec::scope(scope)).await
}

/// [`create_token_in_store`] for any [`TokenSpec`].
pub async fn create_token_in_store_with(
    store: &dyn painchain_store::Store,
    tenant: &str,
    name: &str,
    spec: &TokenSpec,
) -> Result<(TokenInfo, String), painchain_store::StoreError> {
    let (row, secret) = new_token_with(tenant, name, spec);
    let info = store.create_token(&row).await?;
    Ok((info, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format() {
        let t = generate_token();
        assert!(t.starts_with("pc_"));
        assert_eq!(t.len(), 35);
        assert!(t[3..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(t, generate_token());
        assert_eq!(hash_token(&t).len(), 64);
    }

    #[test]
    fn tenants() {
        assert!(valid_tenant("acme-prod_1"));
        assert!(!valid_tenant(""));
        assert!(!valid_tenant("a b"));
        assert!(!valid_tenant(&"x".repeat(129)));
    }
}
