#![cfg(test)]
//! Acknowledged writes survive `kill -9`: a client creates IAM users in a loop, the server is
//! killed at a random moment, restarted, and every user the client saw acknowledged is there;
//! the audit chain still verifies.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{Server, assert_ok, mudroom};

#[test]
fn acknowledged_writes_survive_kill_9() {
    let Some(python) = common::python() else {
        return;
    };
    let mut server = Server::start("crash");
    let root = server.root.clone();
    let data = server.data_dir.clone();
    let acked_file = root.join("acked.txt");
    let mut acked: Vec<String> = Vec::new();
    // Kill moments vary from run to run; what must hold does not depend on them.
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(7, |d| d.subsec_nanos());
    for round in 0..3u32 {
        let delay_ms = 300 + u64::from((seed >> (round * 8)) % 900);
        let mut writer = Command::new(&python)
            .arg(common::repo().join("crates/mudroom/tests/py/crash_writer.py"))
            .env("MUDROOM_ENDPOINT", &server.endpoint)
            .env("AWS_ACCESS_KEY_ID", &server.admin.0)
            .env("AWS_SECRET_ACCESS_KEY", &server.admin.1)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("PREFIX", format!("r{round}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = writer.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.kill();
        let _ = writer.wait();
        let round_acked = reader.join().unwrap();
        eprintln!(
            "round {round}: killed after {delay_ms} ms, {} writes acknowledged",
            round_acked.len()
        );
        acked.extend(round_acked);
        std::fs::write(&acked_file, acked.join("\n")).unwrap();
        server = Server::start_in(&root, &data);
        let out = server.python(
            &python,
            "crash_checker.py",
            &[("ACKED", acked_file.to_str().unwrap())],
        );
        assert_ok(&out);
    }
    assert!(!acked.is_empty(), "the writer never got an acknowledgement");
    server.stop();
    let out = mudroom(&root)
        .args(["audit", "verify", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_ok(&out);
}
