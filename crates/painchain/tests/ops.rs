//! Operating the binary: `--log-format json` (every line a JSON object),
//! the text default, and `painchain healthcheck` (the container image's
//! HEALTHCHECK).

mod common;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use common::{free_port, Proc, BIN};
use serde_json::Value;

/// Starts `painchain serve` on a free loopback port with `args` added and
/// waits until `/health` answers. The in-process connectors run too, so
/// their log lines are checked as well.
fn serve(name: &str, args: &[&str], envs: &[(&str, &str)]) -> (Proc, u16, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let data = dir.path().join("data");
    let mut all = vec![
        "serve",
        "--no-auth",
        "--bind",
        &bind,
        "--data-dir",
        data.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let mut envs = envs.to_vec();
    envs.push(("PAINCHAIN_CONNECTORS", "all"));
    let p = Proc::spawn(name, &all, &envs);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = Command::new(BIN)
            .args(["healthcheck", "--url", &format!("http://{bind}/health")])
            .output()
            .unwrap()
            .status
            .success();
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "did not start:\n{}", p.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    (p, port, dir)
}

/// The `--- name ---` header of `Proc::log` is ours, not the server's.
fn lines(log: &str) -> Vec<&str> {
    log.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn assert_all_json(log: &str) -> Vec<Value> {
    let lines = lines(log);
    assert!(lines.len() >= 3, "startup logs expected:\n{log}");
    lines
        .iter()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\n{log}"));
            assert!(v["timestamp"].is_string(), "{l}");
            assert!(v["level"].is_string(), "{l}");
            assert!(v["fields"].is_object(), "{l}");
            v
        })
        .collect()
}

#[test]
fn log_format_json_flag() {
    let (p, port, _dir) = serve("json", &["--log-format", "json"], &[]);
    // A request, so request-time logging (if any) is covered too.
    let out = Command::new(BIN)
        .args([
            "events",
            "list",
            "--server",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let log = p.stop();
    let objs = assert_all_json(&log);
    let messages: Vec<&str> = objs
        .iter()
        .filter_map(|v| v["fields"]["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("listening on http://")),
        "{messages:?}"
    );
    // The warning about auth being off is a structured line too.
    assert!(
        objs.iter().any(|v| v["level"] == "WARN"),
        "a WARN line expected:\n{log}"
    );
}

#[test]
fn log_format_from_env_and_flag_precedence() {
    // PAINCHAIN_LOG_FORMAT alone switches to JSON...
    let (p, _, _dir) = serve("env", &[], &[("PAINCHAIN_LOG_FORMAT", "json")]);
    assert_all_json(&p.stop());
    // ...and the flag beats it.
    let (p, _, _dir) = serve(
        "flag",
        &["--log-format", "text"],
        &[("PAINCHAIN_LOG_FORMAT", "json")],
    );
    let log = p.stop();
    assert_text(&log);
}

fn assert_text(log: &str) {
    let lines = lines(log);
    assert!(!lines.is_empty(), "{log}");
    for l in lines {
        assert!(serde_json::from_str::<Value>(l).is_err(), "JSON line: {l}");
    }
    assert!(log.contains("listening on http://"), "{log}");
}

#[test]
fn log_format_defaults_to_text() {
    let (p, _, _dir) = serve("text", &[], &[]);
    assert_text(&p.stop());
}

#[test]
fn log_format_rejects_unknown_values() {
    let out = Command::new(BIN)
        .args(["serve", "--log-format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--log-format"), "{err}");
    // A bad PAINCHAIN_LOG_FORMAT names the variable (exit 2, no start).
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--data-dir", dir.path().to_str().unwrap()])
        .env("PAINCHAIN_LOG_FORMAT", "xml")
        .env("PAINCHAIN_BIND", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("PAINCHAIN_LOG_FORMAT"));
}

#[test]
fn healthcheck_exit_codes() {
    let (p, port, _dir) = serve("health", &[], &[]);
    let check = |args: &[&str], envs: &[(&str, &str)]| {
        let mut c = Command::new(BIN);
        c.arg("healthcheck").args(args).env_remove("PAINCHAIN_BIND");
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let url = format!("http://127.0.0.1:{port}/health");
    assert!(check(&["--url", &url], &[]).status.success());
    // Without --url, the port comes from PAINCHAIN_BIND (as in the image).
    let bind = format!("0.0.0.0:{port}");
    assert!(check(&[], &[("PAINCHAIN_BIND", &bind)]).status.success());
    // A path that is not 2xx, and a port nobody listens on: exit 1.
    let out = check(
        &["--url", &format!("http://127.0.0.1:{port}/api/nope")],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("404"));
    drop(p);
    let closed = free_port();
    let out = check(&[], &[("PAINCHAIN_BIND", &format!("127.0.0.1:{closed}"))]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
