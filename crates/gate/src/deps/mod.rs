//! The packages an app ships: read from lockfiles and from vendored package metadata.
//!
//! | ecosystem | files |
//! | --- | --- |
//! | npm | `package-lock.json` / `npm-shrinkwrap.json` (v1, v2, v3), `yarn.lock` (classic and berry), `pnpm-lock.yaml` (v5, v6, v9), `node_modules/**/package.json` |
//! | PyPI | `requirements*.txt` (only `==` pins), `poetry.lock`, `Pipfile.lock`, `uv.lock`, `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` |
//! | crates.io | `Cargo.lock` |
//!
//! The app's own packages (workspace members, editable and path installs) are left out: they
//! are not in any advisory database. A package seen in a lockfile is not repeated from vendored
//! metadata; the same package in two lockfiles is listed once per lockfile.

mod cargo;
mod npm;
mod python;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;

use serde::Serialize;

use crate::walk::{FileEntry, Note, Walked};

/// Lockfiles larger than this are not parsed (a note says so).
pub const MAX_LOCKFILE_BYTES: u64 = 64 * 1024 * 1024;

/// A package ecosystem, named as OSV names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// The npm registry.
    Npm,
    /// The Python Package Index.
    PyPI,
    /// crates.io.
    CratesIo,
}

impl Ecosystem {
    /// OSV's name for it: `npm`, `PyPI`, `crates.io`.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::CratesIo => "crates.io",
        }
    }

    /// Parses OSV's name, ignoring a `:suffix` (OSV writes `Debian:11` and the like).
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        match name.split(':').next().unwrap_or(name) {
            "npm" => Some(Ecosystem::Npm),
            "PyPI" => Some(Ecosystem::PyPI),
            "crates.io" => Some(Ecosystem::CratesIo),
            _ => None,
        }
    }

    /// The name a package is looked up by: PyPI names are normalized (PEP 503: lower case, runs
    /// of `-`, `_`, `.` become `-`); npm and crates.io names are exact.
    pub fn normalize_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut sep = false;
                for c in name.trim().chars() {
                    if matches!(c, '-' | '_' | '.') {
                        sep = true;
                    } else {
                        if sep && !out.is_empty() {
                            out.push('-');
                        }
                        sep = false;
                        out.push(c.to_ascii_lowercase());
                    }
                }
                out
            }
            Ecosystem::Npm | Ecosystem::CratesIo => name.trim().to_owned(),
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

impl Serialize for Ecosystem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.osv_name())
    }
}

/// One package the app ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name as written where it was found.
    pub name: String,
    /// Its exact version.
    pub version: String,
    /// Where it was found, relative to the scanned directory.
    pub file: String,
    /// 1-based line of its entry in that file.
    pub line: usize,
}

/// What kind of file lists packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `package-lock.json`, `npm-shrinkwrap.json`.
    NpmLock,
    /// `yarn.lock`.
    YarnLock,
    /// `pnpm-lock.yaml`.
    PnpmLock,
    /// `requirements*.txt`.
    Requirements,
    /// `poetry.lock`.
    PoetryLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `uv.lock`.
    UvLock,
    /// `Cargo.lock`.
    CargoLock,
    /// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`.
    PythonMetadata,
    /// `node_modules/<name>/package.json`.
    NodeModulesPackage,
}

impl SourceKind {
    /// Whether this is vendored metadata rather than a lockfile.
    pub fn is_vendored(self) -> bool {
        matches!(
            self,
            SourceKind::PythonMetadata | SourceKind::NodeModulesPackage
        )
    }
}

/// The kind of package list `rel` (a `/`-separated relative path) is, if any.
pub fn source_kind(rel: &str) -> Option<SourceKind> {
    let mut parts = rel.rsplit('/');
    let name = parts.next()?;
    let parent = parts.next();
    let kind = match name {
        "package-lock.json" | "npm-shrinkwrap.json" => SourceKind::NpmLock,
        "yarn.lock" => SourceKind::YarnLock,
        "pnpm-lock.yaml" => SourceKind::PnpmLock,
        "poetry.lock" => SourceKind::PoetryLock,
        "Pipfile.lock" => SourceKind::PipfileLock,
        "uv.lock" => SourceKind::UvLock,
        "Cargo.lock" => SourceKind::CargoLock,
        "METADATA" if parent.is_some_and(|p| p.ends_with(".dist-info")) => {
            SourceKind::PythonMetadata
        }
        "PKG-INFO" if parent.is_some_and(|p| p.ends_with(".egg-info")) => {
            SourceKind::PythonMetadata
        }
        "package.json" if npm::is_node_modules_package(rel) => SourceKind::NodeModulesPackage,
        _ if name.ends_with(".txt")
            && (name.starts_with("requirements") || parent == Some("requirements")) =>
        {
            SourceKind::Requirements
        }
        _ => return None,
    };
    // Lockfiles inside installed dependencies belong to those packages' own development.
    if !kind.is_vendored() && npm::inside_dependency(rel) {
        return None;
    }
    Some(kind)
}

/// Packages read from one file, and remarks about it.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The packages.
    pub packages: Vec<Package>,
    /// Remarks (unpinned requirements, skipped entries).
    pub notes: Vec<String>,
}

/// Parses one package list. `rel` is what the packages' `file` says.
pub fn parse(kind: SourceKind, rel: &str, text: &str) -> Result<Parsed, String> {
    match kind {
        SourceKind::NpmLock => npm::package_lock(rel, text),
        SourceKind::YarnLock => npm::yarn_lock(rel, text),
        SourceKind::PnpmLock => npm::pnpm_lock(rel, text),
        SourceKind::NodeModulesPackage => npm::node_modules_package(rel, text),
        SourceKind::Requirements => python::requirements(rel, text),
        SourceKind::PoetryLock => python::poetry_lock(rel, text),
        SourceKind::PipfileLock => python::pipfile_lock(rel, text),
        SourceKind::UvLock => python::uv_lock(rel, text),
        SourceKind::PythonMetadata => python::metadata(rel, text),
        SourceKind::CargoLock => cargo::cargo_lock(rel, text),
    }
}

/// The packages of a walked directory.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Every package, lockfile entries first, in walk order.
    pub packages: Vec<Package>,
    /// The files read.
    pub sources: Vec<String>,
    /// Files that could not be read or parsed, and remarks.
    pub notes: Vec<Note>,
}

/// Reads every package list among `walked`'s files.
pub fn inventory(walked: &Walked) -> Inventory {
    let mut inv = Inventory::default();
    let mut lock_files: Vec<(SourceKind, &FileEntry)> = Vec::new();
    let mut vendored: Vec<(SourceKind, &FileEntry)> = Vec::new();
    for f in &walked.files {
        if let Some(kind) = source_kind(&f.rel) {
            if kind.is_vendored() {
                vendored.push((kind, f));
            } else {
                lock_files.push((kind, f));
            }
        }
    }
    let mut seen_locked: HashSet<(Ecosystem, String, String)> = HashSet::new();
    let mut seen: HashSet<(Ecosystem, String, String, String)> = HashSet::new();
    let mut vendored_count: HashMap<Ecosystem, usize> = HashMap::new();
    for (kind, f) in lock_files.into_iter().chain(vendored) {
        if f.size > MAX_LOCKFILE_BYTES {
            inv.notes.push(Note {
                file: f.rel.clone(),
                message: format!(
                    "larger than {} MiB; its packages were not read",
                    MAX_LOCKFILE_BYTES / (1024 * 1024)
                ),
            });
            continue;
        }
        let text = match fs::read(&f.path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                inv.notes.push(Note {
                    file: f.rel.clone(),
                    message: format!("not readable: {e}"),
                });
                continue;
            }
        };
        let parsed = match parse(kind, &f.rel, &text) {
            Ok(p) => p,
            Err(e) => {
                inv.notes.push(Note {
                    file: f.rel.clone(),
                    message: format!("cannot read its packages: {e}"),
                });
                continue;
            }
        };
        if !kind.is_vendored() {
            inv.sources.push(f.rel.clone());
        }
        for n in parsed.notes {
            inv.notes.push(Note {
                file: f.rel.clone(),
                message: n,
            });
        }
        for p in parsed.packages {
            let id = (
                p.ecosystem,
                p.ecosystem.normalize_name(&p.name),
                p.version.clone(),
            );
            if kind.is_vendored() {
                if seen_locked.contains(&id) {
                    continue;
                }
                *vendored_count.entry(p.ecosystem).or_default() += 1;
            } else {
                seen_locked.insert(id.clone());
            }
            if seen.insert((id.0, id.1, id.2, p.file.clone())) {
                inv.packages.push(p);
            }
        }
    }
    let mut counts: Vec<_> = vendored_count.into_iter().collect();
    counts.sort();
    for (eco, n) in counts {
        inv.sources.push(format!("{n} vendored {eco} package(s)"));
    }
    inv
}

/// 1-based line numbers of the lines of `text` that open a JSON object member (`"key": {`),
/// by key: the first occurrence of each key wins.
pub(crate) fn json_key_lines(text: &str) -> HashMap<&str, usize> {
    let mut map = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find('"') else { continue };
        let (key, after) = rest.split_at(end);
        if after
            .get(1..)
            .is_some_and(|a| a.trim_start().starts_with(':'))
        {
            map.entry(key).or_insert(i + 1);
        }
    }
    map
}

/// A `[[package]]` entry of a TOML lockfile (Cargo, Poetry, uv), with its header's line.
#[derive(Debug)]
pub(crate) struct TomlPackage {
    pub name: String,
    pub version: Option<String>,
    pub source: Option<toml::Value>,
    pub line: usize,
}

/// The `[[package]]` entries of a TOML lockfile. Lines come from a scan of the text for
/// `[[package]]` headers (TOML parsers keep no positions), matched to entries by order.
pub(crate) fn toml_packages(text: &str) -> Result<Vec<TomlPackage>, String> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        package: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        name: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        source: Option<toml::Value>,
    }
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let header_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[package]]")
        .map(|(i, _)| i + 1)
        .collect();
    Ok(file
        .package
        .into_iter()
        .enumerate()
        .map(|(i, e)| TomlPackage {
            name: e.name,
            version: e.version,
            source: e.source,
            line: header_lines.get(i).copied().unwrap_or(1),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds() {
        assert_eq!(source_kind("package-lock.json"), Some(SourceKind::NpmLock));
        assert_eq!(source_kind("web/yarn.lock"), Some(SourceKind::YarnLock));
        assert_eq!(
            source_kind("requirements.txt"),
            Some(SourceKind::Requirements)
        );
        assert_eq!(
            source_kind("requirements-dev.txt"),
            Some(SourceKind::Requirements)
        );
        assert_eq!(
            source_kind("requirements/prod.txt"),
            Some(SourceKind::Requirements)
        );
        assert_eq!(source_kind("notes.txt"), None);
        assert_eq!(
            source_kind(".venv/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA"),
            Some(SourceKind::PythonMetadata)
        );
        assert_eq!(source_kind("docs/METADATA"), None);
        assert_eq!(
            source_kind("node_modules/lodash/package.json"),
            Some(SourceKind::NodeModulesPackage)
        );
        assert_eq!(
            source_kind("node_modules/@babel/core/package.json"),
            Some(SourceKind::NodeModulesPackage)
        );
        assert_eq!(
            source_kind("node_modules/a/node_modules/b/package.json"),
            Some(SourceKind::NodeModulesPackage)
        );
        assert_eq!(source_kind("node_modules/lodash/fp/package.json"), None);
        assert_eq!(source_kind("package.json"), None);
        // A dependency's own development lockfile is not the app's.
        assert_eq!(source_kind("node_modules/some-lib/yarn.lock"), None);
        assert_eq!(source_kind("Cargo.lock"), Some(SourceKind::CargoLock));
    }

    #[test]
    fn pypi_names_normalize() {
        let n = |s| Ecosystem::PyPI.normalize_name(s);
        assert_eq!(n("Django"), "django");
        assert_eq!(n("zope.interface"), "zope-interface");
        assert_eq!(n("typing__Extensions"), "typing-extensions");
        assert_eq!(n("ruamel.yaml.clib"), "ruamel-yaml-clib");
        assert_eq!(Ecosystem::Npm.normalize_name("@Babel/Core"), "@Babel/Core");
    }

    #[test]
    fn ecosystem_names() {
        for e in [Ecosystem::Npm, Ecosystem::PyPI, Ecosystem::CratesIo] {
            assert_eq!(Ecosystem::from_osv(e.osv_name()), Some(e));
        }
        assert_eq!(Ecosystem::from_osv("Debian:11"), None);
        assert_eq!(Ecosystem::from_osv("pypi"), None);
    }
}
