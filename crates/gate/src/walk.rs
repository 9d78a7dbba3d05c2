//! Listing the files of an app directory.
//!
//! The walk never follows symbolic links (a link is noted, since what it points to may ship
//! with the app), visits directories in name order so reports are stable, and skips version
//! control metadata, caches and mudroom's own data directory.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::GateError;

/// Files larger than this are not scanned for secrets (a note says so).
pub const MAX_SECRET_SCAN_BYTES: u64 = 1024 * 1024;

/// A NUL byte in this many leading bytes marks a file as binary; binary files are not scanned
/// for secrets.
pub const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Directory names never entered.
pub const SKIPPED_DIR_NAMES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".jj",
    ".mudroom",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".tox",
    ".nox",
];

/// Relative directory paths (suffixes) never entered: package managers' caches.
pub const SKIPPED_DIR_SUFFIXES: &[&str] = &["node_modules/.cache", "node_modules/.vite"];

/// One regular file of the app.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Its path on disk.
    pub path: PathBuf,
    /// Its path relative to the scanned directory, `/`-separated.
    pub rel: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Something the scan could not look at, or chose not to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The file or directory, relative to the scanned directory.
    pub file: String,
    /// What happened.
    pub message: String,
}

/// The files of a directory, and what was left out.
#[derive(Debug, Default)]
pub struct Walked {
    /// Regular files, in walk order.
    pub files: Vec<FileEntry>,
    /// Links not followed, unreadable directories.
    pub notes: Vec<Note>,
}

/// Lists the regular files under `root`, skipping [`SKIPPED_DIR_NAMES`],
/// [`SKIPPED_DIR_SUFFIXES`] and any directory in `exclude`.
pub fn walk(root: &Path, exclude: &[PathBuf]) -> Result<Walked, GateError> {
    let meta = fs::metadata(root).map_err(|source| GateError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(GateError::Io {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut out = Walked::default();
    // A stack of (directory, its relative path); children are pushed in reverse name order so
    // that they pop in name order.
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                out.notes.push(Note {
                    file: display_rel(&rel),
                    message: format!("directory not readable: {e}"),
                });
                continue;
            }
        };
        let mut children: Vec<(String, fs::DirEntry)> = entries
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e))
            .collect();
        children.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subdirs = Vec::new();
        for (name, entry) in children {
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                // Package managers link within node_modules by design (bins, pnpm's store).
                if !child_rel.contains("node_modules/") {
                    out.notes.push(Note {
                        file: child_rel,
                        message: "symbolic link not followed".to_owned(),
                    });
                }
            } else if kind.is_dir() {
                if SKIPPED_DIR_NAMES.contains(&name.as_str())
                    || SKIPPED_DIR_SUFFIXES.iter().any(|s| child_rel.ends_with(s))
                {
                    continue;
                }
                let path = entry.path();
                if !exclude.is_empty() && path.canonicalize().is_ok_and(|c| exclude.contains(&c)) {
                    continue;
                }
                subdirs.push((path, child_rel));
            } else if kind.is_file() {
                let size = entry.metadata().map_or(0, |m| m.len());
                out.files.push(FileEntry {
                    path: entry.path(),
                    rel: child_rel,
                    size,
                });
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(out)
}

fn display_rel(rel: &str) -> String {
    if rel.is_empty() {
        ".".to_owned()
    } else {
        rel.to_owned()
    }
}

/// What reading a file for the secret scan gave.
#[derive(Debug)]
pub enum TextFile {
    /// Its content.
    Text(Vec<u8>),
    /// Larger than [`MAX_SECRET_SCAN_BYTES`].
    TooLarge,
    /// A NUL byte in its first [`BINARY_SNIFF_BYTES`].
    Binary,
}

/// Reads a file for the secret scan: large and binary files are not read whole.
pub fn read_text(file: &FileEntry) -> Result<TextFile, GateError> {
    let io = |source| GateError::Io {
        path: file.path.clone(),
        source,
    };
    if file.size > MAX_SECRET_SCAN_BYTES {
        return Ok(TextFile::TooLarge);
    }
    let f = fs::File::open(&file.path).map_err(io)?;
    let mut content = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
    // The file may have grown since it was listed: read at most one byte past the limit.
    f.take(MAX_SECRET_SCAN_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(io)?;
    if u64::try_from(content.len()).unwrap_or(u64::MAX) > MAX_SECRET_SCAN_BYTES {
        return Ok(TextFile::TooLarge);
    }
    let head = content.get(..BINARY_SNIFF_BYTES).unwrap_or(&content);
    if memchr::memchr(0, head).is_some() {
        return Ok(TextFile::Binary);
    }
    Ok(TextFile::Text(content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_in_order_skipping_metadata_caches_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "b.txt",
            "a/z.txt",
            "a/y.txt",
            ".git/config",
            "node_modules/.cache/x/big.bin",
            "node_modules/lodash/package.json",
            "__pycache__/m.pyc",
            "data/mudroom.db",
        ] {
            let path = root.join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, "x").unwrap();
        }
        std::os::unix::fs::symlink("/etc/passwd", root.join("passwd-link")).unwrap();
        let walked = walk(root, &[root.join("data")]).unwrap();
        let rels: Vec<&str> = walked.files.iter().map(|f| f.rel.as_str()).collect();
        // A directory's files first, then its subdirectories, each in name order.
        assert_eq!(
            rels,
            [
                "b.txt",
                "a/y.txt",
                "a/z.txt",
                "node_modules/lodash/package.json"
            ]
        );
        assert_eq!(
            walked.notes,
            [Note {
                file: "passwd-link".into(),
                message: "symbolic link not followed".into()
            }]
        );
    }

    #[test]
    fn large_and_binary_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.txt");
        fs::write(
            &big,
            vec![b'a'; usize::try_from(MAX_SECRET_SCAN_BYTES).unwrap() + 1],
        )
        .unwrap();
        let bin = dir.path().join("img.bin");
        let mut b = vec![b'a'; 100];
        b.push(0);
        fs::write(&bin, &b).unwrap();
        let late_nul = dir.path().join("late.txt");
        let mut l = vec![b'a'; BINARY_SNIFF_BYTES + 10];
        l.push(0);
        fs::write(&late_nul, &l).unwrap();
        let walked = walk(dir.path(), &[]).unwrap();
        let read = |name: &str| {
            let f = walked.files.iter().find(|f| f.rel == name).unwrap();
            read_text(f).unwrap()
        };
        assert!(matches!(read("big.txt"), TextFile::TooLarge));
        assert!(matches!(read("img.bin"), TextFile::Binary));
        assert!(matches!(read("late.txt"), TextFile::Text(t) if t.len() == l.len()));
    }

    #[test]
    fn a_missing_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = walk(&dir.path().join("nope"), &[]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        assert!(walk(&file, &[]).is_err());
    }
}
