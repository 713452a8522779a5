//! Server configuration and how it is assembled:
//! defaults → YAML file → `PAINCHAIN_*` environment → command-line flags.
//!
//! Every problem is a [`ConfigError`] that names the offending key (a YAML
//! path such as `auth.enabled`, an environment variable, or a flag) so the
//! binary can print one line and exit with code 2.
//!
//! YAML keys are snake_case and mirror the environment variables:
//! `data_dir` ↔ `PAINCHAIN_DATA_DIR`, `limits.max_data_bytes` ↔
//! `PAINCHAIN_MAX_DATA_BYTES`, and so on (see [`ENV_VARS`]).

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use serde::{Deserialize, Deserializer};

/// A problem with the configuration, naming where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {key}: {message}")]
pub struct ConfigError {
    /// `limits.max_data_bytes`, `PAINCHAIN_BIND`, `--bind`, `config file`...
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A string that must never appear in logs (database URLs carry passwords).
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(deserialize_with = "de_socket_addr")]
    pub bind: SocketAddr,
    /// Where the embedded SQLite database lives (ignored with `database_url`).
    pub data_dir: PathBuf,
    /// `postgres://...` switches the store to PostgreSQL.
    pub database_url: Option<Secret>,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    /// Events older than this are deleted in the background.
    pub retention: Retention,
    pub log: LogConfig,
    /// Capacity of the in-process live-stream channel; a subscriber that
    /// falls further behind than this skips events instead of slowing ingest.
    pub stream_buffer: usize,
    /// Config-as-code integrations, kept raw here and applied at startup by
    /// `painchain serve` (they need the connector registry of the binary).
    pub integrations: Option<serde_yaml::Value>,
    /// What the in-process `git` connector may read.
    pub git: GitConfig,
    /// Where in-process connectors may connect to (SSRF policy).
    pub outbound: OutboundConfig,
    /// In-memory credentials of the in-process connectors (never in the
    /// file, the environment or the store).
    #[serde(skip)]
    pub internal_tokens: Vec<crate::auth::InternalToken>,
    /// The generation of `integrations` (raise it with each change you roll
    /// out): rows a higher generation declared are neither changed nor
    /// deleted by a replica still running an older config.
    pub config_generation: i64,
}

/// Whether a tenant-facing capability is on: `auto` decides by tier (on for
/// the single-tenant SQLite free tier, off when PostgreSQL or several
/// tenants are in use), `on`/`off` are the operator's explicit choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Toggle {
    #[default]
    Auto,
    On,
    Off,
}

impl Toggle {
    fn parse(s: &str) -> Option<Toggle> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Toggle::Auto),
            "on" | "true" | "yes" | "1" => Some(Toggle::On),
            "off" | "false" | "no" | "0" => Some(Toggle::Off),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitConfig {
    /// Local repositories must be under one of these (after resolving `..`
    /// and symlinks). Default: the working directory.
    pub roots: Vec<PathBuf>,
    /// Local repositories at all: `auto` = only on a single-tenant SQLite
    /// server.
    pub local_paths: Toggle,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    /// `restricted` = https to public addresses only; `auto` = restricted
    /// on PostgreSQL or with several tenants, open otherwise.
    pub policy: OutboundMode,
    /// Host names or address ranges allowed even when restricted.
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboundMode {
    #[default]
    Auto,
    Open,
    Restricted,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([0, 0, 0, 0], 8000)),
            data_dir: PathBuf::from("./painchain-data"),
            database_url: None,
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            retention: Retention::default(),
            log: LogConfig::default(),
            stream_buffer: 4096,
            integrations: None,
            git: GitConfig::default(),
            outbound: OutboundConfig::default(),
            internal_tokens: Vec::new(),
            config_generation: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// On by default. Turning it off must be explicit (`auth.enabled: false`,
    /// `PAINCHAIN_AUTH_ENABLED=false` or `--no-auth`); it is logged at
    /// startup, and loudly when the bind address is not loopback.
    pub enabled: bool,
    /// How long a verified token is trusted without asking the store again.
    /// Bounds how long a revoked token keeps working on *other* replicas
    /// (the replica that revoked it forgets it at once).
    #[serde(deserialize_with = "de_duration")]
    pub token_cache_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            enabled: true,
            token_cache_ttl: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest accepted request body (single event, teams, tokens).
    pub max_body_bytes: usize,
    /// Largest accepted `POST /api/events/batch` body.
    pub max_batch_body_bytes: usize,
    /// Most items in one batch.
    pub max_batch_items: usize,
    /// Largest `data` object of one event (serialized).
    pub max_data_bytes: usize,
    /// Longest `title`.
    pub max_title_bytes: usize,
    /// Open client connections served at once; connections beyond it get a
    /// `503` (or `/health`) and are closed (a few dozen more), the rest are
    /// closed at once. Keep it below the process's file-descriptor limit.
    pub max_connections: usize,
    /// Requests being handled at once; more get `503` with `Retry-After`
    /// (load shedding). `/health` and `/ready` are not counted.
    pub max_concurrent_requests: usize,
    /// A client must send a request's whole head within this time, or the
    /// connection is closed (slowloris).
    #[serde(deserialize_with = "de_duration")]
    pub header_read_timeout: Duration,
    /// Longest pause between two pieces of a request body; the request then
    /// fails with `408` and the connection is closed.
    #[serde(deserialize_with = "de_duration")]
    pub body_read_timeout: Duration,
    /// Bodies larger than this (by `Content-Length`, or of unknown length)
    /// need one of `max_large_bodies` permits, which bounds the memory that
    /// concurrent big batches take.
    pub large_body_bytes: usize,
    /// Large bodies handled at once; others wait up to 10 s, then `503`.
    pub max_large_bodies: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 1024 * 1024,
            max_batch_body_bytes: 16 * 1024 * 1024,
            max_batch_items: 1000,
            max_data_bytes: 256 * 1024,
            max_title_bytes: 1024,
            max_connections: 4096,
            max_concurrent_requests: 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(15),
            large_body_bytes: 1024 * 1024,
            max_large_bodies: 4,
        }
    }
}

impl LimitsConfig {
    pub fn event_limits(&self) -> painchain_core::EventLimits {
        painchain_core::EventLimits {
            max_title_bytes: self.max_title_bytes,
            max_data_bytes: self.max_data_bytes,
            ..Default::default()
        }
    }
}

/// How long events are kept; `off` keeps them forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<Duration>);

impl Default for Retention {
    /// 18 months, as the seed kept events (548 days ≈ 18 × 30.44).
    fn default() -> Self {
        Retention(Some(Duration::from_secs(548 * 86_400)))
    }
}

impl Retention {
    pub fn parse(s: &str) -> Option<Retention> {
        let s = s.trim();
        if matches!(s, "off" | "never" | "forever" | "0") {
            return Some(Retention(None));
        }
        parse_duration(s).map(|d| Retention(Some(d)))
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Retention::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a duration such as 540d, 18mo, 2y or `off`, got {s:?}"
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter, e.g. `info` or `painchain_server=debug,info`.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    /// `--no-auth`.
    pub auth_disabled: bool,
    pub retention: Option<String>,
    pub log_level: Option<String>,
    /// `--git-root` (repeatable): replaces `git.roots`.
    pub git_roots: Vec<PathBuf>,
}

/// The environment variables read by [`Config::load`], with the key each sets.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("PAINCHAIN_BIND", "bind"),
    ("PAINCHAIN_DATA_DIR", "data_dir"),
    (
        "PAINCHAIN_DATABASE_URL",
        "database_url (also PAINCHAIN_DATABASE_URL_FILE)",
    ),
    ("PAINCHAIN_AUTH_ENABLED", "auth.enabled"),
    ("PAINCHAIN_TOKEN_CACHE_TTL", "auth.token_cache_ttl"),
    ("PAINCHAIN_MAX_BODY_BYTES", "limits.max_body_bytes"),
    (
        "PAINCHAIN_MAX_BATCH_BODY_BYTES",
        "limits.max_batch_body_bytes",
    ),
    ("PAINCHAIN_MAX_BATCH_ITEMS", "limits.max_batch_items"),
    ("PAINCHAIN_MAX_DATA_BYTES", "limits.max_data_bytes"),
    ("PAINCHAIN_MAX_TITLE_BYTES", "limits.max_title_bytes"),
    ("PAINCHAIN_MAX_CONNECTIONS", "limits.max_connections"),
    (
        "PAINCHAIN_MAX_CONCURRENT_REQUESTS",
        "limits.max_concurrent_requests",
    ),
    (
        "PAINCHAIN_HEADER_READ_TIMEOUT",
        "limits.header_read_timeout",
    ),
    ("PAINCHAIN_BODY_READ_TIMEOUT", "limits.body_read_timeout"),
    ("PAINCHAIN_LARGE_BODY_BYTES", "limits.large_body_bytes"),
    ("PAINCHAIN_MAX_LARGE_BODIES", "limits.max_large_bodies"),
    ("PAINCHAIN_RETENTION", "retention"),
    ("PAINCHAIN_LOG", "log.level"),
    ("PAINCHAIN_LOG_FORMAT", "log.format"),
    ("PAINCHAIN_STREAM_BUFFER", "stream_buffer"),
    ("PAINCHAIN_GIT_ROOTS", "git.roots (separated by `:` or `,`)"),
    ("PAINCHAIN_GIT_LOCAL_PATHS", "git.local_paths"),
    ("PAINCHAIN_OUTBOUND_POLICY", "outbound.policy"),
    (
        "PAINCHAIN_OUTBOUND_ALLOW",
        "outbound.allow (comma separated)",
    ),
    ("PAINCHAIN_CONFIG_GENERATION", "config_generation"),
];

impl Config {
    /// Builds the configuration from all layers. `env` is usually
    /// `|k| std::env::var(k).ok()`; tests pass their own.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.apply_flags(flags)?;
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new("--config", format!("cannot read {}: {e}", path.display()))
        })?;
        Config::from_yaml(&text)
    }

    /// Parses YAML; an empty document means "all defaults".
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let mut message = inner.to_string();
            // serde_path_to_error's path already ends with an unknown key's
            // name (`auth.enabeld`), so it always names the culprit.
            let key = if path == "." || path.is_empty() {
                unknown_field(&message).unwrap_or_else(|| "config file".into())
            } else {
                path
            };
            if message.is_empty() {
                message = "invalid value".into();
            }
            ConfigError::new(key, message)
        })
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        // Empty values count as unset so `PAINCHAIN_X=` in a compose file is harmless.
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("PAINCHAIN_BIND") {
            self.bind = parse_socket_addr(&v).map_err(|m| ConfigError::new("PAINCHAIN_BIND", m))?;
        }
        if let Some(v) = get("PAINCHAIN_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = secret_from_env(&get, "PAINCHAIN_DATABASE_URL")? {
            self.database_url = Some(Secret(v));
        }
        if let Some(v) = get("PAINCHAIN_AUTH_ENABLED") {
            self.auth.enabled = parse_bool(&v)
                .ok_or_else(|| bad_env("PAINCHAIN_AUTH_ENABLED", "true or false", &v))?;
        }
        if let Some(v) = get("PAINCHAIN_TOKEN_CACHE_TTL") {
            self.auth.token_cache_ttl = parse_duration(&v).ok_or_else(|| {
                bad_env("PAINCHAIN_TOKEN_CACHE_TTL", "a duration such as 30s", &v)
            })?;
        }
        let sizes: [(&str, &mut usize); 9] = [
            ("PAINCHAIN_MAX_BODY_BYTES", &mut self.limits.max_body_bytes),
            (
                "PAINCHAIN_MAX_BATCH_BODY_BYTES",
                &mut self.limits.max_batch_body_bytes,
            ),
            (
                "PAINCHAIN_MAX_BATCH_ITEMS",
                &mut self.limits.max_batch_items,
            ),
            ("PAINCHAIN_MAX_DATA_BYTES", &mut self.limits.max_data_bytes),
            (
                "PAINCHAIN_MAX_TITLE_BYTES",
                &mut self.limits.max_title_bytes,
            ),
            (
                "PAINCHAIN_MAX_CONNECTIONS",
                &mut self.limits.max_connections,
            ),
            (
                "PAINCHAIN_MAX_CONCURRENT_REQUESTS",
                &mut self.limits.max_concurrent_requests,
            ),
            (
                "PAINCHAIN_LARGE_BODY_BYTES",
                &mut self.limits.large_body_bytes,
            ),
            (
                "PAINCHAIN_MAX_LARGE_BODIES",
                &mut self.limits.max_large_bodies,
            ),
        ];
        for (key, slot) in sizes {
            if let Some(v) = get(key) {
                *slot = v
                    .trim()
                    .parse()
                    .map_err(|_| bad_env(key, "a whole number", &v))?;
            }
        }
        for (key, slot) in [
            (
                "PAINCHAIN_HEADER_READ_TIMEOUT",
                &mut self.limits.header_read_timeout,
            ),
            (
                "PAINCHAIN_BODY_READ_TIMEOUT",
                &mut self.limits.body_read_timeout,
            ),
        ] {
            if let Some(v) = get(key) {
                *slot =
                    parse_duration(&v).ok_or_else(|| bad_env(key, "a duration such as 10s", &v))?;
            }
        }
        if let Some(v) = get("PAINCHAIN_CONFIG_GENERATION") {
            self.config_generation = v
                .trim()
                .parse()
                .map_err(|_| bad_env("PAINCHAIN_CONFIG_GENERATION", "a whole number", &v))?;
        }
        if let Some(v) = get("PAINCHAIN_STREAM_BUFFER") {
            self.stream_buffer = v
                .trim()
                .parse()
                .map_err(|_| bad_env("PAINCHAIN_STREAM_BUFFER", "a whole number", &v))?;
        }
        if let Some(v) = get("PAINCHAIN_RETENTION") {
            self.retention = Retention::parse(&v).ok_or_else(|| {
                bad_env(
                    "PAINCHAIN_RETENTION",
                    "a duration such as 540d or `off`",
                    &v,
                )
            })?;
        }
        if let Some(v) = get("PAINCHAIN_LOG") {
            self.log.level = v;
        }
        if let Some(v) = get("PAINCHAIN_GIT_ROOTS") {
            self.git.roots = v
                .split([':', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
        }
        if let Some(v) = get("PAINCHAIN_GIT_LOCAL_PATHS") {
            self.git.local_paths = Toggle::parse(&v)
                .ok_or_else(|| bad_env("PAINCHAIN_GIT_LOCAL_PATHS", "auto, on or off", &v))?;
        }
        if let Some(v) = get("PAINCHAIN_OUTBOUND_POLICY") {
            self.outbound.policy = match v.trim() {
                "auto" => OutboundMode::Auto,
                "open" => OutboundMode::Open,
                "restricted" => OutboundMode::Restricted,
                _ => {
                    return Err(bad_env(
                        "PAINCHAIN_OUTBOUND_POLICY",
                        "auto, open or restricted",
                        &v,
                    ))
                }
            };
        }
        if let Some(v) = get("PAINCHAIN_OUTBOUND_ALLOW") {
            self.outbound.allow = v
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(v) = get("PAINCHAIN_LOG_FORMAT") {
            self.log.format = match v.trim() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(bad_env("PAINCHAIN_LOG_FORMAT", "text or json", &v)),
            };
        }
        Ok(())
    }

    fn apply_flags(&mut self, flags: &Overrides) -> Result<(), ConfigError> {
        if let Some(v) = &flags.bind {
            self.bind = parse_socket_addr(v).map_err(|m| ConfigError::new("--bind", m))?;
        }
        if let Some(v) = &flags.data_dir {
            self.data_dir = v.clone();
        }
        if let Some(v) = &flags.database_url {
            self.database_url = Some(Secret(v.clone()));
        }
        if flags.auth_disabled {
            self.auth.enabled = false;
        }
        if let Some(v) = &flags.retention {
            self.retention = Retention::parse(v).ok_or_else(|| {
                ConfigError::new(
                    "--retention",
                    format!("expected a duration such as 540d or `off`, got {v:?}"),
                )
            })?;
        }
        if let Some(v) = &flags.log_level {
            self.log.level = v.clone();
        }
        if !flags.git_roots.is_empty() {
            self.git.roots = flags.git_roots.clone();
        }
        Ok(())
    }

    /// Whether this server is (treated as) shared by several tenants
    /// before looking at its data: PostgreSQL is the multi-tenant tier.
    pub fn multi_tenant_store(&self) -> bool {
        self.database_url.is_some()
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            let u = url.expose();
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                // Don't echo the URL: it may hold a password.
                return Err(ConfigError::new(
                    "database_url",
                    "must start with postgres:// or postgresql://",
                ));
            }
        }
        let l = &self.limits;
        for (key, v) in [
            ("limits.max_body_bytes", l.max_body_bytes),
            ("limits.max_batch_body_bytes", l.max_batch_body_bytes),
            ("limits.max_batch_items", l.max_batch_items),
            ("limits.max_data_bytes", l.max_data_bytes),
            ("limits.max_title_bytes", l.max_title_bytes),
            ("limits.max_connections", l.max_connections),
            ("limits.max_concurrent_requests", l.max_concurrent_requests),
            ("limits.large_body_bytes", l.large_body_bytes),
            ("limits.max_large_bodies", l.max_large_bodies),
            ("stream_buffer", self.stream_buffer),
        ] {
            if v == 0 {
                return Err(ConfigError::new(key, "must be greater than 0"));
            }
        }
        for (key, d) in [
            ("limits.header_read_timeout", l.header_read_timeout),
            ("limits.body_read_timeout", l.body_read_timeout),
        ] {
            if d.is_zero() {
                return Err(ConfigError::new(key, "must be at least 1s"));
            }
        }
        if let Some(d) = self.retention.0 {
            if d < Duration::from_secs(3600) {
                return Err(ConfigError::new(
                    "retention",
                    "must be at least 1h (or `off`)",
                ));
            }
        }
        Ok(())
    }

    /// Where the SQLite database file lives.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("painchain.db")
    }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn bad_env(key: &str, expected: &str, got: &str) -> ConfigError {
    ConfigError::new(key, format!("expected {expected}, got {got:?}"))
}

/// Reads `KEY`, or the file named by `KEY_FILE` (Docker/Kubernetes secrets).
fn secret_from_env(
    get: &dyn Fn(&str) -> Option<String>,
    key: &str,
) -> Result<Option<String>, ConfigError> {
    let file_key = format!("{key}_FILE");
    match (get(key), get(&file_key)) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            key,
            format!("set either {key} or {file_key}, not both"),
        )),
        (Some(v), None) => Ok(Some(v)),
        (None, Some(path)) => {
            let v = std::fs::read_to_string(&path).map_err(|e| {
                ConfigError::new(file_key.clone(), format!("cannot read {path}: {e}"))
            })?;
            Ok(Some(v.trim_end_matches(['\n', '\r']).to_string()))
        }
        (None, None) => Ok(None),
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn parse_socket_addr(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    // `localhost:8000` is what people type; resolve it without DNS.
    let s = match s.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => s.to_string(),
    };
    s.parse()
        .map_err(|_| format!("expected host:port such as 0.0.0.0:8000, got {s:?}"))
}

fn de_socket_addr<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(d)?;
    parse_socket_addr(&s).map_err(serde::de::Error::custom)
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).ok_or_else(|| {
        serde::de::Error::custom(format!("expected a duration such as 30s or 5m, got {s:?}"))
    })
}

/// `30s`, `15m`, `2h`, `540d`, `2w`, plus `18mo` and `2y` for retention.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        "w" => n.checked_mul(7 * 86_400)?,
        // Calendar units, approximated: retention needs no day precision.
        "mo" => n.checked_mul(2_629_746)?,
        "y" => n.checked_mul(31_556_952)?,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let c = Config::load(None, &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.bind.to_string(), "0.0.0.0:8000");
        assert!(c.auth.enabled, "auth is on unless turned off explicitly");
        assert_eq!(c.limits.max_data_bytes, 256 * 1024);
        assert_eq!(
            c.retention,
            Retention(Some(Duration::from_secs(548 * 86_400)))
        );
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.yaml");
        std::fs::write(
            &file,
            "bind: 127.0.0.1:9000\ndata_dir: /from/file\nretention: 30d\nauth:\n  enabled: false\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            &env(&[
                ("PAINCHAIN_DATA_DIR", "/from/env"),
                ("PAINCHAIN_BIND", "127.0.0.1:9001"),
            ]),
            &Overrides {
                bind: Some("127.0.0.1:9002".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:9002");
        assert_eq!(c.data_dir, PathBuf::from("/from/env"));
        assert_eq!(
            c.retention,
            Retention(Some(Duration::from_secs(30 * 86_400)))
        );
        assert!(!c.auth.enabled);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Config::from_yaml("bnd: 1.2.3.4:5\n").unwrap_err();
        assert_eq!(e.key, "bnd", "{e}");
        let e = Config::from_yaml("auth:\n  enabeld: true\n").unwrap_err();
        assert_eq!(e.key, "auth.enabeld", "{e}");
        let e = Config::from_yaml("limits:\n  max_data_bytes: lots\n").unwrap_err();
        assert_eq!(e.key, "limits.max_data_bytes", "{e}");
        let e = Config::from_yaml("retention: soon\n").unwrap_err();
        assert_eq!(e.key, "retention", "{e}");
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }

    #[test]
    fn integrations_key_is_reserved() {
        let c = Config::from_yaml("integrations:\n  - type: github\n").unwrap();
        assert!(c.integrations.is_some());
    }

    #[test]
    fn bad_env_values_are_named() {
        let e = Config::load(
            None,
            &env(&[("PAINCHAIN_AUTH_ENABLED", "maybe")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(e.key, "PAINCHAIN_AUTH_ENABLED");
        let e = Config::load(
            None,
            &env(&[("PAINCHAIN_MAX_DATA_BYTES", "1k")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(e.key, "PAINCHAIN_MAX_DATA_BYTES");
        let e = Config::load(
            None,
            &env(&[("PAINCHAIN_DATABASE_URL", "mysql://x")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(e.key, "database_url");
        assert!(!e.to_string().contains("mysql://x"), "URL not echoed");
    }

    #[test]
    fn secret_file_variant() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("url");
        std::fs::write(&f, "postgres://u:p@h/db\n").unwrap();
        let c = Config::load(
            None,
            &env(&[("PAINCHAIN_DATABASE_URL_FILE", f.to_str().unwrap())]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            c.database_url.as_ref().unwrap().expose(),
            "postgres://u:p@h/db"
        );
        assert!(
            !format!("{c:?}").contains("u:p@"),
            "secrets are redacted in Debug"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("540d"),
            Some(Duration::from_secs(540 * 86_400))
        );
        assert_eq!(
            parse_duration("18mo").map(|d| d.as_secs() / 86_400),
            Some(547)
        );
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(Retention::parse("off"), Some(Retention(None)));
    }
}
