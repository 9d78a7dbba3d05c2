//! The audit log's error type.

use std::path::PathBuf;
use std::sync::Arc;

/// Why an audit operation failed. An `append` that returns any of these did not record anything,
/// and the caller must fail the request it was auditing.
///
/// The type is `Clone` because one failed commit fails every record of its batch.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data directory could not be created or synced.
    #[error("cannot prepare audit directory `{path}`: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// SQLite refused an operation.
    #[error("audit database: {context}: {source}")]
    Database {
        /// What was being done.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// The database holds something this version cannot read (another schema version, a
    /// value out of range).
    #[error("audit database: {0}")]
    Corrupt(String),
    /// The writer thread has stopped, so nothing more can be recorded.
    #[error("audit writer has stopped")]
    WriterStopped,
    /// Writing an export failed.
    #[error("cannot write audit export: {0}")]
    Export(Arc<std::io::Error>),
}

/// The audit log's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
        move |e| Error::Database {
            context,
            source: Arc::new(e),
        }
    }
}
