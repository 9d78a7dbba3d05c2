//! Policies compiled for evaluation: statements indexed by service prefix, patterns and
//! condition values parsed once.

use crate::arn::ArnPattern;
use crate::condition::CompiledCondition;
use crate::model::{Block, Effect, Policy, PrincipalKind, Principals};
use crate::parse::PolicyKind;
use crate::pattern::{Matched, Pattern, Resolve, Syntax};

/// An action pattern split at its colon; both halves match case-insensitively.
#[derive(Debug, Clone)]
pub(crate) enum ActionPattern {
    /// `*`.
    All,
    /// `service:Action` with wildcards.
    Split(Pattern, Pattern),
}

impl ActionPattern {
    fn parse(text: &str) -> Self {
        let syntax = Syntax {
            wildcards: true,
            variables: false,
        };
        match text.split_once(':') {
            None => ActionPattern::All,
            Some((s, a)) => ActionPattern::Split(
                Pattern::parse(s, syntax).unwrap_or_else(|_| Pattern::literal(s)),
                Pattern::parse(a, syntax).unwrap_or_else(|_| Pattern::literal(a)),
            ),
        }
    }

    pub(crate) fn matches(&self, service: &str, name: &str) -> bool {
        use crate::pattern::NoVars;
        match self {
            ActionPattern::All => true,
            ActionPattern::Split(s, a) => {
                s.matches(service, true, &NoVars) == Matched::Yes
                    && a.matches(name, true, &NoVars) == Matched::Yes
            }
        }
    }

    /// The literal service prefix, lowercased, when there is one.
    fn service(&self) -> Option<String> {
        match self {
            ActionPattern::Split(s, _) if !s.has_wildcards() => match s.tokens() {
                [crate::pattern::Token::Lit(l)] => Some(l.to_ascii_lowercase()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A principal entry compiled for matching.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalEntry {
    pub(crate) kind: PrincipalKind,
    pub(crate) value: Box<str>,
}

/// A statement ready for evaluation.
#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub(crate) effect: Effect,
    pub(crate) index: usize,
    pub(crate) sid: Option<Box<str>>,
    pub(crate) principal: Option<Block<Option<Vec<PrincipalEntry>>>>,
    pub(crate) action: Block<Vec<ActionPattern>>,
    pub(crate) resource: Option<Block<Vec<ArnPattern>>>,
    pub(crate) resource_text: Vec<String>,
    pub(crate) conditions: Vec<CompiledCondition>,
}

impl CompiledStatement {
    /// Whether the action element covers `service:name`.
    pub(crate) fn action_matches(&self, service: &str, name: &str) -> bool {
        match &self.action {
            Block::Is(list) => list.iter().any(|p| p.matches(service, name)),
            Block::Not(list) => !list.iter().any(|p| p.matches(service, name)),
        }
    }

    /// Whether the resource element covers `resource`; an unresolvable variable matches nothing,
    /// and in `NotResource` makes the statement not apply.
    pub(crate) fn resource_matches(&self, resource: &str, vars: &dyn Resolve) -> bool {
        match &self.resource {
            None => true,
            Some(Block::Is(list)) => list
                .iter()
                .any(|p| p.matches(resource, vars) == Matched::Yes),
            Some(Block::Not(list)) => {
                let mut hit = false;
                for p in list {
                    match p.matches(resource, vars) {
                        Matched::Yes => hit = true,
                        Matched::No => {}
                        Matched::Unresolved => return false,
                    }
                }
                !hit
            }
        }
    }

    /// The statement's label: its Sid, else `Statement[i]`.
    pub(crate) fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => sid.to_string(),
            _ => format!("Statement[{}]", self.index),
        }
    }
}

/// A policy compiled once and evaluated many times.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    name: String,
    kind: PolicyKind,
    pub(crate) statements: Vec<CompiledStatement>,
    /// Statement indexes by literal service prefix (lowercase), sorted by prefix.
    by_service: Vec<(Box<str>, Bucket)>,
    /// Statements that may match any service: `*`, wildcard prefixes, `NotAction`.
    any_service: Vec<u32>,
}

impl CompiledPolicy {
    /// Compiles a validated policy under `name` (used in explanations).
    pub fn new(name: impl Into<String>, kind: PolicyKind, policy: &Policy) -> Self {
        let mut statements = Vec::with_capacity(policy.statements.len());
        let mut by_service: Vec<(Box<str>, Bucket)> = Vec::new();
        let mut any_service = Vec::new();
        for (i, s) in policy.statements.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let syntax = Syntax::for_version(policy.version, true);
            let action = match &s.action {
                Some(Block::Is(list)) => {
                    Block::Is(list.iter().map(|a| ActionPattern::parse(a)).collect())
                }
                Some(Block::Not(list)) => {
                    Block::Not(list.iter().map(|a| ActionPattern::parse(a)).collect())
                }
                None => Block::Is(Vec::new()),
            };
            let (resource, resource_text) = match &s.resource {
                Some(block) => {
                    let list = block.inner();
                    let patterns: Vec<ArnPattern> = list
                        .iter()
                        .map(|r| {
                            ArnPattern::parse_resource(r, syntax)
                                .unwrap_or_else(|_| ArnPattern::Whole(Pattern::literal(r)))
                        })
                        .collect();
                    let block = if block.is_not() {
                        Block::Not(patterns)
                    } else {
                        Block::Is(patterns)
                    };
                    (Some(block), list.clone())
                }
                None => (None, Vec::new()),
            };
            let principal = s.principal.as_ref().map(|block| {
                let entries = match block.inner() {
                    Principals::Any => None,
                    Principals::Listed(list) => Some(
                        list.iter()
                            .map(|(kind, value)| PrincipalEntry {
                                kind: *kind,
                                value: value.as_str().into(),
                            })
                            .collect(),
                    ),
                };
                if block.is_not() {
                    Block::Not(entries)
                } else {
                    Block::Is(entries)
                }
            });
            let conditions = s
                .conditions
                .iter()
                .filter_map(|c| {
                    CompiledCondition::compile(c.operator, &c.key, &c.values, policy.version).ok()
                })
                .collect();
            // Index by literal service prefix where every listed action has one.
            let services: Option<Vec<String>> = match &action {
                Block::Is(list) => list.iter().map(ActionPattern::service).collect(),
                Block::Not(_) => None,
            };
            match services {
                Some(mut services) => {
                    services.sort();
                    services.dedup();
                    for svc in services {
                        match by_service.binary_search_by(|(k, _)| (**k).cmp(svc.as_str())) {
                            Ok(pos) => {
                                if let Some(entry) = by_service.get_mut(pos) {
                                    entry.1.all.push(i);
                                }
                            }
                            Err(pos) => by_service.insert(
                                pos,
                                (
                                    svc.into(),
                                    Bucket {
                                        all: vec![i],
                                        by_prefix: Vec::new(),
                                    },
                                ),
                            ),
                        }
                    }
                }
                None => any_service.push(i),
            }
            statements.push(CompiledStatement {
                effect: s.effect,
                index: s.index,
                sid: s.sid.as_deref().map(Into::into),
                principal,
                action,
                resource,
                resource_text,
                conditions,
            });
        }
        for (svc, bucket) in &mut by_service {
            if bucket.all.len() <= PREFIX_INDEX_MIN {
                continue;
            }
            let mut index = Vec::new();
            for &i in &bucket.all {
                let Some(Block::Is(list)) = statements.get(i as usize).map(|s| &s.action) else {
                    continue;
                };
                for p in list {
                    if let ActionPattern::Split(s, a) = p
                        && s.matches(svc, true, &crate::pattern::NoVars) == Matched::Yes
                    {
                        index.push((literal_prefix(a).into_boxed_str(), i));
                    }
                }
            }
            index.sort();
            index.dedup();
            bucket.by_prefix = index;
        }
        Self {
            name: name.into(),
            kind,
            statements,
            by_service,
            any_service,
        }
    }

    /// The name given at compile time.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The slot the policy was validated for.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The number of statements.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// True for a policy without statements.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Statements that may cover `service:name`, without allocating.
    pub(crate) fn candidates<'a>(&'a self, service: &str, name: &'a str) -> Candidates<'a> {
        let bucket = self
            .by_service
            .binary_search_by(|(k, _)| cmp_ignore_case(k, service))
            .ok()
            .and_then(|i| self.by_service.get(i))
            .map(|(_, b)| b);
        let (linear, prefix) = match bucket {
            None => ([].iter(), None),
            Some(b) if b.by_prefix.is_empty() => (b.all.iter(), None),
            Some(b) => (
                [].iter(),
                Some(PrefixIter {
                    entries: &b.by_prefix,
                    name,
                    next_len: 0,
                    current: [].iter(),
                    current_len: 0,
                }),
            ),
        };
        Candidates {
            statements: &self.statements,
            linear,
            prefix,
            any: self.any_service.iter(),
        }
    }
}

/// Buckets with more statements than this get an index by action-name prefix.
const PREFIX_INDEX_MIN: usize = 16;

/// The statements of one service prefix.
#[derive(Debug, Clone, Default)]
struct Bucket {
    all: Vec<u32>,
    /// `(lowercase literal prefix of an action name pattern, statement)`, sorted; empty for
    /// small buckets, which are scanned.
    by_prefix: Vec<(Box<str>, u32)>,
}

/// Iterates the candidate statements of one request.
pub(crate) struct Candidates<'a> {
    statements: &'a [CompiledStatement],
    linear: std::slice::Iter<'a, u32>,
    prefix: Option<PrefixIter<'a>>,
    any: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for Candidates<'a> {
    type Item = &'a CompiledStatement;

    fn next(&mut self) -> Option<Self::Item> {
        let i = self
            .linear
            .next()
            .copied()
            .or_else(|| self.prefix.as_mut().and_then(Iterator::next))
            .or_else(|| self.any.next().copied())?;
        self.statements.get(i as usize)
    }
}

/// Statements whose action-name prefix is a prefix of the requested name: one binary search
/// per prefix length of the name.
struct PrefixIter<'a> {
    entries: &'a [(Box<str>, u32)],
    name: &'a str,
    next_len: usize,
    current: std::slice::Iter<'a, (Box<str>, u32)>,
    current_len: usize,
}

impl Iterator for PrefixIter<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        loop {
            let want = self.name.get(..self.current_len).unwrap_or_default();
            if let Some((k, i)) = self.current.next() {
                if cmp_ignore_case(k, want) == std::cmp::Ordering::Equal {
                    return Some(*i);
                }
                self.current = [].iter();
                continue;
            }
            if self.next_len > self.name.len() {
                return None;
            }
            let len = self.next_len;
            self.next_len += 1;
            let Some(p) = self.name.get(..len) else {
                continue;
            };
            let start = self
                .entries
                .partition_point(|(k, _)| cmp_ignore_case(k, p) == std::cmp::Ordering::Less);
            self.current = self.entries.get(start..).unwrap_or_default().iter();
            self.current_len = len;
        }
    }
}

/// The lowercase literal text an action-name pattern starts with.
fn literal_prefix(p: &Pattern) -> String {
    let mut out = String::new();
    for t in p.tokens() {
        match t {
            crate::pattern::Token::Lit(l) => out.push_str(&l.to_ascii_lowercase()),
            _ => break,
        }
    }
    out
}

/// Compares a lowercase key with `b` as if `b` were lowercased.
fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{ParseOptions, parse_policy};

    /// A bucket large enough for the prefix index yields the same statements as a scan.
    #[test]
    fn prefix_index_finds_what_a_scan_finds() {
        let actions = [
            "s3:*",
            "s3:Get*",
            "s3:GetObject",
            "S3:getobjectACL",
            "s3:Put?bject",
            "s3:?etObject",
            "s3:List*",
            "s3:ListBucket",
            "s3:Delete*",
            "s3:G*t*",
            "s3:GetObjectVersion",
        ];
        let mut list = Vec::new();
        for i in 0..40 {
            let a = actions[i % actions.len()];
            list.push(serde_json::json!({"Effect": "Allow", "Action": [a, "ec2:Describe*"], "Resource": "*"}));
        }
        let doc = serde_json::json!({"Version": "2012-10-17", "Statement": list}).to_string();
        let policy = parse_policy(&doc, ParseOptions::unlimited(PolicyKind::Identity)).unwrap();
        let compiled = CompiledPolicy::new("p", PolicyKind::Identity, &policy);
        for name in [
            "GetObject",
            "getobjectacl",
            "PutObject",
            "ListBucket",
            "DeleteObject",
            "Gat",
            "G",
            "",
            "GetObjectVersion",
            "Xyz",
        ] {
            let mut found: Vec<usize> = compiled
                .candidates("S3", name)
                .filter(|s| s.action_matches("S3", name))
                .map(|s| s.index)
                .collect();
            found.sort();
            found.dedup();
            let scanned: Vec<usize> = compiled
                .statements
                .iter()
                .filter(|s| s.action_matches("s3", name))
                .map(|s| s.index)
                .collect();
            assert_eq!(found, scanned, "action s3:{name}");
        }
    }
}
