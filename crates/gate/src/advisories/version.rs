//! Version ordering per ecosystem, and OSV's affected-range evaluation.
//!
//! - npm and crates.io: Semantic Versioning 2.0 with the [`semver`] crate. Precedence ignores
//!   build metadata (`1.0.0+a` equals `1.0.0+b`), and a pre-release sorts before its release
//!   (`4.17.21-beta.1 < 4.17.21`). Versions with fewer than three parts (`1.2`) or a leading
//!   `v` are read leniently, as OSV data sometimes writes them.
//! - PyPI: PEP 440 with the [`pep440_rs`] crate (epochs, pre-, post- and dev-releases, local
//!   versions, zero padding: `2.3 == 2.3.0`).
//!
//! A range of type `SEMVER` always uses semantic versioning; a range of type `ECOSYSTEM` uses
//! the package's ecosystem ordering; `GIT` ranges name commits and cannot be evaluated against a
//! version, so they are skipped (OSV exports list the affected versions alongside them).

use std::cmp::Ordering;
use std::str::FromStr as _;

use serde::{Deserialize, Serialize};

use crate::deps::Ecosystem;

/// A version parsed with some ecosystem's rules.
#[derive(Debug, Clone)]
pub enum Version {
    /// Semantic versioning.
    Semver(semver::Version),
    /// PEP 440.
    Pep440(pep440_rs::Version),
}

/// Which ordering a version is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Semantic versioning (npm, crates.io, and OSV `SEMVER` ranges).
    Semver,
    /// PEP 440 (PyPI).
    Pep440,
}

impl Scheme {
    /// The scheme of an ecosystem.
    pub fn of(ecosystem: Ecosystem) -> Scheme {
        match ecosystem {
            Ecosystem::Npm | Ecosystem::CratesIo => Scheme::Semver,
            Ecosystem::PyPI => Scheme::Pep440,
        }
    }

    /// Parses `text`, or `None` when it is not a version of this scheme.
    pub fn parse(self, text: &str) -> Option<Version> {
        match self {
            Scheme::Semver => parse_semver(text).map(Version::Semver),
            Scheme::Pep440 => pep440_rs::Version::from_str(text.trim())
                .ok()
                .map(Version::Pep440),
        }
    }
}

/// Lenient semantic version: `v1.2.3`, `=1.2.3`, `1.2` and `1` are accepted.
fn parse_semver(text: &str) -> Option<semver::Version> {
    let t = text.trim();
    let t = t.strip_prefix('=').unwrap_or(t).trim_start();
    let t = t.strip_prefix('v').unwrap_or(t);
    if let Ok(v) = semver::Version::parse(t) {
        return Some(v);
    }
    // Pad a short core: `1.2-beta` → `1.2.0-beta`.
    let split = t.find(['-', '+']).unwrap_or(t.len());
    let (core, rest) = t.split_at(split);
    let parts = core.split('.').count();
    if !(1..3).contains(&parts)
        || core
            .split('.')
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
    semver::Version::parse(&padded).ok()
}

impl Version {
    /// Compares two versions of the same scheme; versions of different schemes do not compare.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp_precedence(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// One OSV range event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The first affected version (`0`: every version before the next event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// The first version no longer affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The last version still affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// An upper bound: nothing at or above it is affected by this range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// One OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `SEMVER`, `ECOSYSTEM` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its events.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// The outcome of checking one version against one package's ranges and version list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RangeMatch {
    /// Whether the version is affected.
    pub affected: bool,
    /// Fixed versions above it named by the ranges that affect it.
    pub fixed: Vec<String>,
    /// Ranges that could not be evaluated (unparseable versions, unknown range types).
    pub unevaluated: usize,
}

enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

/// Evaluates one range per OSV's algorithm: events are sorted by version (`introduced: "0"`
/// first); walking them upwards, an `introduced` at or below the version sets "affected", a
/// `fixed` at or below it clears it, and a `last_affected` strictly below it clears it. A
/// `limit` at or below the version rules the range out.
fn evaluate(range: &Range, scheme: Scheme, version: &Version) -> Option<(bool, Option<String>)> {
    let mut limit_hit = false;
    let mut events: Vec<(Option<Version>, Kind, &str)> = Vec::new();
    for e in &range.events {
        if let Some(l) = &e.limit {
            let lv = scheme.parse(l)?;
            if version.compare(&lv)? != Ordering::Less {
                limit_hit = true;
            }
        }
        let (text, kind) = match (&e.introduced, &e.fixed, &e.last_affected) {
            (Some(t), _, _) => (t.as_str(), Kind::Introduced),
            (None, Some(t), _) => (t.as_str(), Kind::Fixed),
            (None, None, Some(t)) => (t.as_str(), Kind::LastAffected),
            _ => continue,
        };
        let parsed = if matches!(kind, Kind::Introduced) && text == "0" {
            None
        } else {
            Some(scheme.parse(text)?)
        };
        events.push((parsed, kind, text));
    }
    // `None` (introduced 0) sorts first; the sort is stable, so events at equal versions keep
    // their listed order.
    events.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.compare(y).unwrap_or(Ordering::Equal),
    });
    let mut affected = false;
    for (v, kind, _) in &events {
        let cmp = match v {
            None => Ordering::Greater,
            Some(v) => version.compare(v)?,
        };
        match kind {
            Kind::Introduced if cmp != Ordering::Less => affected = true,
            Kind::Fixed if cmp != Ordering::Less => affected = false,
            Kind::LastAffected if cmp == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    if limit_hit {
        affected = false;
    }
    // The fix that applies: the lowest `fixed` above the version.
    let fixed = affected
        .then(|| {
            events
                .iter()
                .filter(|(v, kind, _)| {
                    matches!(kind, Kind::Fixed)
                        && v.as_ref()
                            .and_then(|v| version.compare(v))
                            .is_some_and(|c| c == Ordering::Less)
                })
                .map(|(_, _, t)| (*t).to_owned())
                .next()
        })
        .flatten();
    Some((affected, fixed))
}

/// Whether `version` (of `ecosystem`) is affected by an OSV `affected` entry's `ranges` and
/// `versions`. The entry affects the version when any evaluable range does or when the list
/// names it (compared as versions, so `2.3` and `2.3.0` are the same PyPI version).
pub fn check(
    ecosystem: Ecosystem,
    version: &str,
    ranges: &[Range],
    versions: &[String],
) -> RangeMatch {
    let mut out = RangeMatch::default();
    let eco_scheme = Scheme::of(ecosystem);
    for r in ranges {
        let scheme = match r.kind.as_str() {
            "SEMVER" => Scheme::Semver,
            "ECOSYSTEM" => eco_scheme,
            "GIT" => continue,
            _ => {
                out.unevaluated += 1;
                continue;
            }
        };
        let Some(v) = scheme.parse(version) else {
            out.unevaluated += 1;
            continue;
        };
        match evaluate(r, scheme, &v) {
            Some((true, fixed)) => {
                out.affected = true;
                out.fixed.extend(fixed);
            }
            Some((false, _)) => {}
            None => out.unevaluated += 1,
        }
    }
    if !out.affected && !versions.is_empty() {
        let parsed = eco_scheme.parse(version);
        out.affected = versions.iter().any(|listed| {
            listed.trim() == version.trim()
                || match (&parsed, eco_scheme.parse(listed)) {
                    (Some(a), Some(b)) => a.compare(&b) == Some(Ordering::Equal),
                    _ => false,
                }
        });
    }
    out.fixed.sort();
    out.fixed.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_semver() {
        let p = |s| parse_semver(s).map(|v| v.to_string());
        assert_eq!(p("1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(p("v1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(p("=1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(p("1.2").as_deref(), Some("1.2.0"));
        assert_eq!(p("0").as_deref(), Some("0.0.0"));
        assert_eq!(p("1.2-beta.1").as_deref(), Some("1.2.0-beta.1"));
        assert_eq!(p("0.0.0-0").as_deref(), Some("0.0.0-0"));
        assert_eq!(p("latest"), None);
        assert_eq!(p("1..2"), None);
        assert_eq!(p("1.2.3.4"), None);
    }
}
