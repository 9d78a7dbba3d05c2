//! Condition operators: parsing, value checking and evaluation.

use std::net::IpAddr;

use base64::Engine as _;
use ipnet::IpNet;

use crate::arn::ArnPattern;
use crate::context::Context;
use crate::model::Version;
use crate::pattern::{Matched, Pattern, Syntax};

/// The operator family a condition compares in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `String*`.
    String,
    /// `Numeric*`.
    Numeric,
    /// `Date*`.
    Date,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    Binary,
    /// `IpAddress`, `NotIpAddress`.
    Ip,
    /// `Arn*`.
    Arn,
    /// `Null`.
    Null,
}

/// A base operator, without set or `IfExists` modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(missing_docs, reason = "the variants are AWS's operator names")]
pub enum Base {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const BASES: [(&str, Base); 27] = [
    ("StringEquals", Base::StringEquals),
    ("StringNotEquals", Base::StringNotEquals),
    ("StringEqualsIgnoreCase", Base::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Base::StringNotEqualsIgnoreCase),
    ("StringLike", Base::StringLike),
    ("StringNotLike", Base::StringNotLike),
    ("NumericEquals", Base::NumericEquals),
    ("NumericNotEquals", Base::NumericNotEquals),
    ("NumericLessThan", Base::NumericLessThan),
    ("NumericLessThanEquals", Base::NumericLessThanEquals),
    ("NumericGreaterThan", Base::NumericGreaterThan),
    ("NumericGreaterThanEquals", Base::NumericGreaterThanEquals),
    ("DateEquals", Base::DateEquals),
    ("DateNotEquals", Base::DateNotEquals),
    ("DateLessThan", Base::DateLessThan),
    ("DateLessThanEquals", Base::DateLessThanEquals),
    ("DateGreaterThan", Base::DateGreaterThan),
    ("DateGreaterThanEquals", Base::DateGreaterThanEquals),
    ("Bool", Base::Bool),
    ("BinaryEquals", Base::BinaryEquals),
    ("IpAddress", Base::IpAddress),
    ("NotIpAddress", Base::NotIpAddress),
    ("ArnEquals", Base::ArnEquals),
    ("ArnLike", Base::ArnLike),
    ("ArnNotEquals", Base::ArnNotEquals),
    ("ArnNotLike", Base::ArnNotLike),
    ("Null", Base::Null),
];

impl Base {
    /// The operator's name.
    pub fn name(self) -> &'static str {
        BASES
            .iter()
            .find(|(_, b)| *b == self)
            .map_or("", |(n, _)| n)
    }

    /// The family the operator compares in.
    pub fn kind(self) -> Kind {
        use Base::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Kind::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Kind::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Kind::Date,
            Bool => Kind::Bool,
            BinaryEquals => Kind::Binary,
            IpAddress | NotIpAddress => Kind::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Kind::Arn,
            Null => Kind::Null,
        }
    }

    /// True for the negated operators (`...Not...`): they hold when no value matches, and when
    /// the key is absent.
    pub fn negated(self) -> bool {
        use Base::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// Every request value must match (true when the key is absent).
    ForAllValues,
    /// At least one request value must match (false when the key is absent).
    ForAnyValue,
}

/// A full operator: base, optional set operator, optional `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The comparison.
    pub base: Base,
    /// The set operator, if any.
    pub set: Option<SetOp>,
    /// `...IfExists`: true when the key is absent.
    pub if_exists: bool,
}

impl Operator {
    /// Reads an operator name like `ForAnyValue:StringLikeIfExists`.
    pub fn parse(text: &str) -> Option<Self> {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetOp::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetOp::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        let base = BASES.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)?;
        if base == Base::Null && if_exists {
            return None;
        }
        Some(Self {
            base,
            set,
            if_exists,
        })
    }
}

/// Policy values of a condition, in the form its operator compares.
#[derive(Debug, Clone)]
enum Values {
    Strings(Vec<Pattern>),
    Numbers(Vec<f64>),
    Dates(Vec<i128>),
    Bools(Vec<bool>),
    Binary(Vec<Vec<u8>>),
    Nets(Vec<IpNet>),
    Arns(Vec<ArnPattern>),
    Null(Vec<bool>),
}

/// A condition compiled for evaluation.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    /// The operator.
    pub operator: Operator,
    /// The context key, lowercased.
    pub key: Box<str>,
    /// The context key as written.
    pub key_text: Box<str>,
    values: Values,
}

/// Seconds since the epoch, in nanoseconds, of an ISO 8601 date or an epoch time in seconds.
pub fn parse_date(text: &str) -> Option<i128> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let text = text.trim();
    if let Ok(t) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = time::OffsetDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.unix_timestamp_nanos());
    }
    if let Ok(t) = time::PrimitiveDateTime::parse(text, &Iso8601::DEFAULT) {
        return Some(t.assume_utc().unix_timestamp_nanos());
    }
    if let Ok(d) = time::Date::parse(text, &Iso8601::DEFAULT) {
        return Some(d.midnight().assume_utc().unix_timestamp_nanos());
    }
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        let secs: f64 = text.parse().ok()?;
        if secs.is_finite() {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "sub-nanosecond precision is meaningless for dates"
            )]
            return Some((secs * 1e9) as i128);
        }
    }
    None
}

fn parse_number(text: &str) -> Option<f64> {
    let n: f64 = text.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

impl CompiledCondition {
    /// Compiles `values` for `operator`; refuses values the operator cannot compare.
    pub fn compile(
        operator: Operator,
        key: &str,
        values: &[String],
        version: Version,
    ) -> Result<Self, String> {
        let bad = |v: &str, what: &str| format!("`{v}` is not {what}");
        let values = match operator.base.kind() {
            Kind::String => {
                let like = matches!(operator.base, Base::StringLike | Base::StringNotLike);
                let syntax = Syntax::for_version(version, like);
                Values::Strings(
                    values
                        .iter()
                        .map(|v| Pattern::parse(v, syntax))
                        .collect::<Result<_, _>>()?,
                )
            }
            Kind::Numeric => Values::Numbers(
                values
                    .iter()
                    .map(|v| parse_number(v).ok_or_else(|| bad(v, "a number")))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Date => Values::Dates(
                values
                    .iter()
                    .map(|v| parse_date(v).ok_or_else(|| bad(v, "a date")))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Bool => Values::Bools(
                values
                    .iter()
                    .map(|v| parse_bool(v).ok_or_else(|| bad(v, "`true` or `false`")))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Null => Values::Null(
                values
                    .iter()
                    .map(|v| parse_bool(v).ok_or_else(|| bad(v, "`true` or `false`")))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Binary => Values::Binary(
                values
                    .iter()
                    .map(|v| {
                        base64::engine::general_purpose::STANDARD
                            .decode(v.trim())
                            .map_err(|_| bad(v, "base64"))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Ip => Values::Nets(
                values
                    .iter()
                    .map(|v| parse_net(v).ok_or_else(|| bad(v, "an IP address or CIDR range")))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Arn => Values::Arns(
                values
                    .iter()
                    .map(|v| ArnPattern::parse(v, Syntax::for_version(version, true)))
                    .collect::<Result<_, _>>()?,
            ),
        };
        Ok(Self {
            operator,
            key: key.to_ascii_lowercase().into(),
            key_text: key.into(),
            values,
        })
    }

    /// Evaluates the condition against the request context.
    pub fn eval(&self, ctx: &Context) -> bool {
        let present = ctx.get(&self.key).filter(|v| !v.is_empty());
        if let Values::Null(expect) = &self.values {
            let absent = present.is_none();
            return expect.contains(&absent);
        }
        let Some(request) = present else {
            if self.operator.if_exists {
                return true;
            }
            return match self.operator.set {
                Some(SetOp::ForAllValues) => true,
                Some(SetOp::ForAnyValue) => false,
                None => self.operator.base.negated(),
            };
        };
        let negated = self.operator.base.negated();
        match self.operator.set {
            // A policy variable without a value is effectively null: no value equals or is like
            // it, so the positive operators do not match it and the negated ones do.
            None => {
                let hit = request.iter().any(|v| self.positive(v, ctx));
                hit != negated
            }
            Some(SetOp::ForAllValues) => request.iter().all(|v| self.positive(v, ctx) != negated),
            Some(SetOp::ForAnyValue) => request.iter().any(|v| self.positive(v, ctx) != negated),
        }
    }

    /// Whether one request value matches any policy value under the positive form of the
    /// operator; a policy value whose variable has no value matches nothing.
    fn positive(&self, value: &str, ctx: &Context) -> bool {
        use Base::*;
        let base = self.operator.base;
        match &self.values {
            Values::Strings(patterns) => {
                let ignore_case =
                    matches!(base, StringEqualsIgnoreCase | StringNotEqualsIgnoreCase);
                patterns
                    .iter()
                    .any(|p| p.matches(value, ignore_case, ctx) == Matched::Yes)
            }
            Values::Numbers(numbers) => {
                parse_number(value).is_some_and(|v| numbers.iter().any(|n| compare(base, v, *n)))
            }
            Values::Dates(dates) => {
                parse_date(value).is_some_and(|v| dates.iter().any(|d| compare(base, v, *d)))
            }
            Values::Bools(bools) => parse_bool(value).is_some_and(|v| bools.contains(&v)),
            Values::Binary(blobs) => base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .is_ok_and(|v| blobs.contains(&v)),
            Values::Nets(nets) => value
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            Values::Arns(arns) => arns.iter().any(|p| p.matches(value, ctx) == Matched::Yes),
            Values::Null(_) => false,
        }
    }
}

/// The positive comparison of a numeric or date operator: `request OP policy`.
fn compare<T: PartialOrd>(base: Base, request: T, policy: T) -> bool {
    use Base::*;
    match base {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => request == policy,
        NumericLessThan | DateLessThan => request < policy,
        NumericLessThanEquals | DateLessThanEquals => request <= policy,
        NumericGreaterThan | DateGreaterThan => request > policy,
        NumericGreaterThanEquals | DateGreaterThanEquals => request >= policy,
        _ => false,
    }
}
