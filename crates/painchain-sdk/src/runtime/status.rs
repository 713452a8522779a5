//! Per-integration status as the runtime reports it
//! (`POST /api/integrations/:id/status`).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};

use chrono::{DateTime, Utc};

use crate::{client::StatusReport, source::Report};

#[derive(Debug, Default)]
pub struct StatusState {
    inner: Mutex<Inner>,
    dirty: AtomicBool,
}

#[derive(Debug, Default)]
struct Inner {
    state: Option<&'static str>,
    last_sync_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    events_collected: u64,
    duplicates: u64,
    skipped: u64,
    /// Figures the source reported with `Report::Detail`.
    details: serde_json::Map<String, serde_json::Value>,
}

impl StatusState {
    pub fn apply(&self, r: &Report) {
        let mut i = self.inner.lock().unwrap();
        let before = (i.state, i.last_error.clone(), i.last_sync_at.is_none());
        match r {
            Report::Syncing => {
                // Keep showing an error until a sync succeeds.
                if i.state != Some("error") {
                    i.state = Some("syncing");
                }
            }
            Report::Synced => {
                i.state = Some("ok");
                i.last_sync_at = Some(Utc::now());
                i.last_error = None;
            }
            Report::Error(e) => {
                i.state = Some("error");
                i.last_error = Some(e.clone());
            }
            Report::Detail(k, v) => {
                i.details.insert(k.clone(), v.clone());
            }
        }
        // The first state, the first completed sync, an error or a recovery
        // is worth telling at once; syncing <-> ok flips wait for the
        // heartbeat.
        let state_changed = before.0 != i.state
            && (before.0.is_none() || before.0 == Some("error") || i.state == Some("error"));
        let first_sync = before.2 && i.last_sync_at.is_some();
        if state_changed || first_sync || before.1 != i.last_error {
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    pub fn count(&self, created: u64, duplicates: u64, skipped: u64) {
        let mut i = self.inner.lock().unwrap();
        i.events_collected += created;
        i.duplicates += duplicates;
        i.skipped += skipped;
        if created + skipped > 0 {
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::Relaxed)
    }

    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub fn report(&self) -> StatusReport {
        let i = self.inner.lock().unwrap();
        StatusReport {
            state: i.state.unwrap_or("syncing").to_string(),
            last_sync_at: i.last_sync_at.map(painchain_core::time::format),
            last_error: i.last_error.clone(),
            events_collected: i.events_collected as i64,
            details: {
                let mut d = i.details.clone();
                d.insert("duplicates".into(), i.duplicates.into());
                d.insert("skipped".into(), i.skipped.into());
                serde_json::Value::Object(d)
            },
        }
    }

    pub fn events_collected(&self) -> u64 {
        self.inner.lock().unwrap().events_collected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_reported_by_the_source_reach_the_status() {
        let s = StatusState::default();
        s.apply(&Report::Detail(
            "rateLimit".into(),
            json!({"remaining": 10}),
        ));
        s.apply(&Report::Detail("rateLimit".into(), json!({"remaining": 9})));
        s.count(3, 1, 0);
        let details = s.report().details;
        assert_eq!(details["rateLimit"], json!({"remaining": 9}), "latest wins");
        assert_eq!(details["duplicates"], json!(1));
        assert_eq!(details["skipped"], json!(0));
    }
}
