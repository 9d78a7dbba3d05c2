//! One scan of an app directory: secrets in its files, its packages, and their advisories.

use std::path::{Path, PathBuf};

use crate::GateError;
use crate::advisories::AdvisoryDb;
use crate::deps;
use crate::report::{AdvisoryOutcome, NOT_CHECKED_EMPTY, ScanReport};
use crate::secrets::SecretScanner;
use crate::walk::{self, Note, TextFile};

/// What a scan uses.
#[derive(Debug)]
pub struct ScanOptions<'a> {
    /// The secret rules.
    pub scanner: &'a SecretScanner,
    /// The advisory database; `None` when there is none (advisories are then not checked).
    pub advisories: Option<&'a AdvisoryDb>,
    /// Directories not to enter (mudroom's data directory when it lies inside the app).
    pub exclude: Vec<PathBuf>,
}

/// Scans `root`.
pub fn scan_dir(root: &Path, opts: &ScanOptions<'_>) -> Result<ScanReport, GateError> {
    let walked = walk::walk(root, &opts.exclude)?;
    let mut report = ScanReport {
        root: root.display().to_string(),
        notes: walked.notes.clone(),
        ..ScanReport::default()
    };
    for file in &walked.files {
        if opts.scanner.path_allowed(&file.rel) {
            report.files_skipped_allowlisted += 1;
            continue;
        }
        match walk::read_text(file) {
            Ok(TextFile::Text(content)) => {
                report.files_scanned += 1;
                report.bytes_scanned += content.len() as u64;
                report
                    .secrets
                    .extend(opts.scanner.scan(&file.rel, &content));
            }
            Ok(TextFile::Binary) => {
                // Path-only rules (key stores) still apply to binary files.
                report.files_skipped_binary += 1;
                report.secrets.extend(opts.scanner.scan(&file.rel, &[]));
            }
            Ok(TextFile::TooLarge) => {
                report.files_skipped_large += 1;
                report.notes.push(Note {
                    file: file.rel.clone(),
                    message: format!(
                        "larger than {} MiB; not scanned for secrets",
                        walk::MAX_SECRET_SCAN_BYTES / (1024 * 1024)
                    ),
                });
            }
            Err(e) => report.notes.push(Note {
                file: file.rel.clone(),
                message: format!("not readable: {e}"),
            }),
        }
    }

    let inventory = deps::inventory(&walked);
    report.notes.extend(inventory.notes);
    report.lockfiles = inventory.sources;
    report.packages = inventory.packages;

    report.advisories = match opts.advisories {
        None => AdvisoryOutcome::NotChecked {
            reason: NOT_CHECKED_EMPTY.to_owned(),
        },
        Some(db) => {
            let status = db.status()?;
            if status.is_empty() {
                AdvisoryOutcome::NotChecked {
                    reason: NOT_CHECKED_EMPTY.to_owned(),
                }
            } else {
                let mut unchecked: Vec<deps::Ecosystem> = report
                    .packages
                    .iter()
                    .map(|p| p.ecosystem)
                    .filter(|e| !status.covers(*e))
                    .collect();
                unchecked.sort();
                unchecked.dedup();
                let checked: Vec<deps::Package> = report
                    .packages
                    .iter()
                    .filter(|p| !unchecked.contains(&p.ecosystem))
                    .cloned()
                    .collect();
                AdvisoryOutcome::Checked {
                    vulnerabilities: db.check(&checked)?,
                    packages_checked: checked.len(),
                    database_advisories: status.advisories - status.withdrawn,
                    newest_import_at: status.newest_import.map(|i| i.imported_at),
                    unchecked_ecosystems: unchecked,
                }
            }
        }
    };
    Ok(report)
}
