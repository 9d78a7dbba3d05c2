//! Concurrent appenders, verification on a snapshot while they run, group commit, failures and
//! the async API.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use mudroom_audit::{AuditLog, Error, Options, Receipt, Verification};
use rusqlite::{Connection, TransactionBehavior};

use crate::common::{record, temp_dir};

#[test]
fn verify_sees_a_consistent_snapshot_while_four_threads_append() {
    let dir = temp_dir();
    let log = Arc::new(AuditLog::open(dir.path()).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|t| {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                (0..100)
                    .map(|i| log.append(record(t * 1000 + i)).unwrap().seq)
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    let verifier = {
        let log = Arc::clone(&log);
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut runs = 0u32;
            let mut last = 0u64;
            // At least a few runs even if the writers finish first; each run sees a prefix of
            // the chain that is complete and consistent.
            while runs < 5 || !done.load(Ordering::Acquire) {
                match log.verify().unwrap() {
                    Verification::Intact { records, head } => {
                        assert!(records >= last, "snapshot went back: {records} < {last}");
                        assert_eq!(head.seq, records);
                        last = records;
                    }
                    Verification::Broken(b) => panic!("verify during appends: {b}"),
                }
                runs += 1;
            }
            runs
        })
    };
    let mut seqs = BTreeSet::new();
    for w in writers {
        for seq in w.join().unwrap() {
            assert!(seqs.insert(seq), "seq {seq} acknowledged twice");
        }
    }
    done.store(true, Ordering::Release);
    assert!(verifier.join().unwrap() >= 5);
    assert_eq!(seqs, (1..=400).collect::<BTreeSet<u64>>());
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 400, .. }
    ));
    let stats = log.stats();
    assert_eq!(stats.records, 400);
    assert_eq!(stats.failed_commits, 0);
}

/// Takes SQLite's write lock on the log's file, as a checkpoint or another writer would.
fn lock_writes(dir: &std::path::Path) -> Connection {
    let conn = Connection::open(dir.join(mudroom_audit::DB_FILE)).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

#[test]
fn group_commit_puts_queued_records_in_one_transaction() {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    log.append(record(0)).unwrap();
    let before = log.stats();
    assert_eq!((before.records, before.commits), (1, 1));

    // While the writer waits for the lock, 50 records queue up behind its first batch.
    let lock = lock_writes(dir.path());
    let (tx, rx) = mpsc::channel();
    for i in 1..=50 {
        let tx = tx.clone();
        log.append_with(record(i), move |r| tx.send(r).unwrap());
    }
    lock.execute_batch("COMMIT").unwrap();
    let receipts: Vec<Receipt> = (0..50).map(|_| rx.recv().unwrap().unwrap()).collect();

    let after = log.stats();
    assert_eq!(after.records - before.records, 50);
    let commits = after.commits - before.commits;
    assert!(commits <= 2, "50 queued records took {commits} commits");
    assert!(after.largest_batch >= 25, "{after:?}");
    // Callbacks run in queue order, and the queue order is the chain order.
    let seqs: Vec<u64> = receipts.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (2..=51).collect::<Vec<u64>>());
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 51, .. }
    ));
}

#[test]
fn a_blocking_append_commits_without_the_writer_thread() {
    let dir = temp_dir();
    let log = Arc::new(AuditLog::open(dir.path()).unwrap());
    // The writer thread commits this record, then runs the callback, which holds it until
    // released.
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    log.append_with(record(0), move |r| {
        entered_tx.send(r.map(|r| r.seq)).unwrap();
        release_rx.recv().unwrap();
    });
    assert_eq!(entered.recv().unwrap().unwrap(), 1);

    // With the writer thread busy, a blocking append commits on its own thread.
    let (done_tx, done) = mpsc::channel();
    let appender = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || done_tx.send(log.append(record(1)).map(|r| r.seq)).unwrap())
    };
    let outcome = done.recv_timeout(Duration::from_secs(60));
    release.send(()).unwrap();
    assert_eq!(
        outcome
            .expect("the append waited for the writer thread")
            .unwrap(),
        2
    );
    appender.join().unwrap();

    // Records queued by callback still go through the writer thread once it is free.
    let (tx, rx) = mpsc::channel();
    log.append_with(record(2), move |r| {
        tx.send((
            r.map(|r| r.seq),
            std::thread::current().name().map(str::to_owned),
        ))
        .unwrap()
    });
    let (seq, thread) = rx.recv().unwrap();
    assert_eq!(seq.unwrap(), 3);
    assert_eq!(thread.as_deref(), Some("mudroom-audit-writer"));
    let stats = log.stats();
    assert_eq!(
        (stats.records, stats.commits, stats.failed_commits),
        (3, 3, 0)
    );
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 3, .. }
    ));
}

#[test]
fn records_queued_during_a_blocking_commit_are_handed_to_the_writer() {
    let dir = temp_dir();
    let log = Arc::new(AuditLog::open(dir.path()).unwrap());
    // The blocking append below waits for SQLite's write lock; what is queued meanwhile has no
    // committer until it finishes.
    let lock = lock_writes(dir.path());
    let appender = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || log.append(record(0)).map(|r| r.seq))
    };
    let (tx, rx) = mpsc::channel();
    for i in 1..=20 {
        let tx = tx.clone();
        log.append_with(record(i), move |r| tx.send(r.map(|r| r.seq)).unwrap());
    }
    lock.execute_batch("COMMIT").unwrap();
    let mut seqs: BTreeSet<u64> = (0..20).map(|_| rx.recv().unwrap().unwrap()).collect();
    assert!(seqs.insert(appender.join().unwrap().unwrap()));
    assert_eq!(seqs, (1..=21).collect::<BTreeSet<u64>>());
    let stats = log.stats();
    assert_eq!((stats.records, stats.failed_commits), (21, 0));
    assert!(stats.commits <= 3, "{stats:?}");
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 21, .. }
    ));
}

#[test]
fn a_batch_larger_than_max_batch_is_split() {
    let dir = temp_dir();
    let log = AuditLog::open_with(dir.path(), Options::default().max_batch(8)).unwrap();
    let lock = lock_writes(dir.path());
    let (tx, rx) = mpsc::channel();
    for i in 0..40 {
        let tx = tx.clone();
        log.append_with(record(i), move |r| tx.send(r).unwrap());
    }
    lock.execute_batch("COMMIT").unwrap();
    for _ in 0..40 {
        rx.recv().unwrap().unwrap();
    }
    let stats = log.stats();
    assert_eq!(stats.records, 40);
    assert_eq!(stats.largest_batch, 8);
    assert!(stats.commits >= 5, "{stats:?}");
}

#[test]
fn append_fails_when_the_record_cannot_be_written() {
    let dir = temp_dir();
    let options = Options::default().busy_timeout(Duration::from_millis(50));
    let log = AuditLog::open_with(dir.path(), options).unwrap();
    log.append(record(0)).unwrap();

    let mut lock = Connection::open(dir.path().join(mudroom_audit::DB_FILE)).unwrap();
    let held = lock
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    let err = log.append(record(1)).unwrap_err();
    assert!(matches!(err, Error::Database { .. }), "{err}");
    assert!(
        err.to_string().contains("locked") || err.to_string().contains("busy"),
        "{err}"
    );
    assert_eq!(log.stats().failed_commits, 1);
    held.commit().unwrap();

    // Nothing of the failed record was kept; the next one takes its seq.
    let r = log.append(record(2)).unwrap();
    assert_eq!(r.seq, 2);
    let tail = log.tail(10).unwrap();
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[1].request_id, "req-2");
    assert!(log.verify().unwrap().is_intact());
}

#[test]
fn dropping_the_log_commits_what_is_queued() {
    let dir = temp_dir();
    let results = Arc::new(Mutex::new(Vec::new()));
    {
        let log = AuditLog::open(dir.path()).unwrap();
        for i in 0..30 {
            let results = Arc::clone(&results);
            log.append_with(record(i), move |r| {
                results.lock().unwrap().push(r.map(|r| r.seq))
            });
        }
    }
    let results = results.lock().unwrap().clone();
    assert_eq!(results.len(), 30);
    assert!(results.iter().all(Result::is_ok));
    let log = AuditLog::open(dir.path()).unwrap();
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 30, .. }
    ));
}

/// Wakes a parked thread.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on this thread.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

#[test]
fn append_async_resolves_once_durable() {
    let dir = temp_dir();
    let log = AuditLog::open(dir.path()).unwrap();
    let futures: Vec<_> = (0..16).map(|i| log.append_async(record(i))).collect();
    let seqs: Vec<u64> = futures
        .into_iter()
        .map(|f| block_on(f).unwrap().seq)
        .collect();
    assert_eq!(seqs, (1..=16).collect::<Vec<u64>>());
    // Each receipt is for a committed row: a fresh reader sees them all.
    assert!(matches!(
        log.verify().unwrap(),
        Verification::Intact { records: 16, .. }
    ));
    let last = log.tail(1).unwrap();
    assert_eq!(last[0].seq, 16);
}
