//! The git integration's config (`config` of an integration of type `git`).

use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One `branch.pushed` event per new batch of commits on a branch.
    Batch,
    /// One `branch.pushed` event per new commit.
    Commit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepoConfig {
    pub path: PathBuf,
    /// The event's `project`: `config.project`, else the directory name.
    pub project: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GitConfig {
    pub repos: Vec<RepoConfig>,
    /// Branch names or `prefix*` patterns; empty = all local branches.
    pub branches: Vec<String>,
    pub mode: Mode,
    /// Backfill bound for a repository seen for the first time.
    pub since: chrono::Duration,
    pub tags: bool,
}

/// Reads a list given as an array, or as one string separated by commas or
/// newlines (what a form's text field sends).
fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => {
            // A JSON-encoded array in a string (the seed UI's textarea habit).
            if let Ok(a) = serde_json::from_str::<Vec<String>>(s) {
                return a;
            }
            s.split([',', '\n'])
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The project name a path gets by default: its directory name, without a
/// `.git` suffix (and the parent's name for a `.../repo/.git` path).
pub fn default_project(path: &Path) -> String {
    // `.` or `../x` name nothing by themselves: use the real directory.
    let mut p = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if p.file_name().is_some_and(|n| n == ".git") {
        p.pop();
    }
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string());
    name.strip_suffix(".git").unwrap_or(&name).to_string()
}

impl GitConfig {
    pub fn from_json(config: &Value) -> Result<GitConfig, String> {
        let mut paths = string_list(config.get("path"));
        paths.extend(string_list(config.get("paths")));
        if paths.is_empty() {
            return Err("`path` is required: the repository directory (several may be given, separated by commas)".into());
        }
        let project = config
            .get("project")
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let many = paths.len() > 1;
        let repos = paths
            .into_iter()
            .map(|p| {
                let path = PathBuf::from(&p);
                let project = match project {
                    // Several repos under one project name would be
                    // indistinguishable: qualify them.
                    Some(pr) if many => format!("{pr}/{}", default_project(&path)),
                    Some(pr) => pr.to_string(),
                    None => default_project(&path),
                };
                RepoConfig { path, project }
            })
            .collect();
        let mode = match config.get("mode").and_then(|v| v.as_str()) {
            None | Some("") | Some("batch") => Mode::Batch,
            Some("commit") => Mode::Commit,
            Some(other) => {
                return Err(format!("`mode` must be `batch` or `commit`, got `{other}`"))
            }
        };
        let since = match config.get("since") {
            None | Some(Value::Null) => chrono::Duration::days(30),
            Some(Value::Number(n)) => chrono::Duration::days(n.as_i64().unwrap_or(30).max(0)),
            Some(Value::String(s)) if s.trim().is_empty() => chrono::Duration::days(30),
            Some(Value::String(s)) => painchain_core::time::parse_duration(s)
                .ok_or_else(|| format!("`since` must look like `30d`, `12h` or `2w`, got `{s}`"))?,
            Some(_) => return Err("`since` must be a duration such as `30d`".into()),
        };
        let tags = config
            .get("includeTags")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        Ok(GitConfig {
            repos,
            branches: string_list(config.get("branches")),
            mode,
            since,
            tags,
        })
    }

    pub fn follows_branch(&self, name: &str) -> bool {
        self.branches.is_empty()
            || self.branches.iter().any(|b| match b.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => b == name,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_defaults_and_lists() {
        let c = GitConfig::from_json(
            &json!({"name": "x", "tags": [], "path": "/src/app, /src/lib.git"}),
        )
        .unwrap();
        assert_eq!(c.repos.len(), 2);
        assert_eq!(c.repos[1].project, "lib");
        assert_eq!(c.mode, Mode::Batch);
        assert_eq!(c.since, chrono::Duration::days(30));
        assert!(c.follows_branch("anything"));

        let c = GitConfig::from_json(&json!({"path": "/src/app/.git", "branches": ["main", "release/*"], "mode": "commit", "since": "2w"})).unwrap();
        assert_eq!(c.repos[0].project, "app");
        let here = GitConfig::from_json(&json!({"path": "."})).unwrap();
        assert_ne!(here.repos[0].project, ".");
        assert!(c.follows_branch("release/1.2"));
        assert!(!c.follows_branch("feature"));
        assert_eq!(c.mode, Mode::Commit);
        assert_eq!(c.since, chrono::Duration::weeks(2));
    }

    #[test]
    fn names_the_bad_field() {
        assert!(GitConfig::from_json(&json!({}))
            .unwrap_err()
            .contains("path"));
        assert!(GitConfig::from_json(&json!({"path": "/x", "mode": "x"}))
            .unwrap_err()
            .contains("mode"));
        assert!(
            GitConfig::from_json(&json!({"path": "/x", "since": "soon"}))
                .unwrap_err()
                .contains("since")
        );
    }
}
