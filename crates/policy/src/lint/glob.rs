//! Glob patterns for the linter: matching, intersection ("could both match one text") and
//! coverage ("every text the one matches, the other matches too").
//!
//! Coverage is decided by a sound approximation: when it says yes, the answer is yes; some
//! exotic coverings (`*a*` covering `a*a`) are not recognised.

use crate::arn::ArnPattern;
use crate::pattern::{Pattern, Token};

/// One symbol of a glob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum G {
    /// A literal character.
    Ch(char),
    /// `*`: any run of characters.
    Any,
    /// `?`: exactly one character.
    One,
}

/// A glob over characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Glob(Vec<G>);

impl Glob {
    /// `text` with `*` and `?` as wildcards; lowercased when `lower`.
    pub(crate) fn wild(text: &str, lower: bool) -> Self {
        let mut out = Vec::with_capacity(text.len());
        for c in text.chars() {
            let g = match c {
                '*' => G::Any,
                '?' => G::One,
                c if lower => G::Ch(c.to_ascii_lowercase()),
                c => G::Ch(c),
            };
            push(&mut out, g);
        }
        Self(out)
    }

    /// A format with `${Placeholder}` or `<placeholder>` parts standing for any text.
    pub(crate) fn format(text: &str, lower: bool) -> Self {
        let mut out = Vec::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let close = match c {
                '$' if rest.starts_with("${") => rest.find('}'),
                '<' => rest.find('>'),
                _ => None,
            };
            if let Some(end) = close {
                push(&mut out, G::Any);
                rest = rest.get(end + 1..).unwrap_or_default();
                continue;
            }
            push(
                &mut out,
                G::Ch(if lower { c.to_ascii_lowercase() } else { c }),
            );
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        Self(out)
    }

    /// A parsed policy pattern; a policy variable stands for any text.
    pub(crate) fn pattern(p: &Pattern) -> Self {
        let mut out = Vec::new();
        for token in p.tokens() {
            match token {
                Token::Lit(s) => out.extend(s.chars().map(G::Ch)),
                Token::Star | Token::Var { .. } => push(&mut out, G::Any),
                Token::Question => out.push(G::One),
            }
        }
        Self(out)
    }

    /// True for a glob matching every text.
    pub(crate) fn is_any(&self) -> bool {
        self.0 == [G::Any]
    }

    /// True when the glob holds no wildcard.
    pub(crate) fn is_literal(&self) -> bool {
        self.0.iter().all(|g| matches!(g, G::Ch(_)))
    }

    /// The text of a glob without wildcards.
    fn literal(&self) -> Option<String> {
        self.0
            .iter()
            .map(|g| match g {
                G::Ch(c) => Some(*c),
                G::Any | G::One => None,
            })
            .collect()
    }

    /// Appends `other`, with a literal separator.
    fn join(&mut self, sep: char, other: &Glob) {
        self.0.push(G::Ch(sep));
        for g in &other.0 {
            push(&mut self.0, *g);
        }
    }

    /// Matches a literal `text` (compared exactly: lowercase it first for case-insensitive use).
    pub(crate) fn matches(&self, text: &str) -> bool {
        let (mut gi, mut pos) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            let rest = text.get(pos..).unwrap_or_default();
            if let Some(g) = self.0.get(gi) {
                match g {
                    G::Any => {
                        star = Some((gi + 1, pos));
                        gi += 1;
                        continue;
                    }
                    G::One => {
                        if let Some(c) = rest.chars().next() {
                            pos += c.len_utf8();
                            gi += 1;
                            continue;
                        }
                    }
                    G::Ch(want) => {
                        if let Some(c) = rest.chars().next()
                            && c == *want
                        {
                            pos += c.len_utf8();
                            gi += 1;
                            continue;
                        }
                    }
                }
            } else if pos == text.len() {
                return true;
            }
            match star {
                Some((star_gi, star_pos)) => {
                    let Some(c) = text.get(star_pos..).and_then(|r| r.chars().next()) else {
                        return false;
                    };
                    let next = star_pos + c.len_utf8();
                    star = Some((star_gi, next));
                    gi = star_gi;
                    pos = next;
                }
                None => return false,
            }
        }
    }

    /// True when some text matches both globs.
    pub(crate) fn intersects(&self, other: &Glob) -> bool {
        if self.is_any() || other.is_any() {
            return true;
        }
        if let Some(text) = other.literal() {
            return self.matches(&text);
        }
        if let Some(text) = self.literal() {
            return other.matches(&text);
        }
        let (a, b) = (&self.0, &other.0);
        // Too long to decide: they may intersect.
        search(a.len(), b.len(), true, |i, j, next| {
            let (x, y) = (a.get(i), b.get(j));
            if x == Some(&G::Any) {
                next(i + 1, j);
                if matches!(y, Some(G::Ch(_) | G::One)) {
                    next(i, j + 1);
                }
            }
            if y == Some(&G::Any) {
                next(i, j + 1);
                if matches!(x, Some(G::Ch(_) | G::One)) {
                    next(i + 1, j);
                }
            }
            match (x, y) {
                (Some(G::Ch(p)), Some(G::Ch(q))) if p == q => next(i + 1, j + 1),
                (Some(G::One), Some(G::Ch(_) | G::One)) | (Some(G::Ch(_)), Some(G::One)) => {
                    next(i + 1, j + 1);
                }
                _ => {}
            }
        })
    }

    /// True when every text `other` matches, `self` matches too (sound, not complete).
    pub(crate) fn covers(&self, other: &Glob) -> bool {
        if self.is_any() {
            return true;
        }
        if let Some(text) = other.literal() {
            return self.matches(&text);
        }
        if self.is_literal() {
            return false;
        }
        let (a, b) = (&self.0, &other.0);
        // Too long to decide: not known to cover.
        search(a.len(), b.len(), false, |i, j, next| {
            match (a.get(i), b.get(j)) {
                (Some(G::Any), y) => {
                    next(i + 1, j);
                    if y.is_some() {
                        next(i, j + 1);
                    }
                }
                (Some(G::One), Some(G::Ch(_) | G::One)) => next(i + 1, j + 1),
                (Some(G::Ch(p)), Some(G::Ch(q))) if p == q => next(i + 1, j + 1),
                _ => {}
            }
        })
    }
}

fn push(out: &mut Vec<G>, g: G) {
    if g == G::Any && out.last() == Some(&G::Any) {
        return;
    }
    out.push(g);
}

/// The most position pairs a comparison of two wildcard patterns visits; longer patterns get
/// the cautious answer (`unsure`) instead of quadratic work.
const MAX_PAIRS: usize = 1 << 20;

/// Depth-first search over position pairs; true when `(n, m)` is reachable from `(0, 0)`.
fn search(
    n: usize,
    m: usize,
    unsure: bool,
    step: impl Fn(usize, usize, &mut dyn FnMut(usize, usize)),
) -> bool {
    if (n + 1).saturating_mul(m + 1) > MAX_PAIRS {
        return unsure;
    }
    let width = m + 1;
    let mut seen = vec![false; (n + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if (i, j) == (n, m) {
            return true;
        }
        match seen.get_mut(i * width + j) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        step(i, j, &mut |x, y| {
            if x <= n && y <= m {
                stack.push((x, y));
            }
        });
    }
    false
}

/// A resource pattern or resource-type ARN format, element by element when ARN-shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnGlob {
    /// Matched as one text.
    Whole(Glob),
    /// Partition, service, region, account, resource.
    Parts(Box<[Glob; 5]>),
}

impl ArnGlob {
    /// A policy resource pattern; policy variables stand for any text.
    pub(crate) fn pattern(p: &ArnPattern) -> Self {
        match p {
            ArnPattern::Whole(p) => ArnGlob::Whole(Glob::pattern(p)),
            ArnPattern::Parts(parts) => {
                let [a, b, c, d, e] = parts.as_ref();
                ArnGlob::Parts(Box::new([
                    Glob::pattern(a),
                    Glob::pattern(b),
                    Glob::pattern(c),
                    Glob::pattern(d),
                    Glob::pattern(e),
                ]))
            }
        }
    }

    /// A catalog ARN format written after `arn:${Partition}:`.
    pub(crate) fn format(rest: &str) -> Self {
        let mut it = rest.splitn(4, ':');
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(s), Some(r), Some(a), Some(res)) => ArnGlob::Parts(Box::new([
                Glob(vec![G::Any]),
                Glob::format(s, false),
                Glob::format(r, false),
                Glob::format(a, false),
                Glob::format(res, false),
            ])),
            _ => ArnGlob::Whole(Glob::format(&format!("arn:${{Partition}}:{rest}"), false)),
        }
    }

    /// True when no element holds a wildcard.
    pub(crate) fn is_literal(&self) -> bool {
        match self {
            ArnGlob::Whole(g) => g.is_literal(),
            ArnGlob::Parts(parts) => parts.iter().all(Glob::is_literal),
        }
    }

    /// True for a pattern matching every resource.
    pub(crate) fn is_any(&self) -> bool {
        match self {
            ArnGlob::Whole(g) => g.is_any(),
            ArnGlob::Parts(parts) => parts.iter().all(Glob::is_any),
        }
    }

    /// The service element.
    pub(crate) fn service(&self) -> Option<&Glob> {
        match self {
            ArnGlob::Parts(parts) => parts.get(1),
            ArnGlob::Whole(_) => None,
        }
    }

    fn whole(&self) -> Glob {
        match self {
            ArnGlob::Whole(g) => g.clone(),
            ArnGlob::Parts(parts) => {
                let mut g = Glob::wild("arn", false);
                for p in parts.iter() {
                    g.join(':', p);
                }
                g
            }
        }
    }

    /// True when some ARN matches both.
    pub(crate) fn intersects(&self, other: &ArnGlob) -> bool {
        match (self, other) {
            (ArnGlob::Parts(a), ArnGlob::Parts(b)) => {
                a.iter().zip(b.iter()).all(|(x, y)| x.intersects(y))
            }
            _ => self.whole().intersects(&other.whole()),
        }
    }

    /// True when every ARN `other` matches, `self` matches too (sound, not complete).
    pub(crate) fn covers(&self, other: &ArnGlob) -> bool {
        match (self, other) {
            (ArnGlob::Parts(a), ArnGlob::Parts(b)) => {
                a.iter().zip(b.iter()).all(|(x, y)| x.covers(y))
            }
            (ArnGlob::Whole(a), _) => a.covers(&other.whole()),
            (ArnGlob::Parts(_), ArnGlob::Whole(_)) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Glob {
        Glob::wild(s, false)
    }

    #[test]
    fn matching() {
        assert!(g("s3:get*").matches("s3:getobject"));
        assert!(!g("s3:get*").matches("s3:putobject"));
        assert!(g("a?c").matches("abc"));
        assert!(g("*").matches(""));
        assert!(!g("a").matches("ab"));
    }

    #[test]
    fn intersection() {
        assert!(g("a*").intersects(&g("*b")));
        assert!(g("a*c").intersects(&g("abc")));
        assert!(!g("a*").intersects(&g("b*")));
        assert!(!g("a?").intersects(&g("abc")));
        assert!(g("*/*").intersects(&g("bucket/*")));
        assert!(!g("*/*").intersects(&g("bucket")));
        assert!(Glob::format("${BucketName}/${Key}", false).intersects(&g("b/k")));
    }

    #[test]
    fn long_patterns_get_cautious_answers() {
        let long = format!("*{}*", "a?".repeat(1500));
        let other = format!("*{}*", "b?".repeat(1500));
        assert!(g(&long).intersects(&g(&other)));
        assert!(!g(&long).covers(&g(&other)));
    }

    #[test]
    fn coverage() {
        assert!(g("*").covers(&g("abc*")));
        assert!(g("s3:get*").covers(&g("s3:getobject")));
        assert!(g("s3:get*").covers(&g("s3:getobj*")));
        assert!(!g("s3:getobj*").covers(&g("s3:get*")));
        assert!(g("a?c").covers(&g("a?c")));
        assert!(!g("a?c").covers(&g("a*c")));
        assert!(g("a*").covers(&g("a?")));
    }
}
