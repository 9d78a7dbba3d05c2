//! A scan's findings, its verdict, and its text, JSON and SARIF 2.1.0 forms.
//!
//! # What blocks a deploy
//!
//! - Every secret finding.
//! - Every advisory rated high or critical, and every advisory without a rating (unknown
//!   severity is treated as the worst case; most PyPA advisories carry no rating, but when
//!   GitHub's copy of the same vulnerability is imported too, its rating is used).
//!   Malicious-package reports (`MAL-` ids) are critical.
//! - Not blocking: advisories rated medium or low, and informational notices (RustSec's
//!   unmaintained or unsound crates); they are reported as warnings.
//! - Advisories that could not be checked (no database) block only under
//!   [`Policy::require_advisories`]; otherwise the report says `NOT CHECKED`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::advisories::{Severity, Vulnerability};
use crate::deps::{Ecosystem, Package};
use crate::secrets::SecretFinding;
use crate::walk::Note;

/// Why advisories were not checked when there is no database.
pub const NOT_CHECKED_EMPTY: &str = "database empty; run mudroom advisories import";

/// The outcome of the advisory check.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AdvisoryOutcome {
    /// Nothing was checked.
    NotChecked {
        /// Why.
        reason: String,
    },
    /// Packages were checked against the database.
    Checked {
        /// Affected packages.
        vulnerabilities: Vec<Vulnerability>,
        /// Packages checked.
        packages_checked: usize,
        /// Advisories in force in the database.
        database_advisories: i64,
        /// When the newest import was made (Unix seconds).
        newest_import_at: Option<i64>,
        /// Ecosystems of the app with no advisory in the database: their packages were not
        /// checked.
        unchecked_ecosystems: Vec<Ecosystem>,
    },
}

impl Default for AdvisoryOutcome {
    fn default() -> Self {
        AdvisoryOutcome::NotChecked {
            reason: NOT_CHECKED_EMPTY.to_owned(),
        }
    }
}

/// What blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Advisory severities that block.
    pub blocking_severities: &'static [Severity],
    /// Whether an unchecked advisory database blocks.
    pub require_advisories: bool,
}

impl Default for Policy {
    /// Secrets, and high, critical and unrated advisories block.
    fn default() -> Self {
        Policy {
            blocking_severities: &[Severity::High, Severity::Critical, Severity::Unknown],
            require_advisories: false,
        }
    }
}

impl Policy {
    /// Whether `v` blocks.
    pub fn blocks(&self, v: &Vulnerability) -> bool {
        v.informational.is_none() && self.blocking_severities.contains(&v.severity)
    }
}

/// Everything one scan found.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ScanReport {
    /// The scanned directory.
    pub root: String,
    /// Files scanned for secrets.
    pub files_scanned: usize,
    /// Bytes scanned for secrets.
    pub bytes_scanned: u64,
    /// Files skipped as binary.
    pub files_skipped_binary: usize,
    /// Files skipped as too large.
    pub files_skipped_large: usize,
    /// Files skipped by the rules' path allowlists (dependencies, lockfiles, images).
    pub files_skipped_allowlisted: usize,
    /// Secrets found.
    pub secrets: Vec<SecretFinding>,
    /// The lockfiles read (and counts of vendored packages).
    pub lockfiles: Vec<String>,
    /// Packages found.
    pub packages: Vec<Package>,
    /// The advisory check.
    pub advisories: AdvisoryOutcome,
    /// What was not looked at, and remarks.
    pub notes: Vec<Note>,
}

/// Counts behind a verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Secrets (all block).
    pub secrets: usize,
    /// Advisories that block.
    pub blocking_advisories: usize,
    /// Advisories reported as warnings.
    pub warnings: usize,
    /// Whether the unchecked advisory database blocks.
    pub advisories_required: bool,
}

impl Verdict {
    /// Whether the deploy is blocked.
    pub fn blocked(&self) -> bool {
        self.secrets > 0 || self.blocking_advisories > 0 || self.advisories_required
    }
}

impl ScanReport {
    /// The vulnerabilities found (none when advisories were not checked).
    pub fn vulnerabilities(&self) -> &[Vulnerability] {
        match &self.advisories {
            AdvisoryOutcome::Checked {
                vulnerabilities, ..
            } => vulnerabilities,
            AdvisoryOutcome::NotChecked { .. } => &[],
        }
    }

    /// The verdict under `policy`.
    pub fn verdict(&self, policy: &Policy) -> Verdict {
        let vulns = self.vulnerabilities();
        let blocking = vulns.iter().filter(|v| policy.blocks(v)).count();
        Verdict {
            secrets: self.secrets.len(),
            blocking_advisories: blocking,
            warnings: vulns.len() - blocking,
            advisories_required: policy.require_advisories
                && matches!(self.advisories, AdvisoryOutcome::NotChecked { .. }),
        }
    }

    /// The report for a terminal. `now` (Unix seconds) dates the database's age.
    pub fn to_text(&self, policy: &Policy, now: i64) -> String {
        let mut out = String::new();
        let verdict = self.verdict(policy);
        let _ = writeln!(out, "mudroom scan: {}", self.root);
        let _ = writeln!(
            out,
            "secrets: {} found in {} file(s) scanned{}",
            self.secrets.len(),
            self.files_scanned,
            skipped_text(self)
        );
        for s in &self.secrets {
            let _ = writeln!(
                out,
                "  BLOCK  {}:{}:{}  {}  {}  ({})",
                s.file, s.line, s.column, s.rule_id, s.redacted, s.description
            );
        }
        let _ = writeln!(
            out,
            "dependencies: {} package(s){}",
            self.packages.len(),
            if self.lockfiles.is_empty() {
                String::new()
            } else {
                format!(" from {}", self.lockfiles.join(", "))
            }
        );
        match &self.advisories {
            AdvisoryOutcome::NotChecked { reason } => {
                let _ = writeln!(
                    out,
                    "advisories: NOT CHECKED ({reason}){}",
                    if verdict.advisories_required {
                        " BLOCK"
                    } else {
                        ""
                    }
                );
            }
            AdvisoryOutcome::Checked {
                vulnerabilities,
                packages_checked,
                database_advisories,
                newest_import_at,
                unchecked_ecosystems,
            } => {
                let age = newest_import_at
                    .map(|t| format!(", newest import {}", age_text(now - t)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "advisories: {} found in {} package(s) checked (database: {} advisories{age})",
                    vulnerabilities.len(),
                    packages_checked,
                    database_advisories
                );
                // Blocking first, then by severity, then by where they are.
                let mut sorted: Vec<&Vulnerability> = vulnerabilities.iter().collect();
                sorted.sort_by(|a, b| {
                    policy
                        .blocks(b)
                        .cmp(&policy.blocks(a))
                        .then(b.severity.cmp(&a.severity))
                        .then_with(|| a.package.file.cmp(&b.package.file))
                        .then(a.package.line.cmp(&b.package.line))
                        .then_with(|| a.id.cmp(&b.id))
                });
                for v in sorted {
                    let mark = if policy.blocks(v) { "BLOCK" } else { "warn " };
                    let kind = v
                        .informational
                        .as_deref()
                        .map(|i| format!("{i} "))
                        .unwrap_or_default();
                    let fixed = if v.fixed.is_empty() {
                        "no fixed version".to_owned()
                    } else {
                        format!("fixed in {}", v.fixed.join(", "))
                    };
                    let _ = writeln!(
                        out,
                        "  {mark}  {:<8}  {} {} ({})  {}  {kind}{}  {fixed}  {}:{}",
                        v.severity.as_str(),
                        v.package.name,
                        v.package.version,
                        v.package.ecosystem,
                        v.id,
                        v.summary,
                        v.package.file,
                        v.package.line
                    );
                }
                for e in unchecked_ecosystems {
                    let _ = writeln!(
                        out,
                        "  {e}: NOT CHECKED (no {e} advisories imported; run mudroom advisories import)"
                    );
                }
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "notes:");
            for n in &self.notes {
                let _ = writeln!(out, "  {}: {}", n.file, n.message);
            }
        }
        if verdict.blocked() {
            let mut why = Vec::new();
            if verdict.secrets > 0 {
                why.push(format!("{} secret(s)", verdict.secrets));
            }
            if verdict.blocking_advisories > 0 {
                why.push(format!("{} advisory(ies)", verdict.blocking_advisories));
            }
            if verdict.advisories_required {
                why.push("advisories not checked".to_owned());
            }
            let _ = writeln!(out, "result: BLOCKED ({})", why.join(", "));
        } else if verdict.warnings > 0 {
            let _ = writeln!(out, "result: passed with {} warning(s)", verdict.warnings);
        } else {
            let _ = writeln!(out, "result: passed");
        }
        out
    }

    /// The report as JSON: the findings, each advisory's `blocking`, and the verdict.
    pub fn to_json(&self, policy: &Policy) -> Value {
        let verdict = self.verdict(policy);
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(list) = v
            .get_mut("advisories")
            .and_then(|a| a.get_mut("vulnerabilities"))
            .and_then(Value::as_array_mut)
        {
            for (entry, vuln) in list.iter_mut().zip(self.vulnerabilities()) {
                if let Some(o) = entry.as_object_mut() {
                    o.insert("blocking".to_owned(), Value::Bool(policy.blocks(vuln)));
                }
            }
        }
        if let Some(o) = v.as_object_mut() {
            o.insert("verdict".to_owned(), json!(verdict));
            o.insert(
                "result".to_owned(),
                json!(if verdict.blocked() {
                    "blocked"
                } else {
                    "passed"
                }),
            );
        }
        v
    }

    /// The report as a SARIF 2.1.0 log: one run, a rule per secret rule and per advisory that
    /// fired, a result per finding located in its file (`uriBaseId` `SRCROOT` is the scanned
    /// directory). Blocking findings are `error`, advisories that do not block `warning`,
    /// informational notices `note`. Columns count Unicode code points.
    pub fn to_sarif(&self, policy: &Policy, root_uri: &str) -> Value {
        let mut rules: BTreeMap<String, Value> = BTreeMap::new();
        let mut results: Vec<(String, Value)> = Vec::new();
        for s in &self.secrets {
            rules.entry(s.rule_id.clone()).or_insert_with(|| {
                json!({
                    "id": s.rule_id,
                    "name": s.rule_id,
                    "shortDescription": {"text": s.description},
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"tags": ["security", "secret"], "security-severity": "9.0"},
                })
            });
            let mut region = json!({"startLine": s.line, "startColumn": s.column});
            if s.end_line > 0 && (s.end_line, s.end_column) != (s.line, s.column) {
                set(&mut region, "endLine", json!(s.end_line));
                set(&mut region, "endColumn", json!(s.end_column));
            }
            results.push((
                s.rule_id.clone(),
                json!({
                    "ruleId": s.rule_id,
                    "level": "error",
                    "message": {"text": format!("{}: {}", s.description, s.redacted)},
                    "locations": [location(&s.file, region)],
                }),
            ));
        }
        for v in self.vulnerabilities() {
            rules.entry(v.id.clone()).or_insert_with(|| {
                json!({
                    "id": v.id,
                    "name": v.id,
                    "shortDescription": {"text": if v.summary.is_empty() { v.id.clone() } else { v.summary.clone() }},
                    "helpUri": format!("https://osv.dev/vulnerability/{}", v.id),
                    "properties": {
                        "tags": ["security", "vulnerability", v.package.ecosystem.osv_name()],
                        "security-severity": security_severity(v.severity),
                        "aliases": v.aliases,
                    },
                })
            });
            let level = if policy.blocks(v) {
                "error"
            } else if v.informational.is_some() {
                "note"
            } else {
                "warning"
            };
            let fixed = if v.fixed.is_empty() {
                "no fixed version".to_owned()
            } else {
                format!("fixed in {}", v.fixed.join(", "))
            };
            results.push((
                v.id.clone(),
                json!({
                    "ruleId": v.id,
                    "level": level,
                    "message": {"text": format!(
                        "{} {} ({}) is affected by {} ({} severity): {}; {fixed}",
                        v.package.name, v.package.version, v.package.ecosystem, v.id, v.severity, v.summary
                    )},
                    "locations": [location(&v.package.file, json!({"startLine": v.package.line}))],
                    "properties": {"severity": v.severity.as_str(), "package": v.package.name, "version": v.package.version},
                }),
            ));
        }
        let index: BTreeMap<&String, usize> =
            rules.keys().enumerate().map(|(i, k)| (k, i)).collect();
        let results: Vec<Value> = results
            .into_iter()
            .map(|(rule, mut r)| {
                if let Some(i) = index.get(&rule) {
                    set(&mut r, "ruleIndex", json!(i));
                }
                r
            })
            .collect();
        let mut notifications: Vec<Value> = self
            .notes
            .iter()
            .map(|n| {
                json!({
                    "level": "note",
                    "message": {"text": format!("{}: {}", n.file, n.message)},
                })
            })
            .collect();
        if let AdvisoryOutcome::NotChecked { reason } = &self.advisories {
            notifications.push(json!({
                "level": if policy.require_advisories { "error" } else { "warning" },
                "message": {"text": format!("advisories: NOT CHECKED ({reason})")},
            }));
        }
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "mudroom scan",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }},
                "originalUriBaseIds": {"SRCROOT": {"uri": root_uri}},
                "columnKind": "unicodeCodePoints",
                "invocations": [{
                    "executionSuccessful": true,
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }],
        })
    }
}

/// Sets a member of a JSON object (no-op on other values).
fn set(target: &mut Value, key: &str, value: Value) {
    if let Some(o) = target.as_object_mut() {
        o.insert(key.to_owned(), value);
    }
}

fn location(file: &str, region: Value) -> Value {
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri_path(file), "uriBaseId": "SRCROOT"},
        "region": region,
    }})
}

/// GitHub code scanning's numeric severity for an advisory rating.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High | Severity::Unknown => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

/// Percent-encodes a relative path for a URI reference (RFC 3986): unreserved characters and
/// `/` stay, everything else is encoded byte by byte.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn skipped_text(r: &ScanReport) -> String {
    let mut parts = Vec::new();
    if r.files_skipped_allowlisted > 0 {
        parts.push(format!(
            "{} dependency, lockfile or media file(s) skipped",
            r.files_skipped_allowlisted
        ));
    }
    if r.files_skipped_binary > 0 {
        parts.push(format!("{} binary", r.files_skipped_binary));
    }
    if r.files_skipped_large > 0 {
        parts.push(format!("{} too large", r.files_skipped_large));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// `3 days ago`, `5 hours ago`, `just now`.
pub fn age_text(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = if s < 60 {
        return "just now".to_owned();
    } else if s < 3600 {
        (s / 60, "minute")
    } else if s < 86_400 {
        (s / 3600, "hour")
    } else {
        (s / 86_400, "day")
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_are_encoded() {
        assert_eq!(uri_path("src/app.py"), "src/app.py");
        assert_eq!(uri_path("my dir/a#b.txt"), "my%20dir/a%23b.txt");
        assert_eq!(uri_path("é.txt"), "%C3%A9.txt");
    }

    #[test]
    fn ages() {
        assert_eq!(age_text(5), "just now");
        assert_eq!(age_text(60), "1 minute ago");
        assert_eq!(age_text(7200), "2 hours ago");
        assert_eq!(age_text(86_400 * 3 + 5), "3 days ago");
        assert_eq!(age_text(-10), "just now");
    }
}
