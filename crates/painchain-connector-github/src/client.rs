//! A small GitHub REST client: bearer token, conditional requests (ETag /
//! `If-None-Match`: a 304 costs no rate limit), Link-header pagination, and
//! rate-limit handling that slows down before the budget runs out and
//! defers instead of hammering when it has.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::{HeaderMap, ACCEPT, ETAG, IF_NONE_MATCH, LINK, RETRY_AFTER, USER_AGENT};
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Everything that can go wrong talking to GitHub. Messages are shown to
/// people as the integration's status, so they say what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub rejected the token (401)")]
    Unauthorized,
    #[error("{path} not found (404): check the name and that the token can see it")]
    NotFound { path: String },
    #[error("GitHub refused {path} (403): {message}")]
    Forbidden { path: String, message: String },
    #[error("GitHub rate limit reached; deferred until {}", painchain_core::time::format(*.until))]
    RateLimited { until: DateTime<Utc> },
    #[error("GitHub answered {status} for {path}: {message}")]
    Http {
        status: u16,
        path: String,
        message: String,
    },
    #[error("could not reach GitHub: {0}")]
    Transport(String),
    #[error("unexpected answer from GitHub for {path}: {message}")]
    Decode { path: String, message: String },
    #[error("invalid GitHub configuration: {0}")]
    Config(String),
}

impl GithubError {
    /// Errors that concern the whole integration (not one repository):
    /// polling the other repositories would fail the same way (and, for an
    /// unreachable host, slowly).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            GithubError::Unauthorized
                | GithubError::RateLimited { .. }
                | GithubError::Config(_)
                | GithubError::Transport(_)
        )
    }
}

/// The last rate-limit figures GitHub reported, for the integration status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitState {
    pub limit: Option<u64>,
    pub remaining: u64,
    pub used: Option<u64>,
    pub reset: DateTime<Utc>,
    pub resource: Option<String>,
    /// Set while we are backing off from a secondary limit (403/429 with
    /// `Retry-After`) or an exhausted budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct ClientOptions {
    /// `https://api.github.com`, or `https://ghe.example.com/api/v3`.
    pub api_url: String,
    pub token: String,
    pub user_agent: String,
    pub timeout: Duration,
    /// The longest the client waits in line for a rate limit. A longer wait
    /// fails the call with [`GithubError::RateLimited`] so the poll is
    /// deferred to a later round rather than blocking a task for an hour.
    pub max_wait: Duration,
    /// Below this many remaining requests, calls are spread over the time
    /// left until the reset instead of spending the rest at once.
    pub slow_down_below: u64,
    /// How often a secondary-limit answer is retried after its
    /// `Retry-After` before giving up for this poll.
    pub max_retries: u32,
    /// Where the client may connect (https and public addresses only on a
    /// server shared by several tenants).
    pub outbound: painchain_sdk::OutboundPolicy,
}

impl ClientOptions {
    pub fn new(api_url: impl Into<String>, token: impl Into<String>) -> Self {
        ClientOptions {
            api_url: api_url.into(),
            token: token.into(),
            user_agent: concat!("painchain-github/", env!("CARGO_PKG_VERSION")).into(),
            timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(60),
            slow_down_below: 50,
            max_retries: 2,
            outbound: painchain_sdk::OutboundPolicy::open(),
        }
    }

    pub fn with_outbound(mut self, outbound: painchain_sdk::OutboundPolicy) -> Self {
        self.outbound = outbound;
        self
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ClientOptions")
            .field("api_url", &self.api_url)
            .field("token", &"<redacted>")
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("outbound", &self.outbound)
            .finish_non_exhaustive()
    }
}

/// A conditional GET's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetch<T> {
    /// 304: nothing changed since the ETag we sent.
    NotModified,
    Fetched(T),
}

/// One successful response.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPage {
    pub body: Value,
    pub etag: Option<String>,
    /// The `rel="next"` link, if there is another page.
    pub next: Option<Url>,
}

/// The items of several pages of one list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pages {
    pub items: Vec<Value>,
    /// The first page's ETag: the one to send next time.
    pub etag: Option<String>,
    pub pages: usize,
}

#[derive(Clone)]
pub struct GithubClient {
    http: reqwest::Client,
    base: Url,
    opts: ClientOptions,
    rate: Arc<Mutex<Option<RateLimitState>>>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("GithubClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl GithubClient {
    pub fn new(opts: ClientOptions) -> Result<Self, GithubError> {
        let mut api = opts.api_url.trim().to_string();
        if api.is_empty() {
            api = DEFAULT_API_URL.into();
        }
        // A trailing slash makes `Url::join` append instead of replace.
        if !api.ends_with('/') {
            api.push('/');
        }
        let base = Url::parse(&api)
            .map_err(|e| GithubError::Config(format!("apiUrl {:?}: {e}", opts.api_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(GithubError::Config(format!(
                "apiUrl {:?} must be http(s)",
                opts.api_url
            )));
        }
        opts.outbound
            .check_url(&base)
            .map_err(|e| GithubError::Config(format!("apiUrl: {e}")))?;
        // The policy's resolver checks every address at connection time.
        let http = opts
            .outbound
            .client_builder()
            .timeout(opts.timeout)
            .build()
            .map_err(|e| GithubError::Config(e.to_string()))?;
        Ok(GithubClient {
            http,
            base,
            opts,
            rate: Arc::new(Mutex::new(None)),
        })
    }

    /// Whether error bodies from the API host may be shown: only GitHub's
    /// own API (`api.github.com`), or any host on an open (single-tenant)
    /// policy, where the operator owns every `apiUrl`.
    fn trusted_host(&self) -> bool {
        !self.opts.outbound.is_restricted() || self.base.host_str() == Some("api.github.com")
    }

    /// The API base URL (always ending in `/`).
    pub fn api_url(&self) -> &Url {
        &self.base
    }

    /// `path` (e.g. `repos/o/r/pulls?state=all`) under the API base.
    pub fn url(&self, path: &str) -> Result<Url, GithubError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| GithubError::Config(format!("bad path {path}: {e}")))
    }

    /// The rate-limit state as last reported by GitHub.
    pub fn rate_limit(&self) -> Option<RateLimitState> {
        self.rate.lock().ok().and_then(|g| g.clone())
    }

    /// GET one URL, conditionally when `etag` is given.
    pub async fn get(&self, url: &Url, etag: Option<&str>) -> Result<Fetch<JsonPage>, GithubError> {
        let path = url.path().to_string();
        let mut retries = 0;
        loop {
            self.pace().await?;
            let mut req = self
                .http
                .get(url.clone())
                .bearer_auth(&self.opts.token)
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header(USER_AGENT, &self.opts.user_agent);
            if let Some(e) = etag {
                req = req.header(IF_NONE_MATCH, e);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| GithubError::Transport(transport_message(e)))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            self.record(&headers);

            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetch::NotModified);
            }
            if status.is_success() {
                let body: Value = resp.json().await.map_err(|e| GithubError::Decode {
                    path: path.clone(),
                    message: e.without_url().to_string(),
                })?;
                return Ok(Fetch::Fetched(JsonPage {
                    body,
                    etag: header(&headers, ETAG.as_str()).map(String::from),
                    next: next_link(&headers),
                }));
            }
            let message = if self.trusted_host() {
                error_message(resp).await
            } else {
                // An answer from a host we don't know (an `apiUrl` pointing
                // at an internal service) is never echoed into statuses.
                String::from("(answer not shown: not from api.github.com)")
            };
            match status {
                StatusCode::UNAUTHORIZED => return Err(GithubError::Unauthorized),
                StatusCode::NOT_FOUND => return Err(GithubError::NotFound { path }),
                StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS => {
                    let Some(until) = limited_until(status, &headers, &message) else {
                        return Err(GithubError::Forbidden { path, message });
                    };
                    self.block_until(until);
                    let wait = until - Utc::now();
                    if retries < self.opts.max_retries
                        && wait.to_std().unwrap_or_default() <= self.opts.max_wait
                    {
                        retries += 1;
                        tracing::info!(%path, wait_secs = wait.num_seconds(), "GitHub rate limit: backing off");
                        continue; // pace() sleeps until `until`
                    }
                    return Err(GithubError::RateLimited { until });
                }
                s => {
                    return Err(GithubError::Http {
                        status: s.as_u16(),
                        path,
                        message,
                    })
                }
            }
        }
    }

    /// GET a list over several pages (following `Link: rel="next"`), the
    /// first one conditionally. `list_key` names the array inside an object
    /// body (`workflow_runs`); `more` sees each page and says whether the
    /// next is worth fetching (lists are newest first, so we stop at the
    /// first item older than what we already have).
    pub async fn get_pages(
        &self,
        url: &Url,
        etag: Option<&str>,
        list_key: Option<&str>,
        max_pages: usize,
        mut more: impl FnMut(&[Value]) -> bool,
    ) -> Result<Fetch<Pages>, GithubError> {
        let mut out = Pages::default();
        let mut next = Some(url.clone());
        while let Some(u) = next.take() {
            let first = out.pages == 0;
            let page = match self.get(&u, if first { etag } else { None }).await? {
                Fetch::NotModified if first => return Ok(Fetch::NotModified),
                // A later page cannot be 304: we never send an ETag for it.
                Fetch::NotModified => break,
                Fetch::Fetched(p) => p,
            };
            if first {
                out.etag = page.etag.clone();
            }
            out.pages += 1;
            let items = match list_key {
                Some(k) => page.body.get(k).cloned().unwrap_or(Value::Null),
                None => page.body,
            };
            let Value::Array(items) = items else {
                return Err(GithubError::Decode {
                    path: u.path().to_string(),
                    message: "expected a JSON array".into(),
                });
            };
            let go_on = !items.is_empty() && more(&items);
            out.items.extend(items);
            if go_on && out.pages < max_pages {
                next = page.next;
            }
        }
        Ok(Fetch::Fetched(out))
    }

    /// Waits as the rate limit asks, or fails when that would be too long.
    async fn pace(&self) -> Result<(), GithubError> {
        let Some(st) = self.rate_limit() else {
            return Ok(());
        };
        let now = Utc::now();
        let until = match st.blocked_until {
            Some(b) if b > now => Some(b),
            _ if st.remaining == 0 && st.reset > now => Some(st.reset),
            _ => None,
        };
        if let Some(until) = until {
            let wait = (until - now).to_std().unwrap_or_default();
            if wait > self.opts.max_wait {
                return Err(GithubError::RateLimited { until });
            }
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                "GitHub rate limit: waiting"
            );
            tokio::time::sleep(wait).await;
            return Ok(());
        }
        if st.remaining < self.opts.slow_down_below && st.reset > now {
            // Spread what is left evenly over the time left.
            let left = (st.reset - now).to_std().unwrap_or_default();
            let gap = (left / (st.remaining as u32 + 1)).min(self.opts.max_wait);
            tracing::debug!(
                remaining = st.remaining,
                gap_ms = gap.as_millis() as u64,
                "GitHub rate limit low: slowing down"
            );
            tokio::time::sleep(gap).await;
        }
        Ok(())
    }

    fn record(&self, h: &HeaderMap) {
        let num = |k: &str| header(h, k).and_then(|v| v.parse::<u64>().ok());
        let (Some(remaining), Some(reset)) =
            (num("x-ratelimit-remaining"), num("x-ratelimit-reset"))
        else {
            return;
        };
        let Some(reset) = Utc.timestamp_opt(reset as i64, 0).single() else {
            return;
        };
        if let Ok(mut g) = self.rate.lock() {
            let blocked_until = g
                .as_ref()
                .and_then(|s| s.blocked_until)
                .filter(|b| *b > Utc::now());
            *g = Some(RateLimitState {
                limit: num("x-ratelimit-limit"),
                remaining,
                used: num("x-ratelimit-used"),
                reset,
                resource: header(h, "x-ratelimit-resource").map(String::from),
                blocked_until,
            });
        }
    }

    fn block_until(&self, until: DateTime<Utc>) {
        if let Ok(mut g) = self.rate.lock() {
            match g.as_mut() {
                Some(s) => s.blocked_until = Some(until),
                None => {
                    *g = Some(RateLimitState {
                        limit: None,
                        remaining: 0,
                        used: None,
                        reset: until,
                        resource: None,
                        blocked_until: Some(until),
                    })
                }
            }
        }
    }
}

fn header<'a>(h: &'a HeaderMap, k: &str) -> Option<&'a str> {
    h.get(k).and_then(|v| v.to_str().ok())
}

/// When a 403/429 is a rate limit, until when. GitHub signals the primary
/// limit with `x-ratelimit-remaining: 0` (wait for `x-ratelimit-reset`) and
/// secondary limits with `Retry-After`, or with neither on a 429 or a
/// "secondary rate limit" message (its docs: wait at least a minute).
fn limited_until(status: StatusCode, h: &HeaderMap, message: &str) -> Option<DateTime<Utc>> {
    let now = Utc::now();
    if let Some(secs) = header(h, RETRY_AFTER.as_str()).and_then(parse_retry_after) {
        return Some(now + chrono::Duration::seconds(secs));
    }
    if header(h, "x-ratelimit-remaining") == Some("0") {
        let reset = header(h, "x-ratelimit-reset")
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|s| Utc.timestamp_opt(s, 0).single());
        return Some(
            reset
                .filter(|r| *r > now)
                .unwrap_or(now + chrono::Duration::seconds(60)),
        );
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        || message.to_ascii_lowercase().contains("rate limit")
    {
        return Some(now + chrono::Duration::seconds(60));
    }
    None
}

/// `Retry-After` in seconds, or as an HTTP date.
fn parse_retry_after(v: &str) -> Option<i64> {
    if let Ok(s) = v.trim().parse::<i64>() {
        return Some(s.max(0));
    }
    let t = DateTime::parse_from_rfc2822(v.trim()).ok()?;
    Some((t.with_timezone(&Utc) - Utc::now()).num_seconds().max(0))
}

/// GitHub's error bodies are `{"message": "...", "documentation_url": ...}`.
/// A transport error's message, with the cause chain (where the outbound
/// policy's refusal is), without the URL.
fn transport_message(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        if let Some(o) = s.downcast_ref::<painchain_sdk::outbound::OutboundError>() {
            return o.to_string();
        }
        src = s.source();
    }
    e.to_string()
}

async fn error_message(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(h: &HeaderMap) -> Option<Url> {
    let link = header(h, LINK.as_str())?;
    parse_link_next(link)
}

pub(crate) fn parse_link_next(link: &str) -> Option<Url> {
    link.split(',').find_map(|part| {
        let mut segs = part.split(';');
        let url = segs.next()?.trim().strip_prefix('<')?.strip_suffix('>')?;
        segs.any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        })
        .then(|| Url::parse(url).ok())
        .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_link_headers() {
        let l = r#"<https://api.github.com/repositories/1/pulls?page=2>; rel="next", <https://api.github.com/repositories/1/pulls?page=5>; rel="last""#;
        assert_eq!(
            parse_link_next(l).unwrap().as_str(),
            "https://api.github.com/repositories/1/pulls?page=2"
        );
        let l = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert!(parse_link_next(l).is_none());
    }

    #[test]
    fn joins_paths_under_enterprise_base() {
        let c =
            GithubClient::new(ClientOptions::new("https://ghe.example.com/api/v3", "t")).unwrap();
        assert_eq!(
            c.url("repos/a/b/pulls?state=all").unwrap().as_str(),
            "https://ghe.example.com/api/v3/repos/a/b/pulls?state=all"
        );
        assert!(GithubClient::new(ClientOptions::new("ftp://x", "t")).is_err());
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("30"), Some(30));
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn debug_hides_the_token() {
        let c = GithubClient::new(ClientOptions::new(DEFAULT_API_URL, "ghp_secret")).unwrap();
        assert!(!format!("{c:?}").contains("ghp_secret"));
    }
}
