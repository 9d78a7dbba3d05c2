//! Every kind of tampering with the stored rows is detected, at the first bad seq.

use mudroom_audit::{AuditLog, BreakReason, ChainBreak, Entry, Filter, Hash, Head, Verification};
use rusqlite::params;

use crate::common::{raw, record, temp_dir};

/// A log of `n` records in a fresh directory.
fn log_with(n: u64) -> (tempfile::TempDir, AuditLog) {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    for i in 0..n {
        log.append(record(i)).unwrap();
    }
    (dir, log)
}

fn broken_at(log: &AuditLog) -> ChainBreak {
    match log.verify().unwrap() {
        Verification::Broken(b) => b,
        Verification::Intact { records, .. } => {
            panic!("tampering went unnoticed ({records} records)")
        }
    }
}

fn entry(log: &AuditLog, seq: u64) -> Entry {
    log.query(&Filter::new().after_seq(seq - 1).limit(1))
        .unwrap()
        .remove(0)
}

#[test]
fn an_untouched_chain_verifies() {
    let (_dir, log) = log_with(25);
    let head = log.head().unwrap();
    assert_eq!(head.seq, 25);
    assert_eq!(
        log.verify().unwrap(),
        Verification::Intact { records: 25, head }
    );
    assert!(log.verify_against(&head).unwrap().is_intact());
    let first = entry(&log, 1);
    assert_eq!(first.prev_hash, Hash::GENESIS);
    assert_eq!(entry(&log, 2).prev_hash, first.hash);
}

#[test]
fn an_empty_log_verifies() {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    let genesis = Head {
        seq: 0,
        hash: Hash::GENESIS,
    };
    assert_eq!(log.head().unwrap(), genesis);
    assert_eq!(
        log.verify().unwrap(),
        Verification::Intact {
            records: 0,
            head: genesis
        }
    );
}

#[test]
fn the_table_refuses_updates_and_deletes() {
    let (dir, log) = log_with(3);
    let conn = rusqlite::Connection::open(dir.path().join(mudroom_audit::DB_FILE)).unwrap();
    let update = conn.execute("UPDATE audit SET principal = 'x' WHERE seq = 2", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = conn.execute("DELETE FROM audit WHERE seq = 2", []);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert!(log.verify().unwrap().is_intact());
}

#[test]
fn editing_any_field_is_detected_at_that_row() {
    let edits: &[(&str, &str)] = &[
        (
            "time",
            "UPDATE audit SET time = '2001-01-01T00:00:00.000Z' WHERE seq = 5",
        ),
        (
            "principal",
            "UPDATE audit SET principal = 'arn:aws:iam::111122223333:user/mallory' WHERE seq = 5",
        ),
        (
            "action",
            "UPDATE audit SET action = 'ssm:GetParameter' WHERE seq = 5",
        ),
        ("resource", "UPDATE audit SET resource = '*' WHERE seq = 5"),
        (
            "decision",
            "UPDATE audit SET decision = 'ExplicitDeny' WHERE seq = 5",
        ),
        (
            "statement",
            "UPDATE audit SET statement = NULL WHERE seq = 5",
        ),
        (
            "source_ip",
            "UPDATE audit SET source_ip = '192.0.2.1' WHERE seq = 5",
        ),
        (
            "request_id",
            "UPDATE audit SET request_id = 'req-x' WHERE seq = 5",
        ),
        (
            "detail",
            "UPDATE audit SET detail = '{\"reason\":\"nothing to see\"}' WHERE seq = 5",
        ),
        (
            "one byte of the hash",
            "UPDATE audit SET hash = zeroblob(32) WHERE seq = 5",
        ),
    ];
    for (field, sql) in edits {
        let (dir, log) = log_with(10);
        let changed = raw(dir.path()).execute(sql, []).unwrap();
        assert_eq!(changed, 1, "{field}");
        let b = broken_at(&log);
        assert_eq!(b.seq, 5, "{field}: {b}");
        assert!(
            matches!(b.reason, BreakReason::HashMismatch { .. }),
            "{field}: {b}"
        );
    }
}

#[test]
fn editing_the_link_is_detected_at_that_row() {
    let (dir, log) = log_with(10);
    raw(dir.path())
        .execute(
            "UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 7",
            [],
        )
        .unwrap();
    let b = broken_at(&log);
    assert_eq!(b.seq, 7, "{b}");
    assert!(matches!(b.reason, BreakReason::BrokenLink { found, .. } if found == Hash::GENESIS));
}

#[test]
fn a_malformed_column_is_detected_at_that_row() {
    let (dir, log) = log_with(6);
    let conn = raw(dir.path());
    // The CHECK constraints keep hashes at 32 bytes unless someone turns them off.
    conn.pragma_update(None, "ignore_check_constraints", true)
        .unwrap();
    conn.execute("UPDATE audit SET hash = x'00' WHERE seq = 4", [])
        .unwrap();
    assert_eq!(
        broken_at(&log),
        ChainBreak {
            seq: 4,
            reason: BreakReason::Malformed { column: "hash" }
        }
    );
    // Reads that cannot show the row say so instead of skipping it.
    let err = log.tail(10).unwrap_err();
    assert!(
        err.to_string().contains("seq 4: malformed column `hash`"),
        "{err}"
    );
}

#[test]
fn renumbering_a_row_is_detected() {
    let (dir, log) = log_with(10);
    raw(dir.path())
        .execute("UPDATE audit SET seq = 50 WHERE seq = 4", [])
        .unwrap();
    let b = broken_at(&log);
    assert_eq!(
        b,
        ChainBreak {
            seq: 4,
            reason: BreakReason::Sequence { found: 5 }
        }
    );
}

#[test]
fn deleting_a_row_is_detected_at_the_gap() {
    for victim in [1u64, 5, 9] {
        let (dir, log) = log_with(10);
        raw(dir.path())
            .execute(
                "DELETE FROM audit WHERE seq = ?1",
                params![i64::try_from(victim).unwrap()],
            )
            .unwrap();
        let b = broken_at(&log);
        let found = i64::try_from(victim + 1).unwrap();
        assert_eq!(
            b,
            ChainBreak {
                seq: victim,
                reason: BreakReason::Sequence { found }
            },
            "deleted {victim}: {b}"
        );
    }
}

#[test]
fn deleting_the_last_rows_needs_an_anchor() {
    let (dir, log) = log_with(10);
    let anchor = log.head().unwrap();
    raw(dir.path())
        .execute("DELETE FROM audit WHERE seq >= 9", [])
        .unwrap();
    // The rest of the chain is consistent: only the anchored head reveals the loss.
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 8, .. }
    ));
    let Verification::Broken(b) = log.verify_against(&anchor).unwrap() else {
        panic!("truncation went unnoticed with an anchor");
    };
    assert_eq!(
        b,
        ChainBreak {
            seq: 9,
            reason: BreakReason::Truncated { anchored: 10 }
        }
    );
}

#[test]
fn swapping_two_rows_is_detected_at_the_first() {
    let (dir, log) = log_with(10);
    raw(dir.path())
        .execute_batch(
            "UPDATE audit SET seq = 1000 WHERE seq = 3;
             UPDATE audit SET seq = 3 WHERE seq = 4;
             UPDATE audit SET seq = 4 WHERE seq = 1000;",
        )
        .unwrap();
    let b = broken_at(&log);
    assert_eq!(b.seq, 3, "{b}");
    assert!(matches!(b.reason, BreakReason::BrokenLink { .. }), "{b}");
}

/// Inserts `forged` as a row.
fn insert(conn: &rusqlite::Connection, e: &Entry) {
    conn.execute(
        "INSERT INTO audit (seq, time, principal, action, resource, decision, statement, \
         source_ip, request_id, detail, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            i64::try_from(e.seq).unwrap(),
            e.time,
            e.principal,
            e.action,
            e.resource,
            e.decision.as_str(),
            e.statement,
            e.source_ip,
            e.request_id,
            e.detail,
            e.prev_hash.0.as_slice(),
            e.hash.0.as_slice(),
        ],
    )
    .unwrap();
}

#[test]
fn inserting_a_row_in_the_middle_is_detected() {
    let (dir, log) = log_with(10);
    let before = entry(&log, 4);
    let conn = raw(dir.path());
    // Make room at seq 5, then forge a row there that links to seq 4 and hashes correctly: the
    // forged row itself verifies, the displaced original does not.
    conn.execute_batch(
        "UPDATE audit SET seq = seq + 1000 WHERE seq >= 5;
         UPDATE audit SET seq = seq - 999 WHERE seq >= 1005;",
    )
    .unwrap();
    let mut forged = entry(&log, 6);
    forged.seq = 5;
    forged.principal = "arn:aws:iam::111122223333:user/alibi".to_owned();
    forged.prev_hash = before.hash;
    forged.hash = forged.computed_hash();
    insert(&conn, &forged);
    let b = broken_at(&log);
    assert_eq!(b.seq, 6, "{b}");
    assert!(
        matches!(b.reason, BreakReason::BrokenLink { expected, .. } if expected == forged.hash)
    );
}

#[test]
fn inserting_a_badly_forged_row_is_detected_at_it() {
    let (dir, log) = log_with(10);
    let mut forged = entry(&log, 10);
    forged.seq = 11;
    forged.prev_hash = forged.hash;
    // The attacker does not recompute the hash.
    insert(&raw(dir.path()), &forged);
    let b = broken_at(&log);
    assert_eq!(b.seq, 11, "{b}");
    assert!(matches!(b.reason, BreakReason::HashMismatch { .. }), "{b}");
}

#[test]
fn inserting_a_row_before_the_first_is_detected() {
    let (dir, log) = log_with(3);
    let mut forged = entry(&log, 1);
    forged.seq = 0;
    forged.hash = forged.computed_hash();
    insert(&raw(dir.path()), &forged);
    assert_eq!(
        broken_at(&log),
        ChainBreak {
            seq: 1,
            reason: BreakReason::Sequence { found: 0 }
        }
    );
}

#[test]
fn a_rewritten_chain_verifies_but_not_against_its_anchor() {
    let (dir, log) = log_with(6);
    let anchor = log.head().unwrap();
    let conn = raw(dir.path());
    // Edit seq 3 and recompute every hash from there: the known limit of a hash chain.
    let mut prev = entry(&log, 2).hash;
    for seq in 3..=6 {
        let mut e = entry(&log, seq);
        if seq == 3 {
            assert_eq!(e.decision, mudroom_audit::Decision::ImplicitDeny);
            e.decision = mudroom_audit::Decision::Allow;
        }
        e.prev_hash = prev;
        e.hash = e.computed_hash();
        conn.execute(
            "UPDATE audit SET decision = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            params![
                e.decision.as_str(),
                e.prev_hash.0.as_slice(),
                e.hash.0.as_slice(),
                i64::try_from(seq).unwrap()
            ],
        )
        .unwrap();
        prev = e.hash;
    }
    assert!(log.verify().unwrap().is_intact());
    let Verification::Broken(b) = log.verify_against(&anchor).unwrap() else {
        panic!("a rewritten chain matched its old anchor");
    };
    assert_eq!(b.seq, 6, "{b}");
    assert!(
        matches!(b.reason, BreakReason::AnchorMismatch { anchored, stored } if anchored == anchor.hash && stored == prev)
    );
}

#[test]
fn appends_after_a_reopen_extend_the_same_chain() {
    let dir = temp_dir();
    {
        let log = AuditLog::open(dir.path()).unwrap();
        for i in 0..5 {
            log.append(record(i)).unwrap();
        }
    }
    let log = AuditLog::open(dir.path()).unwrap();
    let r = log.append(record(5)).unwrap();
    assert_eq!(r.seq, 6);
    assert_eq!(entry(&log, 6).prev_hash, entry(&log, 5).hash);
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 6, .. }
    ));
}
