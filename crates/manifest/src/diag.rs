//! Diagnostics: what is wrong, where, and how much it matters.

use std::fmt;

pub use mudroom_policy::Severity;

/// A place in the manifest: 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Where a diagnostic about a policy file came from inside that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// The policy file as the manifest names it, like `policies/hello.json`.
    pub file: String,
    /// JSON path of the element, like `Statement[0].Action`; empty for the document.
    pub path: String,
    /// The lint rule's stable code, like `unknown-action` (see `docs/policy-lint.md`).
    pub code: &'static str,
}

/// One thing found in a manifest.
///
/// Displays as `file:line:column: message` for errors and
/// `file:line:column: warning: message` (or `suggestion:`) otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// [`Severity::Error`] refuses the manifest; warnings and suggestions are kept in
    /// [`crate::Manifest::warnings`].
    pub severity: Severity,
    /// The manifest file, as given to [`crate::Manifest::load`] (or `mudroom.toml` for
    /// [`crate::Manifest::parse`]).
    pub file: String,
    /// Where in the manifest; `None` only when the manifest or its directory cannot be read.
    pub location: Option<Location>,
    /// What is wrong, lowercase, user input in backticks. For a policy finding it starts with
    /// the policy file and JSON path: `policies/hello.json: Statement[0].Action: ...`.
    pub message: String,
    /// For findings inside a policy file: which file, where in it and the lint code.
    pub policy: Option<PolicySource>,
}

impl Diagnostic {
    /// Whether this refuses the manifest.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(at) = self.location {
            write!(f, ":{}:{}", at.line, at.column)?;
        }
        f.write_str(": ")?;
        if self.severity != Severity::Error {
            write!(f, "{}: ", self.severity)?;
        }
        f.write_str(&self.message)
    }
}

/// A refused manifest: every error found (at least one), with the warnings, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// All diagnostics, errors and warnings, ordered by location.
    pub diagnostics: Vec<Diagnostic>,
}

impl ManifestError {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestError {}

/// Turns byte offsets into lines and columns.
#[derive(Debug)]
pub(crate) struct Locator<'t> {
    text: &'t str,
    line_starts: Vec<usize>,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { text, line_starts }
    }

    pub(crate) fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset);
        let start = line
            .checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        Location {
            line: line.max(1),
            column: column + 1,
        }
    }
}

/// The candidate closest to `word`, if close enough to be what was meant: equal ignoring
/// case, one a prefix of the other (3 characters or more), or within an edit distance of a
/// half of the word's length (at least 1).
pub(crate) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'c str)> = None;
    for &c in candidates {
        let cl = c.to_ascii_lowercase();
        let d = if cl == lower {
            0
        } else if lower.len() >= 3 && (cl.starts_with(&lower) || lower.starts_with(&cl)) {
            1
        } else {
            let d = distance(&lower, &cl);
            if d > (lower.chars().count() / 2).max(1) {
                continue;
            }
            d
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps of adjacent
/// characters as one edit each (optimal string alignment).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(x) = d.get_mut(at(i, 0)) {
            *x = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(x) = d.get_mut(at(0, j)) {
            *x = j;
        }
    }
    let get = |d: &[usize], i: usize, j: usize| d.get(at(i, j)).copied().unwrap_or(usize::MAX / 2);
    for (i, ca) in a.iter().enumerate() {
        for (j, cb) in b.iter().enumerate() {
            let (i1, j1) = (i + 1, j + 1);
            let cost = usize::from(ca != cb);
            let mut v = (get(&d, i, j1) + 1)
                .min(get(&d, i1, j) + 1)
                .min(get(&d, i, j) + cost);
            if i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca) {
                v = v.min(get(&d, i - 1, j - 1) + 1);
            }
            if let Some(x) = d.get_mut(at(i1, j1)) {
                *x = v;
            }
        }
    }
    get(&d, a.len(), b.len())
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn one_of(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_characters() {
        let text = "a\nbé = 1\n\nlast";
        let l = Locator::new(text);
        assert_eq!(l.locate(0), Location { line: 1, column: 1 });
        assert_eq!(l.locate(2), Location { line: 2, column: 1 });
        // `=` comes after a two-byte character
        let eq = text.find('=').unwrap();
        assert_eq!(l.locate(eq), Location { line: 2, column: 4 });
        assert_eq!(l.locate(text.len()), Location { line: 4, column: 5 });
        assert_eq!(l.locate(10), Location { line: 3, column: 1 });
    }

    #[test]
    fn distances() {
        assert_eq!(distance("runtime", "runtime"), 0);
        assert_eq!(distance("runtim", "runtime"), 1);
        assert_eq!(distance("naem", "name"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        let keys = [
            "runtime",
            "handler",
            "code",
            "role",
            "environment",
            "memory",
        ];
        assert_eq!(closest("runtim", &keys), Some("runtime"));
        assert_eq!(closest("Handler", &keys), Some("handler"));
        assert_eq!(closest("env", &keys), Some("environment"));
        assert_eq!(closest("memory_mb", &keys), Some("memory"));
        assert_eq!(
            closest("policy", &["policies", "permissions_boundary"]),
            Some("policies")
        );
        assert_eq!(closest("colour", &keys), None);
        assert_eq!(closest("type", &keys), None);
        assert_eq!(closest("x", &keys), None);
    }

    #[test]
    fn lists() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
