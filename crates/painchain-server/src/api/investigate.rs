//! Change chains, deploy contents and incident investigation
//! (`painchain-investigate` over the caller's tenant).

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use painchain_core::time;
use painchain_investigate::{
    chain::MAX_DEPTH, deploy_contents, investigate, Chain, ChainOptions, DeployContents,
    Investigation, Query,
};
use serde::Deserialize;

use crate::{
    auth::Read,
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiQuery,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/events/{id}/chain", get(event_chain))
        .route("/api/events/{id}/contents", get(event_contents))
        .route("/api/investigate", get(investigate_route))
}

/// The longest window an investigation may look back.
pub const MAX_WINDOW_DAYS: i64 = 30;
const DEFAULT_WINDOW_HOURS: i64 = 2;

#[derive(Debug, Default, Deserialize)]
pub struct ChainParams {
    #[serde(default)]
    depth: Option<String>,
}

/// The chain of an event: what led to it (upstream) and what followed
/// (downstream), linked by shared refs; weaker links marked `inferred`.
#[utoipa::path(
    get, path = "/api/events/{id}/chain", tag = "investigate",
    params(("id" = String, Path), ("depth" = Option<u32>, Query, description = "hops from the event, 1–6 (default 3)", minimum = 1, maximum = 6)),
    responses((status = 200, body = Chain), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn event_chain(
    State(state): State<AppState>,
    Read(caller): Read,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ChainParams>,
) -> ApiResult<Json<Chain>> {
    let depth = match p.depth.as_deref().map(str::trim) {
        None | Some("") => 3,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DEPTH).contains(d))
            .ok_or_else(|| {
                ApiError::invalid(
                    "depth",
                    format!("`depth` must be 1 to {MAX_DEPTH}, got {v:?}"),
                )
            })?,
    };
    let root = event(&state, caller.tenant(), &id).await?;
    let opts = ChainOptions {
        depth,
        ..Default::default()
    };
    Ok(Json(chain(&state, caller.tenant(), root, opts).await?))
}

async fn chain(
    state: &AppState,
    tenant: &str,
    root: painchain_core::Event,
    opts: ChainOptions,
) -> ApiResult<Chain> {
    painchain_investigate::chain(state.store.as_ref(), tenant, root, opts)
        .await
        .map_err(investigate_error)
}

/// What a deployment shipped since the previous deployment of the same
/// service and environment: commits and merged PRs/MRs.
#[utoipa::path(
    get, path = "/api/events/{id}/contents", tag = "investigate",
    params(("id" = String, Path)),
    responses((status = 200, body = DeployContents), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn event_contents(
    State(state): State<AppState>,
    Read(caller): Read,
    Path(id): Path<String>,
) -> ApiResult<Json<DeployContents>> {
    let ev = event(&state, caller.tenant(), &id).await?;
    deploy_contents(state.store.as_ref(), caller.tenant(), &ev)
        .await
        .map_err(investigate_error)?
        .map(Json)
        .ok_or_else(|| ApiError::BadRequest {
            code: "not_a_deployment",
            message: format!("event {id:?} is not a deployment (kind {:?})", ev.kind),
            field: Some("id".into()),
        })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvestigateParams {
    at: Option<String>,
    event: Option<String>,
    window: Option<String>,
    service: Option<String>,
    environment: Option<String>,
    #[serde(default)]
    project: Vec<String>,
    #[serde(default)]
    tag: Vec<String>,
    #[serde(default)]
    team: Vec<String>,
}

/// The changes most likely to have caused an incident, best first, each
/// with its reasons and chain. Give `event` (an incident or failure event)
/// or `at` (plus an optional scope).
#[utoipa::path(
    get, path = "/api/investigate", tag = "investigate",
    params(
        ("at" = Option<String>, Query, description = "when it broke, RFC 3339 (`2026-01-10T14:03:00Z`; seconds optional); default now"),
        ("event" = Option<String>, Query, description = "an incident/failure event id: its time, service and environment"),
        ("window" = Option<String>, Query, description = "how far back to look: `30m`, `2h` (default), up to `30d`"),
        ("service" = Option<String>, Query), ("environment" = Option<String>, Query),
        ("project" = Option<Vec<String>>, Query), ("tag" = Option<Vec<String>>, Query), ("team" = Option<Vec<String>>, Query),
    ),
    responses((status = 200, body = Investigation), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn investigate_route(
    State(state): State<AppState>,
    Read(caller): Read,
    ApiQuery(p): ApiQuery<InvestigateParams>,
) -> ApiResult<Json<Investigation>> {
    let tenant = caller.tenant();
    let window = match p.window.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Duration::hours(DEFAULT_WINDOW_HOURS),
        Some(v) => parse_window(v)?,
    };
    let mut q = match p.event.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Query::for_event(event(&state, tenant, id).await?, window),
        None => Query {
            at: match p.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(v) => parse_at(v)?,
                None => Utc::now(),
            },
            window,
            service: None,
            environment: None,
            projects: Vec::new(),
            tags: Vec::new(),
            event: None,
        },
    };
    if let Some(s) = p.service.filter(|s| !s.trim().is_empty()) {
        q.service = Some(s);
    }
    if let Some(e) = p.environment.filter(|s| !s.trim().is_empty()) {
        q.environment = Some(e);
    }
    q.projects = p
        .project
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect();
    q.tags = p.tag.into_iter().filter(|s| !s.trim().is_empty()).collect();
    for name in p.team.iter().filter(|s| !s.trim().is_empty()) {
        let team = match state.store.get_team_by_name(tenant, name).await? {
            Some(t) => Some(t),
            None => state.store.get_team(tenant, name).await?,
        };
        let team =
            team.ok_or_else(|| ApiError::invalid("team", format!("unknown team {name:?}")))?;
        q.tags.extend(team.tags);
    }
    let inv = investigate(state.store.as_ref(), tenant, q)
        .await
        .map_err(investigate_error)?;
    Ok(Json(inv))
}

async fn event(state: &AppState, tenant: &str, id: &str) -> ApiResult<painchain_core::Event> {
    state
        .store
        .get_event(tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {id:?}")))
}

fn investigate_error(e: painchain_investigate::Error) -> ApiError {
    match e {
        painchain_investigate::Error::Store(s) => s.into(),
    }
}

/// `15m`, `2h`, `7d`; at most [`MAX_WINDOW_DAYS`].
pub fn parse_window(v: &str) -> ApiResult<Duration> {
    let d = time::parse_duration(v)
        .filter(|d| *d > Duration::zero())
        .ok_or_else(|| {
            ApiError::invalid(
                "window",
                format!("`window` must look like 30m, 2h or 1d, got {v:?}"),
            )
        })?;
    if d > Duration::days(MAX_WINDOW_DAYS) {
        return Err(ApiError::invalid(
            "window",
            format!("`window` may be at most {MAX_WINDOW_DAYS}d, got {v:?}"),
        ));
    }
    Ok(d)
}

/// RFC 3339, or the same without seconds (`2026-01-10T14:03Z`), as people
/// type it.
pub fn parse_at(v: &str) -> ApiResult<DateTime<Utc>> {
    time::parse(v)
        .or_else(|| {
            let naive = v.strip_suffix('Z')?;
            NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M")
                .ok()
                .map(|n| n.and_utc())
        })
        .ok_or_else(|| {
            ApiError::invalid(
                "at",
                format!(
                    "`at` must be an RFC 3339 date-time such as 2026-01-10T14:03:00Z, got {v:?}"
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_times() {
        assert_eq!(parse_window("2h").unwrap(), Duration::hours(2));
        assert_eq!(parse_window("30d").unwrap(), Duration::days(30));
        assert!(parse_window("31d").is_err());
        assert!(parse_window("0m").is_err());
        assert!(parse_window("soon").is_err());
        assert_eq!(
            parse_at("2026-01-10T14:03Z").unwrap(),
            time::parse("2026-01-10T14:03:00Z").unwrap()
        );
        assert!(parse_at("yesterday").is_err());
    }
}
