//! Helpers shared by the end-to-end tests: spawning `painchain` processes
//! with a clean environment and their output captured.
// Each test binary uses a different subset.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub const BIN: &str = env!("CARGO_BIN_EXE_painchain");

/// A running `painchain` process; killed when dropped.
pub struct Proc {
    name: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// `http://addr` from the server's "listening on" line.
    listening: Arc<Mutex<Option<String>>>,
}

impl Proc {
    /// Runs `painchain <args>`. Settings that could leak in from the
    /// developer's environment are removed; in-process connectors are off
    /// unless `envs` sets `PAINCHAIN_CONNECTORS`.
    pub fn spawn(name: &str, args: &[&str], envs: &[(&str, &str)]) -> Proc {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        for var in [
            "PAINCHAIN_DATABASE_URL",
            "PAINCHAIN_TOKEN",
            "PAINCHAIN_SERVER",
            "PAINCHAIN_CONFIG",
            "PAINCHAIN_SECRET_KEY",
            "PAINCHAIN_SECRET_KEY_FILE",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("PAINCHAIN_LOG", "info")
            .env("RUST_LOG", "info")
            .env("PAINCHAIN_CONNECTORS", "none")
            // Test repositories live in temporary directories.
            .env("PAINCHAIN_GIT_ROOTS", std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn painchain");
        let log = Arc::new(Mutex::new(Vec::new()));
        let listening = Arc::new(Mutex::new(None));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            let listening = listening.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Some(i) = line.find("listening on http://") {
                        let addr = line[i + "listening on ".len()..]
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string();
                        listening.lock().unwrap().get_or_insert(addr);
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        Proc {
            name: name.to_string(),
            child,
            log,
            listening,
        }
    }

    /// The server's base URL, once it logged that it listens (60 s at most).
    pub fn base(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(b) = self.listening.lock().unwrap().clone() {
                return b;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not start:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    pub fn log(&self) -> String {
        format!(
            "--- {} ---\n{}",
            self.name,
            self.log.lock().unwrap().join("\n")
        )
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                panic!("{} did not exit in time:\n{}", self.name, self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and a clean exit; returns the output.
    pub fn stop(mut self) -> String {
        self.signal(libc::SIGTERM);
        let s = self.wait(Duration::from_secs(30));
        assert!(s.success(), "{} exit {s:?}\n{}", self.name, self.log());
        // The reader threads may still be draining the pipes.
        std::thread::sleep(Duration::from_millis(100));
        self.log()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
