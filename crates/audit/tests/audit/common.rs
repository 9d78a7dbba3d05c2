//! Helpers shared by the test modules.

use std::path::Path;

use mudroom_audit::{Decision, Record};
use rusqlite::Connection;
use tempfile::TempDir;

/// A fresh directory under the cargo target dir, removed on drop.
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("audit-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

/// A varied record; `i` makes it distinct.
pub fn record(i: u64) -> Record {
    let decision = match i % 5 {
        0 => Decision::Allow,
        1 => Decision::ExplicitDeny,
        2 => Decision::ImplicitDeny,
        3 => Decision::AuthFailed,
        _ => Decision::Mutation,
    };
    let mut r = Record::new(
        format!("arn:aws:sts::111122223333:assumed-role/app-{}/s{i}", i % 3),
        if i.is_multiple_of(2) {
            "secretsmanager:GetSecretValue"
        } else {
            "ssm:GetParameter"
        },
        format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-{i}"),
        decision,
    )
    .source_ip(format!("10.0.{}.{}", i / 250 % 250, i % 250))
    .request_id(format!("req-{i}"));
    if i.is_multiple_of(4) {
        r = r.statement(format!("app-role#Stmt{i}"));
    }
    if i.is_multiple_of(3) {
        let mut d = serde_json::Map::new();
        d.insert("reason".to_owned(), serde_json::json!(format!("case {i}")));
        r = r.detail(d);
    }
    r
}

/// A read-write connection to the log's file that bypasses the append-only triggers, as
/// anyone with write access to the file can.
pub fn raw(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join(mudroom_audit::DB_FILE)).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
    )
    .unwrap();
    conn
}
