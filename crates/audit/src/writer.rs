//! The writer: the read-write connection, the queue of records waiting for it, and the thread
//! that commits queued records in batches (group commit). A blocking append commits the queue on
//! its own thread when no commit is running.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::hash::{Hash, HashInput};
use crate::record::Bounded;

/// Proof that a record is durable: its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The record's sequence number (1 for the first record).
    pub seq: u64,
    /// When it was recorded: RFC 3339, UTC, milliseconds.
    pub time: String,
    /// Its hash, which is also the log's head hash right after its commit.
    pub hash: Hash,
}

/// Counters since the log was opened, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Stats {
    /// Records committed.
    pub records: u64,
    /// Transactions committed (one fsync each); `records / commits` is the mean batch size.
    pub commits: u64,
    /// Batches whose commit failed (every record of such a batch got an error).
    pub failed_commits: u64,
    /// The largest batch committed.
    pub largest_batch: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    records: AtomicU64,
    commits: AtomicU64,
    failed_commits: AtomicU64,
    largest_batch: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            records: self.records.load(Ordering::Acquire),
            commits: self.commits.load(Ordering::Acquire),
            failed_commits: self.failed_commits.load(Ordering::Acquire),
            largest_batch: self.largest_batch.load(Ordering::Acquire),
        }
    }
}

type Callback = Box<dyn FnOnce(Result<Receipt>) + Send>;

/// Delivers an append's outcome exactly once: dropped unsent (the writer gone), it reports
/// [`Error::WriterStopped`], so no caller ever waits forever.
pub(crate) struct Reply(Option<Callback>);

impl Reply {
    pub(crate) fn new(f: impl FnOnce(Result<Receipt>) + Send + 'static) -> Reply {
        Reply(Some(Box::new(f)))
    }

    pub(crate) fn send(mut self, result: Result<Receipt>) {
        if let Some(f) = self.0.take() {
            f(result);
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f(Err(Error::WriterStopped));
        }
    }
}

/// A record waiting for the writer.
pub(crate) struct Job {
    pub record: Bounded,
    pub reply: Reply,
}

/// What appenders and the writer thread share: the queue and the read-write connection.
///
/// Whoever holds the connection commits. A blocking [`Shared::append`] that finds it free commits
/// the queue itself (leader), so a lone caller pays one fsync and no thread switch; records that
/// arrive while a commit runs wait in the queue, and the committer hands the queue to the writer
/// thread when it is done. Records queued without a waiting thread (callbacks, futures) wake the
/// writer thread, unless a blocking append takes them along first.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the writer thread: records wait with no committer, or the log is closing.
    wake_writer: Condvar,
    counters: Arc<Counters>,
    max_batch: usize,
}

struct State {
    queue: VecDeque<Job>,
    /// The read-write connection; `None` while a batch commits with it.
    conn: Option<Connection>,
    /// The log is closing: the writer commits what is queued, then stops.
    closed: bool,
    /// A commit panicked and took the connection with it: every append fails.
    broken: bool,
}

/// A committed (or failed) batch, to be answered outside the lock.
struct Committed {
    batch: Vec<Job>,
    outcome: Result<Vec<Receipt>>,
}

impl Shared {
    pub(crate) fn new(conn: Connection, counters: Arc<Counters>, max_batch: usize) -> Shared {
        Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                conn: Some(conn),
                closed: false,
                broken: false,
            }),
            wake_writer: Condvar::new(),
            counters,
            max_batch: max_batch.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `job` for a caller that waits for its reply: commits the queue on this thread when
    /// no commit is running, else leaves it to the running committer.
    pub(crate) fn append(&self, job: Job) {
        let mut st = self.lock();
        if st.closed || st.broken {
            drop(st);
            job.reply.send(Err(Error::WriterStopped));
            return;
        }
        st.queue.push_back(job);
        let Some(mut conn) = st.conn.take() else {
            // A commit is running; its committer passes the queue on when it finishes.
            return;
        };
        let batch = take_batch(&mut st.queue, self.max_batch);
        drop(st);
        let committed = self.commit_with(&mut conn, batch);
        let mut st = self.lock();
        st.conn = Some(conn);
        // Records queued meanwhile have no committer: hand them to the writer thread.
        if !st.queue.is_empty() || st.closed {
            self.wake_writer.notify_one();
        }
        drop(st);
        self.answer(committed);
    }

    /// Queues `job` for the writer thread (its reply is a callback or a future).
    pub(crate) fn submit(&self, job: Job) {
        let mut st = self.lock();
        if st.closed || st.broken {
            drop(st);
            job.reply.send(Err(Error::WriterStopped));
            return;
        }
        st.queue.push_back(job);
        self.wake_writer.notify_one();
    }

    /// Lets the writer commit what is queued and stop.
    pub(crate) fn close(&self) {
        let mut st = self.lock();
        st.closed = true;
        self.wake_writer.notify_one();
    }

    /// Commits `batch` on `conn`. Should the commit panic, the connection is gone: the log is
    /// marked broken and everything queued fails, so no caller waits forever.
    fn commit_with(&self, conn: &mut Connection, batch: Vec<Job>) -> Committed {
        struct OnUnwind<'a>(&'a Shared);
        impl Drop for OnUnwind<'_> {
            fn drop(&mut self) {
                let orphans: Vec<Job> = {
                    let mut st = self.0.lock();
                    st.broken = true;
                    self.0.wake_writer.notify_one();
                    st.queue.drain(..).collect()
                };
                // Dropped outside the lock: each reply reports `WriterStopped`.
                drop(orphans);
            }
        }
        let guard = OnUnwind(self);
        let outcome = commit(conn, &batch);
        std::mem::forget(guard);
        Committed { batch, outcome }
    }

    /// Counts a committed batch and answers each of its callers, in queue order.
    fn answer(&self, committed: Committed) {
        let Committed { batch, outcome } = committed;
        let counters = &self.counters;
        match outcome {
            Ok(receipts) => {
                let n = receipts.len() as u64;
                counters.records.fetch_add(n, Ordering::AcqRel);
                counters.commits.fetch_add(1, Ordering::AcqRel);
                counters.largest_batch.fetch_max(n, Ordering::AcqRel);
                for (job, receipt) in batch.into_iter().zip(receipts) {
                    job.reply.send(Ok(receipt));
                }
            }
            Err(e) => {
                counters.failed_commits.fetch_add(1, Ordering::AcqRel);
                for job in batch {
                    job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Up to `max` jobs from the front of `queue`.
fn take_batch(queue: &mut VecDeque<Job>, max: usize) -> Vec<Job> {
    let n = queue.len().min(max);
    queue.drain(..n).collect()
}

/// The writer thread's loop: whenever records are queued and the connection is free, commit a
/// batch (everything queued, up to `max_batch`), answer each caller, repeat until the queue is
/// empty. Records that arrive while a commit runs form the next batch, so batching adds no
/// waiting. Ends once the log is closed and the queue is empty.
///
/// Whoever returns the connection while records are queued wakes this thread, and so does every
/// record queued by [`Shared::submit`], so no record is left in the queue without a committer.
pub(crate) fn run(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        if st.broken {
            break;
        }
        if !st.queue.is_empty()
            && let Some(mut conn) = st.conn.take()
        {
            let batch = take_batch(&mut st.queue, shared.max_batch);
            drop(st);
            let committed = shared.commit_with(&mut conn, batch);
            shared.lock().conn = Some(conn);
            shared.answer(committed);
            st = shared.lock();
            continue;
        }
        if st.queue.is_empty() && st.closed && st.conn.is_some() {
            let conn = st.conn.take();
            drop(st);
            drop(conn);
            return;
        }
        st = shared
            .wake_writer
            .wait(st)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// Appends `batch` after the current last row in one immediate transaction. The head is read
/// inside the transaction, so another writer process on the same file cannot fork the chain.
fn commit(conn: &mut Connection, batch: &[Job]) -> Result<Vec<Receipt>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Error::db("begin append"))?;
    let last = tx
        .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .and_then(|mut head| {
            head.query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
                .optional()
        })
        .map_err(Error::db("read head"))?;
    let (mut seq, mut prev) = match last {
        None => (0u64, Hash::GENESIS),
        Some((seq, hash)) => {
            let seq = u64::try_from(seq)
                .map_err(|_| Error::Corrupt(format!("last seq `{seq}` is negative")))?;
            let hash = Hash::from_slice(&hash)
                .ok_or_else(|| Error::Corrupt(format!("hash of seq {seq} is not 32 bytes")))?;
            (seq, hash)
        }
    };
    let mut receipts = Vec::with_capacity(batch.len());
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO audit (seq, time, principal, action, resource, decision, statement, \
                 source_ip, request_id, detail, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .map_err(Error::db("prepare append"))?;
        for job in batch {
            seq += 1;
            let r = &job.record;
            let time = crate::rfc3339_ms(OffsetDateTime::now_utc());
            let hash = HashInput {
                seq,
                time: &time,
                principal: &r.principal,
                action: &r.action,
                resource: &r.resource,
                decision: &r.decision,
                statement: r.statement.as_deref(),
                source_ip: &r.source_ip,
                request_id: &r.request_id,
                detail: r.detail.as_deref(),
                prev_hash: &prev,
            }
            .hash();
            let sql_seq = i64::try_from(seq)
                .map_err(|_| Error::Corrupt(format!("seq {seq} is out of range")))?;
            insert
                .execute(params![
                    sql_seq,
                    time,
                    r.principal,
                    r.action,
                    r.resource,
                    r.decision,
                    r.statement,
                    r.source_ip,
                    r.request_id,
                    r.detail,
                    prev.0.as_slice(),
                    hash.0.as_slice(),
                ])
                .map_err(Error::db("insert record"))?;
            receipts.push(Receipt { seq, time, hash });
            prev = hash;
        }
    }
    tx.commit().map_err(Error::db("commit"))?;
    Ok(receipts)
}

/// The outcome of [`crate::AuditLog::append_async`]: resolves once the record is durable (or
/// could not be written). It works with any executor and never blocks the polling thread.
///
/// Dropping it does not withdraw the record: once queued, it is written; only the receipt is lost.
#[must_use = "the record is durable only once this resolves to Ok"]
pub struct AppendFuture {
    slot: Arc<Mutex<Slot>>,
}

#[derive(Default)]
struct Slot {
    result: Option<Result<Receipt>>,
    waker: Option<Waker>,
}

impl AppendFuture {
    /// A future and the reply that completes it.
    pub(crate) fn pair() -> (AppendFuture, Reply) {
        let slot = Arc::new(Mutex::new(Slot::default()));
        let writer_side = Arc::clone(&slot);
        let reply = Reply::new(move |result| {
            let waker = {
                let mut s = writer_side.lock().unwrap_or_else(PoisonError::into_inner);
                s.result = Some(result);
                s.waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        });
        (AppendFuture { slot }, reply)
    }
}

impl Future for AppendFuture {
    type Output = Result<Receipt>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Receipt>> {
        let mut s = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match s.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl std::fmt::Debug for AppendFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppendFuture").finish_non_exhaustive()
    }
}
