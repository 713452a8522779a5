//! Command-line arguments (clap). Every flag that talks to a server also
//! reads its `PAINCHAIN_*` environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "painchain",
    version,
    about = "PainChain: what changed before production broke?",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (API, live stream, web UI).
    Serve(ServeArgs),
    /// List or follow events.
    #[command(subcommand)]
    Events(EventsCommand),
    /// List projects with event counts.
    Projects {
        #[command(flatten)]
        server: ServerArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Rank the changes most likely to have caused an incident.
    Investigate {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        args: InvestigateArgs,
    },
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Exit 0 when a server's `/health` answers 200, else 1 (the container
    /// image's HEALTHCHECK: it has no shell or curl).
    Healthcheck {
        /// URL to check [default: http://127.0.0.1:<port of PAINCHAIN_BIND, or 8000>/health].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Run a connector (e.g. `painchain connector git --help`).
    // Help is the connector's own (its flags are parsed there).
    #[command(disable_help_flag = true)]
    Connector {
        /// Connector type.
        #[arg(value_name = "TYPE")]
        connector_type: String,
        /// Arguments for the connector.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Where the store is, for `serve` and the `--local` token commands.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    /// YAML configuration file.
    #[arg(long, env = "PAINCHAIN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the embedded SQLite database [default: ./painchain-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://...) instead of SQLite.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: 0.0.0.0:8000].
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Turn authentication off (logged; warns loudly unless bound to loopback).
    #[arg(long)]
    pub no_auth: bool,
    /// Delete events older than this (e.g. 540d, 18mo, off) [default: 548d].
    #[arg(long, value_name = "AGE")]
    pub retention: Option<String>,
    /// Log filter, e.g. `info` or `debug`.
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
    /// A directory local git repositories may be read from (repeatable;
    /// replaces `git.roots` / PAINCHAIN_GIT_ROOTS) [default: the working directory].
    #[arg(long = "git-root", value_name = "DIR")]
    pub git_roots: Vec<std::path::PathBuf>,
    /// `text` for people, `json` (one object per line) for log pipelines
    /// [env: PAINCHAIN_LOG_FORMAT; default: text].
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<LogFormatArg>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct InvestigateArgs {
    /// When it broke (RFC 3339, seconds optional: 2026-01-10T14:03Z) [default: now].
    #[arg(long)]
    pub at: Option<String>,
    /// An incident or failure event id instead of --at (its time, service, environment).
    #[arg(long)]
    pub event: Option<String>,
    /// How far back to look (30m, 2h, 1d; at most 30d) [default: 2h].
    #[arg(long)]
    pub window: Option<String>,
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub environment: Option<String>,
    #[arg(long)]
    pub project: Vec<String>,
    #[arg(long)]
    pub tag: Vec<String>,
    /// Team name: expands to the team's tags.
    #[arg(long)]
    pub team: Vec<String>,
    /// Print the server's JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum LogFormatArg {
    Text,
    Json,
}

/// How to reach a running server.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Server base URL.
    #[arg(
        long,
        env = "PAINCHAIN_SERVER",
        default_value = "http://localhost:8000",
        value_name = "URL"
    )]
    pub server: String,
    /// API token (`pc_...`).
    #[arg(
        long,
        env = "PAINCHAIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    #[arg(long)]
    pub project: Vec<String>,
    #[arg(long)]
    pub connector: Vec<String>,
    #[arg(long)]
    pub kind: Vec<String>,
    #[arg(long)]
    pub status: Vec<String>,
    #[arg(long)]
    pub environment: Vec<String>,
    #[arg(long)]
    pub tag: Vec<String>,
    /// Team name: expands to the team's tags.
    #[arg(long)]
    pub team: Vec<String>,
    /// Reference `type:value`, e.g. `commit:abc123`.
    #[arg(long = "ref", value_name = "TYPE:VALUE")]
    pub refs: Vec<String>,
    /// Only events newer than this, e.g. 15m, 2h, 7d.
    #[arg(long)]
    pub since: Option<String>,
    /// Text search in title and data.
    #[arg(long)]
    pub q: Option<String>,
}

impl FilterArgs {
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        let lists: [(&'static str, &Vec<String>); 8] = [
            ("project", &self.project),
            ("connector", &self.connector),
            ("kind", &self.kind),
            ("status", &self.status),
            ("environment", &self.environment),
            ("tag", &self.tag),
            ("team", &self.team),
            ("ref", &self.refs),
        ];
        for (k, vs) in lists {
            q.extend(vs.iter().map(|v| (k, v.clone())));
        }
        if let Some(s) = &self.since {
            q.push(("since", s.clone()));
        }
        if let Some(s) = &self.q {
            q.push(("q", s.clone()));
        }
        q
    }
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Events newest first.
    List {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        filter: FilterArgs,
        /// How many events.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Follow new events as they arrive (Ctrl-C to stop).
    Tail {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        filter: FilterArgs,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; the secret is printed once, on stdout.
    Create {
        #[command(flatten)]
        server: ServerArgs,
        /// A name to recognise it by, e.g. `ci`.
        #[arg(long)]
        name: String,
        /// read, ingest or admin (a connector token is always ingest).
        #[arg(long, value_parser = ["read", "ingest", "admin"], required_unless_present = "connector")]
        scope: Option<String>,
        /// A connector token bound to this connector type (e.g. `github`):
        /// the only kind that sees the secrets of the type's integrations,
        /// and may register the type. Operator only.
        #[arg(long, value_name = "TYPE")]
        connector: Option<String>,
        /// Expire the token after this long (e.g. `90d`, `12h`).
        #[arg(long, value_name = "AGE")]
        expires: Option<String>,
        /// Tenant of the token [default: the caller's, or `default` with --local].
        #[arg(long)]
        tenant: Option<String>,
        /// A token valid in every tenant, acting in the one each request
        /// names with `x-tenant-id`: for connectors serving all tenants
        /// (`painchain connector <type> --all-tenants`). Needs --local.
        #[arg(long, conflicts_with = "tenant", requires = "local")]
        all_tenants: bool,
        /// Write directly to the store (no server, no token needed): how the
        /// first admin token is made.
        #[arg(long)]
        local: bool,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON (including the secret) instead of the bare token.
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        server: ServerArgs,
        /// Read the store directly: lists every tenant's tokens.
        #[arg(long)]
        local: bool,
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        server: ServerArgs,
        id: String,
        #[arg(long)]
        local: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}
