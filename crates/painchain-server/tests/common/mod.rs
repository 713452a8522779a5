//! Helpers for the HTTP integration tests: a real server on 127.0.0.1:0 and a
//! small JSON client.

#![allow(dead_code)]

/// Expands each named `async fn(Backend)` into a test per store:
/// `sqlite::name` and `postgres::name`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}

use painchain_server::testing::{Backend, TestServer};
use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::{json, Value};

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    /// Asserts the standard error shape and returns `(code, field)`.
    pub fn error(&self) -> (String, Option<String>) {
        let e = &self.body["error"];
        assert!(
            e["code"].is_string() && e["message"].is_string(),
            "not an error body: {} {}",
            self.status,
            self.body
        );
        (
            e["code"].as_str().unwrap().to_string(),
            e["field"].as_str().map(str::to_string),
        )
    }

    pub fn arr(&self) -> &Vec<Value> {
        self.body
            .as_array()
            .unwrap_or_else(|| panic!("not an array: {} {}", self.status, self.body))
    }
}

pub struct H {
    pub s: TestServer,
    pub c: reqwest::Client,
    /// Sent as `x-tenant-id` unless `None`.
    pub tenant: Option<String>,
    pub token: Option<String>,
}

impl H {
    pub async fn start(b: Backend) -> Option<H> {
        Self::start_with(b, |_| {}).await
    }

    pub async fn start_with(
        b: Backend,
        f: impl FnOnce(&mut painchain_server::Config),
    ) -> Option<H> {
        let s = TestServer::start_with(b, f).await?;
        Some(H {
            s,
            c: reqwest::Client::new(),
            tenant: None,
            token: None,
        })
    }

    /// A view of the same server as another tenant / token.
    pub fn with(&self, tenant: Option<&str>, token: Option<&str>) -> H2<'_> {
        H2 {
            h: self,
            tenant: tenant.map(str::to_string),
            token: token.map(str::to_string),
        }
    }

    pub fn as_default(&self) -> H2<'_> {
        self.with(self.tenant.as_deref(), self.token.as_deref())
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.as_default().get(path).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.as_default().post(path, body).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.as_default().send(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.as_default().send(Method::DELETE, path, None).await
    }
    pub async fn raw(&self, rb: reqwest::RequestBuilder) -> Resp {
        into_resp(rb.send().await.expect("request")).await
    }

    /// Creates integration `id` (type `github`, no tags) of `tenant`
    /// straight in the store: events naming an `integrationId` need one.
    pub async fn integration(&self, tenant: &str, id: &str) {
        let now = chrono::Utc::now();
        self.s
            .store
            .create_integration(&painchain_core::integration::Integration {
                id: id.into(),
                tenant_id: tenant.into(),
                integration_type: "github".into(),
                name: id.into(),
                config: json!({"name": id, "tags": []}),
                status: "active".into(),
                enabled: true,
                managed_by: None,
                last_sync: None,
                registered_at: now,
                updated_at: now,
            })
            .await
            .expect("create integration");
    }
}

pub struct H2<'a> {
    pub h: &'a H,
    pub tenant: Option<String>,
    pub token: Option<String>,
}

impl H2<'_> {
    pub fn rb(&self, m: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.h.c.request(m, self.h.s.url(path));
        if let Some(t) = &self.tenant {
            rb = rb.header("x-tenant-id", t);
        }
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub async fn send(&self, m: Method, path: &str, body: Option<&Value>) -> Resp {
        let mut rb = self.rb(m, path);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        into_resp(rb.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::POST, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None).await
    }
}

pub async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// A valid event in the seed's shape.
pub fn ev(title: &str, connector: &str, project: &str, ts: &str) -> Value {
    json!({
        "title": title,
        "connector": connector,
        "project": project,
        "timestamp": ts,
        "data": {"n": 1},
    })
}

/// Timestamp `secs` seconds after 2024-01-01T00:00:00Z.
pub fn ts(secs: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap()
        + chrono::Duration::seconds(secs);
    t.with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads an SSE response until `pred` accepts an `event` event's data or
/// `timeout` passes.
pub struct SseReader {
    stream:
        std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<axum::body::Bytes>> + Send>>,
    buf: Vec<u8>,
}

impl SseReader {
    pub fn new(res: reqwest::Response) -> SseReader {
        SseReader {
            stream: Box::pin(res.bytes_stream()),
            buf: Vec::new(),
        }
    }

    /// Next complete SSE message as (event name, data, comment).
    pub async fn next_message(&mut self) -> Option<(String, String, String)> {
        use futures::StreamExt;
        loop {
            if let Some(pos) = find_blank_line(&self.buf) {
                let msg: Vec<u8> = self.buf.drain(..pos).collect();
                let msg = String::from_utf8_lossy(&msg).to_string();
                let (mut event, mut data, mut comment) =
                    (String::new(), String::new(), String::new());
                for line in msg.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    } else if let Some(v) = line.strip_prefix(':') {
                        comment.push_str(v.trim());
                    }
                }
                if event.is_empty() && data.is_empty() && comment.is_empty() {
                    continue;
                }
                return Some((event, data, comment));
            }
            match self.stream.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                _ => return None,
            }
        }
    }

    /// The next `event` message's JSON, skipping comments.
    pub async fn next_event(&mut self, timeout: std::time::Duration) -> Option<Value> {
        tokio::time::timeout(timeout, async {
            loop {
                let (event, data, _) = self.next_message().await?;
                if event == "event" {
                    return serde_json::from_str(&data).ok();
                }
            }
        })
        .await
        .ok()
        .flatten()
    }
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\n\n").map(|p| p + 2)
}
