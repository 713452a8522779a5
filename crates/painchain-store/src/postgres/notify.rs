//! Cross-replica notices of new events: the writer sends
//! `pg_notify('painchain_events', '<origin>|<tenant>|<id>,<id>,...')` in the
//! batch's own transaction (PostgreSQL delivers it only on commit), and a
//! `LISTEN`ing connection turns the notices of *other* origins (stores) into
//! [`RemoteEvents`]. Notices are best effort: those sent while the listening
//! connection is being re-established are lost (the live stream is too).

use std::time::Duration;

use futures::stream::{self, BoxStream, StreamExt};
use sqlx::{postgres::PgListener, PgConnection, PgPool};

use crate::{RemoteEvents, Result};

pub(crate) const CHANNEL: &str = "painchain_events";

/// PostgreSQL refuses payloads of 8000 bytes or more; stay clear of it.
const MAX_PAYLOAD: usize = 7900;

/// Payloads for the inserted `(tenant, id)` pairs: grouped per tenant (in
/// order of first appearance), split to stay under the payload limit.
pub(crate) fn payloads<'a>(
    origin: &str,
    inserted: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    let mut per_tenant: Vec<(&str, Vec<&str>)> = Vec::new();
    for (tenant, id) in inserted {
        match per_tenant.iter_mut().find(|(t, _)| *t == tenant) {
            Some((_, ids)) => ids.push(id),
            None => per_tenant.push((tenant, vec![id])),
        }
    }
    let mut out = Vec::new();
    for (tenant, ids) in per_tenant {
        let head = format!("{origin}|{tenant}|");
        let mut cur = head.clone();
        for id in ids {
            let sep = usize::from(cur.len() > head.len());
            if cur.len() + sep + id.len() > MAX_PAYLOAD && cur.len() > head.len() {
                out.push(std::mem::replace(&mut cur, head.clone()));
            }
            if cur.len() > head.len() {
                cur.push(',');
            }
            cur.push_str(id);
        }
        if cur.len() > head.len() && cur.len() <= MAX_PAYLOAD {
            out.push(cur);
        } else if cur.len() > MAX_PAYLOAD {
            tracing::warn!(
                tenant,
                "tenant id too long for a live-stream notice; not sent"
            );
        }
    }
    out
}

/// Queues the notices in the caller's transaction: one statement per batch.
pub(crate) async fn send(c: &mut PgConnection, payloads: &[String]) -> Result<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT pg_notify($1, p) FROM UNNEST($2::text[]) AS p")
        .bind(CHANNEL)
        .bind(payloads)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// `origin|tenant|ids` → the notice, unless it is ours or malformed.
fn parse(origin: &str, payload: &str) -> Option<RemoteEvents> {
    let (from, rest) = payload.split_once('|')?;
    if from == origin {
        return None;
    }
    let (tenant, ids) = rest.rsplit_once('|')?;
    let ids: Vec<String> = ids
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (!tenant.is_empty() && !ids.is_empty()).then(|| RemoteEvents {
        tenant: tenant.to_string(),
        ids,
    })
}

async fn listen(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut l = PgListener::connect_with(pool).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

struct State {
    pool: PgPool,
    origin: String,
    listener: Option<PgListener>,
}

/// Notices of other origins. Listens before returning (when the database
/// answers), so everything committed afterwards is seen. Reconnects on
/// errors; ends when the pool is closed.
pub(crate) async fn subscribe(pool: PgPool, origin: String) -> BoxStream<'static, RemoteEvents> {
    let listener = match listen(&pool).await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other replicas' events yet; retrying");
            None
        }
    };
    let state = State {
        pool,
        origin,
        listener,
    };
    stream::unfold(state, |mut s| async move {
        loop {
            if s.pool.is_closed() {
                return None;
            }
            let Some(l) = s.listener.as_mut() else {
                match listen(&s.pool).await {
                    Ok(l) => s.listener = Some(l),
                    Err(sqlx::Error::PoolClosed) => return None,
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for other replicas' events failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
                continue;
            };
            match l.recv().await {
                Ok(n) => {
                    if let Some(r) = parse(&s.origin, n.payload()) {
                        return Some((r, s));
                    }
                }
                Err(sqlx::Error::PoolClosed) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "lost the listening connection; reconnecting");
                    s.listener = None;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_group_split_and_parse() {
        let ids: Vec<String> = (0..400).map(|i| format!("{i:036}")).collect();
        let mut pairs: Vec<(&str, &str)> = ids.iter().map(|id| ("t1", id.as_str())).collect();
        pairs.insert(3, ("t2", "x"));
        let p = payloads("me", pairs.into_iter());
        assert!(p.len() >= 3, "split: {}", p.len());
        assert!(p.iter().all(|s| s.len() <= MAX_PAYLOAD));
        assert_eq!(parse("me", &p[0]), None, "own notices are dropped");
        let parsed: Vec<RemoteEvents> = p.iter().filter_map(|s| parse("other", s)).collect();
        let t1: Vec<String> = parsed
            .iter()
            .filter(|r| r.tenant == "t1")
            .flat_map(|r| r.ids.clone())
            .collect();
        assert_eq!(t1, ids);
        let t2: Vec<&RemoteEvents> = parsed.iter().filter(|r| r.tenant == "t2").collect();
        assert_eq!(t2.len(), 1);
        assert_eq!(t2[0].ids, vec!["x".to_string()]);
        assert_eq!(parse("o", "a|t|"), None);
        assert_eq!(parse("o", "garbage"), None);
    }
}
