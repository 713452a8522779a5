//! A small HTTP client for the CLI: base URL, bearer token, and server
//! errors (`{"error": {"code", "message"}}`) turned into readable messages.

use anyhow::{anyhow, Context, Result};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::cli::ServerArgs;

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(args: &ServerArgs) -> Result<Client> {
        let mut base = args.server.trim().trim_end_matches('/').to_string();
        // Seed connectors are configured with `.../api`; accept that too.
        if let Some(b) = base.strip_suffix("/api") {
            base = b.to_string();
        }
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(anyhow!(
                "--server must start with http:// or https://, got {:?}",
                args.server
            ));
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("painchain-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Client {
            http,
            base,
            token: args.token.clone().filter(|t| !t.is_empty()),
        })
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// Sends and fails with the server's own error message on non-2xx.
    pub async fn send(&self, rb: RequestBuilder) -> Result<Response> {
        let res = rb
            .send()
            .await
            .with_context(|| format!("cannot reach the PainChain server at {}", self.base))?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or(text);
        let hint = match status.as_u16() {
            401 => " (set --token or PAINCHAIN_TOKEN)",
            _ => "",
        };
        Err(anyhow!("server answered {status}: {message}{hint}"))
    }

    pub async fn json<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<T> {
        let res = self.send(rb).await?;
        res.json()
            .await
            .context("the server's answer is not the expected JSON")
    }
}
