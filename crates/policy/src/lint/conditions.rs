//! Conditions: keys, types, set operators and contradictions.

use std::collections::HashSet;

use super::actions::ActionRef;
use super::catalog::{CATALOG, KeyInfo, KeyType, Scalar};
use super::rules::*;
use super::{Run, Stmt};
use crate::condition::{Base, Kind, SetOp, parse_date};
use crate::model::{Condition, Effect};

/// Keys AWS adds to every request made with some kinds of credentials, whatever the action
/// (role credentials of EC2 instances, Lambda functions, Glue jobs, managed instances, and
/// Identity Center users).
const CREDENTIAL_KEYS: &[&str] = &[
    "ec2:RoleDelivery",
    "ec2:SourceInstanceArn",
    "glue:CredentialIssuingService",
    "glue:RoleAssumedBy",
    "identitystore:UserId",
    "lambda:SourceFunctionArn",
    "ssm:SourceInstanceArn",
];

/// Whether an operator family can compare values of a key type.
fn fits(kind: Kind, scalar: Scalar) -> bool {
    match kind {
        Kind::Null => true,
        // String operators compare ARNs as text, which AWS accepts.
        Kind::String => matches!(scalar, Scalar::String | Scalar::Arn),
        Kind::Arn => scalar == Scalar::Arn,
        // Dates may be given as epoch seconds (`aws:EpochTime` documents both).
        Kind::Numeric => matches!(scalar, Scalar::Numeric | Scalar::Date),
        Kind::Date => scalar == Scalar::Date,
        Kind::Bool => scalar == Scalar::Bool,
        Kind::Ip => scalar == Scalar::Ip,
        Kind::Binary => false,
    }
}

fn family(scalar: Scalar) -> &'static str {
    match scalar {
        Scalar::String => "a `String...` operator",
        Scalar::Arn => "an `Arn...` operator",
        Scalar::Bool => "`Bool`",
        Scalar::Date => "a `Date...` operator",
        Scalar::Numeric => "a `Numeric...` operator",
        Scalar::Ip => "`IpAddress` or `NotIpAddress`",
    }
}

fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::String => "strings",
        Kind::Numeric => "numbers",
        Kind::Date => "dates",
        Kind::Bool => "booleans",
        Kind::Binary => "binary values",
        Kind::Ip => "IP addresses",
        Kind::Arn => "ARNs",
        Kind::Null => "presence",
    }
}

/// True when the condition cannot hold while the key is absent.
fn needs_presence(c: &Condition) -> bool {
    let op = c.operator;
    op.base != Base::Null
        && !op.if_exists
        && match op.set {
            Some(SetOp::ForAnyValue) => true,
            Some(SetOp::ForAllValues) => false,
            None => !op.base.negated(),
        }
}

impl Run<'_> {
    pub(super) fn conditions(&mut self, s: &Stmt<'_>) {
        for c in &s.st.conditions {
            match CATALOG.key(&c.key) {
                KeyInfo::Unknown => {
                    let namespace = c.key.split_once(':').map_or("", |(n, _)| n);
                    self.push(
                        &UNKNOWN_CONDITION_KEY,
                        s.condition_path(c),
                        format!(
                            "`{}` is not a documented condition key of `{namespace}`: an unknown key is absent from requests",
                            c.key
                        ),
                    );
                }
                KeyInfo::Known(t) => self.condition_type(s, c, t),
                KeyInfo::Unchecked => {}
            }
        }
        self.not_applicable(s);
        self.for_all_values(s);
        self.contradictions(s);
    }

    fn condition_type(&mut self, s: &Stmt<'_>, c: &Condition, t: KeyType) {
        let kind = c.operator.base.kind();
        if kind == Kind::Null {
            return;
        }
        let op = &c.operator_text;
        let key = &c.key;
        if !fits(kind, t.scalar) {
            self.push(
                &CONDITION_TYPE_MISMATCH,
                s.condition_path(c),
                format!(
                    "`{op}` compares {} but `{key}` is of type {}: use {}",
                    kind_words(kind),
                    t.name(),
                    family(t.scalar)
                ),
            );
        } else if t.multi && c.operator.set.is_none() {
            self.push(
                &CONDITION_TYPE_MISMATCH,
                s.condition_path(c),
                format!(
                    "`{key}` holds several values: use `ForAllValues:{op}` or `ForAnyValue:{op}`"
                ),
            );
        } else if !t.multi && c.operator.set.is_some() {
            self.push(
                &CONDITION_TYPE_MISMATCH,
                s.condition_path(c),
                format!(
                    "`{key}` holds a single value: `{op}` is meant for multivalued keys, drop the set operator"
                ),
            );
        }
    }

    /// Service keys that no action of the statement documents: they are absent from every
    /// request the statement matches.
    fn not_applicable(&mut self, s: &Stmt<'_>) {
        if !s.action_is() || s.expansions.is_empty() || !s.expansions.iter().all(|e| e.typed()) {
            return;
        }
        let mut keys: HashSet<u32> = HashSet::new();
        for e in &s.expansions {
            for a in &e.actions {
                let ActionRef::Aws(si, ai) = *a else {
                    continue;
                };
                let Some(service) = CATALOG.services.get(si) else {
                    continue;
                };
                let Some(action) = service.actions.get(ai) else {
                    continue;
                };
                keys.extend(&action.keys);
                for r in &action.resources {
                    if let Some(rt) = service.resources.get(usize::from(*r)) {
                        keys.extend(&rt.keys);
                    }
                }
            }
        }
        for c in &s.st.conditions {
            let lower = c.key.to_ascii_lowercase();
            if lower.starts_with("aws:")
                || CREDENTIAL_KEYS
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&lower))
                || !matches!(CATALOG.key(&c.key), KeyInfo::Known(_))
            {
                continue;
            }
            let supported = keys.iter().any(|id| {
                CATALOG
                    .key_globs
                    .get(*id as usize)
                    .is_some_and(|g| g.matches(&lower))
            });
            if !supported {
                self.push(
                    &CONDITION_KEY_NOT_APPLICABLE,
                    s.condition_path(c),
                    format!(
                        "no action of this statement supports the condition key `{}`: it is absent from their requests",
                        c.key
                    ),
                );
            }
        }
    }

    fn for_all_values(&mut self, s: &Stmt<'_>) {
        if s.st.effect != Effect::Allow {
            return;
        }
        for c in &s.st.conditions {
            if c.operator.set != Some(SetOp::ForAllValues) {
                continue;
            }
            let guarded = s.st.conditions.iter().any(|n| {
                n.operator.base == Base::Null
                    && n.key.eq_ignore_ascii_case(&c.key)
                    && n.values.iter().all(|v| v.eq_ignore_ascii_case("false"))
            });
            if !guarded {
                self.push(
                    &FORALLVALUES_ALLOW,
                    s.condition_path(c),
                    format!(
                        "`{}` holds when `{}` is absent or empty, so this `Allow` applies to requests without the key: add `\"Null\": {{\"{}\": \"false\"}}`",
                        c.operator_text, c.key, c.key
                    ),
                );
            }
        }
    }

    /// Conditions on one key that cannot all hold.
    fn contradictions(&mut self, s: &Stmt<'_>) {
        let conditions = &s.st.conditions;
        let mut keys: Vec<String> = conditions
            .iter()
            .map(|c| c.key.to_ascii_lowercase())
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let on: Vec<&Condition> = conditions
                .iter()
                .filter(|c| c.key.eq_ignore_ascii_case(&key))
                .collect();
            if on.len() < 2 {
                continue;
            }
            let absent = on.iter().find(|c| {
                c.operator.base == Base::Null
                    && c.values.iter().all(|v| v.eq_ignore_ascii_case("true"))
            });
            if let (Some(null), Some(present)) = (absent, on.iter().find(|c| needs_presence(c))) {
                self.push(
                    &NEVER_MATCHES,
                    s.condition_path(present),
                    format!(
                        "`{}` requires `{}` to be absent but `{}` requires it present: the statement never applies",
                        null.operator_text, null.key, present.operator_text
                    ),
                );
                continue;
            }
            let plain: Vec<&Condition> = on
                .iter()
                .copied()
                .filter(|c| c.operator.set.is_none() && !c.operator.if_exists)
                .collect();
            if let Some(message) = string_contradiction(&plain) {
                self.push(&NEVER_MATCHES, s.element_path("Condition"), message);
                continue;
            }
            let single = matches!(CATALOG.key(&key), KeyInfo::Known(t) if !t.multi);
            if single && let Some(message) = range_contradiction(&plain) {
                self.push(&NEVER_MATCHES, s.element_path("Condition"), message);
            }
        }
    }
}

/// `StringEquals` values all excluded by `StringNotEquals`.
fn string_contradiction(on: &[&Condition]) -> Option<String> {
    let literal = |c: &&&Condition| c.values.iter().all(|v| !v.contains("${"));
    let positive = on.iter().filter(literal).find(|c| {
        matches!(
            c.operator.base,
            Base::StringEquals | Base::StringEqualsIgnoreCase
        )
    })?;
    let negative = on.iter().filter(literal).find(|c| {
        matches!(
            c.operator.base,
            Base::StringNotEquals | Base::StringNotEqualsIgnoreCase
        )
    })?;
    let pos_fold = positive.operator.base == Base::StringEqualsIgnoreCase;
    let neg_fold = negative.operator.base == Base::StringNotEqualsIgnoreCase;
    let excluded = |p: &String| {
        negative.values.iter().any(|n| {
            if neg_fold {
                n.eq_ignore_ascii_case(p)
            } else {
                !pos_fold && n == p
            }
        })
    };
    positive.values.iter().all(excluded).then(|| {
        format!(
            "`{}` allows only values that `{}` excludes for `{}`: the statement never applies",
            positive.operator_text, negative.operator_text, positive.key
        )
    })
}

/// Bounds on one value, from `Numeric...` or `Date...` conditions.
struct Range<T> {
    low: Option<(T, bool)>,
    high: Option<(T, bool)>,
    points: Option<Vec<T>>,
}

impl<T: PartialOrd + Copy> Range<T> {
    fn new() -> Self {
        Self {
            low: None,
            high: None,
            points: None,
        }
    }

    /// Adds `value OP any of values` (values are ORed).
    fn add(&mut self, base: Base, values: &[T]) {
        use Base::*;
        let max = values
            .iter()
            .copied()
            .reduce(|a, b| if b > a { b } else { a });
        let min = values
            .iter()
            .copied()
            .reduce(|a, b| if b < a { b } else { a });
        let (Some(max), Some(min)) = (max, min) else {
            return;
        };
        match base {
            NumericEquals | DateEquals => {
                let points = match self.points.take() {
                    Some(old) => old.into_iter().filter(|p| values.contains(p)).collect(),
                    None => values.to_vec(),
                };
                self.points = Some(points);
            }
            NumericLessThan | DateLessThan => self.cap(max, true),
            NumericLessThanEquals | DateLessThanEquals => self.cap(max, false),
            NumericGreaterThan | DateGreaterThan => self.floor(min, true),
            NumericGreaterThanEquals | DateGreaterThanEquals => self.floor(min, false),
            _ => {}
        }
    }

    fn cap(&mut self, v: T, strict: bool) {
        match self.high {
            Some((h, s)) if h < v || (h == v && s) => {}
            _ => self.high = Some((v, strict)),
        }
    }

    fn floor(&mut self, v: T, strict: bool) {
        match self.low {
            Some((l, s)) if l > v || (l == v && s) => {}
            _ => self.low = Some((v, strict)),
        }
    }

    fn allows(&self, v: T) -> bool {
        let above = match self.low {
            Some((l, true)) => v > l,
            Some((l, false)) => v >= l,
            None => true,
        };
        let below = match self.high {
            Some((h, true)) => v < h,
            Some((h, false)) => v <= h,
            None => true,
        };
        above && below
    }

    fn empty(&self) -> bool {
        if let Some(points) = &self.points {
            return points.iter().all(|p| !self.allows(*p));
        }
        match (self.low, self.high) {
            (Some((l, ls)), Some((h, hs))) => l > h || (l == h && (ls || hs)),
            _ => false,
        }
    }
}

fn range_contradiction(on: &[&Condition]) -> Option<String> {
    let mut numbers: Range<f64> = Range::new();
    let mut dates: Range<i128> = Range::new();
    let mut used = 0;
    for c in on {
        match c.operator.base.kind() {
            Kind::Numeric => {
                let values: Option<Vec<f64>> =
                    c.values.iter().map(|v| v.trim().parse().ok()).collect();
                if let Some(values) = values {
                    numbers.add(c.operator.base, &values);
                    used += 1;
                }
            }
            Kind::Date => {
                let values: Option<Vec<i128>> = c.values.iter().map(|v| parse_date(v)).collect();
                if let Some(values) = values {
                    dates.add(c.operator.base, &values);
                    used += 1;
                }
            }
            _ => {}
        }
    }
    let key = on.first().map_or("", |c| c.key.as_str());
    (used >= 2 && (numbers.empty() || dates.empty()))
        .then(|| format!("the conditions on `{key}` admit no value: the statement never applies"))
}
