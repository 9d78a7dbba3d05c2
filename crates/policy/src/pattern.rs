//! Patterns: literal text, the `*` and `?` wildcards and policy variables, matched without
//! allocating.
//!
//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`) are resolved at
//! match time from the request context and always match as literal text; `${*}`, `${?}` and
//! `${$}` stand for the literal characters `*`, `?` and `$`.

use crate::model::Version;

/// One piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Literal text.
    Lit(Box<str>),
    /// `*`: any run of characters, the empty one included.
    Star,
    /// `?`: exactly one character.
    Question,
    /// A policy variable: the context key (lowercase) and its default value.
    Var {
        /// The context key, lowercased.
        key: Box<str>,
        /// The value used when the key is absent.
        default: Option<Box<str>>,
    },
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
}

/// Resolves policy variables against a request.
pub trait Resolve {
    /// The single value of `key` (lowercase), if the request has exactly one.
    fn resolve(&self, key: &str) -> Option<&str>;
}

/// A resolver that knows no keys.
pub struct NoVars;

impl Resolve for NoVars {
    fn resolve(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// The outcome of matching a pattern that may hold variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    /// The text matches.
    Yes,
    /// The text does not match.
    No,
    /// A variable had no value and no default: the pattern matches nothing.
    Unresolved,
}

/// Options for reading a pattern out of policy text.
#[derive(Debug, Clone, Copy)]
pub struct Syntax {
    /// `*` and `?` are wildcards (else literal).
    pub wildcards: bool,
    /// `${...}` is a policy variable (else literal).
    pub variables: bool,
}

impl Syntax {
    /// The syntax of a string in a policy of `version`.
    pub fn for_version(version: Version, wildcards: bool) -> Self {
        Self {
            wildcards,
            variables: version == Version::V2012,
        }
    }
}

impl Pattern {
    /// Reads `text`; refuses malformed policy variables.
    pub fn parse(text: &str, syntax: Syntax) -> Result<Self, String> {
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if syntax.variables && rest.starts_with("${") {
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("policy variable in `{text}` is not closed"))?;
                let body = rest.get(2..end).unwrap_or_default();
                rest = rest.get(end + 1..).unwrap_or_default();
                match body {
                    "*" => lit.push('*'),
                    "?" => lit.push('?'),
                    "$" => lit.push('$'),
                    _ => {
                        let (key, default) = parse_variable(body)
                            .ok_or_else(|| format!("malformed policy variable `${{{body}}}`"))?;
                        flush(&mut tokens, &mut lit);
                        tokens.push(Token::Var {
                            key: key.to_ascii_lowercase().into(),
                            default: default.map(Into::into),
                        });
                    }
                }
                continue;
            }
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
            match c {
                '*' if syntax.wildcards => {
                    flush(&mut tokens, &mut lit);
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' if syntax.wildcards => {
                    flush(&mut tokens, &mut lit);
                    tokens.push(Token::Question);
                }
                _ => lit.push(c),
            }
        }
        flush(&mut tokens, &mut lit);
        Ok(Self { tokens })
    }

    /// A pattern matching exactly `text`.
    pub fn literal(text: &str) -> Self {
        let mut tokens = Vec::new();
        if !text.is_empty() {
            tokens.push(Token::Lit(text.into()));
        }
        Self { tokens }
    }

    /// The tokens.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// True when the pattern is a lone `*`.
    pub fn is_star(&self) -> bool {
        self.tokens == [Token::Star]
    }

    /// True when the pattern holds a policy variable.
    pub fn has_variables(&self) -> bool {
        self.tokens.iter().any(|t| matches!(t, Token::Var { .. }))
    }

    /// True when the pattern holds `*` or `?`.
    pub fn has_wildcards(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Star | Token::Question))
    }

    /// Matches `text`; `ignore_case` compares ASCII letters case-insensitively.
    pub fn matches(&self, text: &str, ignore_case: bool, vars: &dyn Resolve) -> Matched {
        // Resolve every variable first, so an unresolvable one is reported whatever the text.
        for token in &self.tokens {
            if let Token::Var { key, default } = token
                && vars.resolve(key).is_none()
                && default.is_none()
            {
                return Matched::Unresolved;
            }
        }
        if glob(&self.tokens, text, ignore_case, vars) {
            Matched::Yes
        } else {
            Matched::No
        }
    }
}

fn flush(tokens: &mut Vec<Token>, lit: &mut String) {
    if !lit.is_empty() {
        tokens.push(Token::Lit(std::mem::take(lit).into()));
    }
}

/// `key` or `key, 'default'`.
fn parse_variable(body: &str) -> Option<(&str, Option<&str>)> {
    let (key, default) = match body.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let inner = default.strip_prefix('\'')?.strip_suffix('\'')?;
            if inner.contains('\'') {
                return None;
            }
            (key.trim_end(), Some(inner))
        }
        None => (body, None),
    };
    let valid = !key.is_empty()
        && key.contains(':')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":/-_.+=@ ".contains(c))
        && !key.starts_with(' ')
        && !key.ends_with(' ');
    valid.then_some((key, default))
}

fn resolved<'a>(token: &'a Token, vars: &'a dyn Resolve) -> &'a str {
    match token {
        Token::Lit(s) => s,
        Token::Var { key, default } => vars.resolve(key).or(default.as_deref()).unwrap_or_default(),
        Token::Star | Token::Question => "",
    }
}

fn starts_with(text: &str, prefix: &str, ignore_case: bool) -> bool {
    if ignore_case {
        text.len() >= prefix.len()
            && text
                .as_bytes()
                .iter()
                .zip(prefix.as_bytes())
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    } else {
        text.starts_with(prefix)
    }
}

/// Glob matching with backtracking to the last `*` only: linear in practice, no allocation.
fn glob(tokens: &[Token], text: &str, ignore_case: bool, vars: &dyn Resolve) -> bool {
    let (mut ti, mut pos) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(token) = tokens.get(ti) {
            let rest = text.get(pos..).unwrap_or_default();
            match token {
                Token::Star => {
                    star = Some((ti + 1, pos));
                    ti += 1;
                    continue;
                }
                Token::Question => {
                    if let Some(c) = rest.chars().next() {
                        pos += c.len_utf8();
                        ti += 1;
                        continue;
                    }
                }
                Token::Lit(_) | Token::Var { .. } => {
                    let lit = resolved(token, vars);
                    if starts_with(rest, lit, ignore_case) {
                        pos += lit.len();
                        ti += 1;
                        continue;
                    }
                }
            }
        } else if pos == text.len() {
            return true;
        }
        // Mismatch: let the last `*` swallow one more character, or fail.
        match star {
            Some((star_ti, star_pos)) => {
                let Some(c) = text.get(star_pos..).and_then(|r| r.chars().next()) else {
                    return false;
                };
                let next = star_pos + c.len_utf8();
                star = Some((star_ti, next));
                ti = star_ti;
                pos = next;
            }
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        Pattern::parse(p, syntax)
            .unwrap()
            .matches(t, false, &NoVars)
            == Matched::Yes
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("*", "abc"));
        assert!(m("a*c", "abbbc"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("${*}", "*"));
        assert!(!m("${*}", "x"));
        assert!(m("a${?}", "a?"));
        assert!(m("${$}x", "$x"));
        assert!(m("é*", "éé"));
    }

    #[test]
    fn variables() {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        assert!(Pattern::parse("${aws:username", syntax).is_err());
        assert!(Pattern::parse("${}", syntax).is_err());
        assert!(Pattern::parse("${aws:x, default}", syntax).is_err());
        let p = Pattern::parse("home/${aws:username, 'nobody'}/*", syntax).unwrap();
        assert_eq!(p.matches("home/nobody/x", false, &NoVars), Matched::Yes);
        let p = Pattern::parse("home/${aws:username}/*", syntax).unwrap();
        assert_eq!(p.matches("home/x/y", false, &NoVars), Matched::Unresolved);
        let literal = Syntax {
            wildcards: true,
            variables: false,
        };
        let p = Pattern::parse("${aws:username}", literal).unwrap();
        assert_eq!(p.matches("${aws:username}", false, &NoVars), Matched::Yes);
    }
}
