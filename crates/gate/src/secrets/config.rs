//! Secret rules in gitleaks' TOML configuration format.
//!
//! Read: `title`, `[extend]` (`useDefault`, `disabledRules`), `[[rules]]` with `id`,
//! `description`, `regex`, `path`, `secretGroup`, `entropy`, `keywords` and allowlists, the
//! global `[allowlist]` (and `[[allowlists]]`). Allowlists take `regexes`, `regexTarget`
//! (`secret`, `match` or `line`), `paths`, `stopwords` and `condition` (`OR` or `AND`). Other keys
//! (`tags`, `commits`, ...) are accepted and ignored, so existing gitleaks files load.

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::GateError;

/// The default rule set, written for mudroom.
pub const DEFAULT_RULES_TOML: &str = include_str!("../../data/secret-rules.toml");

/// Size limit of one compiled regex (the regex crate's default is 10 MiB, too much for rule
/// files written by others).
const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Debug, Deserialize)]
struct FileToml {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    extend: Option<ExtendToml>,
    #[serde(default)]
    rules: Vec<RuleToml>,
    #[serde(default)]
    allowlist: Option<AllowlistToml>,
    #[serde(default)]
    allowlists: Vec<AllowlistToml>,
}

#[derive(Debug, Deserialize)]
struct ExtendToml {
    #[serde(default, rename = "useDefault")]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default, rename = "disabledRules")]
    disabled_rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RuleToml {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default, rename = "secretGroup")]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    allowlist: Option<AllowlistToml>,
    #[serde(default)]
    allowlists: Vec<AllowlistToml>,
}

#[derive(Debug, Deserialize)]
struct AllowlistToml {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default, rename = "regexTarget")]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
}

/// What an allowlist's `regexes` are matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexTarget {
    /// The secret (the default).
    Secret,
    /// The rule's whole match.
    Match,
    /// The line(s) holding the match.
    Line,
}

/// How an allowlist's criteria combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Any criterion that matches allows the finding (the default).
    Or,
    /// Every criterion given must match.
    And,
}

/// A compiled allowlist: findings it matches are not reported.
#[derive(Debug, Clone)]
pub struct Allowlist {
    /// Its description.
    pub description: String,
    pub(crate) condition: Condition,
    pub(crate) target: RegexTarget,
    pub(crate) regexes: Vec<Regex>,
    pub(crate) paths: Vec<Regex>,
    /// Lower-cased.
    pub(crate) stopwords: Vec<String>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule's id (`aws-access-key-id`).
    pub id: String,
    /// A human description.
    pub description: String,
    pub(crate) regex: Option<Regex>,
    /// The regex may match across lines, so its search window extends past the keyword's line.
    pub(crate) multiline: bool,
    pub(crate) path: Option<Regex>,
    pub(crate) secret_group: Option<usize>,
    pub(crate) entropy: Option<f64>,
    /// Lower-cased.
    pub(crate) keywords: Vec<String>,
    pub(crate) allowlists: Vec<Allowlist>,
}

/// A set of secret rules with their global allowlists.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The file's `title`.
    pub title: String,
    pub(crate) rules: Vec<Rule>,
    pub(crate) allowlists: Vec<Allowlist>,
}

impl RuleSet {
    /// The default rule set written for mudroom (`data/secret-rules.toml`).
    pub fn builtin() -> Result<RuleSet, GateError> {
        Self::parse_named(DEFAULT_RULES_TOML, "the default rules")
    }

    /// Parses a gitleaks-format rule file. With `[extend] useDefault = true` the result is the
    /// default set extended by this file (a rule with an id already there replaces it, new
    /// rules come before the defaults, and `disabledRules` are dropped); without it, the file
    /// stands alone. `[extend] path` (another
    /// file) is refused: name every file's rules in one.
    pub fn from_toml(text: &str, name: &str) -> Result<RuleSet, GateError> {
        let file: FileToml = toml::from_str(text).map_err(|e| GateError::Rules {
            file: name.to_owned(),
            message: e.to_string(),
        })?;
        let own = compile_file(&file, name)?;
        let Some(extend) = &file.extend else {
            return Ok(own);
        };
        if extend.path.is_some() {
            return Err(GateError::Rules {
                file: name.to_owned(),
                message: "`[extend] path` is not supported; put the rules in one file or use `useDefault = true`".to_owned(),
            });
        }
        if !extend.use_default {
            return Ok(own);
        }
        let mut base = Self::builtin()?;
        base.rules
            .retain(|r| !extend.disabled_rules.iter().any(|d| d == &r.id));
        // Replacements keep their place; new rules go first, so that where they overlap the
        // generic defaults, the file's specific rule names the finding.
        let mut added = Vec::new();
        for rule in own.rules {
            match base.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule,
                None => added.push(rule),
            }
        }
        added.append(&mut base.rules);
        base.rules = added;
        base.allowlists.extend(own.allowlists);
        if !own.title.is_empty() {
            base.title = own.title;
        }
        Ok(base)
    }

    fn parse_named(text: &str, name: &str) -> Result<RuleSet, GateError> {
        let file: FileToml = toml::from_str(text).map_err(|e| GateError::Rules {
            file: name.to_owned(),
            message: e.to_string(),
        })?;
        compile_file(&file, name)
    }

    /// The rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

fn compile_file(file: &FileToml, name: &str) -> Result<RuleSet, GateError> {
    let err = |message: String| GateError::Rules {
        file: name.to_owned(),
        message,
    };
    let mut allowlists = Vec::new();
    for (i, a) in file.allowlist.iter().chain(&file.allowlists).enumerate() {
        allowlists.push(
            compile_allowlist(a).map_err(|m| err(format!("global allowlist {}: {m}", i + 1)))?,
        );
    }
    let mut rules: Vec<Rule> = Vec::new();
    for r in &file.rules {
        if r.id.trim().is_empty() {
            return Err(err("a rule has an empty `id`".to_owned()));
        }
        if rules.iter().any(|x| x.id == r.id) {
            return Err(err(format!("rule `{}` is defined twice", r.id)));
        }
        let rule = compile_rule(r).map_err(|m| err(format!("rule `{}`: {m}", r.id)))?;
        rules.push(rule);
    }
    Ok(RuleSet {
        title: file.title.clone().unwrap_or_default(),
        rules,
        allowlists,
    })
}

fn compile_regex(source: &str) -> Result<Regex, String> {
    RegexBuilder::new(source)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("bad regex `{source}`: {e}"))
}

/// Whether a regex may match a line break: parsed with the same settings as the regex
/// itself, true when any literal or class of it holds `\n`. Unparseable regexes count as
/// multi-line (they fail to compile anyway).
fn may_span_lines(source: &str) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn walk(hir: &Hir) -> bool {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Literal(lit) => lit.0.contains(&b'\n'),
            HirKind::Class(Class::Bytes(c)) => c
                .ranges()
                .iter()
                .any(|r| r.start() <= b'\n' && b'\n' <= r.end()),
            HirKind::Class(Class::Unicode(c)) => c
                .ranges()
                .iter()
                .any(|r| r.start() <= '\n' && '\n' <= r.end()),
            HirKind::Repetition(r) => walk(&r.sub),
            HirKind::Capture(c) => walk(&c.sub),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(walk),
        }
    }
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(source)
        .map_or(true, |hir| walk(&hir))
}

fn compile_rule(r: &RuleToml) -> Result<Rule, String> {
    let regex = r.regex.as_deref().map(compile_regex).transpose()?;
    let path = r.path.as_deref().map(compile_regex).transpose()?;
    if regex.is_none() && path.is_none() {
        return Err("a rule needs a `regex` or a `path`".to_owned());
    }
    if let (Some(group), Some(re)) = (r.secret_group, &regex) {
        // captures_len counts the whole match as group 0.
        if group >= re.captures_len() {
            return Err(format!(
                "`secretGroup = {group}` but the regex has {} capture group(s)",
                re.captures_len().saturating_sub(1)
            ));
        }
    }
    if let Some(e) = r.entropy
        && !(e.is_finite() && e >= 0.0)
    {
        return Err(format!("`entropy = {e}` must be a non-negative number"));
    }
    let mut allowlists = Vec::new();
    for a in r.allowlist.iter().chain(&r.allowlists) {
        allowlists.push(compile_allowlist(a)?);
    }
    let keywords = r
        .keywords
        .iter()
        .map(|k| k.to_lowercase())
        .filter(|k| !k.is_empty())
        .collect();
    Ok(Rule {
        id: r.id.clone(),
        description: r.description.clone().unwrap_or_default(),
        multiline: r.regex.as_deref().is_some_and(may_span_lines),
        regex,
        path,
        secret_group: r.secret_group.filter(|g| *g > 0),
        entropy: r.entropy,
        keywords,
        allowlists,
    })
}

fn compile_allowlist(a: &AllowlistToml) -> Result<Allowlist, String> {
    let condition = match a
        .condition
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("OR") => Condition::Or,
        Some("AND") => Condition::And,
        Some(other) => return Err(format!("unknown allowlist condition `{other}` (OR or AND)")),
    };
    let target = match a.regex_target.as_deref() {
        None | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(other) => {
            return Err(format!(
                "unknown regexTarget `{other}` (secret, match or line)"
            ));
        }
    };
    Ok(Allowlist {
        description: a.description.clone().unwrap_or_default(),
        condition,
        target,
        regexes: a
            .regexes
            .iter()
            .map(|r| compile_regex(r))
            .collect::<Result<_, _>>()?,
        paths: a
            .paths
            .iter()
            .map(|r| compile_regex(r))
            .collect::<Result<_, _>>()?,
        stopwords: a
            .stopwords
            .iter()
            .map(|s| s.to_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rules_compile() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.rules.len() >= 15, "{}", set.rules.len());
        assert!(!set.allowlists.is_empty());
        let pk = set.rules.iter().find(|r| r.id == "private-key").unwrap();
        assert!(pk.multiline);
        let gh = set.rules.iter().find(|r| r.id == "github-token").unwrap();
        assert!(!gh.multiline);
    }

    #[test]
    fn multiline_detection() {
        assert!(may_span_lines(r"a[\s\S]*b"));
        assert!(may_span_lines(r"(?s)a.*b"));
        assert!(may_span_lines(r"(?is)a.*b"));
        assert!(may_span_lines(r#"key="[^"]+""#));
        assert!(!may_span_lines(r#"key="[^"\s]+""#));
        assert!(may_span_lines(r"a\sb"));
        assert!(!may_span_lines(r"a[ \t]b"));
        assert!(!may_span_lines(r"\bghp_[A-Za-z0-9]{36}\b"));
        assert!(!may_span_lines(r"(?i)token(?:x|y)"));
        assert!(!may_span_lines(r"(?-s)a.*b"));
        assert!(!may_span_lines(r"a.*b"));
    }

    #[test]
    fn errors_name_the_rule_and_the_problem() {
        let bad =
            RuleSet::from_toml("[[rules]]\nid = \"x\"\nregex = \"(\"\n", "r.toml").unwrap_err();
        assert!(bad.to_string().contains("rule `x`"), "{bad}");
        let group = RuleSet::from_toml(
            "[[rules]]\nid = \"g\"\nregex = \"a(b)\"\nsecretGroup = 2\n",
            "r.toml",
        )
        .unwrap_err();
        assert!(group.to_string().contains("secretGroup = 2"), "{group}");
        let dup = RuleSet::from_toml(
            "[[rules]]\nid = \"d\"\nregex = \"a\"\n[[rules]]\nid = \"d\"\nregex = \"b\"\n",
            "r.toml",
        )
        .unwrap_err();
        assert!(dup.to_string().contains("twice"), "{dup}");
        let nothing = RuleSet::from_toml("[[rules]]\nid = \"n\"\n", "r.toml").unwrap_err();
        assert!(
            nothing.to_string().contains("`regex` or a `path`"),
            "{nothing}"
        );
        let cond = RuleSet::from_toml(
            "[[rules]]\nid = \"c\"\nregex = \"a\"\n[rules.allowlist]\ncondition = \"XOR\"\n",
            "r.toml",
        )
        .unwrap_err();
        assert!(cond.to_string().contains("XOR"), "{cond}");
    }

    #[test]
    fn extend_use_default_merges_and_disables() {
        let text = r#"
title = "mine"
[extend]
useDefault = true
disabledRules = ["jwt"]

[[rules]]
id = "github-token"
description = "replaced"
regex = '''ghp_[0-9]{4}'''

[[rules]]
id = "internal-token"
regex = '''itk_[a-z0-9]{20}'''
keywords = ["itk_"]
"#;
        let set = RuleSet::from_toml(text, "mine.toml").unwrap();
        assert_eq!(set.title, "mine");
        assert!(set.rules.iter().all(|r| r.id != "jwt"));
        assert_eq!(set.rules[0].id, "internal-token");
        let gh = set.rules.iter().find(|r| r.id == "github-token").unwrap();
        assert_eq!(gh.description, "replaced");
        assert!(set.rules.iter().any(|r| r.id == "aws-access-key-id"));

        let alone =
            RuleSet::from_toml("[[rules]]\nid = \"only\"\nregex = \"x\"\n", "a.toml").unwrap();
        assert_eq!(alone.rules.len(), 1);
        assert!(alone.allowlists.is_empty());
    }

    #[test]
    fn unknown_gitleaks_keys_are_ignored() {
        let text = r#"
[[rules]]
id = "x"
regex = "abc"
tags = ["a", "b"]
[rules.allowlist]
commits = ["deadbeef"]
"#;
        let set = RuleSet::from_toml(text, "x.toml").unwrap();
        assert_eq!(set.rules.len(), 1);
    }
}
