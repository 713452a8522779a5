//! `painchain events list|tail` and `painchain projects`.

use std::time::Duration;

use anyhow::{Context, Result};
use futures::StreamExt;
use painchain_core::{team::Project, Event};
use reqwest::Method;

use crate::{
    cli::{FilterArgs, ServerArgs},
    client::Client,
    table,
};

pub async fn list(server: &ServerArgs, filter: &FilterArgs, limit: u32, json: bool) -> Result<()> {
    let client = Client::new(server)?;
    let mut query = filter.to_query();
    query.push(("limit", limit.to_string()));
    let rb = client.request(Method::GET, "/api/events").query(&query);
    if json {
        // Pass the server's JSON through untouched (scripts get every key).
        let v: serde_json::Value = client.json(rb).await?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let events: Vec<Event> = client.json(rb).await?;
    if events.is_empty() {
        eprintln!("no events");
        return Ok(());
    }
    println!("{}", table::events(&events));
    Ok(())
}

pub async fn projects(server: &ServerArgs, json: bool) -> Result<()> {
    let client = Client::new(server)?;
    let rb = client.request(Method::GET, "/api/projects");
    if json {
        let v: serde_json::Value = client.json(rb).await?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let projects: Vec<Project> = client.json(rb).await?;
    if projects.is_empty() {
        eprintln!("no projects yet");
        return Ok(());
    }
    println!("{}", table::projects(&projects));
    Ok(())
}

/// Follows `GET /api/events/stream`, reconnecting when the connection drops.
pub async fn tail(server: &ServerArgs, filter: &FilterArgs, json: bool) -> Result<()> {
    let client = Client::new(server)?;
    let query = filter.to_query();
    let mut backoff = Duration::from_millis(500);
    loop {
        let rb = client
            .request(Method::GET, "/api/events/stream")
            .query(&query)
            .header("accept", "text/event-stream");
        // Refusals (401, 400) are final; connection problems are retried.
        let res = match rb.try_clone().map(|rb| rb.send()) {
            Some(fut) => fut.await,
            None => unreachable!("GET requests can be cloned"),
        };
        match res {
            Ok(res) if res.status().is_success() => {
                backoff = Duration::from_millis(500);
                follow(res, json).await;
                eprintln!("stream ended; reconnecting");
            }
            Ok(_) => {
                // Let `send` format the server's error.
                client.send(rb).await?;
            }
            Err(e) => eprintln!("cannot reach the server ({e}); retrying in {backoff:?}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// Reads one SSE response until it ends, printing each `event` event.
async fn follow(res: reqwest::Response, json: bool) {
    let mut body = res.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut data = String::new();
    let mut kind = String::new();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else { return };
        buf.extend_from_slice(&chunk);
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if kind == "event" && !data.is_empty() {
                    print_event(&data, json);
                }
                data.clear();
                kind.clear();
            } else if let Some(v) = line.strip_prefix("data:") {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            } else if let Some(v) = line.strip_prefix("event:") {
                kind = v.trim().to_string();
            }
        }
    }
}

fn print_event(data: &str, json: bool) {
    if json {
        println!("{data}");
        return;
    }
    match serde_json::from_str::<Event>(data).context("bad event") {
        Ok(e) => println!("{}", table::event_line(&e)),
        Err(_) => println!("{data}"),
    }
}
