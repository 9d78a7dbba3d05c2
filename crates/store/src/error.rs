//! Errors of the store.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong opening, migrating, locking, backing up or restoring a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The data directory path exists but is not a directory.
    #[error("data directory `{path}` is not a directory")]
    NotADirectory {
        /// The path given as data directory.
        path: PathBuf,
    },
    /// The data directory could not be created or inspected.
    #[error("cannot create data directory `{path}`: {source}")]
    CreateDir {
        /// The data directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The database file could not be opened or configured.
    #[error("cannot open database `{path}`: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// SQLite did not switch the database to write-ahead logging.
    #[error("database `{path}` refused write-ahead logging (journal mode is `{mode}`)")]
    JournalMode {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// A statement failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration script failed; nothing of it was applied.
    #[error("migration {version} of `{component}` failed: {source}")]
    Migration {
        /// The component whose migration failed.
        component: String,
        /// The 1-based number of the failing migration.
        version: usize,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The database was migrated by a newer mudroom than this one.
    #[error(
        "database schema of `{component}` is at version {found}, newer than the {known} this mudroom knows"
    )]
    SchemaTooNew {
        /// The component.
        component: String,
        /// The version recorded in the database.
        found: i64,
        /// The number of migrations this build knows.
        known: usize,
    },
    /// A migration was asked for with an empty component name.
    #[error("migration component name is empty")]
    EmptyComponent,
    /// Another process holds the server lock of the data directory.
    #[error(
        "data directory `{dir}` is in use by another mudroom server ({}); stop it first",
        describe_pid(*pid)
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The pid written in the lock file by the holder, when readable.
        pid: Option<u32>,
    },
    /// A file of the store could not be created, read or written.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A backup was asked for onto a path that already exists.
    #[error("backup destination `{path}` already exists")]
    BackupExists {
        /// The destination.
        path: PathBuf,
    },
    /// Copying the database failed.
    #[error("cannot copy database to `{path}`: {source}")]
    Backup {
        /// The destination.
        path: PathBuf,
        /// The underlying error.
        source: rusqlite::Error,
    },
    /// The file given to restore from is not a usable mudroom database.
    #[error("`{path}` is not a mudroom database backup: {reason}")]
    InvalidBackup {
        /// The file given.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The data directory id stored in the database is malformed.
    #[error("database `{path}` holds a malformed data directory id")]
    BadId {
        /// The database file.
        path: PathBuf,
    },
}

fn describe_pid(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".to_owned(),
    }
}
