//! Reading policy JSON into a validated [`Policy`], with AWS's rules for each slot a policy can
//! fill and AWS's size limits.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::arn::{ArnPattern, check_resource_text};
use crate::condition::{CompiledCondition, Operator};
use crate::error::PolicyError;
use crate::model::{
    Block, Condition, Effect, Policy, PrincipalKind, Principals, Statement, Version,
};
use crate::pattern::Syntax;

/// The slot a policy fills: each has its own rules for `Principal` and `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role (managed or inline): no `Principal`.
    Identity,
    /// Attached to a resource (bucket, secret, key, queue): needs `Principal`.
    Resource,
    /// A role's trust policy: needs `Principal`, has no `Resource`.
    Trust,
    /// A permissions boundary: no `Principal`.
    Boundary,
    /// A session policy passed to `AssumeRole`: no `Principal`.
    Session,
    /// A service control policy: no `Principal`.
    Scp,
    /// A resource control policy: `Principal` must be `"*"`.
    Rcp,
}

impl PolicyKind {
    /// A lowercase name for messages.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Resource => "resource policy",
            PolicyKind::Trust => "trust policy",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::Scp => "service control policy",
            PolicyKind::Rcp => "resource control policy",
        }
    }

    /// AWS's default size limit, in characters not counting whitespace.
    pub fn default_limit(self) -> usize {
        match self {
            // Customer managed policy; inline role policies allow 10,240, user 2,048, group 5,120.
            PolicyKind::Identity | PolicyKind::Boundary => 6_144,
            // Secrets Manager's resource policy limit; S3 allows 20 KB, KMS 32 KB.
            PolicyKind::Resource => 20_480,
            // The default role trust policy quota (raisable to 4,096).
            PolicyKind::Trust => 2_048,
            // Plain-text session policy limit of AssumeRole.
            PolicyKind::Session => 2_048,
            PolicyKind::Scp | PolicyKind::Rcp => 5_120,
        }
    }
}

/// The largest document read at all, whatever the limits: a bound on work, not an AWS rule.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// How to read a policy.
#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    /// The slot the policy fills.
    pub kind: PolicyKind,
    /// Size limit in characters not counting whitespace; `None` for no limit (AWS managed
    /// policies are not bound by the customer limits).
    pub max_chars: Option<usize>,
}

impl ParseOptions {
    /// The slot's rules with AWS's default limit.
    pub fn new(kind: PolicyKind) -> Self {
        Self {
            kind,
            max_chars: Some(kind.default_limit()),
        }
    }

    /// The slot's rules without a size limit.
    pub fn unlimited(kind: PolicyKind) -> Self {
        Self {
            kind,
            max_chars: None,
        }
    }
}

/// Reads and validates a policy from JSON text.
pub fn parse_policy(text: &str, options: ParseOptions) -> Result<Policy, PolicyError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(PolicyError::new(
            "",
            format!("document is larger than {MAX_DOCUMENT_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        PolicyError::new(
            "",
            format!(
                "not valid JSON: {} at line {} column {}",
                json_reason(&e),
                e.line(),
                e.column()
            ),
        )
    })?;
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    check_size(chars, options)?;
    from_value_unsized(&value, options)
}

fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or_default().to_string(),
        None => text,
    }
}

/// Validates a policy already read as JSON.
pub fn policy_from_value(value: &Value, options: ParseOptions) -> Result<Policy, PolicyError> {
    let compact = value.to_string();
    let chars = compact.chars().filter(|c| !c.is_whitespace()).count();
    check_size(chars, options)?;
    from_value_unsized(value, options)
}

fn check_size(chars: usize, options: ParseOptions) -> Result<(), PolicyError> {
    match options.max_chars {
        Some(limit) if chars > limit => Err(PolicyError::new(
            "",
            format!(
                "{} is {chars} characters without whitespace, over the limit of {limit}",
                options.kind.name()
            ),
        )),
        _ => Ok(()),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn from_value_unsized(value: &Value, options: ParseOptions) -> Result<Policy, PolicyError> {
    let Value::Object(doc) = value else {
        return Err(PolicyError::new(
            "",
            format!("a policy must be a JSON object, not {}", type_name(value)),
        ));
    };
    for key in doc.keys() {
        if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
            return Err(PolicyError::new(
                key.clone(),
                format!("unknown element `{key}`"),
            ));
        }
    }
    let version = match doc.get("Version") {
        None => Version::V2008,
        Some(Value::String(v)) if v == "2012-10-17" => Version::V2012,
        Some(Value::String(v)) if v == "2008-10-17" => Version::V2008,
        Some(Value::String(v)) => {
            return Err(PolicyError::new(
                "Version",
                format!("unknown version `{v}`: use `2012-10-17`"),
            ));
        }
        Some(other) => {
            return Err(PolicyError::new(
                "Version",
                format!("must be a string, not {}", type_name(other)),
            ));
        }
    };
    let id = match doc.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PolicyError::new(
                "Id",
                format!("must be a string, not {}", type_name(other)),
            ));
        }
    };
    let raw: Vec<(String, &Map<String, Value>)> = match doc.get("Statement") {
        None => return Err(PolicyError::new("", "missing element `Statement`")),
        Some(Value::Object(one)) => vec![("Statement".to_string(), one)],
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, s)| match s {
                Value::Object(o) => Ok((format!("Statement[{i}]"), o)),
                other => Err(PolicyError::new(
                    format!("Statement[{i}]"),
                    format!("a statement must be an object, not {}", type_name(other)),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(PolicyError::new(
                "Statement",
                format!("must be an object or an array, not {}", type_name(other)),
            ));
        }
    };
    let mut statements = Vec::with_capacity(raw.len());
    let mut sids = HashSet::new();
    for (index, (path, obj)) in raw.into_iter().enumerate() {
        let statement = statement(obj, &path, index, version, options.kind)?;
        if let Some(sid) = statement.sid.as_deref().filter(|s| !s.is_empty())
            && !sids.insert(sid.to_string())
        {
            return Err(PolicyError::new(
                format!("{path}.Sid"),
                format!("duplicate Sid `{sid}`"),
            ));
        }
        statements.push(statement);
    }
    Ok(Policy {
        version,
        id,
        statements,
    })
}

fn statement(
    obj: &Map<String, Value>,
    path: &str,
    index: usize,
    version: Version,
    kind: PolicyKind,
) -> Result<Statement, PolicyError> {
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(PolicyError::new(
                format!("{path}.{key}"),
                format!("unknown element `{key}`"),
            ));
        }
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(PolicyError::new(
                format!("{path}.Sid"),
                format!("must be a string, not {}", type_name(other)),
            ));
        }
    };
    let effect = match obj.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(Value::String(e)) => {
            return Err(PolicyError::new(
                format!("{path}.Effect"),
                format!("must be `Allow` or `Deny`, not `{e}`"),
            ));
        }
        Some(other) => {
            return Err(PolicyError::new(
                format!("{path}.Effect"),
                format!("must be a string, not {}", type_name(other)),
            ));
        }
        None => return Err(PolicyError::new(path, "missing element `Effect`")),
    };

    let principal = pair(obj, path, "Principal", "NotPrincipal")?
        .map(|(block, key, v)| principals(v, &format!("{path}.{key}")).map(block))
        .transpose()?;
    match kind {
        PolicyKind::Resource | PolicyKind::Trust if principal.is_none() => {
            return Err(PolicyError::new(
                path,
                format!("a {} needs `Principal` or `NotPrincipal`", kind.name()),
            ));
        }
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session | PolicyKind::Scp
            if principal.is_some() =>
        {
            let key = if obj.contains_key("Principal") {
                "Principal"
            } else {
                "NotPrincipal"
            };
            return Err(PolicyError::new(
                format!("{path}.{key}"),
                format!("a {} cannot name a principal", kind.name()),
            ));
        }
        PolicyKind::Trust if obj.contains_key("NotPrincipal") => {
            return Err(PolicyError::new(
                format!("{path}.NotPrincipal"),
                "a trust policy cannot use `NotPrincipal`: name the principals in `Principal`",
            ));
        }
        PolicyKind::Rcp => match &principal {
            Some(Block::Is(Principals::Any)) => {}
            Some(Block::Is(Principals::Listed(list)))
                if list
                    .iter()
                    .all(|(k, v)| *k == PrincipalKind::Aws && v == "*") => {}
            _ => {
                return Err(PolicyError::new(
                    format!("{path}.Principal"),
                    "a resource control policy must have `\"Principal\": \"*\"`",
                ));
            }
        },
        _ => {}
    }

    let action = pair(obj, path, "Action", "NotAction")?
        .map(|(block, key, v)| {
            let p = format!("{path}.{key}");
            let list = string_list(v, &p)?;
            for (i, a) in list.iter().enumerate() {
                check_action(a).map_err(|m| PolicyError::new(item_path(&p, v, i), m))?;
            }
            Ok::<_, PolicyError>(block(list))
        })
        .transpose()?;
    if action.is_none() {
        return Err(PolicyError::new(
            path,
            "missing element `Action` or `NotAction`",
        ));
    }

    let resource = pair(obj, path, "Resource", "NotResource")?
        .map(|(block, key, v)| {
            let p = format!("{path}.{key}");
            let list = string_list(v, &p)?;
            for (i, r) in list.iter().enumerate() {
                let ip = item_path(&p, v, i);
                check_resource_text(r).map_err(|m| PolicyError::new(ip.clone(), m))?;
                ArnPattern::parse_resource(r, Syntax::for_version(version, true))
                    .map_err(|m| PolicyError::new(ip, m))?;
            }
            Ok::<_, PolicyError>(block(list))
        })
        .transpose()?;
    match kind {
        PolicyKind::Trust if resource.is_some() => {
            let key = if obj.contains_key("Resource") {
                "Resource"
            } else {
                "NotResource"
            };
            return Err(PolicyError::new(
                format!("{path}.{key}"),
                "a trust policy has no `Resource`: the role is the resource",
            ));
        }
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session if resource.is_none() => {
            return Err(PolicyError::new(
                path,
                "missing element `Resource` or `NotResource`",
            ));
        }
        _ => {}
    }

    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(v) => conditions(v, &format!("{path}.Condition"), version)?,
    };
    Ok(Statement {
        sid,
        index,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

type Wrap<T> = fn(T) -> Block<T>;

/// The positive or negative form of an element; both at once is an error.
#[expect(
    clippy::type_complexity,
    reason = "a private helper returning its parts"
)]
fn pair<'a, T>(
    obj: &'a Map<String, Value>,
    path: &str,
    is: &'static str,
    not: &'static str,
) -> Result<Option<(Wrap<T>, &'static str, &'a Value)>, PolicyError> {
    match (obj.get(is), obj.get(not)) {
        (Some(_), Some(_)) => Err(PolicyError::new(
            path,
            format!("a statement cannot have both `{is}` and `{not}`"),
        )),
        (Some(v), None) => Ok(Some((Block::Is as Wrap<T>, is, v))),
        (None, Some(v)) => Ok(Some((Block::Not as Wrap<T>, not, v))),
        (None, None) => Ok(None),
    }
}

fn item_path(path: &str, v: &Value, i: usize) -> String {
    if v.is_array() {
        format!("{path}[{i}]")
    } else {
        path.to_string()
    }
}

fn string_list(v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) if s.is_empty() => Err(PolicyError::new(path, "must not be empty")),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if a.is_empty() => {
            Err(PolicyError::new(path, "must not be an empty array"))
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if s.is_empty() => Err(PolicyError::new(
                    format!("{path}[{i}]"),
                    "must not be empty",
                )),
                Value::String(s) => Ok(s.clone()),
                other => Err(PolicyError::new(
                    format!("{path}[{i}]"),
                    format!("must be a string, not {}", type_name(other)),
                )),
            })
            .collect(),
        other => Err(PolicyError::new(
            path,
            format!(
                "must be a string or an array of strings, not {}",
                type_name(other)
            ),
        )),
    }
}

/// `*`, or `service:Action` with wildcards in the action part.
fn check_action(a: &str) -> Result<(), String> {
    if a == "*" {
        return Ok(());
    }
    let Some((service, name)) = a.split_once(':') else {
        return Err(format!("action `{a}` must be `service:Action` or `*`"));
    };
    if service.is_empty()
        || !service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?' || c == '_')
    {
        return Err(format!(
            "action `{a}` has an invalid service prefix `{service}`"
        ));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?' || c == '-' || c == '_')
    {
        return Err(format!("action `{a}` has an invalid action name `{name}`"));
    }
    Ok(())
}

fn principals(v: &Value, path: &str) -> Result<Principals, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(Principals::Any),
        Value::Object(map) => {
            if map.is_empty() {
                return Err(PolicyError::new(path, "must name at least one principal"));
            }
            let mut out = Vec::new();
            for (key, values) in map {
                let kind = match key.as_str() {
                    "AWS" => PrincipalKind::Aws,
                    "Service" => PrincipalKind::Service,
                    "Federated" => PrincipalKind::Federated,
                    "CanonicalUser" => PrincipalKind::CanonicalUser,
                    other => {
                        return Err(PolicyError::new(
                            format!("{path}.{other}"),
                            format!(
                                "unknown principal type `{other}`: use `AWS`, `Service`, `Federated` or `CanonicalUser`"
                            ),
                        ));
                    }
                };
                let p = format!("{path}.{key}");
                for (i, value) in string_list(values, &p)?.into_iter().enumerate() {
                    check_principal(kind, &value)
                        .map_err(|m| PolicyError::new(item_path(&p, values, i), m))?;
                    out.push((kind, value));
                }
            }
            Ok(Principals::Listed(out))
        }
        Value::String(s) => Err(PolicyError::new(
            path,
            format!(
                "`{s}` is not a principal: use `\"*\"` or an object like `{{\"AWS\": \"...\"}}`"
            ),
        )),
        other => Err(PolicyError::new(
            path,
            format!("must be `\"*\"` or an object, not {}", type_name(other)),
        )),
    }
}

fn check_principal(kind: PrincipalKind, value: &str) -> Result<(), String> {
    match kind {
        PrincipalKind::Aws => {
            if value == "*"
                || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()))
                || is_unique_id(value)
            {
                return Ok(());
            }
            let Some(arn) = crate::arn::Arn::parse(value) else {
                return Err(format!(
                    "`{value}` is not an account id, an IAM or STS ARN, or `*`"
                ));
            };
            let account_ok =
                arn.account.len() == 12 && arn.account.bytes().all(|b| b.is_ascii_digit());
            let resource_ok = match arn.service {
                "iam" => {
                    arn.resource == "root"
                        || ["user/", "role/", "federated-user/"]
                            .iter()
                            .any(|p| arn.resource.strip_prefix(p).is_some_and(|n| !n.is_empty()))
                }
                "sts" => ["assumed-role/", "federated-user/"]
                    .iter()
                    .any(|p| arn.resource.strip_prefix(p).is_some_and(|n| !n.is_empty())),
                _ => false,
            };
            if !account_ok || !resource_ok || value.contains('*') || value.contains('?') {
                return Err(format!(
                    "`{value}` is not a valid principal: expected `arn:aws:iam::ACCOUNT:root`, a user, role or session ARN, without wildcards"
                ));
            }
            Ok(())
        }
        PrincipalKind::Service => {
            if value == "*" || (value.contains('.') && !value.contains(char::is_whitespace)) {
                Ok(())
            } else {
                Err(format!(
                    "`{value}` is not a service principal like `lambda.amazonaws.com`"
                ))
            }
        }
        PrincipalKind::Federated => {
            if value.contains(char::is_whitespace) {
                Err(format!("`{value}` is not a federated principal"))
            } else {
                Ok(())
            }
        }
        PrincipalKind::CanonicalUser => {
            if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(())
            } else {
                Err(format!(
                    "`{value}` is not a canonical user id (64 hex digits)"
                ))
            }
        }
    }
}

/// IAM unique ids (`AIDA...`, `AROA...`), which AWS shows for deleted principals.
fn is_unique_id(value: &str) -> bool {
    value.len() >= 16
        && ["AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ASIA", "AKIA"]
            .iter()
            .any(|p| value.starts_with(p))
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn conditions(v: &Value, path: &str, version: Version) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = v else {
        return Err(PolicyError::new(
            path,
            format!("must be an object, not {}", type_name(v)),
        ));
    };
    let mut out = Vec::new();
    for (op_text, block) in ops {
        let op_path = format!("{path}.{op_text}");
        let operator = Operator::parse(op_text).ok_or_else(|| {
            PolicyError::new(&op_path, format!("unknown condition operator `{op_text}`"))
        })?;
        let Value::Object(keys) = block else {
            return Err(PolicyError::new(
                op_path,
                format!(
                    "must be an object of condition keys, not {}",
                    type_name(block)
                ),
            ));
        };
        if keys.is_empty() {
            return Err(PolicyError::new(
                op_path,
                "must hold at least one condition key",
            ));
        }
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(PolicyError::new(
                    key_path,
                    format!("invalid condition key `{key}`"),
                ));
            }
            let values: Vec<String> = match values {
                Value::Array(a) if a.is_empty() => {
                    return Err(PolicyError::new(key_path, "must not be an empty array"));
                }
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        scalar_text(item).ok_or_else(|| {
                            PolicyError::new(
                                format!("{key_path}[{i}]"),
                                format!(
                                    "must be a string, number or boolean, not {}",
                                    type_name(item)
                                ),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
                other => vec![scalar_text(other).ok_or_else(|| {
                    PolicyError::new(
                        &key_path,
                        format!(
                            "must be a string, number, boolean or an array of them, not {}",
                            type_name(other)
                        ),
                    )
                })?],
            };
            CompiledCondition::compile(operator, key, &values, version)
                .map_err(|m| PolicyError::new(&key_path, m))?;
            out.push(Condition {
                operator,
                operator_text: op_text.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}
