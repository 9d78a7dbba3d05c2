//! The advisory database: OSV advisories imported offline into the store (component `gate`),
//! and matching of an app's packages against them.
//!
//! Import reads OSV JSON from a directory (recursively), a single `.json` file, or an OSV
//! export archive (`all.zip` of one ecosystem). Importing an advisory again replaces it, so
//! importing a newer export refreshes the database. Only what matching needs is kept: the
//! advisory's id, aliases, summary, severity, withdrawal, and each affected package's ranges
//! and version list.

pub mod cvss;
pub mod osv;
pub mod version;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use mudroom_store::Store;
use mudroom_store::rusqlite::{OptionalExtension as _, Transaction, params};
use serde::Serialize;

use crate::GateError;
use crate::deps::{Ecosystem, Package};
use osv::Osv;
use version::Range;

/// The store component of the advisory database.
pub const COMPONENT: &str = "gate";

/// One advisory file larger than this is refused (OSV advisories are a few KiB).
pub const MAX_ADVISORY_BYTES: u64 = 16 * 1024 * 1024;

const MIGRATIONS: &[&str] = &["CREATE TABLE gate_advisories (
        id TEXT PRIMARY KEY NOT NULL,
        modified TEXT NOT NULL,
        withdrawn TEXT,
        summary TEXT NOT NULL,
        aliases TEXT NOT NULL,
        severity TEXT NOT NULL,
        severity_source TEXT NOT NULL
    ) STRICT;
    CREATE TABLE gate_affected (
        advisory_id TEXT NOT NULL REFERENCES gate_advisories(id) ON DELETE CASCADE,
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,
        ranges TEXT NOT NULL,
        versions TEXT NOT NULL,
        severity TEXT,
        severity_source TEXT,
        informational TEXT
    ) STRICT;
    CREATE INDEX gate_affected_package ON gate_affected(ecosystem, name);
    CREATE INDEX gate_affected_advisory ON gate_affected(advisory_id);
    CREATE TABLE gate_imports (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        imported_at INTEGER NOT NULL,
        advisories INTEGER NOT NULL
    ) STRICT;"];

/// How severe an advisory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Not rated by the advisory.
    Unknown,
    /// Low.
    Low,
    /// Medium (GitHub: moderate).
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Reads a rating label: `LOW`, `MODERATE`/`MEDIUM`, `HIGH`, `CRITICAL` (any case).
    pub fn from_label(label: &str) -> Option<Severity> {
        match label.trim().to_ascii_lowercase().as_str() {
            "low" | "negligible" => Some(Severity::Low),
            "moderate" | "medium" => Some(Severity::Medium),
            "high" | "important" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            "unknown" => Some(Severity::Unknown),
            _ => None,
        }
    }

    /// The CVSS v3 qualitative rating of a base score (a score of 0 rates low here).
    pub fn from_cvss(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }

    /// Lower-case name: `unknown`, `low`, `medium`, `high`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What an import did.
#[derive(Debug, Default, Serialize)]
pub struct ImportSummary {
    /// The directory, file or archive read.
    pub source: String,
    /// Advisories stored (new or replaced).
    pub imported: usize,
    /// Of those, withdrawn ones (kept, never matched).
    pub withdrawn: usize,
    /// Advisories per ecosystem (one about two ecosystems counts in both).
    pub by_ecosystem: BTreeMap<String, usize>,
    /// Files that were not valid OSV advisories: how many.
    pub invalid: usize,
    /// The first few of them, with the reason.
    pub invalid_examples: Vec<(String, String)>,
}

/// One past import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRecord {
    /// What was imported.
    pub source: String,
    /// When, in Unix seconds.
    pub imported_at: i64,
    /// How many advisories it stored.
    pub advisories: i64,
}

/// What the database holds.
#[derive(Debug, Clone, Serialize)]
pub struct DbStatus {
    /// Advisories stored, withdrawn ones included.
    pub advisories: i64,
    /// Withdrawn advisories.
    pub withdrawn: i64,
    /// Advisories in force per ecosystem (an advisory about two ecosystems counts in both).
    pub by_ecosystem: Vec<(String, i64)>,
    /// The most recent import.
    pub newest_import: Option<ImportRecord>,
    /// How many imports were made.
    pub imports: i64,
}

impl DbStatus {
    /// Whether no advisory in force is stored.
    pub fn is_empty(&self) -> bool {
        self.advisories - self.withdrawn <= 0
    }

    /// Whether advisories in force exist for `ecosystem`.
    pub fn covers(&self, ecosystem: Ecosystem) -> bool {
        self.by_ecosystem
            .iter()
            .any(|(e, n)| *n > 0 && Ecosystem::from_osv(e) == Some(ecosystem))
    }
}

/// A package affected by an advisory.
#[derive(Debug, Clone, Serialize)]
pub struct Vulnerability {
    /// The advisory (a GitHub id preferred when several databases describe the vulnerability).
    pub id: String,
    /// Its other ids, including those of the merged duplicates.
    pub aliases: Vec<String>,
    /// One line.
    pub summary: String,
    /// Its severity.
    pub severity: Severity,
    /// Where the severity came from.
    pub severity_source: String,
    /// RustSec's informational kind (`unmaintained`, `unsound`), if any.
    pub informational: Option<String>,
    /// Versions that fix it, above the installed one.
    pub fixed: Vec<String>,
    /// The affected package.
    pub package: Package,
}

/// The advisory database of a store.
#[derive(Debug, Clone)]
pub struct AdvisoryDb {
    store: Store,
}

impl AdvisoryDb {
    /// Opens the database, creating its tables on first use.
    pub fn open(store: Store) -> Result<AdvisoryDb, GateError> {
        store.migrate(COMPONENT, MIGRATIONS)?;
        Ok(AdvisoryDb { store })
    }

    /// Imports OSV advisories from a directory (recursively, `*.json`), one `.json` file, or a
    /// `.zip` archive of them (deflate or stored). All of an import is one transaction.
    pub fn import(&self, path: &Path, now: i64) -> Result<ImportSummary, GateError> {
        let io = |source| GateError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = fs::metadata(path).map_err(io)?;
        let mut summary = ImportSummary {
            source: path.display().to_string(),
            ..ImportSummary::default()
        };
        self.store.with_tx(|tx| {
            if meta.is_dir() {
                for file in json_files(path)? {
                    let name = file
                        .strip_prefix(path)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    let text = read_limited(&file)?;
                    import_one(tx, &name, &text, &mut summary)?;
                }
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
            {
                import_zip(tx, path, &mut summary)?;
            } else {
                let text = read_limited(path)?;
                import_one(tx, &summary.source.clone(), &text, &mut summary)?;
            }
            if summary.imported > 0 {
                tx.execute(
                    "INSERT INTO gate_imports (source, imported_at, advisories) VALUES (?1, ?2, ?3)",
                    params![
                        summary.source,
                        now,
                        i64::try_from(summary.imported).unwrap_or(i64::MAX)
                    ],
                )?;
            }
            Ok::<_, GateError>(())
        })?;
        Ok(summary)
    }

    /// Counts per ecosystem, and the newest import.
    pub fn status(&self) -> Result<DbStatus, GateError> {
        self.store.read(|conn| {
            let (advisories, withdrawn): (i64, i64) = conn.query_row(
                "SELECT COUNT(*), COUNT(withdrawn) FROM gate_advisories",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut stmt = conn.prepare(
                "SELECT f.ecosystem, COUNT(DISTINCT f.advisory_id)
                 FROM gate_affected f JOIN gate_advisories a ON a.id = f.advisory_id
                 WHERE a.withdrawn IS NULL
                 GROUP BY f.ecosystem ORDER BY f.ecosystem",
            )?;
            let by_ecosystem = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<(String, i64)>, _>>()?;
            let newest_import = conn
                .query_row(
                    "SELECT source, imported_at, advisories FROM gate_imports
                     ORDER BY imported_at DESC, id DESC LIMIT 1",
                    [],
                    |r| {
                        Ok(ImportRecord {
                            source: r.get(0)?,
                            imported_at: r.get(1)?,
                            advisories: r.get(2)?,
                        })
                    },
                )
                .optional()?;
            let imports = conn.query_row("SELECT COUNT(*) FROM gate_imports", [], |r| r.get(0))?;
            Ok(DbStatus {
                advisories,
                withdrawn,
                by_ecosystem,
                newest_import,
                imports,
            })
        })
    }

    /// The advisories in force affecting each of `packages`. Duplicates (the same vulnerability
    /// in GitHub's and PyPA's databases, linked by aliases) are reported once per package.
    pub fn check(&self, packages: &[Package]) -> Result<Vec<Vulnerability>, GateError> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT a.id, a.aliases, a.summary, a.severity, a.severity_source,
                        f.ranges, f.versions, f.severity, f.severity_source, f.informational
                 FROM gate_affected f JOIN gate_advisories a ON a.id = f.advisory_id
                 WHERE f.ecosystem = ?1 AND f.name = ?2 AND a.withdrawn IS NULL",
            )?;
            let mut out = Vec::new();
            for p in packages {
                let name = p.ecosystem.normalize_name(&p.name);
                let rows = stmt
                    .query_map(params![p.ecosystem.osv_name(), name], |r| {
                        Ok(Row {
                            id: r.get(0)?,
                            aliases: r.get(1)?,
                            summary: r.get(2)?,
                            severity: r.get(3)?,
                            severity_source: r.get(4)?,
                            ranges: r.get(5)?,
                            versions: r.get(6)?,
                            affected_severity: r.get(7)?,
                            affected_severity_source: r.get(8)?,
                            informational: r.get(9)?,
                        })
                    })?
                    .collect::<Result<Vec<Row>, _>>()?;
                let mut found: Vec<Vulnerability> = Vec::new();
                for row in rows {
                    let ranges: Vec<Range> = serde_json::from_str(&row.ranges).unwrap_or_default();
                    let versions: Vec<String> =
                        serde_json::from_str(&row.versions).unwrap_or_default();
                    let m = version::check(p.ecosystem, &p.version, &ranges, &versions);
                    if !m.affected {
                        continue;
                    }
                    let (severity, source) =
                        match (&row.affected_severity, &row.affected_severity_source) {
                            (Some(s), Some(src)) => (s.as_str(), src.as_str()),
                            _ => (row.severity.as_str(), row.severity_source.as_str()),
                        };
                    // One advisory may list the same package twice (one entry per range).
                    if let Some(existing) = found.iter_mut().find(|v| v.id == row.id) {
                        existing.fixed.extend(m.fixed);
                        existing.fixed.sort();
                        existing.fixed.dedup();
                        continue;
                    }
                    found.push(Vulnerability {
                        id: row.id,
                        aliases: serde_json::from_str(&row.aliases).unwrap_or_default(),
                        summary: row.summary,
                        severity: Severity::from_label(severity).unwrap_or(Severity::Unknown),
                        severity_source: source.to_owned(),
                        informational: row.informational,
                        fixed: m.fixed,
                        package: p.clone(),
                    });
                }
                out.extend(merge_aliases(found));
            }
            Ok(out)
        })
    }
}

struct Row {
    id: String,
    aliases: String,
    summary: String,
    severity: String,
    severity_source: String,
    ranges: String,
    versions: String,
    affected_severity: Option<String>,
    affected_severity_source: Option<String>,
    informational: Option<String>,
}

/// Merges the advisories of one package that describe the same vulnerability (one's id is
/// another's alias, or they share an alias). The merged entry keeps the id of a rated
/// advisory (GitHub's first), the highest known severity, and every id as an alias.
fn merge_aliases(found: Vec<Vulnerability>) -> Vec<Vulnerability> {
    let mut groups: Vec<Vec<Vulnerability>> = Vec::new();
    for v in found {
        let names: HashSet<&str> = std::iter::once(v.id.as_str())
            .chain(v.aliases.iter().map(String::as_str))
            .collect();
        let joined: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| {
                g.iter().any(|o| {
                    std::iter::once(o.id.as_str())
                        .chain(o.aliases.iter().map(String::as_str))
                        .any(|n| names.contains(n))
                })
            })
            .map(|(i, _)| i)
            .collect();
        let mut group = vec![v];
        for i in joined.into_iter().rev() {
            group.extend(groups.remove(i));
        }
        groups.push(group);
    }
    let mut out: Vec<Vulnerability> = groups
        .into_iter()
        .filter_map(|mut g| {
            g.sort_by_key(|v| {
                (
                    v.severity == Severity::Unknown,
                    !v.id.starts_with("GHSA-"),
                    v.id.clone(),
                )
            });
            let mut it = g.into_iter();
            let mut primary = it.next()?;
            for other in it {
                if other.severity > primary.severity {
                    primary.severity = other.severity;
                    primary.severity_source = other.severity_source.clone();
                }
                primary.aliases.push(other.id);
                primary.aliases.extend(other.aliases);
                primary.fixed.extend(other.fixed);
            }
            primary.aliases.retain(|a| *a != primary.id);
            primary.aliases.sort();
            primary.aliases.dedup();
            primary.fixed.sort();
            primary.fixed.dedup();
            Some(primary)
        })
        .collect();
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    out
}

fn import_one(
    tx: &Transaction<'_>,
    name: &str,
    text: &str,
    summary: &mut ImportSummary,
) -> Result<(), GateError> {
    let osv = match Osv::parse(text) {
        Ok(o) => o,
        Err(e) => {
            summary.invalid += 1;
            if summary.invalid_examples.len() < 5 {
                summary.invalid_examples.push((name.to_owned(), e));
            }
            return Ok(());
        }
    };
    store_advisory(tx, &osv)?;
    summary.imported += 1;
    if osv.withdrawn.is_some() {
        summary.withdrawn += 1;
    }
    let ecosystems: HashSet<&str> = osv
        .affected
        .iter()
        .filter_map(|a| a.package.as_ref().map(|p| p.ecosystem.as_str()))
        .collect();
    for e in ecosystems {
        *summary.by_ecosystem.entry(e.to_owned()).or_default() += 1;
    }
    Ok(())
}

fn store_advisory(tx: &Transaction<'_>, osv: &Osv) -> Result<(), GateError> {
    let rated = osv.rating();
    tx.execute(
        "DELETE FROM gate_affected WHERE advisory_id = ?1",
        [&osv.id],
    )?;
    tx.execute(
        "INSERT INTO gate_advisories (id, modified, withdrawn, summary, aliases, severity, severity_source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET modified = excluded.modified, withdrawn = excluded.withdrawn,
           summary = excluded.summary, aliases = excluded.aliases, severity = excluded.severity,
           severity_source = excluded.severity_source",
        params![
            osv.id,
            osv.modified.as_deref().unwrap_or(""),
            osv.withdrawn,
            osv.short_summary(),
            serde_json::to_string(&osv.aliases).unwrap_or_else(|_| "[]".to_owned()),
            rated.severity.as_str(),
            rated.source,
        ],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO gate_affected (advisory_id, ecosystem, name, ranges, versions, severity, severity_source, informational)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for a in &osv.affected {
        let Some(p) = &a.package else { continue };
        let name = match Ecosystem::from_osv(&p.ecosystem) {
            Some(e) if !p.ecosystem.contains(':') => e.normalize_name(&p.name),
            _ => p.name.clone(),
        };
        let ranges: Vec<&Range> = a.ranges.iter().filter(|r| r.kind != "GIT").collect();
        let own = a.rating();
        insert.execute(params![
            osv.id,
            p.ecosystem,
            name,
            serde_json::to_string(&ranges).unwrap_or_else(|_| "[]".to_owned()),
            serde_json::to_string(&a.versions).unwrap_or_else(|_| "[]".to_owned()),
            own.as_ref().map(|r| r.severity.as_str()),
            own.as_ref().map(|r| r.source.clone()),
            a.informational(),
        ])?;
    }
    Ok(())
}

fn read_limited(path: &Path) -> Result<String, GateError> {
    let io = |source| GateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = String::new();
    fs::File::open(path)
        .map_err(io)?
        .take(MAX_ADVISORY_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(io)?;
    if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_ADVISORY_BYTES {
        return Err(GateError::Osv {
            file: path.display().to_string(),
            message: format!("larger than {} MiB", MAX_ADVISORY_BYTES / (1024 * 1024)),
        });
    }
    Ok(text)
}

/// `*.json` files under `dir`, recursively, sorted; links are not followed.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, GateError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).map_err(|source| GateError::Io {
            path: d.clone(),
            source,
        })?;
        for e in entries {
            let e = e.map_err(|source| GateError::Io {
                path: d.clone(),
                source,
            })?;
            let Ok(kind) = e.file_type() else { continue };
            let path = e.path();
            if kind.is_dir() {
                if !e.file_name().to_string_lossy().starts_with('.') {
                    stack.push(path);
                }
            } else if kind.is_file()
                && path
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("json"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn import_zip(
    tx: &Transaction<'_>,
    path: &Path,
    summary: &mut ImportSummary,
) -> Result<(), GateError> {
    let archive_err = |message: String| GateError::Archive {
        path: path.to_path_buf(),
        message,
    };
    let file = fs::File::open(path).map_err(|source| GateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| archive_err(e.to_string()))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| archive_err(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| archive_err(e.to_string()))?
            .into_owned();
        if !name.to_ascii_lowercase().ends_with(".json") {
            continue;
        }
        if entry.size() > MAX_ADVISORY_BYTES {
            return Err(archive_err(format!(
                "member `{name}` is larger than {} MiB",
                MAX_ADVISORY_BYTES / (1024 * 1024)
            )));
        }
        let mut text = String::new();
        // The declared size may lie: read at most one byte past the limit.
        (&mut entry)
            .take(MAX_ADVISORY_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| archive_err(format!("member `{name}`: {e}")))?;
        if u64::try_from(text.len()).unwrap_or(u64::MAX) > MAX_ADVISORY_BYTES {
            return Err(archive_err(format!("member `{name}` is too large")));
        }
        import_one(tx, &name, &text, summary)?;
    }
    Ok(())
}

/// Groups vulnerabilities by severity, for summaries.
pub fn count_by_severity(vulns: &[Vulnerability]) -> HashMap<Severity, usize> {
    let mut m = HashMap::new();
    for v in vulns {
        *m.entry(v.severity).or_default() += 1;
    }
    m
}
