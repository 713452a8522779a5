//! Which local repositories the git connector may read.
//!
//! An integration's `path` comes from whoever may create integrations (a
//! tenant admin), but the connector reads the server's filesystem. So:
//!
//! - a repository must be inside one of the operator's roots
//!   (`PAINCHAIN_GIT_ROOTS`), compared after canonicalisation so `..` and
//!   symlinks can't leave them. (A `.git` *file* may point the git
//!   directory elsewhere: worktrees and submodules do. Only someone who can
//!   write inside a root can make one, so roots must not be writable by
//!   tenants.);
//! - local paths can be switched off as a whole (`painchain serve` does when
//!   several tenants share the server, unless the operator enables them);
//! - every refusal reads the same, so a tenant can't probe the filesystem
//!   ("not a repository", "no such file" and "outside the roots" look alike).

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use git2::Repository;

/// Where local repositories may be read from, and whether at all.
#[derive(Debug, Clone)]
pub struct LocalPathPolicy {
    /// Canonical roots; empty = none allowed.
    roots: Arc<Vec<PathBuf>>,
    /// `false`: local repositories are off (several tenants).
    enabled: Arc<AtomicBool>,
}

impl LocalPathPolicy {
    /// Repositories under `roots` (roots that don't exist are dropped with a
    /// warning: nothing can be under them).
    pub fn new(roots: impl IntoIterator<Item = PathBuf>) -> Self {
        let roots = roots
            .into_iter()
            .filter_map(|r| match r.canonicalize() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(root = %r.display(), error = %e, "git root ignored");
                    None
                }
            })
            .collect();
        LocalPathPolicy {
            roots: Arc::new(roots),
            enabled: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Roots from `PAINCHAIN_GIT_ROOTS` (separated by `:` or `,`), else the
    /// working directory: what a standalone `painchain connector git` uses.
    pub fn from_env() -> Self {
        match std::env::var("PAINCHAIN_GIT_ROOTS") {
            Ok(v) if !v.trim().is_empty() => Self::new(parse_roots(&v)),
            _ => Self::new(std::env::current_dir().ok()),
        }
    }

    /// A switch the owner flips to turn local paths off and on at runtime.
    pub fn switch(&self) -> Arc<AtomicBool> {
        self.enabled.clone()
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    fn inside(&self, p: &Path) -> bool {
        self.roots.iter().any(|r| p.starts_with(r))
    }

    /// The canonical path of an allowed repository directory.
    pub fn check(&self, path: &Path) -> Result<PathBuf, String> {
        if !self.enabled() {
            return Err(disabled());
        }
        let canon = path.canonicalize().map_err(|_| unavailable(path))?;
        if !self.inside(&canon) {
            return Err(unavailable(path));
        }
        Ok(canon)
    }

    /// Opens an allowed repository (blocking I/O).
    pub fn open(&self, path: &Path) -> Result<Repository, String> {
        let canon = self.check(path)?;
        Repository::open(&canon).map_err(|_| unavailable(path))
    }
}

/// Splits a `PAINCHAIN_GIT_ROOTS` value.
pub fn parse_roots(v: &str) -> Vec<PathBuf> {
    v.split([':', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// The one message for every refused path (no filesystem probing).
pub fn unavailable(path: &Path) -> String {
    format!(
        "{} is not a git repository this server may read (it must exist under a directory of PAINCHAIN_GIT_ROOTS)",
        path.display()
    )
}

fn disabled() -> String {
    "local git repositories are disabled on this server: several tenants share it (the operator can enable them with PAINCHAIN_GIT_LOCAL_PATHS=on)".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(dir: &Path) {
        Repository::init(dir).unwrap();
    }

    fn refusal(p: &LocalPathPolicy, path: &Path) -> String {
        match p.open(path) {
            Ok(_) => panic!("{} was opened", path.display()),
            Err(e) => e,
        }
    }

    #[test]
    fn confines_to_roots_and_refusals_look_alike() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        repo(&root.path().join("inside"));
        repo(&outside.path().join("secret"));
        std::fs::create_dir(root.path().join("plain")).unwrap();
        let p = LocalPathPolicy::new([root.path().to_path_buf()]);
        assert!(p.open(&root.path().join("inside")).is_ok());

        let escapes = [
            outside.path().join("secret"),
            root.path().join("..").join(
                outside
                    .path()
                    .strip_prefix(outside.path().parent().unwrap())
                    .unwrap(),
            ),
            root.path().join("nope"),
            root.path().join("plain"),
            outside.path().join("nope"),
        ];
        #[cfg(unix)]
        let escapes = {
            let link = root.path().join("link");
            std::os::unix::fs::symlink(outside.path().join("secret"), &link).unwrap();
            let mut e = escapes.to_vec();
            e.push(link);
            e
        };
        for e in escapes.iter() {
            let err = refusal(&p, e);
            assert_eq!(err, unavailable(e), "{}", e.display());
        }

        p.switch().store(false, Ordering::Relaxed);
        let err = refusal(&p, &root.path().join("inside"));
        assert!(err.contains("disabled"), "{err}");
    }

    #[test]
    fn roots_parse() {
        assert_eq!(
            parse_roots("/a:/b, /c"),
            vec![
                PathBuf::from("/a"),
                PathBuf::from("/b"),
                PathBuf::from("/c")
            ]
        );
    }
}
