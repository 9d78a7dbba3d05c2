//! A small reference evaluator, written for clarity rather than speed over the parsed `Policy`
//! model, compared with the compiled evaluator (`decide`) on generated policy sets and requests.
//!
//! The reference follows AWS's documented flow step by step
//! (reference_policies_evaluation-logic.html): explicit denies, then SCPs and RCPs, then the
//! resource policy by the kind of principal it names, then identity policies, boundaries and
//! session policies. Wildcards are matched by naive recursion, without the engine's matcher.

#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use std::collections::BTreeMap;
use std::net::IpAddr;

use mudroom_policy::{
    Base, Block, Caller, CompiledPolicy, Condition, Context, Decision, Effect, ParseOptions,
    Pattern, Policy, PolicyKind, PolicySet, PrincipalKind, Principals, Request, SetOp, Statement,
    Syntax, Token, Version, decide, explain, policy_from_value,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// The reference evaluator
// ---------------------------------------------------------------------------------------------

/// One character of a pattern: literal, `*` or `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ch {
    Lit(char),
    /// A literal that came from a variable's value or `${*}`-style escape: never a separator.
    Quoted(char),
    Star,
    Any,
}

/// Naive recursive wildcard matching: `*` any run, `?` one character.
fn wild(p: &[Ch], t: &[char], ignore_case: bool) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some((Ch::Star, rest)) => (0..=t.len()).any(|i| wild(rest, &t[i..], ignore_case)),
        Some((Ch::Any, rest)) => !t.is_empty() && wild(rest, &t[1..], ignore_case),
        Some((Ch::Lit(c) | Ch::Quoted(c), rest)) => match t.split_first() {
            Some((d, tail)) => {
                let same = if ignore_case {
                    c.eq_ignore_ascii_case(d)
                } else {
                    c == d
                };
                same && wild(rest, tail, ignore_case)
            }
            None => false,
        },
    }
}

/// The request context: lowercase keys, each with its values.
type Ctx = BTreeMap<String, Vec<String>>;

/// Expands policy text into pattern characters: `*`/`?` are wildcards when `wildcards`,
/// `${key}` / `${key, 'default'}` are replaced by the key's single value when `variables`.
/// `None` when a variable has no value and no default.
fn expand(text: &str, wildcards: bool, variables: bool, ctx: &Ctx) -> Option<Vec<Ch>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if variables && c == '$' && chars.get(i + 1) == Some(&'{') {
            let close = (i + 2..chars.len()).find(|&j| chars[j] == '}').unwrap();
            let body: String = chars[i + 2..close].iter().collect();
            i = close + 1;
            let value = match body.as_str() {
                "*" | "?" | "$" => body.clone(),
                _ => {
                    let (key, default) = match body.split_once(',') {
                        Some((k, d)) => (
                            k.trim().to_string(),
                            Some(d.trim().trim_matches('\'').to_string()),
                        ),
                        None => (body.clone(), None),
                    };
                    let single = match ctx.get(&key.to_ascii_lowercase()).map(Vec::as_slice) {
                        Some([one]) => Some(one.clone()),
                        _ => None,
                    };
                    single.or(default)?
                }
            };
            out.extend(value.chars().map(Ch::Quoted));
            continue;
        }
        out.push(match c {
            '*' if wildcards => Ch::Star,
            '?' if wildcards => Ch::Any,
            _ => Ch::Lit(c),
        });
        i += 1;
    }
    Some(out)
}

/// Splits expanded characters at their first five literal colons.
fn split_six(p: &[Ch]) -> Option<Vec<&[Ch]>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in p.iter().enumerate() {
        if parts.len() < 5 && *c == Ch::Lit(':') {
            parts.push(&p[start..i]);
            start = i + 1;
        }
    }
    parts.push(&p[start..]);
    (parts.len() == 6).then_some(parts)
}

/// ARN matching: element by element when the pattern is ARN-shaped, else as one string.
/// `None` when a variable has no value.
fn arn_match(pattern: &str, value: &str, variables: bool, ctx: &Ctx) -> Option<bool> {
    Some(arn_match_expanded(
        expand(pattern, true, variables, ctx)?,
        value,
    ))
}

/// `Resource` matching: AWS resolves policy variables only in the resource portion of the ARN,
/// after the fifth colon; before it `${...}` is literal text.
fn resource_match(pattern: &str, value: &str, variables: bool, ctx: &Ctx) -> Option<bool> {
    let fifth = pattern.match_indices(':').nth(4).map(|(i, _)| i + 1);
    match fifth {
        Some(i) if pattern.starts_with("arn:") => {
            let mut p = expand(&pattern[..i], true, false, ctx)?;
            p.extend(expand(&pattern[i..], true, variables, ctx)?);
            Some(arn_match_expanded(p, value))
        }
        _ => arn_match(pattern, value, variables, ctx),
    }
}

fn arn_match_expanded(p: Vec<Ch>, value: &str) -> bool {
    let t: Vec<char> = value.chars().collect();
    match split_six(&p) {
        Some(parts) if parts[0] == [Ch::Lit('a'), Ch::Lit('r'), Ch::Lit('n')] => {
            let elements: Vec<&str> = value.splitn(6, ':').collect();
            if elements.len() != 6
                || elements[0] != "arn"
                || elements[1].is_empty()
                || elements[2].is_empty()
            {
                return false;
            }
            (1..6).all(|i| {
                let e: Vec<char> = elements[i].chars().collect();
                wild(parts[i], &e, false)
            })
        }
        _ => wild(&p, &t, false),
    }
}

fn action_match(pattern: &str, action: &str) -> bool {
    let (ps, pa) = match pattern.split_once(':') {
        None => return true,
        Some(split) => split,
    };
    let (s, a) = action.split_once(':').unwrap();
    let m = |p: &str, t: &str| {
        let p = expand(p, true, false, &Ctx::new()).unwrap();
        wild(&p, &t.chars().collect::<Vec<_>>(), true)
    };
    m(ps, s) && m(pa, a)
}

fn is_negated(base: Base) -> bool {
    use Base::*;
    matches!(
        base,
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

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DDTHH:MM:SSZ` or whole epoch seconds, as epoch seconds.
fn date(text: &str) -> Option<i64> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let b = text.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, s) = (n(11..13)?, n(14..16)?, n(17..19)?);
    Some(days(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

fn in_net(net: &str, ip: IpAddr) -> bool {
    let (addr, len) = match net.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().unwrap()),
        None => (net, if net.contains(':') { 128 } else { 32 }),
    };
    match (addr.parse::<IpAddr>().unwrap(), ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// Whether one request value matches one policy value under the positive form of `base`.
fn positive(base: Base, policy: &str, value: &str, version: Version, ctx: &Ctx) -> bool {
    use Base::*;
    let vars = version == Version::V2012;
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    let cmp = |o: std::cmp::Ordering| match base {
        NumericEquals | NumericNotEquals | DateEquals | DateNotEquals => o.is_eq(),
        NumericLessThan | DateLessThan => o.is_lt(),
        NumericLessThanEquals | DateLessThanEquals => o.is_le(),
        NumericGreaterThan | DateGreaterThan => o.is_gt(),
        _ => o.is_ge(),
    };
    match base {
        StringEquals
        | StringNotEquals
        | StringEqualsIgnoreCase
        | StringNotEqualsIgnoreCase
        | StringLike
        | StringNotLike => {
            let like = matches!(base, StringLike | StringNotLike);
            let ignore = matches!(base, StringEqualsIgnoreCase | StringNotEqualsIgnoreCase);
            match expand(policy, like, vars, ctx) {
                Some(p) => wild(&p, &value.chars().collect::<Vec<_>>(), ignore),
                None => false,
            }
        }
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => match (num(value), num(policy)) {
            (Some(v), Some(p)) => cmp(v.partial_cmp(&p).unwrap()),
            _ => false,
        },
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => match (date(value), date(policy)) {
            (Some(v), Some(p)) => cmp(v.cmp(&p)),
            _ => false,
        },
        Bool => value.eq_ignore_ascii_case(policy),
        IpAddress | NotIpAddress => value.parse::<IpAddr>().is_ok_and(|ip| in_net(policy, ip)),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => {
            arn_match(policy, value, vars, ctx).unwrap_or(false)
        }
        BinaryEquals => value == policy,
        Null => false,
    }
}

fn condition_holds(c: &Condition, version: Version, ctx: &Ctx) -> bool {
    let request = ctx
        .get(&c.key.to_ascii_lowercase())
        .filter(|v| !v.is_empty());
    let op = c.operator;
    if op.base == Base::Null {
        let absent = request.is_none();
        return c
            .values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true") == absent);
    }
    let negated = is_negated(op.base);
    let Some(request) = request else {
        return op.if_exists
            || match op.set {
                Some(SetOp::ForAllValues) => true,
                Some(SetOp::ForAnyValue) => false,
                None => negated,
            };
    };
    let pos = |v: &String| {
        c.values
            .iter()
            .any(|p| positive(op.base, p, v, version, ctx))
    };
    match op.set {
        None => request.iter().any(pos) != negated,
        Some(SetOp::ForAllValues) => request.iter().all(|v| pos(v) != negated),
        Some(SetOp::ForAnyValue) => request.iter().any(|v| pos(v) != negated),
    }
}

/// The reference's view of the caller.
#[derive(Debug, Clone)]
struct Who {
    arn: String,
    account: String,
    /// `user`, `session`, `federated`, `root`, `service`, `anonymous`.
    kind: &'static str,
    /// For sessions, the role's ARN.
    role: Option<String>,
}

impl Who {
    fn parse(arn: &str) -> Self {
        let account = arn.split(':').nth(4).unwrap_or_default().to_string();
        let (kind, role) = if arn == "anonymous" {
            ("anonymous", None)
        } else if arn.ends_with(".amazonaws.com") {
            ("service", None)
        } else if arn.ends_with(":root") {
            ("root", None)
        } else if arn.contains(":assumed-role/") {
            let name = arn.split('/').nth(1).unwrap();
            (
                "session",
                Some(format!("arn:aws:iam::{account}:role/{name}")),
            )
        } else if arn.contains(":federated-user/") {
            ("federated", None)
        } else {
            ("user", None)
        };
        Who {
            arn: arn.to_string(),
            account,
            kind,
            role,
        }
    }

    fn accountless(&self) -> bool {
        matches!(self.kind, "service" | "anonymous")
    }
}

/// How a resource policy's `Principal` names the caller, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    No,
    Account,
    Role,
    /// `*`: limited by session policies, which yield only to a grant naming the session.
    Anyone,
    Directly,
}

fn named_by(kind: PrincipalKind, value: &str, who: &Who) -> Named {
    match kind {
        PrincipalKind::Aws if value == "*" => Named::Anyone,
        PrincipalKind::Aws if who.accountless() => Named::No,
        PrincipalKind::Aws => {
            let root = format!("arn:aws:iam::{}:root", who.account);
            if value == who.account || value == root {
                Named::Account
            } else if Some(value) == who.role.as_deref() {
                Named::Role
            } else if value == who.arn {
                Named::Directly
            } else {
                Named::No
            }
        }
        PrincipalKind::Service if who.kind == "service" && value.eq_ignore_ascii_case(&who.arn) => {
            Named::Directly
        }
        _ => Named::No,
    }
}

/// Whether a statement's principal element covers the caller, and how.
fn principal_covers(
    p: Option<&Block<Principals>>,
    who: &Who,
    effect: Effect,
    bounded: bool,
) -> Named {
    match p {
        None => Named::Directly,
        Some(Block::Is(Principals::Any)) => Named::Anyone,
        Some(Block::Is(Principals::Listed(list))) => list
            .iter()
            .map(|(k, v)| named_by(*k, v, who))
            .max()
            .unwrap_or(Named::No),
        // AWS: a Deny with NotPrincipal always denies a principal with a permissions boundary.
        Some(Block::Not(_)) if bounded && effect == Effect::Deny => Named::Directly,
        Some(Block::Not(Principals::Any)) => Named::No,
        Some(Block::Not(Principals::Listed(list))) => {
            let listed = |n: Named| list.iter().any(|(k, v)| named_by(*k, v, who) == n);
            let star = list
                .iter()
                .any(|(k, v)| *k == PrincipalKind::Aws && v == "*");
            // Exempt only when every identity the caller acts with is listed.
            let exempt = star
                || match who.kind {
                    "root" => listed(Named::Account),
                    "user" | "federated" => listed(Named::Account) && listed(Named::Directly),
                    "session" => {
                        listed(Named::Account) && listed(Named::Role) && listed(Named::Directly)
                    }
                    "service" => listed(Named::Directly),
                    _ => false,
                };
            if exempt { Named::No } else { Named::Directly }
        }
    }
}

/// Whether the statement applies to the request, and how its principal names the caller.
fn applies(s: &Statement, version: Version, q: &Query, bounded: bool) -> Option<Named> {
    let action = match s.action.as_ref()? {
        Block::Is(list) => list.iter().any(|p| action_match(p, &q.action)),
        Block::Not(list) => !list.iter().any(|p| action_match(p, &q.action)),
    };
    if !action {
        return None;
    }
    let vars = version == Version::V2012;
    let resource = match &s.resource {
        None => true,
        Some(Block::Is(list)) => list
            .iter()
            .any(|p| resource_match(p, &q.resource, vars, &q.ctx) == Some(true)),
        Some(Block::Not(list)) => {
            let results: Vec<Option<bool>> = list
                .iter()
                .map(|p| resource_match(p, &q.resource, vars, &q.ctx))
                .collect();
            // A variable without a value makes the statement not apply.
            !results.contains(&None) && !results.contains(&Some(true))
        }
    };
    if !resource {
        return None;
    }
    let named = principal_covers(s.principal.as_ref(), &q.who, s.effect, bounded);
    if named == Named::No {
        return None;
    }
    s.conditions
        .iter()
        .all(|c| condition_holds(c, version, &q.ctx))
        .then_some(named)
}

struct Query {
    who: Who,
    action: String,
    resource: String,
    resource_account: Option<String>,
    ctx: Ctx,
}

#[derive(Default)]
struct Slots {
    identity: Vec<Policy>,
    resource: Option<Policy>,
    boundary: Option<Policy>,
    session: Vec<Policy>,
    scps: Vec<Policy>,
    rcps: Vec<Policy>,
}

/// (any deny, strongest allow) over the statements of `policies`.
fn scan<'a>(
    policies: impl IntoIterator<Item = &'a Policy>,
    q: &Query,
    bounded: bool,
) -> (bool, Named) {
    let mut deny = false;
    let mut allow = Named::No;
    for p in policies {
        for s in &p.statements {
            if let Some(named) = applies(s, p.version, q, bounded) {
                match s.effect {
                    Effect::Deny => deny = true,
                    Effect::Allow => allow = allow.max(named),
                }
            }
        }
    }
    (deny, allow)
}

fn reference_decide(q: &Query, slots: &Slots) -> Decision {
    let bounded = slots.boundary.is_some();
    let identity = scan(&slots.identity, q, bounded);
    let resource = scan(&slots.resource, q, bounded);
    let boundary = scan(&slots.boundary, q, bounded);
    let session = scan(&slots.session, q, bounded);
    let scps = scan(&slots.scps, q, bounded);
    let rcps = scan(&slots.rcps, q, bounded);
    // 1. Deny evaluation: an explicit deny in any policy.
    if [identity, resource, boundary, session, scps, rcps]
        .iter()
        .any(|(deny, _)| *deny)
    {
        return Decision::ExplicitDeny;
    }
    // 2. SCPs and RCPs, when present, must allow.
    if !slots.scps.is_empty() && scps.1 == Named::No {
        return Decision::ImplicitDeny;
    }
    if !slots.rcps.is_empty() && rcps.1 == Named::No {
        return Decision::ImplicitDeny;
    }
    let boundary_ok = slots.boundary.is_none() || boundary.1 != Named::No;
    let session_ok = slots.session.is_empty() || session.1 != Named::No;
    // The root user needs no identity policy; services and anonymous callers have none.
    let identity_ok = q.who.kind == "root" || identity.1 != Named::No;
    let identity_side = !q.who.accountless() && identity_ok && boundary_ok && session_ok;
    // 3. KMS key policies must allow the caller or its account.
    let (service, _) = q.action.split_once(':').unwrap();
    let key = service.eq_ignore_ascii_case("kms")
        && q.resource.starts_with("arn:aws:kms:")
        && q.resource
            .splitn(6, ':')
            .nth(5)
            .is_some_and(|r| r.starts_with("key/"));
    let granted = resource.1;
    if key && granted == Named::No {
        return Decision::ImplicitDeny;
    }
    let same_account = q.who.accountless()
        || q.resource_account
            .as_deref()
            .is_none_or(|a| a.is_empty() || a == q.who.account);
    let allowed = if same_account {
        match granted {
            Named::Directly => true,
            Named::Anyone => session_ok || identity_side,
            Named::Role => (boundary_ok && session_ok) || identity_side,
            Named::Account | Named::No => identity_side,
        }
    } else {
        identity_side && granted != Named::No
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

// ---------------------------------------------------------------------------------------------
// Generated inputs
// ---------------------------------------------------------------------------------------------

const CALLERS: [&str; 8] = [
    "arn:aws:iam::111122223333:user/ana",
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:sts::111122223333:federated-user/fed",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:user/eve",
    "lambda.amazonaws.com",
    "anonymous",
];

const ACTIONS: [&str; 7] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "ec2:RunInstances",
    "iam:PassRole",
    "kms:Decrypt",
    "dynamodb:GetItem",
];

const RESOURCES: [&str; 8] = [
    "arn:aws:s3:::bucket/key",
    "arn:aws:s3:::bucket/ana/x",
    "arn:aws:s3:::logs/x",
    "arn:aws:s3:::bucket",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:iam::111122223333:role/app",
    "*",
];

const ACTION_PATTERNS: [&str; 11] = [
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "s3:?utObject",
    "S3:getobject",
    "ec2:*",
    "kms:*",
    "iam:Pass*",
    "*:Get*",
    "dynamodb:*Item",
];

const RESOURCE_PATTERNS: [&str; 12] = [
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::*log*",
    "arn:aws:s3:::bucket/${aws:username}/*",
    "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'ana'}/*",
    "arn:aws:s3:::b?cket*",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:kms:*:111122223333:key/*",
    "arn:aws:*:*:111122223333:*",
    "arn:aws:iam::*:role/${aws:username}",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::${*}",
];

const PRINCIPALS: [&str; 9] = [
    "*",
    "111122223333",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::111122223333:user/ana",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:sts::111122223333:federated-user/fed",
    "444455556666",
    "arn:aws:iam::444455556666:user/eve",
];

/// A context key with the values requests carry, the values policies test and the operators
/// that fit it.
struct KeySpec {
    key: &'static str,
    request: &'static [&'static str],
    policy: &'static [&'static str],
    operators: &'static [&'static str],
}

const STRING_OPS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
];

const KEYS: [KeySpec; 9] = [
    KeySpec {
        key: "aws:SourceIp",
        request: &[
            "203.0.113.5",
            "203.0.114.1",
            "2001:db8::1",
            "10.0.0.1",
            "bogus",
        ],
        policy: &["203.0.113.0/24", "2001:db8::/32", "10.0.0.1", "0.0.0.0/0"],
        operators: &["IpAddress", "NotIpAddress"],
    },
    KeySpec {
        key: "aws:PrincipalTag/team",
        request: &["red", "Red", "ana", "", "r*d"],
        policy: &[
            "red",
            "RED",
            "r*d",
            "r?d",
            "${aws:username}",
            "${aws:username, 'red'}",
            "",
            "${*}",
            "r${*}d",
        ],
        operators: STRING_OPS,
    },
    KeySpec {
        key: "aws:TagKeys",
        request: &["a", "b", "key1x", "A"],
        policy: &["a", "key1*", "b", "${aws:username}", "?"],
        operators: STRING_OPS,
    },
    KeySpec {
        key: "s3:prefix",
        request: &["home/ana/", "home/bob/", "", "home/"],
        policy: &[
            "home/${aws:username}/",
            "home/*",
            "",
            "home/${aws:username, 'x'}/*",
        ],
        operators: STRING_OPS,
    },
    KeySpec {
        key: "aws:MultiFactorAuthAge",
        request: &["10", "3600", "3601.5", "x", "-2"],
        policy: &["3600", "0", "-1.5"],
        operators: &[
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ],
    },
    KeySpec {
        key: "aws:CurrentTime",
        request: &[
            "2024-03-01T00:00:00Z",
            "1709251200",
            "2025-01-01T12:00:00Z",
            "garbage",
        ],
        policy: &["2024-03-01T00:00:00Z", "1709251199", "2030-01-01T00:00:00Z"],
        operators: &[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ],
    },
    KeySpec {
        key: "aws:SecureTransport",
        request: &["true", "false", "TRUE", "maybe"],
        policy: &["true", "false"],
        operators: &["Bool"],
    },
    KeySpec {
        key: "aws:SourceArn",
        request: &[
            "arn:aws:sns:us-east-1:111122223333:topic",
            "arn:aws:sns:us-east-1:444455556666:topic:x",
            "arn:aws:sqs:us-east-1:111122223333:ana",
            "notarn",
        ],
        policy: &[
            "arn:aws:sns:*:111122223333:*",
            "arn:aws:sns:us-east-1:*:topic",
            "*",
            "arn:aws:*:*:*:${aws:username}",
            "arn:aws:sns:*:*:t?pic",
        ],
        operators: &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
    },
    KeySpec {
        key: "aws:Missing",
        request: &[],
        policy: &["1"],
        operators: &["StringEquals", "StringNotLike", "NumericLessThan"],
    },
];

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn some_of(items: &'static [&'static str], max: usize) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::collection::vec(pick(items), 1..=max)
}

fn condition_strategy() -> impl Strategy<Value = (String, String, Value)> {
    (
        0..KEYS.len(),
        0..4usize,
        any::<bool>(),
        any::<bool>(),
        0..10u8,
    )
        .prop_flat_map(|(k, set, if_exists, use_null, op_index)| {
            let spec = &KEYS[k];
            let values = some_of(spec.policy, 2);
            values.prop_map(move |values| {
                let spec = &KEYS[k];
                if use_null && op_index < 2 {
                    let v = if op_index == 0 { "true" } else { "false" };
                    return ("Null".to_string(), spec.key.to_string(), json!(v));
                }
                let base = spec.operators[usize::from(op_index) % spec.operators.len()];
                let prefix = match set {
                    0 => "ForAllValues:",
                    1 => "ForAnyValue:",
                    _ => "",
                };
                let suffix = if if_exists { "IfExists" } else { "" };
                (
                    format!("{prefix}{base}{suffix}"),
                    spec.key.to_string(),
                    json!(values),
                )
            })
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Identity,
    Resource,
    Rcp,
}

fn statement_strategy(slot: Slot, allow_weight: u32) -> impl Strategy<Value = Value> {
    (
        prop_oneof![allow_weight => Just("Allow"), 1 => Just("Deny")],
        any::<bool>(),
        some_of(&ACTION_PATTERNS, 2),
        0..4u8,
        some_of(&RESOURCE_PATTERNS, 2),
        0..5u8,
        some_of(&PRINCIPALS, 3),
        proptest::collection::vec(condition_strategy(), 0..3),
    )
        .prop_map(
            move |(effect, not_action, actions, res_form, resources, p_form, principals, conds)| {
                let mut s = json!({"Effect": effect});
                s[if not_action { "NotAction" } else { "Action" }] = json!(actions);
                match res_form {
                    0 if slot != Slot::Identity => {}
                    1 => s["NotResource"] = json!(resources),
                    _ => s["Resource"] = json!(resources),
                }
                match slot {
                    Slot::Identity => {}
                    Slot::Rcp => s["Principal"] = json!("*"),
                    Slot::Resource => {
                        let listed = json!({"AWS": principals});
                        match p_form {
                            0 => s["Principal"] = json!("*"),
                            1 => s["NotPrincipal"] = listed,
                            2 => s["Principal"] = json!({"Service": "lambda.amazonaws.com"}),
                            _ => s["Principal"] = listed,
                        }
                    }
                }
                let mut condition = serde_json::Map::new();
                for (op, key, values) in conds {
                    let block = condition
                        .entry(op)
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .unwrap();
                    block.insert(key, values);
                }
                if !condition.is_empty() {
                    s["Condition"] = Value::Object(condition);
                }
                s
            },
        )
}

fn policy_strategy(slot: Slot, statements: std::ops::Range<usize>) -> impl Strategy<Value = Value> {
    // Long policies hold proportionally fewer denies, else some deny always applies.
    let allow_weight = if statements.start > 10 { 150 } else { 5 };
    (
        proptest::collection::vec(statement_strategy(slot, allow_weight), statements),
        prop_oneof![5 => Just(Some("2012-10-17")), 1 => Just(Some("2008-10-17")), 1 => Just(None)],
    )
        .prop_map(|(statements, version)| {
            let mut p = json!({"Statement": statements});
            if let Some(v) = version {
                p["Version"] = json!(v);
            }
            p
        })
}

/// A generated policy set, as JSON, by slot.
#[derive(Debug, Clone)]
struct Policies {
    identity: Vec<Value>,
    resource: Option<Value>,
    boundary: Option<Value>,
    session: Vec<Value>,
    scps: Vec<Value>,
    rcps: Vec<Value>,
}

fn policies_strategy(statements: std::ops::Range<usize>) -> impl Strategy<Value = Policies> {
    let id = || policy_strategy(Slot::Identity, statements.clone());
    (
        proptest::collection::vec(id(), 0..3),
        proptest::option::weighted(0.6, policy_strategy(Slot::Resource, statements.clone())),
        proptest::option::weighted(0.3, id()),
        proptest::collection::vec(id(), 0..2),
        proptest::collection::vec(id(), 0..2),
        proptest::collection::vec(policy_strategy(Slot::Rcp, statements.clone()), 0..2),
    )
        .prop_map(
            |(identity, resource, boundary, session, scps, rcps)| Policies {
                identity,
                resource,
                boundary,
                session,
                scps,
                rcps,
            },
        )
}

#[derive(Debug, Clone)]
struct Req {
    caller: &'static str,
    action: &'static str,
    resource: &'static str,
    resource_account: Option<&'static str>,
    context: Vec<(&'static str, Vec<&'static str>)>,
}

fn request_strategy() -> impl Strategy<Value = Req> {
    let context = proptest::collection::vec(
        (
            0..KEYS.len() - 1,
            proptest::collection::vec(0..5usize, 0..3),
        ),
        0..5,
    )
    .prop_map(|entries| {
        entries
            .into_iter()
            .map(|(k, picks)| {
                let spec = &KEYS[k];
                let values = picks
                    .into_iter()
                    .map(|i| spec.request[i % spec.request.len()])
                    .collect();
                (spec.key, values)
            })
            .collect::<Vec<_>>()
    });
    (
        pick(&CALLERS),
        pick(&ACTIONS),
        pick(&RESOURCES),
        prop_oneof![
            2 => Just(None),
            1 => Just(Some("111122223333")),
            1 => Just(Some("444455556666"))
        ],
        context,
    )
        .prop_map(
            |(caller, action, resource, resource_account, context)| Req {
                caller,
                action,
                resource,
                resource_account,
                context,
            },
        )
}

fn parse(v: &Value, kind: PolicyKind) -> Policy {
    policy_from_value(v, ParseOptions::unlimited(kind))
        .map_err(|e| format!("{e} in {v}"))
        .unwrap()
}

/// Evaluates `req` under `policies` with both evaluators and returns both answers.
fn both(policies: &Policies, req: &Req) -> (Decision, Decision) {
    let parse_all = |list: &[Value], kind| list.iter().map(|v| parse(v, kind)).collect::<Vec<_>>();
    let slots = Slots {
        identity: parse_all(&policies.identity, PolicyKind::Identity),
        resource: policies
            .resource
            .as_ref()
            .map(|v| parse(v, PolicyKind::Resource)),
        boundary: policies
            .boundary
            .as_ref()
            .map(|v| parse(v, PolicyKind::Boundary)),
        session: parse_all(&policies.session, PolicyKind::Session),
        scps: parse_all(&policies.scps, PolicyKind::Scp),
        rcps: parse_all(&policies.rcps, PolicyKind::Rcp),
    };
    let compile = |list: &[Policy], kind| {
        list.iter()
            .map(|p| CompiledPolicy::new("p", kind, p))
            .collect::<Vec<_>>()
    };
    let identity = compile(&slots.identity, PolicyKind::Identity);
    let resource = slots
        .resource
        .as_ref()
        .map(|p| CompiledPolicy::new("r", PolicyKind::Resource, p));
    let boundary = slots
        .boundary
        .as_ref()
        .map(|p| CompiledPolicy::new("b", PolicyKind::Boundary, p));
    let session = compile(&slots.session, PolicyKind::Session);
    let scps = compile(&slots.scps, PolicyKind::Scp);
    let rcps = compile(&slots.rcps, PolicyKind::Rcp);
    let set = PolicySet {
        identity: &identity,
        resource: resource.as_ref(),
        boundary: boundary.as_ref(),
        session: &session,
        scps: &scps,
        rcps: &rcps,
    };

    let caller = Caller::from_arn(req.caller).unwrap();
    let mut context = Context::new();
    for (key, values) in &req.context {
        context.insert(key, values.iter().map(|v| v.to_string()).collect());
    }
    caller.fill_context(&mut context, []);
    let request = Request {
        caller: &caller,
        action: req.action,
        resource: req.resource,
        resource_account: req.resource_account,
        context: &context,
    };
    let engine = decide(&request, &set);
    // The explaining path decides the same way as the fast path.
    assert_eq!(explain(&request, &set).decision, engine, "{req:?}");

    let query = Query {
        who: Who::parse(req.caller),
        action: req.action.to_string(),
        resource: req.resource.to_string(),
        resource_account: req.resource_account.map(str::to_string),
        ctx: context
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect(),
    };
    (engine, reference_decide(&query, &slots))
}

fn runner(cases: u32, seed: u8) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

/// Runs `cases` generated policy sets, each with its requests, through both evaluators; returns
/// how often each decision came out, so a test can check the cases are not all alike.
fn compare(statements: std::ops::Range<usize>, requests: usize, cases: u32, seed: u8) -> [u32; 3] {
    let counts = std::cell::Cell::new([0u32; 3]);
    let strategy = (
        policies_strategy(statements),
        proptest::collection::vec(request_strategy(), requests),
    );
    runner(cases, seed)
        .run(&strategy, |(policies, requests)| {
            for req in &requests {
                let (engine, reference) = both(&policies, req);
                prop_assert_eq!(engine, reference, "{:?}", req);
                let mut c = counts.get();
                c[engine as usize] += 1;
                counts.set(c);
            }
            Ok(())
        })
        .unwrap();
    let [allow, explicit, implicit] = counts.get();
    eprintln!("{allow} allow, {explicit} explicit deny, {implicit} implicit deny");
    counts.get()
}

#[test]
fn compiled_evaluator_agrees_with_reference() {
    let [allow, explicit, implicit] = compare(1..4, 4, 3000, 7);
    let total = allow + explicit + implicit;
    // Every outcome is well represented (each above 2%).
    for n in [allow, explicit, implicit] {
        assert!(
            n * 50 > total,
            "{allow} allow, {explicit} explicit, {implicit} implicit"
        );
    }
}

#[test]
fn compiled_evaluator_agrees_with_reference_on_large_policies() {
    let [allow, explicit, implicit] = compare(150..400, 20, 12, 11);
    // Large policies deny explicitly most of the time; the others must still occur.
    assert!(
        allow > 0 && implicit > 0 && explicit > 0,
        "{allow} allow, {explicit} explicit, {implicit} implicit"
    );
}

/// The reference agrees with AWS's documented answers on a few fixed cases, so the comparison
/// above is not against a reference that is wrong in the same way.
#[test]
fn reference_matches_documented_cases() {
    let carlos = Policies {
        identity: vec![json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"}]})],
        resource: None,
        boundary: None,
        session: vec![],
        scps: vec![],
        rcps: vec![],
    };
    let req = |resource| Req {
        caller: "arn:aws:iam::111122223333:user/ana",
        action: "s3:GetObject",
        resource,
        resource_account: None,
        context: vec![],
    };
    assert_eq!(
        both(&carlos, &req("arn:aws:s3:::bucket/key")),
        (Decision::Allow, Decision::Allow)
    );
    assert_eq!(
        both(&carlos, &req("arn:aws:s3:::logs/x")),
        (Decision::ExplicitDeny, Decision::ExplicitDeny)
    );
    assert_eq!(
        both(
            &carlos,
            &req("arn:aws:ec2:us-east-1:111122223333:instance/i-1")
        ),
        (Decision::ImplicitDeny, Decision::ImplicitDeny)
    );
}

// ---------------------------------------------------------------------------------------------
// The wildcard matcher against the naive one
// ---------------------------------------------------------------------------------------------

/// Renders tokens back into policy text.
fn render(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(|t| match t {
            Token::Lit(s) => s
                .replace('$', "${$}")
                .replace('*', "${*}")
                .replace('?', "${?}"),
            Token::Star => "*".to_string(),
            Token::Question => "?".to_string(),
            Token::Var { key, default } => match default {
                Some(d) => format!("${{{key}, '{d}'}}"),
                None => format!("${{{key}}}"),
            },
        })
        .collect()
}

#[test]
fn wildcard_matcher_agrees_with_naive_recursion() {
    let alphabet = &[
        "a", "b", "A", "é", "*", "?", "${*}", "${?}", "${$}", "$", ":",
    ];
    let text_alphabet = &["a", "b", "A", "é", "*", "?", "$", ":"];
    let strategy = (
        proptest::collection::vec(proptest::sample::select(alphabet), 0..8),
        proptest::collection::vec(proptest::sample::select(text_alphabet), 0..10),
        any::<bool>(),
    );
    let syntax = Syntax {
        wildcards: true,
        variables: true,
    };
    let none = Context::new();
    let empty = Ctx::new();
    runner(4000, 3)
        .run(&strategy, |(pattern, text, ignore_case)| {
            let pattern: String = pattern.concat();
            let text: String = text.concat();
            let compiled = Pattern::parse(&pattern, syntax).unwrap();
            let got = compiled.matches(&text, ignore_case, &none) == mudroom_policy::Matched::Yes;
            let naive = expand(&pattern, true, true, &empty).unwrap();
            let want = wild(&naive, &text.chars().collect::<Vec<_>>(), ignore_case);
            prop_assert_eq!(got, want, "`{}` vs `{}`", pattern, text);
            // Rendering the tokens back to text and reading them again gives the same pattern.
            let again = Pattern::parse(&render(compiled.tokens()), syntax).unwrap();
            prop_assert_eq!(again.tokens(), compiled.tokens());
            Ok(())
        })
        .unwrap();
}

#[test]
fn wildcard_matcher_with_variables_agrees_with_naive_recursion() {
    let alphabet = &[
        "a",
        "*",
        "?",
        "${aws:username}",
        "${aws:PrincipalTag/team, 'a*'}",
        "${aws:missing}",
        "b",
    ];
    let strategy = (
        proptest::collection::vec(proptest::sample::select(alphabet), 0..6),
        proptest::collection::vec(proptest::sample::select(&["a", "b", "*", "x"]), 0..8),
        proptest::option::of(proptest::sample::select(&["a", "ab", "*", ""])),
    );
    let syntax = Syntax {
        wildcards: true,
        variables: true,
    };
    runner(3000, 5)
        .run(&strategy, |(pattern, text, username)| {
            let pattern: String = pattern.concat();
            let text: String = text.concat();
            let mut ctx = Context::new();
            if let Some(u) = username {
                ctx.set("aws:username", u);
            }
            let map: Ctx = ctx
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_vec()))
                .collect();
            let compiled = Pattern::parse(&pattern, syntax).unwrap();
            let got = compiled.matches(&text, false, &ctx);
            match expand(&pattern, true, true, &map) {
                None => prop_assert_eq!(got, mudroom_policy::Matched::Unresolved),
                Some(naive) => {
                    let want = wild(&naive, &text.chars().collect::<Vec<_>>(), false);
                    prop_assert_eq!(got == mudroom_policy::Matched::Yes, want);
                }
            }
            Ok(())
        })
        .unwrap();
}
