//! The parts of the OSV schema (<https://ossf.github.io/osv-schema/>) the gate reads.

use serde::Deserialize;
use serde_json::Value;

use super::Severity;
use super::cvss::base_score_v3;
use super::version::Range;

/// One OSV advisory.
#[derive(Debug, Deserialize)]
pub struct Osv {
    /// `GHSA-…`, `PYSEC-…`, `RUSTSEC-…`, `MAL-…`, ...
    pub id: String,
    /// Last modification, RFC 3339.
    #[serde(default)]
    pub modified: Option<String>,
    /// Set when the advisory was withdrawn; withdrawn advisories are ignored.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other ids of the same vulnerability.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One line.
    #[serde(default)]
    pub summary: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub details: Option<String>,
    /// Scores.
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    /// Affected packages.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// Database-specific data (GitHub puts its severity rating here).
    #[serde(default)]
    pub database_specific: Option<Value>,
}

/// A severity score.
#[derive(Debug, Deserialize)]
pub struct OsvSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector or rating.
    pub score: String,
}

/// One affected package.
#[derive(Debug, Deserialize)]
pub struct Affected {
    /// The package (absent for some non-package advisories).
    #[serde(default)]
    pub package: Option<AffectedPackage>,
    /// Per-package scores (OSV 1.4+).
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    /// Ranges.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Enumerated versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// RustSec marks informational advisories here (`informational: "unmaintained"`).
    #[serde(default)]
    pub database_specific: Option<Value>,
    /// Ecosystem-specific data (some databases rate severity here).
    #[serde(default)]
    pub ecosystem_specific: Option<Value>,
}

/// An affected package's identity.
#[derive(Debug, Deserialize)]
pub struct AffectedPackage {
    /// `npm`, `PyPI`, `crates.io`, `Debian:12`, ...
    pub ecosystem: String,
    /// The package name.
    pub name: String,
}

/// A severity and what it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rated {
    /// The severity.
    pub severity: Severity,
    /// Where it came from (`GitHub: HIGH`, `CVSS:3.1/AV:N/… = 9.8`).
    pub source: String,
}

impl Osv {
    /// Parses one advisory.
    pub fn parse(text: &str) -> Result<Osv, String> {
        let osv: Osv = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if osv.id.trim().is_empty() {
            return Err("empty `id`".to_owned());
        }
        Ok(osv)
    }

    /// The summary, or the first line of the details, at most 200 characters.
    pub fn short_summary(&self) -> String {
        let text = self
            .summary
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                self.details
                    .as_deref()
                    .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
            })
            .unwrap_or("")
            .trim();
        if text.chars().count() > 200 {
            let mut t: String = text.chars().take(199).collect();
            t.push('…');
            t
        } else {
            text.to_owned()
        }
    }

    /// The advisory's severity: a malicious-package report (`MAL-`) is critical; otherwise the
    /// database's own rating (GitHub's `database_specific.severity`), else the highest CVSS v3
    /// base score among `severity`, else unknown.
    pub fn rating(&self) -> Rated {
        if self.id.starts_with("MAL-") {
            return Rated {
                severity: Severity::Critical,
                source: "malicious package report".to_owned(),
            };
        }
        rating_of(self.database_specific.as_ref(), &self.severity).unwrap_or(Rated {
            severity: Severity::Unknown,
            source: "no severity in the advisory".to_owned(),
        })
    }
}

impl Affected {
    /// A rating given for this package alone, if any.
    pub fn rating(&self) -> Option<Rated> {
        rating_of(self.database_specific.as_ref(), &self.severity).or_else(|| {
            let s = self
                .ecosystem_specific
                .as_ref()?
                .get("severity")?
                .as_str()?;
            Some(Rated {
                severity: Severity::from_label(s)?,
                source: format!("ecosystem: {s}"),
            })
        })
    }

    /// RustSec's informational kind (`unmaintained`, `unsound`, `notice`), if any.
    pub fn informational(&self) -> Option<String> {
        self.database_specific
            .as_ref()?
            .get("informational")?
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
}

fn rating_of(db: Option<&Value>, scores: &[OsvSeverity]) -> Option<Rated> {
    if let Some(label) = db.and_then(|d| d.get("severity")).and_then(Value::as_str)
        && let Some(severity) = Severity::from_label(label)
    {
        return Some(Rated {
            severity,
            source: format!("database: {label}"),
        });
    }
    scores
        .iter()
        .filter(|s| s.kind == "CVSS_V3")
        .filter_map(|s| base_score_v3(&s.score).map(|score| (score, &s.score)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(score, vector)| Rated {
            severity: Severity::from_cvss(score),
            source: format!("{vector} = {score:.1}"),
        })
}
