#![cfg(test)]
//! Operator commands on a live data directory: audit verify/tail/query/export (and tamper
//! detection), backup and restore, master key rotation.

mod common;

use common::{Server, assert_ok, mudroom};

#[test]
fn audit_commands_backup_restore_and_key_rotation() {
    let Some(python) = common::python() else {
        return;
    };
    let mut server = Server::start("operator");
    // Authentication failures are audited: the script makes two.
    assert_ok(&server.python(&python, "sts_basics.py", &[]));
    let data = server.data_dir.clone();
    let root = server.root.clone();
    let run = |args: &[&str]| {
        let mut cmd = mudroom(&root);
        cmd.args(args).arg("--data-dir").arg(&data);
        cmd.output().unwrap()
    };

    let out = run(&["audit", "verify"]);
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("intact"),
        "{out:?}"
    );

    let out = run(&["audit", "query", "--decision", "AuthFailed", "--json"]);
    assert_ok(&out);
    let failures: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(failures.len() >= 2, "{failures:?}");
    assert!(failures.iter().any(|f| {
        f["detail"]
            .as_str()
            .unwrap_or("")
            .contains("SignatureDoesNotMatch")
    }));
    // No secret access key appears in the records.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(&server.admin.1));

    let out = run(&["audit", "tail", "-n", "1"]);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);

    // A consistent online backup while the server runs.
    let backup = root.join("backup.db");
    let out = run(&["admin", "backup", backup.to_str().unwrap()]);
    assert_ok(&out);
    assert!(backup.exists());

    let export = root.join("export.jsonl");
    let out = run(&["audit", "export", "--output", export.to_str().unwrap()]);
    assert_ok(&out);
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(exported.lines().count() >= 2);

    // Restore is refused while the server holds the directory.
    let out = run(&["admin", "restore", backup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    server.stop();

    // Tampering with a record is found, naming it.
    {
        use mudroom_store::rusqlite::Connection;
        let conn = Connection::open(data.join("audit.db")).unwrap();
        conn.execute_batch("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_records_no_update;").unwrap();
        let triggers: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for t in triggers {
            conn.execute_batch(&format!("DROP TRIGGER \"{t}\""))
                .unwrap();
        }
        let table: String = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%prev_hash%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let n = conn
            .execute(
                &format!("UPDATE \"{table}\" SET principal = 'someone-else' WHERE seq = 1"),
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
    let out = run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("#1"),
        "{out:?}"
    );

    // Restoring the backup brings back an intact log.
    let out = run(&["admin", "restore", backup.to_str().unwrap()]);
    assert_ok(&out);
    let out = run(&["audit", "verify"]);
    assert_ok(&out);

    // Rotating the master key keeps every secret readable.
    let before = run(&["admin", "credentials"]);
    assert_ok(&before);
    let out = run(&["admin", "rotate-master-key"]);
    assert_ok(&out);
    let after = run(&["admin", "credentials"]);
    assert_ok(&after);
    assert_eq!(before.stdout, after.stdout);
    let server = Server::start_in(&root, &data);
    assert_ok(&server.python(&python, "sts_basics.py", &[]));
}
