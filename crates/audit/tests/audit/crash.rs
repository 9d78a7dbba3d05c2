//! Durability: a child process appends and prints each acknowledged record; it is SIGKILLed at
//! a random moment; every acknowledged record must be there, unchanged, and the chain intact.
//!
//! A kill tests that nothing is acknowledged before its commit and that recovery after a crash
//! mid-commit is clean; it cannot test power loss, which rests on `synchronous=FULL` and the
//! fsync of the WAL.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use mudroom_audit::{AuditLog, Filter, Hash, Verification};

use crate::common::{record, temp_dir};

/// Where the child writes; set only for the child.
const DIR_VAR: &str = "MUDROOM_AUDIT_CRASH_DIR";
const CHILD: &str = "crash::child_appends_until_killed";

#[test]
#[ignore = "runs only as the child process of acknowledged_records_survive_sigkill"]
fn child_appends_until_killed() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        eprintln!(
            "skipped: this test runs only as a child of acknowledged_records_survive_sigkill"
        );
        return;
    };
    let log = Arc::new(AuditLog::open(dir).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for i in 0.. {
                    let r = log.append(record(t * 1_000_000 + i)).unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {} {}", r.seq, r.hash).unwrap();
                    out.flush().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// One run of the child: returns what it acknowledged before the kill.
fn run_child_and_kill(dir: &std::path::Path, round: u64) -> BTreeMap<u64, Hash> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            CHILD,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ack ") {
                let (seq, hash) = rest.split_once(' ').unwrap();
                let _ = tx.send((seq.parse::<u64>().unwrap(), Hash::from_hex(hash).unwrap()));
            }
        }
    });
    // Wait for a few acknowledgements so the kill lands mid-stream, then a random extra moment.
    let mut acked = BTreeMap::new();
    while acked.len() < 20 {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((seq, hash)) => {
                acked.insert(seq, hash);
            }
            Err(e) => {
                let _ = child.kill();
                panic!("child acknowledged only {} records: {e}", acked.len());
            }
        }
    }
    let delay = RandomState::new().hash_one(round) % 40;
    std::thread::sleep(Duration::from_millis(delay));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    // Everything printed before the kill is still in the pipe.
    acked.extend(rx.try_iter());
    acked
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let dir = temp_dir();
    let mut acked = BTreeMap::new();
    for round in 0..3 {
        let this_round = run_child_and_kill(dir.path(), round);
        assert!(this_round.len() >= 20);
        acked.extend(this_round);

        let log = AuditLog::open(dir.path()).unwrap();
        let records = match log.verify().unwrap() {
            Verification::Intact { records, .. } => records,
            Verification::Broken(b) => panic!("after kill {round}: {b}"),
        };
        let max_acked = *acked.keys().next_back().unwrap();
        eprintln!(
            "kill {round}: {} acknowledged in all, {records} records",
            acked.len()
        );
        assert!(
            records >= max_acked,
            "round {round}: {records} records, seq {max_acked} acknowledged"
        );
        for (&seq, &hash) in &acked {
            let found = log
                .query(&Filter::new().after_seq(seq - 1).limit(1))
                .unwrap();
            assert_eq!(
                found.first().map(|e| (e.seq, e.hash)),
                Some((seq, hash)),
                "seq {seq}"
            );
        }
        // The reopened log goes on from where the killed one stopped.
        let next = log.append(record(9_999_999)).unwrap();
        assert_eq!(next.seq, records + 1);
        acked.insert(next.seq, next.hash);
    }
}
