//! Incremental polling of the configured repositories.
//!
//! Per repository, one conditional GET per endpoint (pulls, repository
//! events, workflow runs, releases, tags, deployments) — most answer 304
//! when nothing changed — paging back only as far as the cursor's
//! watermark. Every REST object goes through [`crate::normalize`] and the
//! same mapping as webhooks, so ids agree. A repository that fails (404,
//! 403, 5xx) is reported and the others continue; a rejected token or an
//! exhausted rate limit stops the poll, keeping what was collected so far.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use painchain_core::NewEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{ClientOptions, Fetch, GithubClient, GithubError, RateLimitState};
use crate::config::{EventCategory, GithubConfig, RepoTarget};
use crate::cursor::{
    is_final_deployment_state, OpenDeployment, OwnerListing, PollCursor, RepoCursor, RunSeen,
    MAX_OPEN_DEPLOYMENTS, RUN_TRACKING_LIMIT,
};
use crate::mapping::{map_event, map_repo_event, MapContext};
use crate::normalize;
use crate::payload::{from_value, web_base_from_api, Deployment, GithubEvent, Repository};

/// A problem with one repository (or `owner/*`), the others unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoError {
    pub repo: String,
    pub message: String,
}

/// The result of one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOutcome {
    /// New events, oldest first, each `externalId` once.
    pub events: Vec<NewEvent>,
    /// The cursor to store once the events are accepted.
    pub cursor: PollCursor,
    pub errors: Vec<RepoError>,
    /// Set when the poll stopped early for the rate limit.
    pub deferred_until: Option<DateTime<Utc>>,
    pub rate_limit: Option<RateLimitState>,
    /// The repositories polled (after `owner/*` expansion).
    pub repositories: Vec<String>,
}

impl PollOutcome {
    /// One line for the integration status, `None` when all went well.
    pub fn problem(&self) -> Option<String> {
        if self.errors.is_empty() {
            return None;
        }
        Some(
            self.errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// The result of a connection test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReport {
    pub ok: bool,
    pub login: Option<String>,
    pub message: String,
    pub repositories: Vec<RepoCheck>,
    pub rate_limit: Option<RateLimitState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoCheck {
    pub repo: String,
    pub ok: bool,
    pub message: String,
}

const MAX_PULL_PAGES: usize = 10;
const MAX_EVENT_PAGES: usize = 3;
const MAX_RUN_PAGES: usize = 5;
const MAX_RELEASE_PAGES: usize = 3;
const MAX_DEPLOYMENT_PAGES: usize = 3;
const MAX_OWNER_PAGES: usize = 10;

/// Polls one integration.
#[derive(Debug, Clone)]
pub struct Poller {
    config: GithubConfig,
    client: GithubClient,
}

/// Checks the token and access to each configured repository.
pub async fn test_connection(config: &GithubConfig) -> Result<ConnectionReport, GithubError> {
    test_connection_with(config, painchain_sdk::OutboundPolicy::open()).await
}

/// [`test_connection`] under an outbound policy.
pub async fn test_connection_with(
    config: &GithubConfig,
    outbound: painchain_sdk::OutboundPolicy,
) -> Result<ConnectionReport, GithubError> {
    Poller::with_outbound(config.clone(), outbound)?
        .test_connection()
        .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Pulls,
    Events,
    Runs,
    Releases,
    Tags,
    Deployments,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Pulls => "pull requests",
            Endpoint::Events => "events",
            Endpoint::Runs => "workflow runs",
            Endpoint::Releases => "releases",
            Endpoint::Tags => "tags",
            Endpoint::Deployments => "deployments",
        }
    }
}

/// Per-repository inputs shared by the endpoint fetchers.
struct RepoCtx<'a> {
    name: &'a str,
    repo: Repository,
    map: MapContext,
    floor: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Poller {
    pub fn new(config: GithubConfig) -> Result<Self, GithubError> {
        Self::with_outbound(config, painchain_sdk::OutboundPolicy::open())
    }

    /// A poller whose requests go through `outbound` (the server's SSRF policy).
    pub fn with_outbound(
        config: GithubConfig,
        outbound: painchain_sdk::OutboundPolicy,
    ) -> Result<Self, GithubError> {
        config
            .validate()
            .map_err(|e| GithubError::Config(e.to_string()))?;
        if config.token.trim().is_empty() {
            return Err(GithubError::Config("token is empty".into()));
        }
        let client = GithubClient::new(
            ClientOptions::new(&config.api_url, config.token.trim()).with_outbound(outbound),
        )?;
        Ok(Poller { config, client })
    }

    /// With a client built elsewhere (custom timeouts or rate-limit policy).
    pub fn with_client(config: GithubConfig, client: GithubClient) -> Self {
        Poller { config, client }
    }

    pub fn config(&self) -> &GithubConfig {
        &self.config
    }

    pub fn client(&self) -> &GithubClient {
        &self.client
    }

    pub async fn poll(&self, cursor: &PollCursor) -> Result<PollOutcome, GithubError> {
        self.poll_at(cursor, Utc::now()).await
    }

    /// One poll as of `now`. `Err` only when nothing can work (rejected
    /// token, bad config); per-repository problems are in `errors`.
    pub async fn poll_at(
        &self,
        cursor: &PollCursor,
        now: DateTime<Utc>,
    ) -> Result<PollOutcome, GithubError> {
        let floor = self.config.since_floor(now);
        let mut next = cursor.clone();
        let mut out = PollOutcome {
            events: Vec::new(),
            cursor: PollCursor::default(),
            errors: Vec::new(),
            deferred_until: None,
            rate_limit: None,
            repositories: Vec::new(),
        };
        match self.resolve_repos(&mut next, &mut out.errors).await {
            Ok(repos) => out.repositories = repos,
            Err(GithubError::RateLimited { until }) => {
                out.deferred_until = Some(until);
                out.errors.push(RepoError {
                    repo: "*".into(),
                    message: GithubError::RateLimited { until }.to_string(),
                });
            }
            Err(e) => return Err(e),
        }

        let repos = out.repositories.clone();
        let mut stopped = false;
        for name in &repos {
            if stopped || out.deferred_until.is_some() {
                break;
            }
            let mut rc = next.repos.get(name).cloned().unwrap_or_default();
            let ctx = RepoCtx {
                name,
                repo: Repository::named(name, &web_base_from_api(self.client.api_url().as_str())),
                map: MapContext::new(now).with_tags(self.config.tags_for(name)),
                floor,
                now,
            };
            let res = self.poll_repo(&ctx, &mut rc, &mut out).await;
            // A repository that yielded nothing yet (e.g. 404) leaves no
            // empty entry behind.
            if rc != RepoCursor::default() || next.repos.contains_key(name) {
                next.repos.insert(name.clone(), rc);
            }
            match res {
                Ok(()) => {}
                Err(GithubError::RateLimited { until }) => {
                    out.deferred_until = Some(until);
                    out.errors.push(RepoError {
                        repo: name.clone(),
                        message: GithubError::RateLimited { until }.to_string(),
                    });
                }
                // GitHub unreachable: keep what we have, stop asking.
                Err(e @ GithubError::Transport(_)) => {
                    out.errors.push(RepoError {
                        repo: name.clone(),
                        message: e.to_string(),
                    });
                    stopped = true;
                }
                Err(e) => return Err(e),
            }
        }

        // Forget repositories no longer configured (the cursor stays small).
        if !stopped && out.deferred_until.is_none() {
            let keep: HashSet<&String> = out.repositories.iter().collect();
            next.repos.retain(|k, _| keep.contains(k));
        }
        let mut seen = HashSet::new();
        out.events
            .retain(|e| seen.insert(e.external_id.clone().unwrap_or_default()));
        out.events
            .sort_by(|a, b| (a.timestamp, &a.external_id).cmp(&(b.timestamp, &b.external_id)));
        out.cursor = next;
        out.rate_limit = self.client.rate_limit();
        Ok(out)
    }

    /// The configured repositories, `owner/*` expanded, without repeats.
    async fn resolve_repos(
        &self,
        cursor: &mut PollCursor,
        errors: &mut Vec<RepoError>,
    ) -> Result<Vec<String>, GithubError> {
        let mut out: Vec<String> = Vec::new();
        let add = |name: String, out: &mut Vec<String>| {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
                out.push(name);
            }
        };
        for t in self.config.targets() {
            match t.full_name() {
                Some(n) => add(n, &mut out),
                None => {
                    let mut listing = cursor.owners.get(&t.owner).cloned().unwrap_or_default();
                    match self.expand_owner(&t, &mut listing).await {
                        Ok(repos) => {
                            cursor.owners.insert(t.owner.clone(), listing);
                            for r in repos {
                                add(r, &mut out);
                            }
                        }
                        Err(e) if e.is_fatal() => return Err(e),
                        Err(GithubError::NotFound { .. }) => errors.push(RepoError {
                            repo: format!("{}/*", t.owner),
                            message: format!(
                                "owner {} not found (404): no organization or user by that name is visible to the token",
                                t.owner
                            ),
                        }),
                        Err(e) => errors.push(RepoError {
                            repo: format!("{}/*", t.owner),
                            message: format!("listing repositories of {}: {e}", t.owner),
                        }),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Lists the repositories of an organization, or else of a user.
    async fn expand_owner(
        &self,
        t: &RepoTarget,
        listing: &mut OwnerListing,
    ) -> Result<Vec<String>, GithubError> {
        let kinds: &[&str] = if listing.kind == "users" {
            &["users"]
        } else {
            &["orgs", "users"]
        };
        for kind in kinds {
            let path = match *kind {
                "orgs" => format!("orgs/{}/repos?per_page=100&type=all", t.owner),
                _ => format!("users/{}/repos?per_page=100&type=owner", t.owner),
            };
            let url = self.client.url(&path)?;
            let etag = (listing.kind == *kind)
                .then_some(listing.etag.as_deref())
                .flatten();
            match self
                .client
                .get_pages(&url, etag, None, MAX_OWNER_PAGES, |_| true)
                .await
            {
                Ok(Fetch::NotModified) => return Ok(listing.repos.clone()),
                Ok(Fetch::Fetched(p)) => {
                    let repos = p
                        .items
                        .iter()
                        .filter_map(|r| from_value::<Repository>(r).ok())
                        // Archived repositories no longer change.
                        .filter(|r| !r.archived)
                        .filter_map(|r| r.full_name())
                        .collect::<Vec<_>>();
                    *listing = OwnerListing {
                        etag: p.etag,
                        kind: kind.to_string(),
                        repos: repos.clone(),
                    };
                    return Ok(repos);
                }
                Err(GithubError::NotFound { .. }) if *kind == "orgs" => continue,
                Err(e) => return Err(e),
            }
        }
        Err(GithubError::NotFound {
            path: format!("users/{}", t.owner),
        })
    }

    async fn poll_repo(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
        out: &mut PollOutcome,
    ) -> Result<(), GithubError> {
        use EventCategory as C;
        let c = &self.config;
        let plan = [
            (Endpoint::Pulls, c.collects(C::PullRequest)),
            (
                Endpoint::Events,
                [C::Push, C::Tag, C::PullRequest, C::Release]
                    .iter()
                    .any(|k| c.collects(*k)),
            ),
            (Endpoint::Runs, c.collects(C::WorkflowRun)),
            (Endpoint::Releases, c.collects(C::Release)),
            (Endpoint::Tags, c.collects(C::Tag)),
            (Endpoint::Deployments, c.collects(C::Deployment)),
        ];
        let mut first = true;
        for (ep, enabled) in plan {
            if !enabled {
                continue;
            }
            let res = match ep {
                Endpoint::Pulls => self.pulls(ctx, rc).await,
                Endpoint::Events => self.repo_events(ctx, rc).await,
                Endpoint::Runs => self.runs(ctx, rc).await,
                Endpoint::Releases => self.releases(ctx, rc).await,
                Endpoint::Tags => self.tags(ctx, rc).await,
                Endpoint::Deployments => self.deployments(ctx, rc).await,
            };
            match res {
                Ok(evs) => out.events.extend(evs.into_iter().filter(|e| c.wants(e))),
                Err(e) if e.is_fatal() => return Err(e),
                // The first call to a missing repository 404s: say so once
                // and skip the rest of it.
                Err(GithubError::NotFound { .. }) if first => {
                    out.errors.push(RepoError {
                        repo: ctx.name.to_string(),
                        message: format!(
                            "repository {} not found (404): check the name and that the token can see it",
                            ctx.name
                        ),
                    });
                    return Ok(());
                }
                Err(e) => out.errors.push(RepoError {
                    repo: ctx.name.to_string(),
                    message: format!("{} {}: {e}", ctx.name, ep.name()),
                }),
            }
            first = false;
        }
        Ok(())
    }

    fn map(&self, ev: &GithubEvent, ctx: &RepoCtx) -> Vec<NewEvent> {
        map_event(ev, &ctx.map).into_events()
    }

    /// `GET /repos/{o}/{r}/pulls`, most recently updated first.
    async fn pulls(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
    ) -> Result<Vec<NewEvent>, GithubError> {
        let mut st = rc.pulls.clone();
        let lower = st.lower_bound(ctx.floor);
        let url = self.client.url(&format!(
            "repos/{}/pulls?state=all&sort=updated&direction=desc&per_page=100",
            ctx.name
        ))?;
        let pages = match self
            .client
            .get_pages(&url, st.etag.as_deref(), None, MAX_PULL_PAGES, |items| {
                oldest(items, "updated_at").is_some_and(|t| t >= lower)
            })
            .await?
        {
            Fetch::NotModified => return Ok(Vec::new()),
            Fetch::Fetched(p) => p,
        };
        let mut events = Vec::new();
        let mut newest = None;
        for item in &pages.items {
            let Some(updated) = time(item, "updated_at") else {
                continue;
            };
            if updated < lower {
                continue;
            }
            newest = newest.max(Some(updated));
            let Ok(ges) = normalize::pull_request_from_rest(&ctx.repo, item) else {
                continue;
            };
            for ge in &ges {
                events.extend(
                    self.map(ge, ctx)
                        .into_iter()
                        .filter(|e| st.admits(e.timestamp, ext_id(e), ctx.floor)),
                );
            }
        }
        st.advance(events.iter().map(|e| (e.timestamp, ext_id(e))));
        // A PR's events all happen at or before its updated_at, so the list
        // watermark can move to the newest updated_at seen.
        if let Some(n) = newest {
            st.at = st.at.max(Some(n));
        }
        st.etag = pages.etag;
        rc.pulls = st;
        Ok(events)
    }

    /// `GET /repos/{o}/{r}/events`: pushes, branch/tag creation and
    /// deletion, PR reopenings and releases, newest first.
    async fn repo_events(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
    ) -> Result<Vec<NewEvent>, GithubError> {
        let mut st = rc.events.clone();
        let url = self
            .client
            .url(&format!("repos/{}/events?per_page=100", ctx.name))?;
        let seen = st.clone();
        let floor = ctx.floor;
        let pages = match self
            .client
            .get_pages(&url, st.etag.as_deref(), None, MAX_EVENT_PAGES, |items| {
                !items.iter().any(|i| seen.contains(item_id(i)))
                    && oldest(items, "created_at").is_some_and(|t| t >= floor)
            })
            .await?
        {
            Fetch::NotModified => return Ok(Vec::new()),
            Fetch::Fetched(p) => p,
        };
        let mut events = Vec::new();
        for item in &pages.items {
            if st.contains(item_id(item)) || time(item, "created_at").is_none_or(|t| t < floor) {
                continue;
            }
            events.extend(map_repo_event(item, &ctx.map).into_events());
        }
        st.remember(pages.items.iter().map(item_id).filter(|i| !i.is_empty()));
        st.etag = pages.etag;
        rc.events = st;
        Ok(events)
    }

    /// `GET /repos/{o}/{r}/actions/runs`: one event per state a run reaches
    /// that we have not reported yet.
    async fn runs(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
    ) -> Result<Vec<NewEvent>, GithubError> {
        let mut st = rc.runs.clone();
        let lower = st.lower_bound(ctx.floor, ctx.now);
        let url = self
            .client
            .url(&format!("repos/{}/actions/runs?per_page=100", ctx.name))?;
        let pages = match self
            .client
            .get_pages(
                &url,
                st.etag.as_deref(),
                Some("workflow_runs"),
                MAX_RUN_PAGES,
                |items| oldest(items, "created_at").is_some_and(|t| t >= lower),
            )
            .await?
        {
            Fetch::NotModified => return Ok(Vec::new()),
            Fetch::Fetched(p) => p,
        };
        let mut events = Vec::new();
        for item in &pages.items {
            let Some(created) = time(item, "created_at") else {
                continue;
            };
            if created < lower || created < ctx.floor {
                continue;
            }
            let Ok(ge) = normalize::workflow_run_from_rest(&ctx.repo, item) else {
                continue;
            };
            let GithubEvent::WorkflowRun(run) = &ge else {
                continue;
            };
            let key = format!("{}:{}", run.workflow_run.id, run.workflow_run.attempt());
            if st.seen.get(&key).is_some_and(|s| s.phase == run.action) {
                continue;
            }
            st.seen.insert(
                key,
                RunSeen {
                    phase: run.action.clone(),
                    created_at: created,
                },
            );
            events.extend(self.map(&ge, ctx));
        }
        st.prune(ctx.floor, ctx.now);
        st.etag = pages.etag;
        rc.runs = st;
        Ok(events)
    }

    /// `GET /repos/{o}/{r}/releases`: published releases.
    async fn releases(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
    ) -> Result<Vec<NewEvent>, GithubError> {
        let mut st = rc.releases.clone();
        let lower = st.lower_bound(ctx.floor);
        let url = self
            .client
            .url(&format!("repos/{}/releases?per_page=100", ctx.name))?;
        let pages = match self
            .client
            .get_pages(&url, st.etag.as_deref(), None, MAX_RELEASE_PAGES, |items| {
                oldest(items, "created_at").is_some_and(|t| t >= lower)
            })
            .await?
        {
            Fetch::NotModified => return Ok(Vec::new()),
            Fetch::Fetched(p) => p,
        };
        let mut events = Vec::new();
        for item in &pages.items {
            if let Ok(Some(ge)) = normalize::release_from_rest(&ctx.repo, item) {
                events.extend(
                    self.map(&ge, ctx)
                        .into_iter()
                        .filter(|e| st.admits(e.timestamp, ext_id(e), ctx.floor)),
                );
            }
        }
        st.advance(events.iter().map(|e| (e.timestamp, ext_id(e))));
        st.etag = pages.etag;
        rc.releases = st;
        Ok(events)
    }

    /// `GET /repos/{o}/{r}/tags`: tags not seen before. The first listing
    /// is the baseline (the API gives no dates); tags created during the
    /// backfill window come from the events API instead.
    async fn tags(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
    ) -> Result<Vec<NewEvent>, GithubError> {
        let mut st = rc.tags.clone();
        let url = self
            .client
            .url(&format!("repos/{}/tags?per_page=100", ctx.name))?;
        let pages = match self
            .client
            .get_pages(&url, st.etag.as_deref(), None, 1, |_| false)
            .await?
        {
            Fetch::NotModified => return Ok(Vec::new()),
            Fetch::Fetched(p) => p,
        };
        let names: Vec<String> = pages.items.iter().filter_map(normalize::tag_name).collect();
        let mut events = Vec::new();
        if let Some(known) = &st.known {
            for item in &pages.items {
                let is_new = normalize::tag_name(item).is_some_and(|n| !known.contains(&n));
                if is_new {
                    if let Ok(ge) = normalize::tag_from_rest(&ctx.repo, item, ctx.now) {
                        events.extend(self.map(&ge, ctx));
                    }
                }
            }
        }
        st.known = Some(names);
        st.etag = pages.etag;
        rc.tags = st;
        Ok(events)
    }

    /// `GET /repos/{o}/{r}/deployments`, then the statuses of the
    /// deployments still in progress.
    async fn deployments(
        &self,
        ctx: &RepoCtx<'_>,
        rc: &mut RepoCursor,
    ) -> Result<Vec<NewEvent>, GithubError> {
        let mut st = rc.deployments.clone();
        let mut events = Vec::new();
        let lower = st.list.lower_bound(ctx.floor);
        let url = self
            .client
            .url(&format!("repos/{}/deployments?per_page=100", ctx.name))?;
        let listed = self
            .client
            .get_pages(
                &url,
                st.list.etag.as_deref(),
                None,
                MAX_DEPLOYMENT_PAGES,
                |items| oldest(items, "created_at").is_some_and(|t| t >= lower),
            )
            .await?;
        if let Fetch::Fetched(pages) = listed {
            let mut newest = None;
            for item in &pages.items {
                let Ok(ge) = normalize::deployment_from_rest(&ctx.repo, item) else {
                    continue;
                };
                let GithubEvent::Deployment(d) = &ge else {
                    continue;
                };
                let Some(created) = d.deployment.created_at.filter(|c| *c >= lower) else {
                    continue;
                };
                newest = newest.max(Some(created));
                let new: Vec<NewEvent> = self
                    .map(&ge, ctx)
                    .into_iter()
                    .filter(|e| st.list.admits(e.timestamp, ext_id(e), ctx.floor))
                    .collect();
                if !new.is_empty() {
                    // Only deployments new to us are followed: one already
                    // closed must not be reopened (and reported again).
                    st.open.insert(
                        d.deployment.id.to_string(),
                        OpenDeployment {
                            deployment: d.deployment.clone(),
                            etag: None,
                            seen_statuses: Vec::new(),
                        },
                    );
                }
                events.extend(new);
            }
            st.list
                .advance(events.iter().map(|e| (e.timestamp, ext_id(e))));
            if let Some(n) = newest {
                st.list.at = st.list.at.max(Some(n));
            }
            st.list.etag = pages.etag;
        }

        // Follow the newest open deployments; forget stale ones.
        let give_up = ctx.now - RUN_TRACKING_LIMIT;
        st.open
            .retain(|_, o| o.deployment.created_at.is_none_or(|c| c >= give_up));
        let mut ids: Vec<(Option<DateTime<Utc>>, String)> = st
            .open
            .iter()
            .map(|(id, o)| (o.deployment.created_at, id.clone()))
            .collect();
        ids.sort_by(|a, b| b.cmp(a));
        for (_, id) in ids.into_iter().take(MAX_OPEN_DEPLOYMENTS) {
            let Some(open) = st.open.get(&id).cloned() else {
                continue;
            };
            match self.statuses(ctx, open).await {
                Ok((evs, Some(o))) => {
                    events.extend(evs);
                    st.open.insert(id, o);
                }
                Ok((evs, None)) => {
                    events.extend(evs);
                    st.open.remove(&id);
                }
                // The deployment was deleted.
                Err(GithubError::NotFound { .. }) => {
                    st.open.remove(&id);
                }
                Err(e) => return Err(e),
            }
        }
        rc.deployments = st;
        Ok(events)
    }

    /// New statuses of one deployment; `None` as the second value when the
    /// deployment reached a final state and need not be followed further.
    async fn statuses(
        &self,
        ctx: &RepoCtx<'_>,
        mut open: OpenDeployment,
    ) -> Result<(Vec<NewEvent>, Option<OpenDeployment>), GithubError> {
        let deployment: Deployment = open.deployment.clone();
        let url = self.client.url(&format!(
            "repos/{}/deployments/{}/statuses?per_page=100",
            ctx.name, deployment.id
        ))?;
        let pages = match self
            .client
            .get_pages(&url, open.etag.as_deref(), None, 1, |_| false)
            .await?
        {
            Fetch::NotModified => return Ok((Vec::new(), Some(open))),
            Fetch::Fetched(p) => p,
        };
        let mut events = Vec::new();
        for item in &pages.items {
            let Some(id) = item.get("id").and_then(Value::as_u64) else {
                continue;
            };
            if open.seen_statuses.contains(&id) {
                continue;
            }
            open.seen_statuses.push(id);
            if time(item, "created_at").is_none_or(|t| t < ctx.floor) {
                continue;
            }
            if let Ok(ge) = normalize::deployment_status_from_rest(&ctx.repo, &deployment, item) {
                events.extend(self.map(&ge, ctx));
            }
        }
        open.seen_statuses.sort_unstable_by(|a, b| b.cmp(a));
        open.seen_statuses.truncate(100);
        open.etag = pages.etag;
        // Statuses are listed newest first.
        let latest = pages
            .items
            .first()
            .and_then(|s| s.get("state"))
            .and_then(Value::as_str);
        let done = latest.is_some_and(is_final_deployment_state);
        Ok((events, (!done).then_some(open)))
    }

    /// Checks the token (`GET /user`) and each configured repository.
    pub async fn test_connection(&self) -> Result<ConnectionReport, GithubError> {
        let user = self.client.url("user")?;
        let login = match self.client.get(&user, None).await {
            Ok(Fetch::Fetched(p)) => p
                .body
                .get("login")
                .and_then(Value::as_str)
                .map(String::from),
            Ok(Fetch::NotModified) => None,
            // App installation tokens may not read /user; the repository
            // checks below still prove the token works.
            Err(GithubError::Forbidden { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut checks = Vec::new();
        for t in self.config.targets() {
            checks.push(self.check_target(&t).await?);
        }
        let failed: Vec<&RepoCheck> = checks.iter().filter(|c| !c.ok).collect();
        let who = login
            .as_deref()
            .map(|l| format!("Authenticated as {l}"))
            .unwrap_or_else(|| "Token accepted".into());
        let message = if checks.is_empty() {
            format!("{who}; no repositories configured")
        } else if failed.is_empty() {
            format!("{who}; all {} repositories accessible", checks.len())
        } else {
            format!(
                "{who}; {} of {} repositories accessible: {}",
                checks.len() - failed.len(),
                checks.len(),
                failed
                    .iter()
                    .map(|c| c.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        Ok(ConnectionReport {
            ok: failed.is_empty(),
            login,
            message,
            repositories: checks,
            rate_limit: self.client.rate_limit(),
        })
    }

    async fn check_target(&self, t: &RepoTarget) -> Result<RepoCheck, GithubError> {
        match t.full_name() {
            Some(name) => {
                let url = self.client.url(&format!("repos/{name}"))?;
                Ok(match self.client.get(&url, None).await {
                    Ok(_) => RepoCheck {
                        repo: name.clone(),
                        ok: true,
                        message: format!("{name}: accessible"),
                    },
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(GithubError::NotFound { .. }) => RepoCheck {
                        repo: name.clone(),
                        ok: false,
                        message: format!(
                            "repository {name} not found (404): check the name and that the token can see it"
                        ),
                    },
                    Err(e) => RepoCheck {
                        repo: name.clone(),
                        ok: false,
                        message: format!("{name}: {e}"),
                    },
                })
            }
            None => {
                let pattern = format!("{}/*", t.owner);
                let mut listing = OwnerListing::default();
                Ok(match self.expand_owner(t, &mut listing).await {
                    Ok(repos) => RepoCheck {
                        repo: pattern.clone(),
                        ok: true,
                        message: format!("{pattern}: {} repositories", repos.len()),
                    },
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(e) => RepoCheck {
                        repo: pattern.clone(),
                        ok: false,
                        message: format!("{pattern}: {e}"),
                    },
                })
            }
        }
    }
}

fn ext_id(e: &NewEvent) -> &str {
    e.external_id.as_deref().unwrap_or("")
}

fn time(item: &Value, key: &str) -> Option<DateTime<Utc>> {
    item.get(key)
        .and_then(Value::as_str)
        .and_then(painchain_core::time::parse)
}

/// The oldest `key` time on a page (lists are newest first, but not
/// strictly, so look at all of them).
fn oldest(items: &[Value], key: &str) -> Option<DateTime<Utc>> {
    items.iter().filter_map(|i| time(i, key)).min()
}

fn item_id(item: &Value) -> &str {
    item.get("id").and_then(Value::as_str).unwrap_or("")
}
