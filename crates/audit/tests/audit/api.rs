//! Reading back: tail, queries, head, export; limits; time format; schema checks.

use std::io::BufRead;

use mudroom_audit::{
    AuditLog, Decision, Entry, Error, Filter, Hash, MAX_DETAIL_BYTES, MAX_FIELD_BYTES,
    MAX_QUERY_ROWS, MAX_SHORT_FIELD_BYTES, Record, Verification,
};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::{raw, record, temp_dir};

fn log_with(n: u64) -> (tempfile::TempDir, AuditLog) {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    for i in 0..n {
        log.append(record(i)).unwrap();
    }
    (dir, log)
}

#[test]
fn a_record_reads_back_as_written() {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    let mut detail = serde_json::Map::new();
    detail.insert("reason".to_owned(), Value::from("SignatureDoesNotMatch"));
    detail.insert("attempt".to_owned(), Value::from(3));
    let start = OffsetDateTime::now_utc();
    let receipt = log
        .append(
            Record::new(
                "AKIAIOSFODNN7EXAMPLE",
                "sts:GetCallerIdentity",
                "*",
                Decision::AuthFailed,
            )
            .source_ip("2001:db8::1")
            .request_id("r-1")
            .detail(detail),
        )
        .unwrap();
    let end = OffsetDateTime::now_utc();
    let entries = log.tail(5).unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.seq, receipt.seq);
    assert_eq!(e.hash, receipt.hash);
    assert_eq!(e.time, receipt.time);
    assert_eq!(e.principal, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(e.action, "sts:GetCallerIdentity");
    assert_eq!(e.resource, "*");
    assert_eq!(e.decision, Decision::AuthFailed);
    assert_eq!(e.statement, None);
    assert_eq!(e.source_ip, "2001:db8::1");
    assert_eq!(e.request_id, "r-1");
    let d = e.detail_json().unwrap();
    assert_eq!(d["reason"], "SignatureDoesNotMatch");
    assert_eq!(d["attempt"], 3);
    assert_eq!(e.computed_hash(), e.hash);
    // RFC 3339, UTC, milliseconds: 2025-01-02T03:04:05.678Z.
    assert_eq!(e.time.len(), 24, "{}", e.time);
    assert!(
        e.time.ends_with('Z') && e.time.as_bytes()[19] == b'.',
        "{}",
        e.time
    );
    let t = e.timestamp().unwrap();
    let ms = |t: OffsetDateTime| t.unix_timestamp_nanos() / 1_000_000;
    assert!(
        ms(start) <= ms(t) && ms(t) <= ms(end),
        "{} not in [{start}, {end}]",
        e.time
    );
}

#[test]
fn tail_returns_the_newest_oldest_first() {
    let (_dir, log) = log_with(12);
    let tail = log.tail(5).unwrap();
    assert_eq!(
        tail.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![8, 9, 10, 11, 12]
    );
    assert_eq!(log.tail(100).unwrap().len(), 12);
    assert!(log.tail(0).unwrap().is_empty());
}

#[test]
fn queries_filter_by_principal_action_and_decision() {
    let (_dir, log) = log_with(30);
    let all = log.query(&Filter::new()).unwrap();
    assert_eq!(all.len(), 30);
    let seqs = |v: &[Entry]| v.iter().map(|e| e.seq).collect::<Vec<u64>>();

    let principal = "arn:aws:sts::111122223333:assumed-role/app-1/s4";
    let by_principal = log.query(&Filter::new().principal(principal)).unwrap();
    assert_eq!(seqs(&by_principal), vec![5]);

    let denied = log
        .query(&Filter::new().decision(Decision::ExplicitDeny))
        .unwrap();
    let expected: Vec<u64> = all
        .iter()
        .filter(|e| e.decision == Decision::ExplicitDeny)
        .map(|e| e.seq)
        .collect();
    assert_eq!(expected.len(), 6);
    assert_eq!(seqs(&denied), expected);

    let both = log
        .query(
            &Filter::new()
                .action("ssm:GetParameter")
                .decision("ExplicitDeny"),
        )
        .unwrap();
    assert!(!both.is_empty());
    assert!(
        both.iter()
            .all(|e| e.action == "ssm:GetParameter" && e.decision == Decision::ExplicitDeny)
    );
    let expected_both = all
        .iter()
        .filter(|e| e.action == "ssm:GetParameter" && e.decision == Decision::ExplicitDeny)
        .count();
    assert_eq!(both.len(), expected_both);

    let none = log.query(&Filter::new().decision("Throttled")).unwrap();
    assert!(none.is_empty());
}

#[test]
fn queries_page_with_limits_and_cursors() {
    let (_dir, log) = log_with(20);
    let seqs = |f: Filter| {
        log.query(&f)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<u64>>()
    };
    assert_eq!(seqs(Filter::new().limit(3)), vec![1, 2, 3]);
    assert_eq!(seqs(Filter::new().after_seq(3).limit(3)), vec![4, 5, 6]);
    assert_eq!(
        seqs(Filter::new().newest_first().limit(3)),
        vec![20, 19, 18]
    );
    assert_eq!(
        seqs(Filter::new().newest_first().before_seq(18).limit(2)),
        vec![17, 16]
    );
    assert_eq!(seqs(Filter::new().after_seq(5).before_seq(8)), vec![6, 7]);
    assert_eq!(seqs(Filter::new().limit(0)), Vec::<u64>::new());
    assert_eq!(seqs(Filter::new().limit(usize::MAX)).len(), 20);
    assert_eq!(seqs(Filter::new().limit(MAX_QUERY_ROWS + 1)).len(), 20);
}

#[test]
fn queries_filter_by_time_range() {
    let (dir, log) = log_with(10);
    // Give the rows known times (the chain breaks, which queries do not care about).
    let conn = raw(dir.path());
    for seq in 1..=10i64 {
        let time = format!("2025-03-01T10:00:{:02}.500Z", seq * 5);
        conn.execute(
            "UPDATE audit SET time = ?1 WHERE seq = ?2",
            rusqlite::params![time, seq],
        )
        .unwrap();
    }
    let at = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
    let seqs = |f: Filter| {
        log.query(&f)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<u64>>()
    };
    // since is inclusive, until exclusive.
    assert_eq!(
        seqs(
            Filter::new()
                .since(at("2025-03-01T10:00:15.500Z"))
                .until(at("2025-03-01T10:00:30.500Z"))
        ),
        vec![3, 4, 5]
    );
    // Another offset names the same instant.
    assert_eq!(
        seqs(Filter::new().since(at("2025-03-01T11:00:45.500+01:00"))),
        vec![9, 10]
    );
    assert_eq!(
        seqs(Filter::new().until(at("2025-03-01T10:00:10.501Z"))),
        vec![1, 2]
    );
    assert_eq!(
        seqs(Filter::new().since(at("2030-01-01T00:00:00Z"))),
        Vec::<u64>::new()
    );
    assert_eq!(
        seqs(
            Filter::new()
                .since(at("2025-03-01T10:00:25.000Z"))
                .decision(Decision::ImplicitDeny)
        ),
        vec![8]
    );
}

#[test]
fn head_follows_appends() {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    assert_eq!(log.head().unwrap().hash, Hash::GENESIS);
    let r1 = log.append(record(1)).unwrap();
    let r2 = log.append(record(2)).unwrap();
    let head = log.head().unwrap();
    assert_eq!((head.seq, head.hash), (2, r2.hash));
    assert_ne!(r1.hash, r2.hash);
}

#[test]
fn export_writes_json_lines_that_re_hash() {
    let (_dir, log) = log_with(15);
    let mut out = Vec::new();
    assert_eq!(log.export(&mut out).unwrap(), 15);
    let entries = log.query(&Filter::new()).unwrap();
    let lines: Vec<String> = out.lines().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 15);
    let mut prev = Hash::GENESIS;
    for (line, entry) in lines.iter().zip(&entries) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["seq"], entry.seq);
        assert_eq!(v["hash"], entry.hash.to_string());
        assert_eq!(v["prev_hash"], prev.to_string());
        // The exported fields alone reproduce the hash.
        let rebuilt = Entry {
            seq: v["seq"].as_u64().unwrap(),
            time: v["time"].as_str().unwrap().to_owned(),
            principal: v["principal"].as_str().unwrap().to_owned(),
            action: v["action"].as_str().unwrap().to_owned(),
            resource: v["resource"].as_str().unwrap().to_owned(),
            decision: Decision::from(v["decision"].as_str().unwrap()),
            statement: v["statement"].as_str().map(str::to_owned),
            source_ip: v["source_ip"].as_str().unwrap().to_owned(),
            request_id: v["request_id"].as_str().unwrap().to_owned(),
            detail: v["detail"].as_str().map(str::to_owned),
            prev_hash: Hash::from_hex(v["prev_hash"].as_str().unwrap()).unwrap(),
            hash: Hash::from_hex(v["hash"].as_str().unwrap()).unwrap(),
        };
        assert_eq!(&rebuilt, entry);
        assert_eq!(rebuilt.computed_hash(), rebuilt.hash);
        prev = rebuilt.hash;
    }
}

#[test]
fn oversized_fields_are_truncated_with_a_marker_and_still_chain() {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    let mut detail = serde_json::Map::new();
    detail.insert(
        "blob".to_owned(),
        Value::from("z".repeat(MAX_DETAIL_BYTES * 2)),
    );
    log.append(
        Record::new(
            format!("arn:aws:iam::111122223333:user/{}", "p".repeat(10_000)),
            "a".repeat(MAX_FIELD_BYTES + 1),
            "r".repeat(MAX_FIELD_BYTES),
            Decision::Other("D".repeat(1000)),
        )
        .statement("s".repeat(3 * MAX_FIELD_BYTES))
        .source_ip("i".repeat(MAX_SHORT_FIELD_BYTES + 1))
        .request_id("q".repeat(MAX_SHORT_FIELD_BYTES))
        .detail(detail),
    )
    .unwrap();
    let e = log.tail(1).unwrap().remove(0);
    let cut =
        |s: &str, limit: usize| s.len() <= limit && s.contains("…[+") && s.ends_with(" bytes]");
    assert!(cut(&e.principal, MAX_FIELD_BYTES), "{}", e.principal.len());
    assert!(
        e.principal
            .starts_with("arn:aws:iam::111122223333:user/ppp")
    );
    assert!(cut(&e.action, MAX_FIELD_BYTES));
    assert!(cut(e.statement.as_deref().unwrap(), MAX_FIELD_BYTES));
    assert!(cut(e.decision.as_str(), MAX_SHORT_FIELD_BYTES));
    assert!(cut(&e.source_ip, MAX_SHORT_FIELD_BYTES));
    // Exactly at the limit: kept whole.
    assert_eq!(e.resource, "r".repeat(MAX_FIELD_BYTES));
    assert_eq!(e.request_id, "q".repeat(MAX_SHORT_FIELD_BYTES));
    let d = e.detail_json().unwrap();
    assert_eq!(d["truncated"], true);
    assert_eq!(d["bytes"], MAX_DETAIL_BYTES * 2 + r#"{"blob":""}"#.len());
    assert!(log.verify().unwrap().is_intact());
}

#[test]
fn an_unknown_schema_version_is_refused() {
    let dir = temp_dir();
    drop(AuditLog::open(dir.path()).unwrap());
    raw(dir.path())
        .pragma_update(None, "user_version", 7)
        .unwrap();
    let err = AuditLog::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("schema version 7"), "{err}");
}

#[test]
fn the_database_is_in_wal_mode() {
    let (dir, log) = log_with(1);
    let conn = rusqlite::Connection::open(dir.path().join(mudroom_audit::DB_FILE)).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(log.path(), dir.path().join("audit.db"));
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 1, .. }
    ));
}
