//! A fake GitHub REST API (wiremock) serving the real fixtures.
#![allow(dead_code)]

use std::collections::BTreeSet;

use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::json;

/// Answers 304 when the request carries the current ETag, else 200 with it
/// (or with no ETag at all when `etag` is `None`).
pub struct Etagged {
    pub body: Value,
    pub etag: Option<String>,
    pub link: Option<String>,
    pub extra: Vec<(String, String)>,
}

impl Respond for Etagged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let inm = req
            .headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok());
        if let (Some(e), Some(sent)) = (&self.etag, inm) {
            if e == sent {
                return ResponseTemplate::new(304).insert_header("etag", e.as_str());
            }
        }
        let mut r = ResponseTemplate::new(200).set_body_json(&self.body);
        if let Some(e) = &self.etag {
            r = r.insert_header("etag", e.as_str());
        }
        if let Some(l) = &self.link {
            r = r.insert_header("link", l.as_str());
        }
        for (k, v) in &self.extra {
            r = r.insert_header(k.as_str(), v.as_str());
        }
        r
    }
}

pub fn etagged(body: Value, etag: Option<&str>) -> Etagged {
    Etagged {
        body,
        etag: etag.map(String::from),
        link: None,
        extra: Vec::new(),
    }
}

/// Repository events API items from the fixtures, re-homed to `repo` (the
/// fixture items come from several public repositories).
pub fn events_for(repo: &str) -> Value {
    let items: Vec<Value> = [
        "rest/events/item.PushEvent.json",
        "rest/events/item.CreateEvent.json",
        "rest/events/item.PullRequestEvent.json",
        "rest/events/item.ReleaseEvent.json",
    ]
    .iter()
    .map(|f| {
        let mut it = json(f);
        it["repo"]["name"] = json!(repo);
        it["repo"]["url"] = json!(format!("https://api.github.com/repos/{repo}"));
        it
    })
    .collect();
    Value::Array(items)
}

/// The pull list fixture, re-homed to `repo` (a pull names its base
/// repository, which the mapping prefers: it is what webhooks name too).
pub fn pulls_for(repo: &str) -> Value {
    let mut pulls = json("rest/pulls/list.json");
    for p in pulls.as_array_mut().unwrap() {
        p["base"]["repo"]["full_name"] = json!(repo);
        p["base"]["repo"]["html_url"] = json!(format!("https://github.com/{repo}"));
    }
    pulls
}

/// A runs list fixture, re-homed to `repo`.
pub fn runs_for(rel: &str, repo: &str) -> Value {
    let mut runs = json(rel);
    for r in runs["workflow_runs"].as_array_mut().unwrap() {
        r["repository"]["full_name"] = json!(repo);
        r["repository"]["html_url"] = json!(format!("https://github.com/{repo}"));
    }
    runs
}

/// Mounts every endpoint of one repository, serving the fixtures. With
/// `etags`, each answers 304 to its own ETag.
pub async fn mount_repo(server: &MockServer, prefix: &str, repo: &str, etags: bool) {
    let p = |s: &str| format!("{prefix}/repos/{repo}/{s}");
    let tag = |s: &str| etags.then(|| format!("W/\"{s}\""));
    let deployment = json("webhooks/deployment/created.json")["deployment"].clone();
    let status = json("webhooks/deployment_status/success.json")["deployment_status"].clone();

    Mock::given(method("GET"))
        .and(path(p("pulls")))
        .respond_with(etagged(pulls_for(repo), tag("pulls").as_deref()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p("events")))
        .respond_with(etagged(events_for(repo), tag("events").as_deref()))
        .mount(server)
        .await;
    // Workflow runs over two pages, linked with `Link: rel="next"`.
    let page2 = format!("{}{}?per_page=100&page=2", server.uri(), p("actions/runs"));
    Mock::given(method("GET"))
        .and(path(p("actions/runs")))
        .and(query_param_is_missing("page"))
        .respond_with(Etagged {
            link: Some(format!("<{page2}>; rel=\"next\", <{page2}>; rel=\"last\"")),
            ..etagged(
                runs_for("rest/actions/runs.list.in_progress.json", repo),
                tag("runs").as_deref(),
            )
        })
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p("actions/runs")))
        .and(query_param("page", "2"))
        .respond_with(etagged(runs_for("rest/actions/runs.list.json", repo), None))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p("releases")))
        .respond_with(etagged(
            json("rest/releases/list.json"),
            tag("releases").as_deref(),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p("tags")))
        .respond_with(etagged(json("rest/tags/list.json"), tag("tags").as_deref()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p("deployments")))
        .respond_with(etagged(json!([deployment]), tag("deployments").as_deref()))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(p("deployments/145988746/statuses")))
        .respond_with(etagged(json!([status]), tag("statuses").as_deref()))
        .mount(server)
        .await;
}

/// Every externalId the fixtures of one repository yield on a first poll.
pub fn expected_first_poll(repo: &str) -> BTreeSet<String> {
    [
        format!("pr:{repo}#1347:opened"),
        format!("pr:{repo}#1347:merged"),
        format!("pr:{repo}#8:opened"),
        format!("push:{repo}:eb1a60c03544dcea290f2d57bb66ae188ce25778"),
        format!("branch:{repo}:url-normalisation:created"),
        format!("release:{repo}:143718142:published"),
        format!("release:{repo}:150372594:published"),
        format!("release:{repo}:148681297:published"),
        "run:686036126:1:in_progress".to_string(),
        "run:677006583:1:completed".to_string(),
        "deployment:145988746:created".to_string(),
        "deployment_status:209916254".to_string(),
    ]
    .into_iter()
    .collect()
}
