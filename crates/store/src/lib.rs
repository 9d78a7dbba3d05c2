//! mudroom's embedded store: one SQLite database, `mudroom.db`, in a data directory
//! (by default `.mudroom/`).
//!
//! - Durability: write-ahead logging with `synchronous=FULL`, so a write acknowledged by
//!   [`Store::with_tx`] survives the process being killed and the machine losing power.
//! - Migrations: each component keeps its own numbered SQL scripts, applied once each
//!   ([`Store::migrate`]).
//! - One server per data directory: [`Store::lock_server`]. Command-line tools open the same
//!   database without the lock and work while a server runs.
//! - Online backup and restore: [`Store::backup_to`], [`Store::restore_from`].
//!
//! # Connections
//!
//! A [`Store`] is a cheap, cloneable, thread-safe handle. It owns one writer connection behind a
//! mutex (SQLite allows one writer at a time anyway, so the mutex costs no parallelism and turns
//! lock contention inside the process into plain waiting instead of `SQLITE_BUSY`), and a small
//! pool of read connections used by [`Store::read`], which run in parallel with each other and
//! with the writer (write-ahead logging gives each reader a consistent snapshot). Calls block the
//! calling thread: an async server runs them on its blocking thread pool.

mod error;
mod lock;

use std::fmt;
use std::fs::DirBuilder;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

pub use error::StoreError;
pub use lock::{LOCK_FILE, ServerLock};
/// The SQLite binding the store is built on, for components that write their own queries.
pub use rusqlite;

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "mudroom.db";

/// The data directory used when none is given.
pub const DEFAULT_DATA_DIR: &str = ".mudroom";

/// How long a connection waits for another process's write lock before failing with
/// `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections kept open for reuse; more are opened when needed and closed after use.
///
/// A server runs one read per request thread at a time, so this covers a few dozen concurrent
/// requests: opening a connection (file, WAL index, schema parse) costs more than the reads of
/// a typical call, and an idle one costs a file descriptor and a little memory.
const READ_POOL_SIZE: usize = 64;

/// How often a backup or restore retries when SQLite reports the database busy.
const COPY_RETRIES: u32 = 500;

/// The store's own schema.
const STORE_MIGRATIONS: &[&str] = &["CREATE TABLE store_meta (
        key TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    ) STRICT;"];

/// A handle on the database of one data directory. Clones share the same connections.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

// A server shares one store between its threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Store>();
};

struct Inner {
    dir: PathBuf,
    db_path: PathBuf,
    id: StoreId,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.inner.dir)
            .field("id", &self.inner.id)
            .finish_non_exhaustive()
    }
}

/// The random 128-bit identity of a data directory, created when its database is first opened.
///
/// It names the data directory outside of it (the vault's key file is `<id>.key`) and travels
/// with backups.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoreId([u8; 16]);

impl StoreId {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for StoreId {
    /// 32 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreId({self})")
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`.
    ///
    /// Creates the directory with mode 0700 when it does not exist, refuses a path that is not
    /// a directory, opens `mudroom.db` in write-ahead-logging mode with `synchronous=FULL`,
    /// foreign keys and a busy timeout, applies the store's own migrations and creates the data
    /// directory id on first open. Does not take the server lock.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = data_dir.as_ref().to_path_buf();
        ensure_dir(&dir)?;
        let db_path = dir.join(DB_FILE);
        let mut writer = open_connection(&db_path, false)?;
        init_schema(&mut writer)?;
        let id = load_or_create_id(&mut writer, &db_path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                db_path,
                id,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The database file.
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// The data directory's id.
    pub fn id(&self) -> StoreId {
        self.inner.id
    }

    /// Takes the exclusive server lock on the data directory.
    ///
    /// Fails with [`StoreError::Locked`], naming the directory and the holder's pid, when another
    /// server (in this process or another) holds it. The lock is released when the returned
    /// value is dropped or the process ends.
    pub fn lock_server(&self) -> Result<ServerLock, StoreError> {
        ServerLock::acquire(&self.inner.dir)
    }

    /// The writer connection, for statements outside a transaction. Holding the guard blocks
    /// every other write of this process.
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the guard was held rolled its transaction back (dropping a
        // `Transaction` rolls back), so the connection is still usable.
        self.inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in an immediate write transaction, committing when it returns `Ok` and rolling
    /// back when it returns `Err` (or panics). Once this returns `Ok`, the write is on disk.
    ///
    /// `f` holds this process's writer: calling another method of this store that writes (or
    /// `conn`) from inside it deadlocks. Pass `tx` down instead.
    pub fn with_tx<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| E::from(StoreError::Sqlite(e)))?;
        let value = f(&tx)?;
        tx.commit().map_err(|e| E::from(StoreError::Sqlite(e)))?;
        Ok(value)
    }

    /// Runs `f` on a read-only connection from the pool. Reads see a consistent snapshot taken
    /// at their first statement (wrap several in a transaction for one snapshot across them) and
    /// never wait for writers.
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.inner.db_path, true)?,
        };
        let result = f(&conn);
        let mut readers = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if readers.len() < READ_POOL_SIZE && conn.is_autocommit() {
            readers.push(conn);
        }
        result
    }

    /// Applies the migrations of `component` that this database has not seen yet.
    ///
    /// `migrations[0]` is version 1, `migrations[1]` version 2, and so on; each applied version
    /// is recorded in `schema_migrations(component, version)`. All pending scripts run in one
    /// transaction: either all apply or none. Scripts must not contain transaction statements.
    /// Returns how many were applied. Fails when the database is at a version newer than
    /// `migrations.len()`.
    pub fn migrate(&self, component: &str, migrations: &[&str]) -> Result<usize, StoreError> {
        if component.is_empty() {
            return Err(StoreError::EmptyComponent);
        }
        self.with_tx(|tx| apply_migrations(tx, component, migrations))
    }

    /// The versions of `component` applied to this database, in order.
    pub fn applied_migrations(&self, component: &str) -> Result<Vec<i64>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT version FROM schema_migrations WHERE component = ?1 ORDER BY version",
            )?;
            let versions = stmt
                .query_map([component], |row| row.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(versions)
        })
    }

    /// Writes a consistent copy of the database to `dest`, a new file (created with mode 0600),
    /// while other connections keep reading and writing.
    ///
    /// The copy is one snapshot, taken on a read connection: it holds every transaction
    /// committed before the copy started and none committed after. The result is a plain
    /// single-file SQLite database. Refuses an existing `dest`; removes a partial copy on
    /// failure.
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<(), StoreError> {
        let dest = dest.as_ref();
        create_private_file(dest)?;
        let result = self.read(|src| copy_into_file(src, dest));
        if result.is_err() {
            let _ = std::fs::remove_file(dest);
        }
        result
    }

    /// Replaces the database of `data_dir` (created if missing) with the backup at `backup`.
    ///
    /// Refuses with [`StoreError::Locked`] while a server holds the data directory's lock, and
    /// holds that lock itself while copying so no server starts meanwhile. The backup is checked
    /// first: it must be an intact SQLite database made by mudroom. The copy goes through
    /// SQLite's backup API into the live database file, so command-line tools that have the
    /// database open see the restored content. The data directory takes the backup's id.
    pub fn restore_from(
        backup: impl AsRef<Path>,
        data_dir: impl AsRef<Path>,
    ) -> Result<(), StoreError> {
        let backup = backup.as_ref();
        let dir = data_dir.as_ref();
        let src = open_backup(backup)?;
        ensure_dir(dir)?;
        let _lock = ServerLock::acquire(dir)?;
        let db_path = dir.join(DB_FILE);
        let mut dst = open_connection(&db_path, false)?;
        copy_database(&src, &mut dst).map_err(|source| StoreError::Backup {
            path: db_path.clone(),
            source,
        })
    }
}

fn ensure_dir(dir: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(StoreError::NotADirectory {
            path: dir.to_path_buf(),
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })
        }
        Err(source) => Err(StoreError::CreateDir {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// Opens a connection with the store's settings. `synchronous`, `foreign_keys` and
/// `busy_timeout` are per connection, so every connection gets them.
fn open_connection(db_path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let open_err = |source| StoreError::Open {
        path: db_path.to_path_buf(),
        source,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db_path, flags).map_err(open_err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(open_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::JournalMode {
            path: db_path.to_path_buf(),
            mode,
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open_err)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(open_err)?;
    if read_only {
        conn.pragma_update(None, "query_only", true)
            .map_err(open_err)?;
    }
    Ok(conn)
}

fn init_schema(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            component TEXT NOT NULL,
            version INTEGER NOT NULL,
            applied INTEGER NOT NULL,
            PRIMARY KEY (component, version)
        ) STRICT;",
    )?;
    apply_migrations(&tx, "store", STORE_MIGRATIONS)?;
    tx.commit()?;
    Ok(())
}

fn apply_migrations(
    tx: &Transaction<'_>,
    component: &str,
    migrations: &[&str],
) -> Result<usize, StoreError> {
    let current: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?1",
        [component],
        |row| row.get(0),
    )?;
    let too_new = || StoreError::SchemaTooNew {
        component: component.to_owned(),
        found: current,
        known: migrations.len(),
    };
    let done = usize::try_from(current).map_err(|_| too_new())?;
    if done > migrations.len() {
        return Err(too_new());
    }
    let now = unix_seconds();
    let mut applied = 0;
    for (index, sql) in migrations.iter().enumerate().skip(done) {
        let version = index + 1;
        let failed = |source| StoreError::Migration {
            component: component.to_owned(),
            version,
            source,
        };
        tx.execute_batch(sql).map_err(failed)?;
        let version_value = i64::try_from(version).map_err(|_| too_new())?;
        tx.execute(
            "INSERT INTO schema_migrations (component, version, applied) VALUES (?1, ?2, ?3)",
            rusqlite::params![component, version_value, now],
        )
        .map_err(failed)?;
        applied += 1;
    }
    Ok(applied)
}

fn load_or_create_id(conn: &mut Connection, db_path: &Path) -> Result<StoreId, StoreError> {
    let select = |conn: &Connection| -> Result<Option<Vec<u8>>, StoreError> {
        Ok(conn
            .query_row("SELECT value FROM store_meta WHERE key = 'id'", [], |row| {
                row.get(0)
            })
            .optional()?)
    };
    let bytes = match select(conn)? {
        Some(bytes) => bytes,
        None => {
            let mut fresh = [0u8; 16];
            getrandom::fill(&mut fresh).map_err(|err| StoreError::Io {
                path: db_path.to_path_buf(),
                source: std::io::Error::other(err.to_string()),
            })?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have created it first: its id wins.
            tx.execute(
                "INSERT OR IGNORE INTO store_meta (key, value) VALUES ('id', ?1)",
                [&fresh[..]],
            )?;
            let stored = select(&tx)?;
            tx.commit()?;
            stored.unwrap_or_default()
        }
    };
    let id = <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| StoreError::BadId {
        path: db_path.to_path_buf(),
    })?;
    Ok(StoreId(id))
}

fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(StoreError::BackupExists {
                path: path.to_path_buf(),
            })
        }
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn copy_into_file(src: &Connection, dest: &Path) -> Result<(), StoreError> {
    let backup_err = |source| StoreError::Backup {
        path: dest.to_path_buf(),
        source,
    };
    let mut dst = Connection::open(dest).map_err(backup_err)?;
    copy_database(src, &mut dst).map_err(backup_err)?;
    // A self-contained file: no `-wal` beside it once closed.
    let _: String = dst
        .pragma_update_and_check(None, "journal_mode", "DELETE", |row| row.get(0))
        .map_err(backup_err)?;
    dst.close().map_err(|(_, source)| backup_err(source))?;
    std::fs::File::open(dest)
        .and_then(|file| file.sync_all())
        .map_err(|source| StoreError::Io {
            path: dest.to_path_buf(),
            source,
        })
}

/// Copies every page of `src` into `dst` in a single backup step, so the copy is one snapshot
/// of `src` even while other connections write to it.
fn copy_database(src: &Connection, dst: &mut Connection) -> Result<(), rusqlite::Error> {
    let backup = Backup::new(src, dst)?;
    let mut retries = 0;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => {
                retries += 1;
                if retries > COPY_RETRIES {
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        Some("database stayed busy during copy".to_owned()),
                    ));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn open_backup(path: &Path) -> Result<Connection, StoreError> {
    let invalid = |reason: String| StoreError::InvalidBackup {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|err| invalid(err.to_string()))?;
    if !meta.is_file() {
        return Err(invalid("not a file".to_owned()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| invalid(err.to_string()))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(|err| invalid(err.to_string()))?;
    if check != "ok" {
        return Err(invalid(format!("integrity check failed: {check}")));
    }
    let id_len: Option<i64> = conn
        .query_row(
            "SELECT length(value) FROM store_meta WHERE key = 'id'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|_| invalid("it has no mudroom data directory id".to_owned()))?;
    if id_len != Some(16) {
        return Err(invalid("it has no mudroom data directory id".to_owned()));
    }
    Ok(conn)
}

/// Seconds since the Unix epoch, 0 if the clock is before it.
pub fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
