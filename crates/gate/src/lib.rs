//! mudroom's deploy gate: what `mudroom scan` checks before an app is deployed.
//!
//! - [`secrets`]: secrets committed in the app's files (gitleaks-format rules, a default set
//!   written for mudroom).
//! - [`deps`]: the packages the app ships, read from lockfiles and vendored package metadata.
//! - [`advisories`]: an offline OSV advisory database in the store, and matching of packages
//!   against it with each ecosystem's version semantics.
//! - [`scan`]: one scan of a directory; [`report`]: its verdict (what blocks a deploy) and its
//!   text, JSON and SARIF forms.
//! - [`walk`]: the files of an app directory.

pub mod advisories;
pub mod deps;
pub mod report;
pub mod scan;
pub mod secrets;
pub mod walk;

pub use advisories::{AdvisoryDb, Severity};
pub use report::{Policy, ScanReport};
pub use scan::{ScanOptions, scan_dir};
pub use secrets::{RuleSet, SecretFinding, SecretScanner};

use std::path::PathBuf;

/// Everything that can go wrong in the gate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GateError {
    /// A secret rule file is malformed.
    #[error("secret rules `{file}`: {message}")]
    Rules {
        /// The file (or the name of the built-in set).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A file or directory could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An advisory file is not valid OSV JSON.
    #[error("advisory `{file}`: {message}")]
    Osv {
        /// The file (or archive member).
        file: String,
        /// What is wrong.
        message: String,
    },
    /// An advisory archive could not be read.
    #[error("archive `{path}`: {message}")]
    Archive {
        /// The archive.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A bug: something that cannot happen did.
    #[error("internal error: {0}")]
    Internal(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] mudroom_store::StoreError),
}

impl From<mudroom_store::rusqlite::Error> for GateError {
    fn from(e: mudroom_store::rusqlite::Error) -> Self {
        GateError::Store(mudroom_store::StoreError::Sqlite(e))
    }
}
