//! One scan of an app directory: secrets in its files, its packages, and their advisories.

use std::path::{Path, PathBuf};

use crate::GateError;
use crate::advisories::AdvisoryDb;
use crate::deps;
use crate::report::{AdvisoryOutcome, NOT_CHECKED_EMPTY, ScanReport};
use crate::secrets::{SecretFinding, SecretScanner};

/// Files are scanned for secrets on at most this many threads.
pub const MAX_THREADS: usize = 8;
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

/// What reading and scanning one file gave.
enum Outcome {
    Text(u64, Vec<SecretFinding>),
    /// Path-only rules (key stores) still apply to binary files.
    Binary(Vec<SecretFinding>),
    TooLarge,
    Unreadable(GateError),
}

fn scan_file(scanner: &SecretScanner, file: &walk::FileEntry) -> Outcome {
    match walk::read_text(file) {
        Ok(TextFile::Text(content)) => {
            Outcome::Text(content.len() as u64, scanner.scan(&file.rel, &content))
        }
        Ok(TextFile::Binary) => Outcome::Binary(scanner.scan(&file.rel, &[])),
        Ok(TextFile::TooLarge) => Outcome::TooLarge,
        Err(e) => Outcome::Unreadable(e),
    }
}

/// Scans `files` on up to [`MAX_THREADS`] threads; outcomes come back in `files`' order.
fn scan_files(
    scanner: &SecretScanner,
    files: &[&walk::FileEntry],
) -> Result<Vec<Outcome>, GateError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, MAX_THREADS);
    if threads == 1 || files.len() < 2 {
        return Ok(files.iter().map(|f| scan_file(scanner, f)).collect());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Outcome)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        out.push((i, scan_file(scanner, f)));
                    }
                    out
                })
            })
            .collect();
        let mut all = Vec::with_capacity(files.len());
        for w in workers {
            all.extend(
                w.join()
                    .map_err(|_| GateError::Internal("a scanning thread panicked".to_owned()))?,
            );
        }
        Ok::<_, GateError>(all)
    })?;
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, o)| o).collect())
}

/// Scans `root`.
pub fn scan_dir(root: &Path, opts: &ScanOptions<'_>) -> Result<ScanReport, GateError> {
    let walked = walk::walk(root, &opts.exclude)?;
    let mut report = ScanReport {
        root: root.display().to_string(),
        notes: walked.notes.clone(),
        ..ScanReport::default()
    };
    let to_read: Vec<&walk::FileEntry> = walked
        .files
        .iter()
        .filter(|f| !opts.scanner.path_allowed(&f.rel))
        .collect();
    report.files_skipped_allowlisted = walked.files.len() - to_read.len();
    for (file, outcome) in to_read.iter().zip(scan_files(opts.scanner, &to_read)?) {
        match outcome {
            Outcome::Text(bytes, findings) => {
                report.files_scanned += 1;
                report.bytes_scanned += bytes;
                report.secrets.extend(findings);
            }
            Outcome::Binary(findings) => {
                report.files_skipped_binary += 1;
                report.secrets.extend(findings);
            }
            Outcome::TooLarge => {
                report.files_skipped_large += 1;
                report.notes.push(Note {
                    file: file.rel.clone(),
                    message: format!(
                        "larger than {} MiB; not scanned for secrets",
                        walk::MAX_SECRET_SCAN_BYTES / (1024 * 1024)
                    ),
                });
            }
            Outcome::Unreadable(e) => report.notes.push(Note {
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
