//! Integrations declared in YAML ("config as code"), in the seed's format:
//!
//! ```yaml
//! integrations:            # in painchain.yaml (serve) or a connector file
//!   - name: backend repo   # optional: defaults to config.name
//!     connector: {type: git, project: backend-team}
//!     config:
//!       tags: [backend]
//!       path: ${REPO_DIR:-.}
//!       polling: {interval: 10}
//! ```
//!
//! A standalone connector file may also be one integration at top level
//! (`connector:` + `config:`), exactly as the seed's `github-connector.yaml`.
//!
//! `${VAR}` and `${VAR:-default}` are substituted inside string values
//! (`$${...}` is a literal `${...}`); a value that is a single `${...}`
//! takes the type it reads as (so `interval: ${POLL:-60}` is a number). A
//! missing variable is an error naming it and its line; so are unknown keys.

use std::path::Path;

use serde_json::{Map, Value};

/// One declared integration.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    /// Identity: re-applying the file updates the integration of this
    /// (type, name) instead of creating another.
    pub name: String,
    pub integration_type: String,
    pub config: Value,
    pub enabled: bool,
    pub tenant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigFileError {
    pub file: String,
    pub message: String,
}

/// Where the integrations live in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `painchain.yaml`: server keys are read by the server; only
    /// `integrations:` is ours.
    Serve,
    /// A connector file: `integrations:` and/or `connector:` + `config:`.
    Connector,
}

const ENTRY_KEYS: &[&str] = &["name", "connector", "config", "enabled", "tenant"];
const CONNECTOR_KEYS: &[&str] = &["type", "project"];
const CONNECTOR_FILE_KEYS: &[&str] = &[
    "integrations",
    "connector",
    "config",
    "name",
    "enabled",
    "tenant",
];

pub fn load(path: &Path, kind: FileKind) -> Result<Vec<Declared>, ConfigFileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigFileError {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    parse(&text, &file, kind, &|k| std::env::var(k).ok())
}

pub fn parse(
    text: &str,
    file: &str,
    kind: FileKind,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Declared>, ConfigFileError> {
    let err = |message: String| ConfigFileError {
        file: file.to_string(),
        message,
    };
    check_vars(text, env).map_err(err)?;
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| err(format!("invalid YAML: {e}")))?;
    let doc: Value =
        serde_json::to_value(doc).map_err(|e| err(format!("unsupported YAML: {e}")))?;
    let doc = match doc {
        Value::Null => return Ok(Vec::new()),
        Value::Object(m) => m,
        _ => return Err(err("the file must be a YAML mapping".into())),
    };
    let mut raw: Vec<(String, Value)> = Vec::new();
    if kind == FileKind::Connector {
        unknown(&doc, CONNECTOR_FILE_KEYS, "").map_err(err)?;
        if doc.contains_key("connector") || doc.contains_key("config") {
            let mut single = Map::new();
            for k in ["name", "connector", "config", "enabled", "tenant"] {
                if let Some(v) = doc.get(k) {
                    single.insert(k.into(), v.clone());
                }
            }
            raw.push(("top level".into(), Value::Object(single)));
        }
    }
    match doc.get("integrations") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, it) in items.iter().enumerate() {
                raw.push((format!("integrations[{i}]"), it.clone()));
            }
        }
        Some(_) => return Err(err("`integrations` must be a list".into())),
    }
    let mut out: Vec<Declared> = Vec::new();
    for (at, v) in raw {
        let d = entry(&at, v, env).map_err(err)?;
        if out.iter().any(|o| {
            o.name == d.name && o.integration_type == d.integration_type && o.tenant == d.tenant
        }) {
            return Err(err(format!(
                "{at}: a second `{}` integration named `{}` (names identify declared integrations)",
                d.integration_type, d.name
            )));
        }
        out.push(d);
    }
    Ok(out)
}

fn unknown(m: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), String> {
    let bad: Vec<&str> = m
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(String::as_str)
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}unknown key{} {} (allowed: {})",
            if at.is_empty() {
                String::new()
            } else {
                format!("{at}: ")
            },
            if bad.len() > 1 { "s" } else { "" },
            bad.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            allowed.join(", ")
        ))
    }
}

fn entry(at: &str, v: Value, env: &dyn Fn(&str) -> Option<String>) -> Result<Declared, String> {
    let Value::Object(m) = v else {
        return Err(format!("{at}: each integration must be a mapping"));
    };
    unknown(&m, ENTRY_KEYS, at)?;
    let connector = match m.get("connector") {
        Some(Value::Object(c)) => c.clone(),
        Some(Value::String(t)) => {
            let mut c = Map::new();
            c.insert("type".into(), Value::String(t.clone()));
            c
        }
        _ => return Err(format!("{at}: `connector: {{type: ...}}` is required")),
    };
    unknown(&connector, CONNECTOR_KEYS, &format!("{at}.connector"))?;
    let ty = connector
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("{at}.connector.type is required"))?
        .to_string();
    let mut config = match m.get("config") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(_) => return Err(format!("{at}.config must be a mapping")),
    };
    substitute(&mut config, env);
    let cm = config.as_object_mut().unwrap();
    if let Some(p) = connector.get("project").and_then(Value::as_str) {
        cm.entry("project")
            .or_insert_with(|| Value::String(p.to_string()));
    }
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| cm.get("name").and_then(Value::as_str).map(String::from))
        .or_else(|| {
            connector
                .get("project")
                .and_then(Value::as_str)
                .map(|p| format!("{ty} {p}"))
        })
        .unwrap_or_else(|| ty.clone());
    // The seed contract wants config.name and config.tags: fill them in
    // rather than make every file repeat them.
    cm.entry("name")
        .or_insert_with(|| Value::String(name.clone()));
    cm.entry("tags").or_insert_with(|| Value::Array(Vec::new()));
    let enabled = match m.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{at}.enabled must be true or false")),
    };
    let tenant = m.get("tenant").and_then(Value::as_str).map(String::from);
    Ok(Declared {
        name,
        integration_type: ty,
        config,
        enabled,
        tenant,
    })
}

/// Fails on the first `${VAR}` without a value and without default,
/// naming it and its line. Comment lines are skipped.
fn check_vars(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for tok in tokens(line) {
            if let Token::Var {
                name,
                default: None,
            } = tok
            {
                if env(name).is_none() {
                    return Err(format!(
                        "line {}: environment variable `{name}` is not set (use ${{{name}:-default}} for a fallback)",
                        n + 1
                    ));
                }
            }
        }
    }
    Ok(())
}

enum Token<'a> {
    Text(&'a str),
    Var {
        name: &'a str,
        default: Option<&'a str>,
    },
}

fn tokens(s: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        // `$${` escapes.
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            out.push(Token::Text(&rest[..i - 1]));
            out.push(Token::Text("${"));
            rest = &rest[i + 2..];
            continue;
        }
        let Some(end) = rest[i..].find('}') else {
            break;
        };
        out.push(Token::Text(&rest[..i]));
        let inner = &rest[i + 2..i + end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        out.push(Token::Var {
            name: name.trim(),
            default,
        });
        rest = &rest[i + end + 1..];
    }
    out.push(Token::Text(rest));
    out
}

fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    tokens(s)
        .into_iter()
        .map(|t| match t {
            Token::Text(t) => t.to_string(),
            Token::Var { name, default } => env(name)
                .or_else(|| default.map(String::from))
                .unwrap_or_default(),
        })
        .collect()
}

fn substitute(v: &mut Value, env: &dyn Fn(&str) -> Option<String>) {
    match v {
        Value::String(s) if s.contains("${") => {
            let whole = {
                let t = tokens(s);
                t.iter().filter(|t| !matches!(t, Token::Text(""))).count() == 1
                    && t.iter().any(|t| matches!(t, Token::Var { .. }))
            };
            let expanded = expand(s, env);
            *v = if whole {
                // A value that is just `${X}` takes the type it reads as.
                match serde_yaml::from_str::<serde_yaml::Value>(&expanded)
                    .ok()
                    .and_then(|y| serde_json::to_value(y).ok())
                {
                    Some(x @ (Value::Number(_) | Value::Bool(_))) => x,
                    _ => Value::String(expanded),
                }
            } else {
                Value::String(expanded)
            };
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, env)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, env)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(k: &str) -> Option<String> {
        match k {
            "TOKEN" => Some("ghp_x".into()),
            "POLL" => Some("30".into()),
            _ => None,
        }
    }

    #[test]
    fn serve_file_with_substitution() {
        let text = "bind: 127.0.0.1:8000\nintegrations:\n  - connector: {type: github, project: backend}\n    config:\n      token: ${TOKEN}\n      url: http://${HOST:-localhost}:1\n      polling:\n        interval: ${POLL}\n      literal: $${NOPE}\n";
        let d = parse(text, "p.yaml", FileKind::Serve, &env).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].integration_type, "github");
        assert_eq!(d[0].name, "github backend");
        let c = &d[0].config;
        assert_eq!(c["token"], "ghp_x");
        assert_eq!(c["url"], "http://localhost:1");
        assert_eq!(c["polling"]["interval"], json!(30));
        assert_eq!(c["literal"], "${NOPE}");
        assert_eq!(c["project"], "backend");
        assert_eq!(c["tags"], json!([]));
        assert_eq!(c["name"], "github backend");
    }

    #[test]
    fn missing_variable_names_it_and_the_line() {
        let text = "integrations:\n  - connector: {type: git}\n    config:\n      # ${IN_COMMENT}\n      path: ${REPO}\n";
        let e = parse(text, "p.yaml", FileKind::Serve, &env)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("REPO") && e.contains("line 5") && e.contains("p.yaml"),
            "{e}"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = parse(
            "integrations:\n  - connector: {type: git}\n    confg: {}\n",
            "f",
            FileKind::Serve,
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`confg`"), "{e}");
        let e = parse(
            "integrations:\n  - connector: {type: git, projet: x}\n",
            "f",
            FileKind::Serve,
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`projet`") && e.contains("connector"), "{e}");
        let e = parse(
            "connector: {type: git}\nserver: x\n",
            "f",
            FileKind::Connector,
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`server`"), "{e}");
    }

    #[test]
    fn seed_connector_file_is_one_integration() {
        let text = "connector:\n  type: github\n  project: backend-team\nconfig:\n  token: ${TOKEN}\n  repositories:\n    - owner: acme\n      repo: api\n";
        let d = parse(text, "gh.yaml", FileKind::Connector, &env).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].config["repositories"][0]["repo"], "api");
    }

    #[test]
    fn duplicate_names_are_refused() {
        let text = "integrations:\n  - {name: a, connector: {type: git}}\n  - {name: a, connector: {type: git}}\n";
        assert!(parse(text, "f", FileKind::Serve, &env).is_err());
    }
}
