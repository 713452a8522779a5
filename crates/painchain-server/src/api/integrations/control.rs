//! Requests for running connectors — "sync now" and "test the connection" —
//! queued here until the type's connector picks them up from its control
//! poll (`POST /api/integrations/types/:type/heartbeat`, every ~2 s).
//!
//! Kept in memory: a request lives for seconds. With several replicas a
//! request is only seen by a connector polling the same replica; the
//! connector's periodic full refresh still converges for everything else.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use tokio::sync::oneshot;

type Key = (String, String); // (tenant, type)

struct PendingTest {
    key: Key,
    integration_id: String,
    claimed: bool,
    created: Instant,
    answer: Option<oneshot::Sender<Result<(), String>>>,
}

#[derive(Default)]
pub struct Control {
    sync: Mutex<HashMap<Key, HashSet<String>>>,
    tests: Mutex<HashMap<String, PendingTest>>,
    /// Last heartbeat written to the store per type, to write at most every
    /// few seconds however often connectors poll.
    touched: Mutex<HashMap<String, Instant>>,
}

/// Tests not picked up or answered within this are dropped.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(10);

impl Control {
    pub fn request_sync(&self, tenant: &str, ty: &str, integration: &str) {
        self.sync
            .lock()
            .unwrap()
            .entry((tenant.into(), ty.into()))
            .or_default()
            .insert(integration.into());
    }

    pub fn take_syncs(&self, tenant: &str, ty: &str) -> Vec<String> {
        self.sync
            .lock()
            .unwrap()
            .remove(&(tenant.to_string(), ty.to_string()))
            .map(|s| s.into_iter().collect())
            .unwrap_or_default()
    }

    /// Queues a test; the receiver gets the connector's answer.
    pub fn request_test(
        &self,
        tenant: &str,
        ty: &str,
        integration: &str,
    ) -> (String, oneshot::Receiver<Result<(), String>>) {
        let (tx, rx) = oneshot::channel();
        let id = painchain_core::new_id();
        let mut tests = self.tests.lock().unwrap();
        tests.retain(|_, t| t.created.elapsed() < TEST_TIMEOUT * 2);
        tests.insert(
            id.clone(),
            PendingTest {
                key: (tenant.into(), ty.into()),
                integration_id: integration.into(),
                claimed: false,
                created: Instant::now(),
                answer: Some(tx),
            },
        );
        (id, rx)
    }

    /// Unclaimed tests for a connector; each is handed out once.
    pub fn claim_tests(&self, tenant: &str, ty: &str) -> Vec<(String, String)> {
        let key = (tenant.to_string(), ty.to_string());
        let mut tests = self.tests.lock().unwrap();
        tests
            .iter_mut()
            .filter(|(_, t)| t.key == key && !t.claimed)
            .map(|(id, t)| {
                t.claimed = true;
                (id.clone(), t.integration_id.clone())
            })
            .collect()
    }

    /// Delivers a connector's answer; `false` if the test is unknown here
    /// (timed out, or asked on another replica).
    pub fn answer_test(&self, tenant: &str, ty: &str, id: &str, r: Result<(), String>) -> bool {
        let mut tests = self.tests.lock().unwrap();
        match tests.get(id) {
            Some(t) if t.key.0 == tenant && t.key.1 == ty => {}
            _ => return false,
        }
        let t = tests.remove(id).unwrap();
        t.answer.is_some_and(|tx| tx.send(r).is_ok())
    }

    pub fn forget_test(&self, id: &str) {
        self.tests.lock().unwrap().remove(id);
    }

    /// Whether to write a heartbeat for `ty` now (at most every 5 s).
    pub fn should_touch(&self, ty: &str) -> bool {
        let mut t = self.touched.lock().unwrap();
        match t.get(ty) {
            Some(at) if at.elapsed() < Duration::from_secs(5) => false,
            _ => {
                t.insert(ty.to_string(), Instant::now());
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tests_are_claimed_once_and_answered() {
        let c = Control::default();
        let (id, rx) = c.request_test("t", "git", "i1");
        assert_eq!(c.claim_tests("t", "git"), vec![(id.clone(), "i1".into())]);
        assert!(c.claim_tests("t", "git").is_empty());
        assert!(c.claim_tests("other", "git").is_empty());
        assert!(!c.answer_test("other", "git", &id, Ok(())), "tenant-scoped");
        assert!(c.answer_test("t", "git", &id, Err("bad token".into())));
        assert_eq!(rx.await.unwrap(), Err("bad token".into()));
    }

    #[test]
    fn syncs_are_taken_once() {
        let c = Control::default();
        c.request_sync("t", "git", "a");
        c.request_sync("t", "git", "a");
        assert_eq!(c.take_syncs("t", "git"), vec!["a".to_string()]);
        assert!(c.take_syncs("t", "git").is_empty());
    }
}
