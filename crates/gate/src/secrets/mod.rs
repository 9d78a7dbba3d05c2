//! Secret scanning: gitleaks-format rules, a keyword prefilter, and redacted findings.
//!
//! How one file is scanned:
//!
//! 1. One pass of an Aho-Corasick automaton over the file finds every occurrence of every rule's
//!    keywords (ASCII case-insensitive). A rule none of whose keywords occur is not run at all.
//! 2. Each rule's regex (compiled once, byte-oriented, ASCII classes as in RE2) runs only over
//!    windows around its keyword hits: from the start of the hit's line to the end of that line
//!    (or, for a regex that can match a line break, to the end of the line 8 KiB further).
//!    Nearby windows merge. A rule without keywords runs over the whole file.
//! 3. The secret is the rule's `secretGroup`, else the first capture group that matched, else the
//!    whole match. It is dropped when its Shannon entropy is below the rule's `entropy`, or when
//!    the global or the rule's allowlists allow it.
//! 4. When two rules find overlapping secrets, the rule that comes first in the rule file wins,
//!    so there is one finding per secret.
//!
//! A finding keeps the secret only redacted ([`redact`]); the full value never leaves
//! [`SecretScanner::scan`].

mod config;

use std::fmt;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

pub use config::{Allowlist, Condition, DEFAULT_RULES_TOML, RegexTarget, Rule, RuleSet};

use crate::GateError;

/// How far past a keyword a multi-line regex is searched.
const MULTILINE_SPAN: usize = 8 * 1024;

/// Windows closer than this merge into one.
const MERGE_GAP: usize = 256;

/// One secret found in a file.
#[derive(Clone, PartialEq, Serialize)]
pub struct SecretFinding {
    /// The rule that found it.
    pub rule_id: String,
    /// The rule's description.
    pub description: String,
    /// The file, relative to the scanned directory, with `/` separators.
    pub file: String,
    /// 1-based line of the secret's first character.
    pub line: usize,
    /// 1-based column (in characters) of the secret's first character.
    pub column: usize,
    /// 1-based line of the secret's last character.
    pub end_line: usize,
    /// 1-based column (in characters) just past the secret's last character.
    pub end_column: usize,
    /// The secret, redacted: its first characters and `…`.
    pub redacted: String,
}

impl fmt::Debug for SecretFinding {
    // Written out (rather than derived) so that adding a field cannot leak a value by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretFinding")
            .field("rule_id", &self.rule_id)
            .field("file", &self.file)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("redacted", &self.redacted)
            .finish_non_exhaustive()
    }
}

/// The secret, redacted: its first four characters and `…` (for secrets shorter than 16
/// characters, a quarter of them, so short passwords are not mostly revealed).
pub fn redact(secret: &str) -> String {
    let len = secret.chars().count();
    let shown = if len >= 16 { 4 } else { len / 4 };
    let mut out: String = secret.chars().take(shown).collect();
    out.push('…');
    out
}

/// Shannon entropy of `data` in bits per byte.
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in data {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "byte counts of a file of at most a few MiB are exact in f64"
    )]
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            #[expect(clippy::cast_precision_loss, reason = "as above")]
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// A compiled rule set, ready to scan files. Build once, scan many files (it is `Sync`).
#[derive(Debug, Clone)]
pub struct SecretScanner {
    set: RuleSet,
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the rules that list it.
    keyword_rules: Vec<Vec<usize>>,
}

// Scanning shares one scanner between threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<SecretScanner>();
};

/// Byte span of a finding's secret, used to keep one finding per secret.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    rule: usize,
}

impl SecretScanner {
    /// Compiles the keyword prefilter of `set`.
    pub fn new(set: RuleSet) -> Result<SecretScanner, GateError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (ri, rule) in set.rules.iter().enumerate() {
            if rule.regex.is_none() {
                continue;
            }
            for k in &rule.keywords {
                match patterns.iter().position(|p| p == k) {
                    Some(pi) => {
                        if let Some(list) = keyword_rules.get_mut(pi)
                            && !list.contains(&ri)
                        {
                            list.push(ri);
                        }
                    }
                    None => {
                        patterns.push(k.clone());
                        keyword_rules.push(vec![ri]);
                    }
                }
            }
        }
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&patterns)
                    .map_err(|e| GateError::Rules {
                        file: set.title.clone(),
                        message: format!("cannot build the keyword prefilter: {e}"),
                    })?,
            )
        };
        Ok(SecretScanner {
            set,
            keywords,
            keyword_rules,
        })
    }

    /// The scanner over the default rules.
    pub fn builtin() -> Result<SecretScanner, GateError> {
        Self::new(RuleSet::builtin()?)
    }

    /// The rules.
    pub fn rules(&self) -> &[Rule] {
        &self.set.rules
    }

    /// Whether a global allowlist excludes `path` (relative, `/`-separated) from scanning.
    pub fn path_allowed(&self, path: &str) -> bool {
        self.set.allowlists.iter().any(|a| allows_path(a, path))
    }

    /// Scans the content of one file. `path` (relative, `/`-separated) is what findings name
    /// and what `path` rules and allowlists match.
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<SecretFinding> {
        let rules = &self.set.rules;
        if self.path_allowed(path) {
            return Vec::new();
        }
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); rules.len()];
        for (ri, rule) in rules.iter().enumerate() {
            if rule.regex.is_some()
                && rule.keywords.is_empty()
                && let Some(w) = windows.get_mut(ri)
            {
                w.push((0, content.len()));
            }
        }
        if let Some(ac) = &self.keywords {
            for m in ac.find_overlapping_iter(content) {
                let Some(list) = self.keyword_rules.get(m.pattern().as_usize()) else {
                    continue;
                };
                for &ri in list {
                    let (Some(w), Some(rule)) = (windows.get_mut(ri), rules.get(ri)) else {
                        continue;
                    };
                    if let Some(&(s, e)) = w.last()
                        && s <= m.start()
                        && m.end() <= e
                    {
                        continue;
                    }
                    let reach = if rule.multiline {
                        m.end().saturating_add(MULTILINE_SPAN).min(content.len())
                    } else {
                        m.end()
                    };
                    w.push((line_start(content, m.start()), line_end(content, reach)));
                }
            }
        }

        let mut lines = LineIndex::default();
        let mut spans: Vec<Span> = Vec::new();
        let mut findings: Vec<(Span, SecretFinding)> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            if let Some(p) = &rule.path
                && !p.is_match(path.as_bytes())
            {
                continue;
            }
            if rule.allowlists.iter().any(|a| allows_path(a, path)) {
                continue;
            }
            let Some(regex) = &rule.regex else {
                // A path-only rule: the file itself is the finding.
                findings.push((
                    Span {
                        start: 0,
                        end: 0,
                        rule: ri,
                    },
                    SecretFinding {
                        rule_id: rule.id.clone(),
                        description: rule.description.clone(),
                        file: path.to_owned(),
                        line: 1,
                        column: 1,
                        end_line: 1,
                        end_column: 1,
                        redacted: String::new(),
                    },
                ));
                continue;
            };
            let Some(w) = windows.get_mut(ri) else {
                continue;
            };
            if w.is_empty() {
                continue;
            }
            for (ws, we) in merge(w) {
                let Some(hay) = content.get(ws..we) else {
                    continue;
                };
                for caps in regex.captures_iter(hay) {
                    let Some(whole) = caps.get(0) else { continue };
                    let secret = match rule.secret_group {
                        Some(g) => caps.get(g),
                        None => caps.iter().skip(1).flatten().find(|m| !m.is_empty()),
                    }
                    .unwrap_or(whole);
                    let value = secret.as_bytes();
                    if value.is_empty() {
                        continue;
                    }
                    if let Some(min) = rule.entropy
                        && shannon_entropy(value) < min
                    {
                        continue;
                    }
                    let (ms, me) = (ws + whole.start(), ws + whole.end());
                    let line = content
                        .get(line_start(content, ms)..line_end(content, me))
                        .unwrap_or_default();
                    let allowed = |a: &Allowlist| allows(a, path, value, whole.as_bytes(), line);
                    if self.set.allowlists.iter().any(allowed)
                        || rule.allowlists.iter().any(allowed)
                    {
                        continue;
                    }
                    let span = Span {
                        start: ws + secret.start(),
                        end: ws + secret.end(),
                        rule: ri,
                    };
                    if spans
                        .iter()
                        .any(|s| s.start < span.end && span.start < s.end && s.rule != ri)
                    {
                        continue;
                    }
                    spans.push(span);
                    let (line, column) = lines.position(content, span.start);
                    let (end_line, end_column) = lines.position(content, span.end);
                    findings.push((
                        span,
                        SecretFinding {
                            rule_id: rule.id.clone(),
                            description: rule.description.clone(),
                            file: path.to_owned(),
                            line,
                            column,
                            end_line,
                            end_column,
                            redacted: redact(&String::from_utf8_lossy(value)),
                        },
                    ));
                }
            }
        }
        findings.sort_by_key(|(s, _)| (s.start, s.rule));
        findings.into_iter().map(|(_, f)| f).collect()
    }
}

/// Sorts and merges windows that overlap or lie within [`MERGE_GAP`] of each other.
fn merge(w: &mut [(usize, usize)]) -> Vec<(usize, usize)> {
    w.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(w.len());
    for &(s, e) in w.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1.saturating_add(MERGE_GAP) => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn line_start(content: &[u8], pos: usize) -> usize {
    content
        .get(..pos)
        .and_then(|before| memchr::memrchr(b'\n', before))
        .map_or(0, |i| i + 1)
}

fn line_end(content: &[u8], pos: usize) -> usize {
    content
        .get(pos..)
        .and_then(|after| memchr::memchr(b'\n', after))
        .map_or(content.len(), |i| pos + i)
}

/// Offsets of line breaks, built on the first finding of a file.
#[derive(Default)]
struct LineIndex {
    breaks: Option<Vec<usize>>,
}

impl LineIndex {
    /// 1-based line and character column of byte offset `pos`.
    fn position(&mut self, content: &[u8], pos: usize) -> (usize, usize) {
        let breaks = self
            .breaks
            .get_or_insert_with(|| memchr::memchr_iter(b'\n', content).collect());
        let line0 = breaks.partition_point(|&b| b < pos);
        let start = line0
            .checked_sub(1)
            .and_then(|i| breaks.get(i))
            .map_or(0, |b| b + 1);
        let column = content
            .get(start..pos)
            .unwrap_or_default()
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        (line0 + 1, column + 1)
    }
}

fn allows_path(a: &Allowlist, path: &str) -> bool {
    if a.paths.is_empty() {
        return false;
    }
    let hit = a.paths.iter().any(|r| r.is_match(path.as_bytes()));
    match a.condition {
        Condition::Or => hit,
        // With AND, a path alone allows a file only when the allowlist has nothing else.
        Condition::And => hit && a.regexes.is_empty() && a.stopwords.is_empty(),
    }
}

fn allows(a: &Allowlist, path: &str, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
    let target = match a.target {
        RegexTarget::Secret => secret,
        RegexTarget::Match => whole,
        RegexTarget::Line => line,
    };
    let regex_hit = (!a.regexes.is_empty()).then(|| a.regexes.iter().any(|r| r.is_match(target)));
    let path_hit =
        (!a.paths.is_empty()).then(|| a.paths.iter().any(|r| r.is_match(path.as_bytes())));
    let stop_hit = (!a.stopwords.is_empty()).then(|| {
        let lower = secret.to_ascii_lowercase();
        a.stopwords
            .iter()
            .any(|s| memchr::memmem::find(&lower, s.as_bytes()).is_some())
    });
    let mut results = [regex_hit, path_hit, stop_hit]
        .into_iter()
        .flatten()
        .peekable();
    match a.condition {
        Condition::Or => results.any(|x| x),
        Condition::And => results.peek().is_some() && results.all(|x| x),
    }
}
