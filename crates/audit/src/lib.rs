//! mudroom's tamper-evident audit log.
//!
//! Every authentication failure, authorization decision and mutation of the platform becomes an
//! append-only [`Record`] in `audit.db` (SQLite) in the data directory. Each stored record carries
//! a sequence number, a time, the hash of the record before it and its own SHA-256 hash over a
//! canonical encoding of all its fields plus that link (see [`Hash`] and `docs/audit.md`), so
//! editing, deleting, reordering or inserting a row breaks the chain, and [`AuditLog::verify`]
//! names the first bad sequence number.
//!
//! [`AuditLog::append`] returns only once the record is committed and fsync'd (WAL,
//! `synchronous=FULL`); when it returns an error nothing was recorded and the caller must fail the
//! request: there is no unaudited access. Concurrent appends share one commit (group commit).
//!
//! ```
//! use mudroom_audit::{AuditLog, Decision, Filter, Record, Verification};
//!
//! # let dir = tempfile::tempdir().unwrap();
//! let log = AuditLog::open(dir.path())?;
//! let receipt = log.append(
//!     Record::new(
//!         "arn:aws:sts::111122223333:assumed-role/app/s1",
//!         "secretsmanager:GetSecretValue",
//!         "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db",
//!         Decision::Allow,
//!     )
//!     .statement("app-role#ReadAppSecrets")
//!     .source_ip("10.0.0.7")
//!     .request_id("4f1c2a"),
//! )?;
//! assert_eq!(receipt.seq, 1);
//! assert!(matches!(log.verify()?, Verification::Intact { records: 1, .. }));
//! let denied = log.query(&Filter::new().decision(Decision::ExplicitDeny))?;
//! assert!(denied.is_empty());
//! # Ok::<(), mudroom_audit::Error>(())
//! ```
//!
//! # Secrets
//!
//! The log never stores secret values. Callers pass names and ARNs only: the ARN of the secret
//! read, never its value; never request bodies, tokens, keys or passwords in
//! [`Record::detail`]. `Record` has no field meant for values.
//!
//! # Limits
//!
//! Oversized fields are truncated, not refused, so a huge value in a request cannot turn into an
//! unaudited request. Principal, action, resource and statement keep at most
//! [`MAX_FIELD_BYTES`]; decision, source IP and request id at most [`MAX_SHORT_FIELD_BYTES`]. A
//! cut field keeps its longest prefix that fits (at a character boundary) followed by the marker
//! `…[+N bytes]` (N bytes were dropped), all within the limit. A `detail` whose compact JSON is
//! over [`MAX_DETAIL_BYTES`] is replaced by `{"truncated":true,"bytes":N}`. Queries return at
//! most [`MAX_QUERY_ROWS`] entries.

mod error;
mod hash;
mod read;
mod record;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use time::{OffsetDateTime, UtcOffset};

pub use error::{Error, Result};
pub use hash::Hash;
pub use read::{BreakReason, ChainBreak, Entry, Filter, Head, MAX_QUERY_ROWS, Verification};
pub use record::{Decision, MAX_DETAIL_BYTES, MAX_FIELD_BYTES, MAX_SHORT_FIELD_BYTES, Record};
pub use writer::{AppendFuture, Receipt, Stats};

use writer::{Counters, Job, Reply, Shared};

// The log is shared across threads and its futures move between them.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    const fn send<T: Send>() {}
    send_sync::<AuditLog>();
    send::<AppendFuture>();
};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "audit.db";

/// The schema version stored in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    principal  TEXT NOT NULL,
    action     TEXT NOT NULL,
    resource   TEXT NOT NULL,
    decision   TEXT NOT NULL,
    statement  TEXT,
    source_ip  TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail     TEXT,
    prev_hash  BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash       BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;
CREATE INDEX IF NOT EXISTS audit_principal ON audit (principal);
CREATE INDEX IF NOT EXISTS audit_action ON audit (action);
CREATE INDEX IF NOT EXISTS audit_decision ON audit (decision);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// How to open the log. [`Options::default`] suits production.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// How long a commit waits for SQLite's write lock (held by another process writing the same
    /// file, or a checkpoint) before its batch fails. Default 5 s.
    pub busy_timeout: Duration,
    /// The most records committed in one transaction. Default 1024.
    pub max_batch: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            busy_timeout: Duration::from_secs(5),
            max_batch: 1024,
        }
    }
}

impl Options {
    /// Sets [`Options::busy_timeout`].
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Options {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`Options::max_batch`] (at least 1).
    #[must_use]
    pub fn max_batch(mut self, max: usize) -> Options {
        self.max_batch = max.max(1);
        self
    }
}

/// The audit log of one data directory: a writer thread for appends, read-only connections for
/// reads. `Send + Sync`: share it with an `Arc`. Dropping it waits for queued records to commit.
pub struct AuditLog {
    path: PathBuf,
    busy_timeout: Duration,
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (creating if needed) `dir/audit.db` with [`Options::default`].
    pub fn open(dir: impl AsRef<Path>) -> Result<AuditLog> {
        AuditLog::open_with(dir, Options::default())
    }

    /// Opens (creating if needed) `dir/audit.db`. Creates `dir` too; sets WAL mode and
    /// `synchronous=FULL`; creates or checks the schema; starts the writer thread.
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<AuditLog> {
        let dir = dir.as_ref();
        let dir_error = |source| Error::Directory {
            path: dir.to_path_buf(),
            source: Arc::new(source),
        };
        std::fs::create_dir_all(dir).map_err(dir_error)?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path).map_err(Error::db("open"))?;
        conn.busy_timeout(options.busy_timeout)
            .map_err(Error::db("set busy timeout"))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(Error::db("set WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Corrupt(format!(
                "journal mode is `{mode}`, WAL could not be enabled"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(Error::db("set synchronous=FULL"))?;
        create_schema(&mut conn)?;
        // The database and WAL files are new entries of the directory: make them durable too.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(dir_error)?;

        let counters = Arc::new(Counters::default());
        let shared = Arc::new(Shared::new(conn, Arc::clone(&counters), options.max_batch));
        let writer = std::thread::Builder::new()
            .name("mudroom-audit-writer".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || writer::run(&shared)
            })
            .map_err(dir_error)?;
        Ok(AuditLog {
            path,
            busy_timeout: options.busy_timeout,
            shared,
            writer: Some(writer),
            counters,
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `record` and returns once it is committed and fsync'd. Blocks the calling thread
    /// (in async code use [`AuditLog::append_async`]); when no commit is running, the commit runs
    /// on this thread, with whatever else is queued. On error nothing was recorded: fail the
    /// request being audited.
    pub fn append(&self, record: Record) -> Result<Receipt> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job = Job {
            record: record.bounded(),
            reply: Reply::new(move |result| {
                // The caller waits on `rx` until this arrives; if it is gone there is no one
                // left to tell.
                let _ = tx.send(result);
            }),
        };
        self.shared.append(job);
        rx.recv().unwrap_or(Err(Error::WriterStopped))
    }

    /// Queues `record` and returns a future that resolves once it is durable, for any executor.
    pub fn append_async(&self, record: Record) -> AppendFuture {
        let (future, reply) = AppendFuture::pair();
        self.submit(record, reply);
        future
    }

    /// Queues `record` and returns at once; `done` runs on the thread that committed it (the
    /// writer thread, or a thread inside [`AuditLog::append`]) with the outcome once the record
    /// is durable or has failed. `done` must be quick, since it delays the rest of its batch's
    /// callers, and must not call [`AuditLog::append`] (it could wait for its own thread);
    /// [`AuditLog::append_with`] and [`AuditLog::append_async`] are fine.
    pub fn append_with(&self, record: Record, done: impl FnOnce(Result<Receipt>) + Send + 'static) {
        self.submit(record, Reply::new(done));
    }

    fn submit(&self, record: Record, reply: Reply) {
        self.shared.submit(Job {
            record: record.bounded(),
            reply,
        });
    }

    /// Counters since open: records, commits (fsyncs), failed commits, largest batch.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Runs `f` on a read-only connection from the pool.
    fn with_reader<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let pooled = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(Error::db("open reader"))?;
                c.busy_timeout(self.busy_timeout)
                    .map_err(Error::db("set busy timeout"))?;
                c
            }
        };
        let out = f(&mut conn);
        // A connection left inside a transaction (a failed read) is not reused.
        if conn.is_autocommit() {
            self.readers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
        out
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // Closing lets the writer commit what is queued, then stop.
        self.shared.close();
        if let Some(writer) = self.writer.take() {
            // A panicked writer has already failed its callers (see `Reply`).
            let _ = writer.join();
        }
    }
}

fn create_schema(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Error::db("begin schema"))?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(Error::db("read schema version"))?;
    match version {
        0 => {
            tx.execute_batch(SCHEMA)
                .map_err(Error::db("create schema"))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(Error::db("set schema version"))?;
        }
        SCHEMA_VERSION => {}
        other => {
            return Err(Error::Corrupt(format!(
                "schema version {other} is not supported (expected {SCHEMA_VERSION})"
            )));
        }
    }
    tx.commit().map_err(Error::db("commit schema"))
}

/// `t` as RFC 3339 in UTC with exactly three fractional digits, `2025-01-02T03:04:05.678Z`.
/// The fixed width makes text order equal time order (for years 0 to 9999).
pub(crate) fn rfc3339_ms(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}
