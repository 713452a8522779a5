//! Human-readable output: tables for lists, one line per streamed event.

use chrono::{DateTime, Utc};
use comfy_table::{presets::UTF8_BORDERS_ONLY, ContentArrangement, Table};
use painchain_core::{team::Project, token::TokenInfo, Event};

fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    t
}

fn dash(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

pub fn events(events: &[Event]) -> Table {
    let mut t = new_table(&["TIME", "CONNECTOR", "PROJECT", "KIND", "STATUS", "TITLE"]);
    for e in events {
        t.add_row(vec![
            when(&e.timestamp),
            e.connector.clone(),
            e.project.clone(),
            dash(&e.kind).to_string(),
            dash(&e.status).to_string(),
            e.title.clone(),
        ]);
    }
    t
}

pub fn event_line(e: &Event) -> String {
    format!(
        "{}  {:<10} {:<24} {:<22} {:<11} {}",
        when(&e.timestamp),
        e.connector,
        e.project,
        dash(&e.kind),
        dash(&e.status),
        e.title
    )
}

pub fn projects(projects: &[Project]) -> Table {
    let mut t = new_table(&["PROJECT", "CONNECTORS", "EVENTS", "LAST EVENT", "TAGS"]);
    for p in projects {
        t.add_row(vec![
            p.name.clone(),
            p.connectors.join(", "),
            p.event_count.to_string(),
            p.last_event_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "-".into()),
            p.tags.join(", "),
        ]);
    }
    t
}

pub fn tokens(tokens: &[TokenInfo]) -> Table {
    let mut t = new_table(&[
        "ID",
        "NAME",
        "SCOPE",
        "TENANT",
        "PREFIX",
        "CONNECTOR",
        "CREATED",
        "LAST USED",
        "EXPIRES",
    ]);
    for k in tokens {
        t.add_row(vec![
            k.id.clone(),
            k.name.clone(),
            k.scope.as_str().to_string(),
            k.tenant_id.clone(),
            format!("{}…", k.prefix),
            k.connector.clone().unwrap_or_default(),
            when(&k.created_at),
            k.last_used_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "never".into()),
            k.expires_at
                .as_ref()
                .map(when)
                .unwrap_or_else(|| "never".into()),
        ]);
    }
    t
}
