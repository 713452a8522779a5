//! `painchain healthcheck`: the container image's HEALTHCHECK. The runtime
//! image (distroless) has no shell, curl or wget, so the binary asks its
//! own `/health`.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

/// `http://127.0.0.1:<port>/health`, the port taken from `PAINCHAIN_BIND`
/// (what the server in the same container listens on), else 8000.
fn default_url() -> String {
    let port = std::env::var("PAINCHAIN_BIND")
        .ok()
        .and_then(|b| b.trim().parse::<SocketAddr>().ok())
        .map_or(8000, |a| a.port());
    format!("http://127.0.0.1:{port}/health")
}

pub async fn run(url: Option<String>) -> ExitCode {
    let url = url.unwrap_or_else(default_url);
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        // A proxy from the environment must not answer for our own server.
        .no_proxy()
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("unhealthy: {e}");
            return ExitCode::from(1);
        }
    };
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("unhealthy: {url} answered {}", r.status());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {e}");
            ExitCode::from(1)
        }
    }
}
