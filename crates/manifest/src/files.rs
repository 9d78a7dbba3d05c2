//! The manifest's only file access: paths that must stay inside the app directory, and what
//! lies at them.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// The most bytes a manifest may have.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// How many directory entries a code directory's symlink scan looks at before stopping.
const MAX_SCANNED_ENTRIES: usize = 100_000;

/// How many escaping symlinks of one code directory are reported.
const MAX_REPORTED_LINKS: usize = 10;

/// An I/O error as a lowercase reason.
pub(crate) fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "it does not exist".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = e.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

/// Resolves `rel`, written in the manifest, against the canonical app directory `base`: it must
/// be relative, must not leave `base` through `..` or a symlink, and must exist. Returns the
/// canonical path. `what` names the thing in messages, like `code directory`.
pub(crate) fn resolve_inside(base: &Path, rel: &str, what: &str) -> Result<PathBuf, String> {
    if rel.is_empty() {
        return Err(format!(
            "{what} is empty: write a path relative to the app directory"
        ));
    }
    let path = Path::new(rel);
    if path.is_absolute() || rel.starts_with('\\') {
        return Err(format!(
            "{what} `{rel}` must be relative to the app directory, not absolute"
        ));
    }
    let mut normal = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if depth == 0 {
                    return Err(format!("{what} `{rel}` is outside the app directory"));
                }
                depth -= 1;
                normal.pop();
            }
            Component::Normal(c) => {
                depth += 1;
                normal.push(c);
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "{what} `{rel}` must be relative to the app directory, not absolute"
                ));
            }
        }
    }
    let joined = base.join(&normal);
    let canonical = match fs::canonicalize(&joined) {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // a dangling symlink is named as such
            if fs::symlink_metadata(&joined).is_ok() {
                return Err(format!("{what} `{rel}` is a symlink to nothing"));
            }
            return Err(format!("{what} `{rel}` does not exist"));
        }
        Err(e) => return Err(format!("cannot read {what} `{rel}`: {}", reason(&e))),
    };
    if !canonical.starts_with(base) {
        return Err(format!(
            "{what} `{rel}` leads outside the app directory through a symlink"
        ));
    }
    Ok(canonical)
}

/// Symlinks under the code directory `dir` that lead outside `base` or to nothing, as paths
/// relative to `base`, with why. Directories reached through symlinks are not entered (their
/// target is checked instead).
pub(crate) fn bad_symlinks(dir: &Path, base: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            seen += 1;
            if seen > MAX_SCANNED_ENTRIES || found.len() >= MAX_REPORTED_LINKS {
                return found;
            }
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            let shown = path
                .strip_prefix(base)
                .map_or_else(|_| path.display().to_string(), |p| p.display().to_string());
            if meta.file_type().is_symlink() {
                match fs::canonicalize(&path) {
                    Ok(target) if target.starts_with(base) => {}
                    Ok(_) => found.push(format!(
                        "`{shown}` is a symlink that leads outside the app directory"
                    )),
                    Err(_) => found.push(format!("`{shown}` is a symlink to nothing")),
                }
            } else if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    found
}

/// Reads a text file found by [`resolve_inside`], refusing more than `limit` bytes.
pub(crate) fn read_text(path: &Path, rel: &str, what: &str, limit: u64) -> Result<String, String> {
    let meta =
        fs::metadata(path).map_err(|e| format!("cannot read {what} `{rel}`: {}", reason(&e)))?;
    if !meta.is_file() {
        return Err(format!("{what} `{rel}` is not a file"));
    }
    if meta.len() > limit {
        return Err(format!("{what} `{rel}` is larger than {limit} bytes"));
    }
    let bytes =
        fs::read(path).map_err(|e| format!("cannot read {what} `{rel}`: {}", reason(&e)))?;
    String::from_utf8(bytes).map_err(|_| format!("{what} `{rel}` is not UTF-8 text"))
}

/// Whether `path` is a file anyone may execute.
pub(crate) fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}
