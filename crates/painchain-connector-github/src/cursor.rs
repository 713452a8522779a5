//! What the poller remembers between polls, per repository and endpoint:
//! ETags (so an unchanged list costs a 304 and no rate limit), time
//! watermarks, and the few ids needed to not report a thing twice. All of
//! it serialises to JSON for the SDK's cursor store, and stays bounded.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::payload::Deployment;

/// Items this close below the watermark are looked at again (and
/// de-duplicated by id): GitHub's lists are not perfectly ordered in time,
/// and two things can share a second.
pub const OVERLAP: Duration = Duration::minutes(5);

/// The whole poller state of one integration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollCursor {
    /// Keyed by `owner/repo`.
    #[serde(default)]
    pub repos: BTreeMap<String, RepoCursor>,
    /// `owner/*` expansions, keyed by owner.
    #[serde(default)]
    pub owners: BTreeMap<String, OwnerListing>,
}

impl PollCursor {
    /// Reads a stored cursor; anything unreadable starts afresh (a bounded
    /// backfill) rather than failing the integration forever.
    pub fn from_value(v: &serde_json::Value) -> PollCursor {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The repositories of an org or user, as last listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerListing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `orgs` or `users`: which listing answered.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub repos: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepoCursor {
    #[serde(default)]
    pub pulls: Watermark,
    #[serde(default)]
    pub events: SeenIds,
    #[serde(default)]
    pub runs: RunsCursor,
    #[serde(default)]
    pub releases: Watermark,
    #[serde(default)]
    pub tags: TagsCursor,
    #[serde(default)]
    pub deployments: DeploymentsCursor,
}

/// A time watermark over a list sorted newest first, plus the ids already
/// reported within [`OVERLAP`] of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Watermark {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub recent: BTreeMap<String, DateTime<Utc>>,
}

impl Watermark {
    /// Items older than this are old news (`floor` is the initial backfill).
    pub fn lower_bound(&self, floor: DateTime<Utc>) -> DateTime<Utc> {
        match self.at {
            Some(at) => (at - OVERLAP).max(floor),
            None => floor,
        }
    }

    /// Whether an item (its time and externalId) is new.
    pub fn admits(&self, ts: DateTime<Utc>, id: &str, floor: DateTime<Utc>) -> bool {
        ts >= self.lower_bound(floor) && !self.recent.contains_key(id)
    }

    /// Records what was reported, moving the watermark forward.
    pub fn advance<'a>(&mut self, reported: impl IntoIterator<Item = (DateTime<Utc>, &'a str)>) {
        for (ts, id) in reported {
            self.recent.insert(id.to_string(), ts);
            if self.at.is_none_or(|a| ts > a) {
                self.at = Some(ts);
            }
        }
        if let Some(at) = self.at {
            self.recent.retain(|_, ts| *ts >= at - OVERLAP);
        }
    }
}

/// Ids already seen in a list whose items carry increasing ids (the
/// repository events API). Kept to the newest `SEEN_CAP`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenIds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<String>,
}

/// The events API serves at most 300 items; remembering a few more than
/// that is enough to recognise everything it can show again.
const SEEN_CAP: usize = 400;

impl SeenIds {
    pub fn contains(&self, id: &str) -> bool {
        self.seen.iter().any(|s| s == id)
    }

    pub fn remember<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) {
        for id in ids {
            if !self.contains(id) {
                self.seen.push(id.to_string());
            }
        }
        // Newest (numerically largest) first, then cut.
        self.seen.sort_by(|a, b| {
            let key = |s: &str| (s.len(), s.to_string());
            key(b).cmp(&key(a))
        });
        self.seen.truncate(SEEN_CAP);
    }
}

/// Workflow runs change state after creation, so a time watermark is not
/// enough: we remember the last state reported for each recent run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunsCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `<run id>:<attempt>` → what we reported last.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seen: BTreeMap<String, RunSeen>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSeen {
    /// `requested`, `in_progress` or `completed`.
    pub phase: String,
    pub created_at: DateTime<Utc>,
}

/// An unfinished run older than this is given up on (the runs list is
/// paged back to the oldest unfinished run; a run stuck forever must not
/// make every poll page through history).
pub const RUN_TRACKING_LIMIT: Duration = Duration::days(3);

impl RunsCursor {
    /// The oldest creation time worth paging back to.
    pub fn lower_bound(&self, floor: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        let give_up = now - RUN_TRACKING_LIMIT;
        let oldest_open = self
            .seen
            .values()
            .filter(|r| r.phase != "completed" && r.created_at >= give_up)
            .map(|r| r.created_at)
            .min();
        let newest = self.seen.values().map(|r| r.created_at).max();
        let bound = match (oldest_open, newest) {
            (Some(o), Some(n)) => o.min(n - OVERLAP),
            (None, Some(n)) => n - OVERLAP,
            _ => floor,
        };
        bound.max(floor)
    }

    /// Forgets finished runs below the bound, and abandoned ones.
    pub fn prune(&mut self, floor: DateTime<Utc>, now: DateTime<Utc>) {
        let bound = self.lower_bound(floor, now);
        let give_up = now - RUN_TRACKING_LIMIT;
        self.seen.retain(|_, r| {
            r.created_at >= bound || (r.phase != "completed" && r.created_at >= give_up)
        });
    }
}

/// Known tag names; `None` until the first listing, which is taken as the
/// baseline (the tags API has no dates, so pre-existing tags are not news).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagsCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentsCursor {
    #[serde(default)]
    pub list: Watermark,
    /// Deployments whose statuses we still follow, keyed by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub open: BTreeMap<String, OpenDeployment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenDeployment {
    /// Kept so statuses can be reported with their deployment's details
    /// even when the deployments list answers 304.
    pub deployment: Deployment,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seen_statuses: Vec<u64>,
}

/// At most this many deployments have their statuses followed per repo.
pub const MAX_OPEN_DEPLOYMENTS: usize = 20;

/// A deployment whose latest status is one of these is done.
pub fn is_final_deployment_state(state: &str) -> bool {
    matches!(state, "success" | "failure" | "error" | "inactive")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        painchain_core::time::parse(s).unwrap()
    }

    #[test]
    fn watermark_admits_each_item_once() {
        let floor = t("2024-01-01T00:00:00Z");
        let mut w = Watermark::default();
        assert!(!w.admits(t("2023-12-31T00:00:00Z"), "old", floor));
        assert!(w.admits(t("2024-01-02T00:00:00Z"), "a", floor));
        w.advance([(t("2024-01-02T00:00:00Z"), "a")]);
        assert!(!w.admits(t("2024-01-02T00:00:00Z"), "a", floor));
        // Same second, another item: still admitted.
        assert!(w.admits(t("2024-01-02T00:00:00Z"), "b", floor));
        // Slightly late item within the overlap: admitted.
        assert!(w.admits(t("2024-01-01T23:58:00Z"), "c", floor));
        assert!(!w.admits(t("2024-01-01T23:50:00Z"), "d", floor));
        w.advance([(t("2024-01-03T00:00:00Z"), "e")]);
        assert!(w.recent.contains_key("e") && !w.recent.contains_key("a"));
    }

    #[test]
    fn seen_ids_are_bounded_newest_first() {
        let mut s = SeenIds::default();
        let ids: Vec<String> = (0..500).map(|i| (1000 + i).to_string()).collect();
        s.remember(ids.iter().map(String::as_str));
        assert_eq!(s.seen.len(), SEEN_CAP);
        assert_eq!(s.seen[0], "1499");
        assert!(s.contains("1499") && !s.contains("1000"));
    }

    #[test]
    fn runs_page_back_to_the_oldest_open_run() {
        let now = t("2024-01-10T00:00:00Z");
        let floor = t("2024-01-03T00:00:00Z");
        let mut c = RunsCursor::default();
        assert_eq!(c.lower_bound(floor, now), floor);
        c.seen.insert(
            "1:1".into(),
            RunSeen {
                phase: "in_progress".into(),
                created_at: t("2024-01-09T00:00:00Z"),
            },
        );
        c.seen.insert(
            "2:1".into(),
            RunSeen {
                phase: "completed".into(),
                created_at: t("2024-01-09T12:00:00Z"),
            },
        );
        assert_eq!(c.lower_bound(floor, now), t("2024-01-09T00:00:00Z"));
        c.seen.get_mut("1:1").unwrap().phase = "completed".into();
        c.prune(floor, now);
        assert_eq!(c.seen.len(), 1);
    }
}
