//! `painchain investigate`: the ranked suspects for an incident, with their
//! reasons and each chain drawn as a tree.

use std::collections::HashSet;

use anyhow::Result;
use reqwest::Method;
use serde_json::Value;

use crate::{
    cli::{InvestigateArgs, ServerArgs},
    client::Client,
};

pub async fn run(server: &ServerArgs, args: &InvestigateArgs) -> Result<()> {
    let client = Client::new(server)?;
    let mut query: Vec<(&str, String)> = Vec::new();
    let mut opt = |k: &'static str, v: &Option<String>| {
        if let Some(v) = v {
            query.push((k, v.clone()));
        }
    };
    opt("at", &args.at);
    opt("event", &args.event);
    opt("window", &args.window);
    opt("service", &args.service);
    opt("environment", &args.environment);
    for p in &args.project {
        query.push(("project", p.clone()));
    }
    for t in &args.tag {
        query.push(("tag", t.clone()));
    }
    for t in &args.team {
        query.push(("team", t.clone()));
    }
    let rb = client
        .request(Method::GET, "/api/investigate")
        .query(&query);
    let v: Value = client.json(rb).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&v));
    }
    Ok(())
}

/// The human-readable report.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Investigating {} (window {}): {} changes considered.\n{}\n",
        s(&v["at"]),
        s(&v["window"]),
        v["considered"],
        s(&v["summary"])
    ));
    for sus in v["suspects"].as_array().into_iter().flatten() {
        let e = &sus["event"];
        out.push_str(&format!(
            "\n{}. [score {}] {}\n   {}\n",
            sus["rank"],
            sus["score"],
            s(&e["title"]),
            describe(e)
        ));
        for r in sus["reasons"].as_array().into_iter().flatten() {
            let w = r["weight"].as_f64().unwrap_or(0.0);
            out.push_str(&format!("   {:>+6.1}  {}\n", w, s(&r["text"])));
        }
        let tree = chain_tree(&sus["chain"]);
        if !tree.is_empty() {
            out.push_str("   chain:\n");
            out.push_str(&tree);
        }
    }
    out
}

fn s(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn describe(e: &Value) -> String {
    let mut parts = vec![s(&e["timestamp"])];
    for k in ["kind", "service", "environment", "status", "connector"] {
        if let Some(x) = e[k].as_str() {
            parts.push(format!("{k}={x}"));
        }
    }
    parts.push(format!("id={}", s(&e["id"])));
    parts.join("  ")
}

/// The chain around its root: upstream causes marked `←`, downstream
/// effects `→`, one level of indentation per hop.
pub fn chain_tree(chain: &Value) -> String {
    let nodes = chain["nodes"].as_array().cloned().unwrap_or_default();
    let edges = chain["edges"].as_array().cloned().unwrap_or_default();
    let root = s(&chain["root"]);
    let title = |id: &str| {
        nodes
            .iter()
            .find(|n| n["id"] == id)
            .map(|n| format!("{} ({})", s(&n["title"]), s(&n["timestamp"])))
            .unwrap_or_else(|| id.to_string())
    };
    let mut out = String::new();
    let mut seen = HashSet::from([root.clone()]);
    walk(&root, 1, &edges, &title, &mut seen, &mut out);
    out
}

fn walk(
    id: &str,
    depth: usize,
    edges: &[Value],
    title: &dyn Fn(&str) -> String,
    seen: &mut HashSet<String>,
    out: &mut String,
) {
    for e in edges {
        let (from, to) = (s(&e["from"]), s(&e["to"]));
        let (other, arrow) = if from == id {
            (to, "→")
        } else if to == id {
            (from, "←")
        } else {
            continue;
        };
        if !seen.insert(other.clone()) {
            continue;
        }
        let inferred = if e["strength"] == "inferred" {
            ", inferred"
        } else {
            ""
        };
        out.push_str(&format!(
            "   {}{arrow} {}: {}  [via {} {}{inferred}]\n",
            "  ".repeat(depth),
            s(&e["relation"]),
            title(&other),
            s(&e["via"]["type"]),
            s(&e["via"]["value"]),
        ));
        walk(&other, depth + 1, edges, title, seen, out);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn chains_print_as_trees_in_both_directions() {
        let chain = json!({
            "root": "d",
            "nodes": [
                {"id": "d", "title": "Deploy api", "timestamp": "t3"},
                {"id": "c", "title": "CI on main", "timestamp": "t2"},
                {"id": "p", "title": "Merge #12", "timestamp": "t1"},
                {"id": "f", "title": "api pods CrashLoopBackOff", "timestamp": "t4"}
            ],
            "edges": [
                {"from": "c", "to": "d", "relation": "deployed", "via": {"type": "commit", "value": "9f1c2ab"}, "strength": "ref"},
                {"from": "p", "to": "c", "relation": "built", "via": {"type": "commit", "value": "9f1c2ab"}, "strength": "ref"},
                {"from": "d", "to": "f", "relation": "failing", "via": {"type": "k8s", "value": "c/ns/Deployment/api"}, "strength": "ref"}
            ]
        });
        let t = chain_tree(&chain);
        assert!(
            t.contains("  ← deployed: CI on main (t2)  [via commit 9f1c2ab]"),
            "{t}"
        );
        assert!(t.contains("    ← built: Merge #12 (t1)"), "{t}");
        assert!(
            t.contains("  → failing: api pods CrashLoopBackOff (t4)"),
            "{t}"
        );
    }
}
