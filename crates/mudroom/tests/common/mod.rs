//! A real `mudroom up` on loopback for end-to-end tests, driven by real AWS clients (boto3 and
//! the aws CLI from the venv `scripts/test-deps` installs).
#![allow(dead_code, reason = "each test binary uses part of the harness")]

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, or `None` (with a message) when `scripts/test-deps` has not run; under
/// `CI` its absence is a failure.
pub fn python() -> Option<PathBuf> {
    let python = repo().join("target/test-deps/venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the test venv is missing: scripts/test-deps must run first"
    );
    eprintln!(
        "SKIP: {} is missing; run scripts/test-deps",
        python.display()
    );
    None
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `mudroom up`, stopped (SIGTERM, then SIGKILL) on drop.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The scratch directory holding it (and the key file directory).
    pub root: PathBuf,
    /// The administrator's access key id and secret.
    pub admin: (String, String),
    /// Everything the server printed on stdout until it was up.
    pub banner: String,
}

/// A scratch directory under the target dir, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// The `mudroom` binary with the environment of a test root: the key file lives in
/// `root/config`, never in the user's home.
pub fn mudroom(root: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mudroom"));
    cmd.env("XDG_CONFIG_HOME", root.join("config"))
        .env_remove("MUDROOM_MASTER_KEY")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE");
    cmd
}

impl Server {
    /// Starts a server on a fresh data directory in scratch dir `name`.
    pub fn start(name: &str) -> Server {
        let root = scratch(name);
        Self::start_in(&root, &root.join("data"))
    }

    /// Starts a server on `data_dir` (which may hold state from an earlier run).
    pub fn start_in(root: &Path, data_dir: &Path) -> Server {
        Self::launch(root, data_dir, Stdio::inherit())
    }

    /// Starts a server on a fresh data directory in scratch dir `name`, writing its stderr to
    /// `root/stderr.log` instead of the test's.
    pub fn start_logged(name: &str) -> Server {
        let root = scratch(name);
        let log = std::fs::File::create(root.join("stderr.log")).expect("create stderr.log");
        Self::launch(&root, &root.join("data"), Stdio::from(log))
    }

    fn launch(root: &Path, data_dir: &Path, stderr: Stdio) -> Server {
        let port = free_port();
        let mut child = mudroom(root)
            .args(["up", "--data-dir"])
            .arg(data_dir)
            .args(["--services-listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start mudroom up");
        // The banner is printed once the endpoint listens.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut banner = String::new();
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let mut sent = false;
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                banner.push_str(&line);
                if !sent && line.contains("services endpoint") {
                    let _ = tx.send(banner.clone());
                    sent = true;
                }
                line.clear();
            }
        });
        let banner = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                panic!("mudroom up did not come up within 60 s");
            }
        };
        let out = mudroom(root)
            .args(["admin", "credentials", "--data-dir"])
            .arg(data_dir)
            .output()
            .expect("run admin credentials");
        assert!(out.status.success(), "admin credentials failed: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("export {key}=")))
                .map(str::to_string)
                .unwrap_or_else(|| panic!("no {key} in {text}"))
        };
        Server {
            admin: (value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY")),
            child: Some(child),
            endpoint: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_path_buf(),
            root: root.to_path_buf(),
            banner,
        }
    }

    /// Runs a python script from `crates/mudroom/tests/py` with the venv's python, with
    /// `MUDROOM_ENDPOINT` and the admin's credentials in the environment plus `env`.
    pub fn python(&self, python: &Path, script: &str, env: &[(&str, &str)]) -> Output {
        let path = repo().join("crates/mudroom/tests/py").join(script);
        let mut cmd = Command::new(python);
        cmd.arg(&path)
            .env("MUDROOM_ENDPOINT", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.admin.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.admin.1)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run python")
    }

    /// The venv's `aws` CLI with the admin's credentials and this endpoint.
    pub fn aws(&self, python: &Path, args: &[&str]) -> Output {
        let aws = python.with_file_name("aws");
        Command::new(aws)
            .args(["--endpoint-url", &self.endpoint, "--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.admin.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.admin.1)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("run aws")
    }

    /// Stops the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server with SIGTERM and waits for it (up to 20 s).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asserts a process succeeded, printing its output otherwise.
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
