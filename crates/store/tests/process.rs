#![cfg(test)]
#![cfg(unix)]
//! Store behavior across processes: the server lock held by another process, and durability of
//! acknowledged writes when the writing process is killed with SIGKILL.
//!
//! The other process is this test executable itself, run on the ignored test `child_process`
//! with `MUDROOM_STORE_TEST_CHILD` saying what to do.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};

use mudroom_store::{Store, StoreError};

const CHILD_ENV: &str = "MUDROOM_STORE_TEST_CHILD";

/// Upper bound on the rows a crash child writes, so it stops by itself if never killed.
const CHILD_MAX_ROWS: i64 = 20_000;

const ROWS_MIGRATION: &str =
    "CREATE TABLE crash_rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);";

fn payload(id: i64) -> String {
    format!("payload-{id}-{}", id.wrapping_mul(2_654_435_761))
}

fn say(line: &str) {
    // one write per line, so a kill never leaves half a line that looks whole
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(format!("{line}\n").as_bytes());
}

/// Entry point of the child processes; does nothing when run on its own.
#[test]
#[ignore = "entry point of the child processes started by the other tests of this file"]
fn child_process() {
    let Ok(task) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (what, dir) = task.split_once(':').unwrap();
    let store = Store::open(dir).unwrap();
    match what {
        "lock" => {
            let _lock = store.lock_server().unwrap();
            say("locked");
            // hold the lock until the parent closes stdin or kills us
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        }
        "crash" => {
            store.migrate("crash", &[ROWS_MIGRATION]).unwrap();
            let start: i64 = store
                .conn()
                .query_row("SELECT COALESCE(MAX(id), 0) FROM crash_rows", [], |r| {
                    r.get(0)
                })
                .unwrap();
            for id in start + 1..=start + CHILD_MAX_ROWS {
                store
                    .with_tx(|tx| {
                        tx.execute(
                            "INSERT INTO crash_rows (id, payload) VALUES (?1, ?2)",
                            mudroom_store::rusqlite::params![id, payload(id)],
                        )?;
                        Ok::<_, StoreError>(())
                    })
                    .unwrap();
                say(&format!("ack {id}"));
            }
        }
        other => panic!("unknown child task `{other}`"),
    }
}

/// Kills the child when dropped, so a failing test leaves no process behind.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(task: &str, dir: &Path) -> (ChildGuard, BufReader<ChildStderr>) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "child_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, format!("{task}:{}", dir.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (ChildGuard(child), stderr)
}

/// Reads the next complete line; `None` at end of output (a line cut short by a kill is
/// dropped).
fn next_line(reader: &mut BufReader<ChildStderr>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) if line.ends_with('\n') => Some(line.trim_end().to_owned()),
        Ok(_) => None,
    }
}

#[test]
fn second_server_lock_is_refused_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, mut stderr) = spawn_child("lock", tmp.path());
    loop {
        match next_line(&mut stderr) {
            Some(line) if line == "locked" => break,
            Some(_) => {}
            None => panic!("child ended before taking the lock"),
        }
    }
    let store = Store::open(tmp.path()).unwrap();
    let err = store.lock_server().unwrap_err();
    match &err {
        StoreError::Locked { dir, pid } => {
            assert_eq!(dir.as_path(), tmp.path());
            assert_eq!(*pid, Some(child.0.id()));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains(&format!("pid {}", child.0.id())));

    // restore is refused too
    let elsewhere = tempfile::tempdir().unwrap();
    let backup = elsewhere.path().join("backup.db");
    store.backup_to(&backup).unwrap();
    let err = Store::restore_from(&backup, tmp.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");

    // the lock dies with the process, even killed
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let lock = store.lock_server().unwrap();
    drop(lock);
}

fn random_below(bound: u32) -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap();
    u32::from_le_bytes(bytes) % bound
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let mut acked: Vec<i64> = Vec::new();
    for round in 0..3 {
        let kill_after = 1 + random_below(120);
        let (mut child, mut stderr) = spawn_child("crash", tmp.path());
        let mut seen_this_round = 0;
        let mut killed = false;
        while let Some(line) = next_line(&mut stderr) {
            if let Some(id) = line.strip_prefix("ack ") {
                acked.push(id.parse().unwrap());
                seen_this_round += 1;
                if seen_this_round == kill_after {
                    // SIGKILL, wherever the child is: mid-transaction, mid-fsync or idle
                    child.0.kill().unwrap();
                    killed = true;
                }
            }
            // lines still in the pipe after the kill were acknowledged before it: keep reading
        }
        let status = child.0.wait().unwrap();
        assert!(
            killed,
            "round {round}: child ended before the kill: {status}"
        );
        assert!(!status.success());

        let store = Store::open(tmp.path()).unwrap();
        let check: String = store
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        for &id in &acked {
            let stored: String = store
                .conn()
                .query_row("SELECT payload FROM crash_rows WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap_or_else(|e| panic!("round {round}: acknowledged row {id} lost: {e}"));
            assert_eq!(stored, payload(id));
        }
        // rows are written in order: nothing missing below the highest stored id
        let (count, max): (i64, i64) = store
            .conn()
            .query_row(
                "SELECT count(*), COALESCE(MAX(id), 0) FROM crash_rows",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(count, max);
        assert!(max >= *acked.last().unwrap());
    }
}
