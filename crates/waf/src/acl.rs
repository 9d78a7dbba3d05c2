//! Web ACLs in AWS WAFv2's JSON shape: parsing (with a JSON path and a reason for every error)
//! and evaluation.
//!
//! mudroom extensions to the shape, each documented in `docs/waf.md`:
//! - a top-level `IPSets` list (`Name`, optional `ARN`, `Addresses`) that
//!   `IPSetReferenceStatement.ARN` refers to by ARN or name;
//! - the field `BodyArguments` (form fields, JSON string leaves and multipart parts of the body);
//! - `MatchScope` (`KEY`, `VALUE`, `ALL`) on `AllQueryArguments`.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;

use ipnet::IpNet;
use regex::bytes::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use crate::request::{Request, parse_args};
use crate::transform::{Transform, apply_all};
use crate::{sqli, xss};

/// A bad web ACL or rule group: where (a JSON path such as `$.Rules[2].Statement`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct AclError {
    /// The JSON path of the offending value.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

fn err<T>(path: &str, reason: impl Into<String>) -> Result<T, AclError> {
    Err(AclError {
        path: path.to_owned(),
        reason: reason.into(),
    })
}

/// A custom response for a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomResponse {
    /// The status code (default 403).
    pub status: u16,
    /// Headers to add.
    pub headers: Vec<(String, String)>,
    /// The body (from `CustomResponseBodies`), with its content type.
    pub body: Option<(String, String)>,
}

/// A rule or default action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Let the request through and stop evaluating.
    Allow,
    /// Refuse the request (403 unless a custom response says otherwise) and stop evaluating.
    Block(Option<CustomResponse>),
    /// Record the match, add the labels and go on.
    Count,
}

impl Action {
    /// `ALLOW`, `BLOCK` or `COUNT`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Allow => "ALLOW",
            Action::Block(_) => "BLOCK",
            Action::Count => "COUNT",
        }
    }
}

/// The outcome of inspecting one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The terminating action (the default action when no rule terminated).
    pub action: Action,
    /// The terminating rule (`rule` or `group-rule/managed-rule`), `None` for the default action.
    pub rule: Option<String>,
    /// The labels added while evaluating, in order.
    pub labels: Vec<String>,
    /// The rules that matched with a `Count` action, in order.
    pub counted: Vec<String>,
}

/// Where a statement looks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    UriPath,
    QueryString,
    Method,
    Body {
        oversize: Oversize,
    },
    BodyArguments,
    JsonBody {
        scope: Scope,
        paths: Option<Vec<String>>,
        oversize: Oversize,
    },
    SingleHeader(String),
    SingleQueryArgument(String),
    AllQueryArguments(Scope),
    Headers {
        pattern: Pattern,
        scope: Scope,
        oversize: Oversize,
    },
    Cookies {
        pattern: Pattern,
        scope: Scope,
        oversize: Oversize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Oversize {
    Continue,
    Match,
    NoMatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Key,
    Value,
    All,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    All,
    Included(Vec<String>),
    Excluded(Vec<String>),
}

impl Pattern {
    fn admits(&self, name: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Included(v) => v.iter().any(|n| n.eq_ignore_ascii_case(name)),
            Pattern::Excluded(v) => !v.iter().any(|n| n.eq_ignore_ascii_case(name)),
        }
    }
}

/// A field and the transformations applied to it.
#[derive(Debug, Clone)]
struct Target {
    field: Field,
    chain: Vec<Transform>,
    /// Cache key: equal for equal field and chain.
    key: String,
    /// A hash of `key`.
    hash: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Exactly,
    StartsWith,
    EndsWith,
    Contains,
    ContainsWord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
}

#[derive(Debug, Clone)]
struct ForwardedIp {
    header: String,
    fallback_match: bool,
}

#[derive(Debug, Clone)]
enum Statement {
    ByteMatch {
        target: Target,
        needle: Vec<u8>,
        position: Position,
    },
    Regex {
        target: Target,
        regex: Regex,
    },
    Sqli {
        target: Target,
        high: bool,
    },
    Xss {
        target: Target,
    },
    Size {
        target: Target,
        cmp: Cmp,
        size: u64,
    },
    IpSet {
        nets: Arc<Vec<IpNet>>,
        forwarded: Option<ForwardedIp>,
    },
    Label {
        namespace: bool,
        key: String,
    },
    And(Vec<Statement>),
    Or(Vec<Statement>),
    Not(Box<Statement>),
}

#[derive(Debug, Clone)]
enum RuleKind {
    Plain {
        statement: Statement,
        action: Action,
    },
    Group {
        group: Arc<RuleGroup>,
        excluded: Vec<String>,
        overrides: Vec<(String, Action)>,
        scope_down: Option<Statement>,
        count_all: bool,
    },
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    priority: i64,
    kind: RuleKind,
    labels: Vec<String>,
}

/// A rule group (mudroom's managed groups are rule groups shipped with the crate).
#[derive(Debug, Clone)]
pub struct RuleGroup {
    name: String,
    namespace: String,
    rules: Vec<Rule>,
    descriptions: Vec<(String, String)>,
}

impl RuleGroup {
    /// Parses a rule group: `Name`, `LabelNamespace`, and `Rules` (each with `Name`, `Priority`,
    /// `Action`, `Statement` and a `Description` of its purpose).
    ///
    /// # Errors
    /// An [`AclError`] with the JSON path of the first problem.
    pub fn from_json(text: &str) -> Result<RuleGroup, AclError> {
        let v: Value =
            serde_json::from_str(text).or_else(|e| err("$", format!("invalid JSON: {e}")))?;
        let ctx = Ctx {
            ip_sets: HashMap::new(),
            groups: HashMap::new(),
            acl_name: String::new(),
            bodies: HashMap::new(),
        };
        let o = obj(&v, "$")?;
        let name = string(o, "Name", "$")?.to_owned();
        let namespace = match o.get("LabelNamespace") {
            Some(n) => str_of(n, "$.LabelNamespace")?.to_owned(),
            None => format!("mudroom:managed:{name}:"),
        };
        let (rules, descriptions) = parse_rules(&ctx, o, "$", true)?;
        Ok(RuleGroup {
            name,
            namespace,
            rules,
            descriptions,
        })
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Each rule's name, label and documented purpose, in evaluation order.
    pub fn rules(&self) -> impl Iterator<Item = (&str, String, &str)> {
        self.descriptions
            .iter()
            .map(|(n, d)| (n.as_str(), format!("{}{n}", self.namespace), d.as_str()))
    }
}

/// A web ACL ready to inspect requests.
#[derive(Debug, Clone)]
pub struct WebAcl {
    name: String,
    default_action: Action,
    rules: Vec<Rule>,
}

struct Ctx {
    ip_sets: HashMap<String, Arc<Vec<IpNet>>>,
    groups: HashMap<String, Arc<RuleGroup>>,
    acl_name: String,
    bodies: HashMap<String, (String, String)>,
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, AclError> {
    v.as_object()
        .map_or_else(|| err(path, "expected an object"), Ok)
}

fn str_of<'a>(v: &'a Value, path: &str) -> Result<&'a str, AclError> {
    v.as_str()
        .map_or_else(|| err(path, "expected a string"), Ok)
}

fn get<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value, AclError> {
    o.get(key)
        .map_or_else(|| err(path, format!("missing `{key}`")), Ok)
}

fn string<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, AclError> {
    str_of(get(o, key, path)?, &format!("{path}.{key}"))
}

fn array<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a [Value], AclError> {
    get(o, key, path)?.as_array().map_or_else(
        || err(&format!("{path}.{key}"), "expected an array"),
        |a| Ok(a.as_slice()),
    )
}

/// The single key of an object such as `{"Allow": {}}`.
fn single<'a>(v: &'a Value, path: &str) -> Result<(&'a str, &'a Value), AclError> {
    let o = obj(v, path)?;
    let mut it = o.iter();
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        _ => err(path, "expected an object with exactly one key"),
    }
}

fn parse_action(
    v: &Value,
    path: &str,
    bodies: &HashMap<String, (String, String)>,
) -> Result<Action, AclError> {
    let (k, inner) = single(v, path)?;
    let p = format!("{path}.{k}");
    match k {
        "Allow" => Ok(Action::Allow),
        "Count" => Ok(Action::Count),
        "Block" => {
            let o = obj(inner, &p)?;
            let Some(cr) = o.get("CustomResponse") else {
                return Ok(Action::Block(None));
            };
            let cp = format!("{p}.CustomResponse");
            let co = obj(cr, &cp)?;
            let status = get(co, "ResponseCode", &cp)?
                .as_u64()
                .filter(|c| (200..=599).contains(c))
                .map_or_else(
                    || {
                        err(
                            &format!("{cp}.ResponseCode"),
                            "expected a status code from 200 to 599",
                        )
                    },
                    Ok,
                )?;
            let mut headers = Vec::new();
            if co.contains_key("ResponseHeaders") {
                for (i, h) in array(co, "ResponseHeaders", &cp)?.iter().enumerate() {
                    let hp = format!("{cp}.ResponseHeaders[{i}]");
                    let ho = obj(h, &hp)?;
                    headers.push((
                        string(ho, "Name", &hp)?.to_owned(),
                        string(ho, "Value", &hp)?.to_owned(),
                    ));
                }
            }
            let body = match co.get("CustomResponseBodyKey") {
                Some(k) => {
                    let kp = format!("{cp}.CustomResponseBodyKey");
                    let key = str_of(k, &kp)?;
                    match bodies.get(key) {
                        Some(b) => Some(b.clone()),
                        None => return err(&kp, format!("no custom response body `{key}`")),
                    }
                }
                None => None,
            };
            Ok(Action::Block(Some(CustomResponse {
                status: u16::try_from(status).unwrap_or(403),
                headers,
                body,
            })))
        }
        "Captcha" | "Challenge" => err(&p, format!("action `{k}` is not supported")),
        other => err(path, format!("unknown action `{other}`")),
    }
}

fn parse_oversize(o: &Map<String, Value>, path: &str) -> Result<Oversize, AclError> {
    match o.get("OversizeHandling") {
        None => Ok(Oversize::Continue),
        Some(v) => match str_of(v, &format!("{path}.OversizeHandling"))? {
            "CONTINUE" => Ok(Oversize::Continue),
            "MATCH" => Ok(Oversize::Match),
            "NO_MATCH" => Ok(Oversize::NoMatch),
            other => err(
                &format!("{path}.OversizeHandling"),
                format!("unknown oversize handling `{other}`"),
            ),
        },
    }
}

fn parse_scope(o: &Map<String, Value>, path: &str, default: Scope) -> Result<Scope, AclError> {
    match o.get("MatchScope") {
        None => Ok(default),
        Some(v) => match str_of(v, &format!("{path}.MatchScope"))? {
            "KEY" => Ok(Scope::Key),
            "VALUE" => Ok(Scope::Value),
            "ALL" => Ok(Scope::All),
            other => err(
                &format!("{path}.MatchScope"),
                format!("unknown match scope `{other}`"),
            ),
        },
    }
}

fn strings(v: &Value, path: &str) -> Result<Vec<String>, AclError> {
    let a = v
        .as_array()
        .map_or_else(|| err(path, "expected an array of strings"), Ok)?;
    a.iter()
        .enumerate()
        .map(|(i, s)| str_of(s, &format!("{path}[{i}]")).map(str::to_owned))
        .collect()
}

fn parse_pattern(o: &Map<String, Value>, path: &str, which: &str) -> Result<Pattern, AclError> {
    let po = obj(
        get(o, "MatchPattern", path)?,
        &format!("{path}.MatchPattern"),
    )?;
    let pp = format!("{path}.MatchPattern");
    if po.contains_key("All") {
        return Ok(Pattern::All);
    }
    let inc = format!("Included{which}");
    let exc = format!("Excluded{which}");
    if let Some(v) = po.get(&inc) {
        return Ok(Pattern::Included(strings(v, &format!("{pp}.{inc}"))?));
    }
    if let Some(v) = po.get(&exc) {
        return Ok(Pattern::Excluded(strings(v, &format!("{pp}.{exc}"))?));
    }
    err(&pp, format!("expected `All`, `{inc}` or `{exc}`"))
}

fn parse_field(v: &Value, path: &str) -> Result<Field, AclError> {
    let (k, inner) = single(v, path)?;
    let p = format!("{path}.{k}");
    let o = obj(inner, &p)?;
    Ok(match k {
        "UriPath" => Field::UriPath,
        "QueryString" => Field::QueryString,
        "Method" => Field::Method,
        "Body" => Field::Body {
            oversize: parse_oversize(o, &p)?,
        },
        "BodyArguments" => Field::BodyArguments,
        "JsonBody" => {
            let scope = parse_scope(o, &p, Scope::Value)?;
            let po = obj(get(o, "MatchPattern", &p)?, &format!("{p}.MatchPattern"))?;
            let paths = match po.get("IncludedPaths") {
                Some(v) => Some(strings(v, &format!("{p}.MatchPattern.IncludedPaths"))?),
                None if po.contains_key("All") => None,
                None => {
                    return err(
                        &format!("{p}.MatchPattern"),
                        "expected `All` or `IncludedPaths`",
                    );
                }
            };
            Field::JsonBody {
                scope,
                paths,
                oversize: parse_oversize(o, &p)?,
            }
        }
        "SingleHeader" => Field::SingleHeader(string(o, "Name", &p)?.to_ascii_lowercase()),
        "SingleQueryArgument" => Field::SingleQueryArgument(string(o, "Name", &p)?.to_owned()),
        "AllQueryArguments" => Field::AllQueryArguments(parse_scope(o, &p, Scope::Value)?),
        "Headers" => Field::Headers {
            pattern: parse_pattern(o, &p, "Headers")?,
            scope: parse_scope(o, &p, Scope::All)?,
            oversize: parse_oversize(o, &p)?,
        },
        "Cookies" => Field::Cookies {
            pattern: parse_pattern(o, &p, "Cookies")?,
            scope: parse_scope(o, &p, Scope::All)?,
            oversize: parse_oversize(o, &p)?,
        },
        other => return err(path, format!("unknown field to match `{other}`")),
    })
}

fn parse_target(o: &Map<String, Value>, path: &str) -> Result<Target, AclError> {
    let field = parse_field(
        get(o, "FieldToMatch", path)?,
        &format!("{path}.FieldToMatch"),
    )?;
    let mut steps: Vec<(i64, Transform)> = Vec::new();
    if o.contains_key("TextTransformations") {
        for (i, t) in array(o, "TextTransformations", path)?.iter().enumerate() {
            let tp = format!("{path}.TextTransformations[{i}]");
            let to = obj(t, &tp)?;
            let prio = get(to, "Priority", &tp)?
                .as_i64()
                .map_or_else(|| err(&format!("{tp}.Priority"), "expected an integer"), Ok)?;
            let ty = string(to, "Type", &tp)?;
            let tr = Transform::from_name(ty).or_else(|r| err(&format!("{tp}.Type"), r))?;
            if steps.iter().any(|(p, _)| *p == prio) {
                return err(
                    &format!("{tp}.Priority"),
                    format!("duplicate transformation priority {prio}"),
                );
            }
            steps.push((prio, tr));
        }
    }
    steps.sort_by_key(|(p, _)| *p);
    let chain: Vec<Transform> = steps.into_iter().map(|(_, t)| t).collect();
    let key = format!("{field:?}|{chain:?}");
    // FNV-1a: a fixed, cheap hash so that the per-request cache never hashes the key text.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Ok(Target {
        field,
        chain,
        key,
        hash,
    })
}

fn build_regex(pattern: &str, path: &str) -> Result<Regex, AclError> {
    let built = RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(4 * 1024 * 1024)
        .build()
        .or_else(|_| {
            RegexBuilder::new(pattern)
                .size_limit(4 * 1024 * 1024)
                .build()
        });
    built.or_else(|e| err(path, format!("invalid regex: {e}")))
}

fn parse_statement(ctx: &Ctx, v: &Value, path: &str, depth: usize) -> Result<Statement, AclError> {
    if depth > 20 {
        return err(path, "statements nested too deeply");
    }
    let (k, inner) = single(v, path)?;
    let p = format!("{path}.{k}");
    let o = obj(inner, &p)?;
    Ok(match k {
        "ByteMatchStatement" => {
            let target = parse_target(o, &p)?;
            let needle = string(o, "SearchString", &p)?.as_bytes().to_vec();
            let position = match string(o, "PositionalConstraint", &p)? {
                "EXACTLY" => Position::Exactly,
                "STARTS_WITH" => Position::StartsWith,
                "ENDS_WITH" => Position::EndsWith,
                "CONTAINS" => Position::Contains,
                "CONTAINS_WORD" => Position::ContainsWord,
                other => {
                    return err(
                        &format!("{p}.PositionalConstraint"),
                        format!("unknown positional constraint `{other}`"),
                    );
                }
            };
            Statement::ByteMatch {
                target,
                needle,
                position,
            }
        }
        "RegexMatchStatement" => {
            let target = parse_target(o, &p)?;
            let regex = build_regex(string(o, "RegexString", &p)?, &format!("{p}.RegexString"))?;
            Statement::Regex { target, regex }
        }
        "SqliMatchStatement" => {
            let target = parse_target(o, &p)?;
            let high = match o.get("SensitivityLevel") {
                None => false,
                Some(s) => match str_of(s, &format!("{p}.SensitivityLevel"))? {
                    "LOW" => false,
                    "HIGH" => true,
                    other => {
                        return err(
                            &format!("{p}.SensitivityLevel"),
                            format!("unknown sensitivity level `{other}`"),
                        );
                    }
                },
            };
            Statement::Sqli { target, high }
        }
        "XssMatchStatement" => Statement::Xss {
            target: parse_target(o, &p)?,
        },
        "SizeConstraintStatement" => {
            let target = parse_target(o, &p)?;
            let cmp = match string(o, "ComparisonOperator", &p)? {
                "EQ" => Cmp::Eq,
                "NE" => Cmp::Ne,
                "LE" => Cmp::Le,
                "LT" => Cmp::Lt,
                "GE" => Cmp::Ge,
                "GT" => Cmp::Gt,
                other => {
                    return err(
                        &format!("{p}.ComparisonOperator"),
                        format!("unknown comparison operator `{other}`"),
                    );
                }
            };
            let size = get(o, "Size", &p)?.as_u64().map_or_else(
                || err(&format!("{p}.Size"), "expected a non-negative integer"),
                Ok,
            )?;
            Statement::Size { target, cmp, size }
        }
        "IPSetReferenceStatement" => {
            let arn = string(o, "ARN", &p)?;
            let nets = ctx.ip_sets.get(arn).cloned().map_or_else(
                || {
                    err(
                        &format!("{p}.ARN"),
                        format!("no IP set `{arn}` in `IPSets`"),
                    )
                },
                Ok,
            )?;
            let forwarded = match o.get("IPSetForwardedIPConfig") {
                None => None,
                Some(f) => {
                    let fp = format!("{p}.IPSetForwardedIPConfig");
                    let fo = obj(f, &fp)?;
                    let fallback_match = match string(fo, "FallbackBehavior", &fp)? {
                        "MATCH" => true,
                        "NO_MATCH" => false,
                        other => {
                            return err(
                                &format!("{fp}.FallbackBehavior"),
                                format!("unknown fallback behavior `{other}`"),
                            );
                        }
                    };
                    Some(ForwardedIp {
                        header: string(fo, "HeaderName", &fp)?.to_owned(),
                        fallback_match,
                    })
                }
            };
            Statement::IpSet { nets, forwarded }
        }
        "LabelMatchStatement" => {
            let namespace = match string(o, "Scope", &p)? {
                "LABEL" => false,
                "NAMESPACE" => true,
                other => {
                    return err(
                        &format!("{p}.Scope"),
                        format!("unknown label scope `{other}`"),
                    );
                }
            };
            Statement::Label {
                namespace,
                key: string(o, "Key", &p)?.to_owned(),
            }
        }
        "AndStatement" | "OrStatement" => {
            let list = array(o, "Statements", &p)?;
            if list.len() < 2 {
                return err(
                    &format!("{p}.Statements"),
                    "expected at least two statements",
                );
            }
            let parsed = list
                .iter()
                .enumerate()
                .map(|(i, s)| parse_statement(ctx, s, &format!("{p}.Statements[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if k == "AndStatement" {
                Statement::And(parsed)
            } else {
                Statement::Or(parsed)
            }
        }
        "NotStatement" => Statement::Not(Box::new(parse_statement(
            ctx,
            get(o, "Statement", &p)?,
            &format!("{p}.Statement"),
            depth + 1,
        )?)),
        "ManagedRuleGroupStatement" => {
            return err(
                &p,
                "a managed rule group is only allowed as a rule's top-level statement",
            );
        }
        "RateBasedStatement"
        | "RegexPatternSetReferenceStatement"
        | "GeoMatchStatement"
        | "RuleGroupReferenceStatement"
        | "AsnMatchStatement" => {
            return err(&p, format!("statement `{k}` is not supported yet"));
        }
        other => return err(path, format!("unknown statement `{other}`")),
    })
}

fn parse_rules(
    ctx: &Ctx,
    o: &Map<String, Value>,
    path: &str,
    managed: bool,
) -> Result<ParsedRules, AclError> {
    let bodies = &ctx.bodies;
    let mut rules: Vec<Rule> = Vec::new();
    let mut descriptions = Vec::new();
    for (i, r) in array(o, "Rules", path)?.iter().enumerate() {
        let rp = format!("{path}.Rules[{i}]");
        let ro = obj(r, &rp)?;
        let name = string(ro, "Name", &rp)?.to_owned();
        if rules.iter().any(|x| x.name == name) {
            return err(
                &format!("{rp}.Name"),
                format!("duplicate rule name `{name}`"),
            );
        }
        let priority = get(ro, "Priority", &rp)?
            .as_i64()
            .map_or_else(|| err(&format!("{rp}.Priority"), "expected an integer"), Ok)?;
        if rules.iter().any(|x| x.priority == priority) {
            return err(
                &format!("{rp}.Priority"),
                format!("duplicate rule priority {priority}"),
            );
        }
        let sp = format!("{rp}.Statement");
        let sv = get(ro, "Statement", &rp)?;
        let kind = match single(sv, &sp)? {
            ("ManagedRuleGroupStatement", g) if !managed => {
                parse_group_ref(ctx, ro, g, &rp, &format!("{sp}.ManagedRuleGroupStatement"))?
            }
            _ => {
                if ro.contains_key("OverrideAction") {
                    return err(
                        &format!("{rp}.OverrideAction"),
                        "`OverrideAction` is only for rule group statements; use `Action`",
                    );
                }
                let action =
                    parse_action(get(ro, "Action", &rp)?, &format!("{rp}.Action"), bodies)?;
                RuleKind::Plain {
                    statement: parse_statement(ctx, sv, &sp, 0)?,
                    action,
                }
            }
        };
        let mut labels = Vec::new();
        if ro.contains_key("RuleLabels") {
            for (j, l) in array(ro, "RuleLabels", &rp)?.iter().enumerate() {
                let lp = format!("{rp}.RuleLabels[{j}]");
                let n = string(obj(l, &lp)?, "Name", &lp)?;
                labels.push(if n.contains(':') || managed {
                    n.to_owned()
                } else {
                    format!("mudroom:webacl:{}:{n}", ctx.acl_name)
                });
            }
        }
        if managed {
            let d = ro.get("Description").and_then(Value::as_str).unwrap_or("");
            if d.is_empty() {
                return err(
                    &format!("{rp}.Description"),
                    "a managed rule documents its purpose",
                );
            }
            descriptions.push((name.clone(), d.to_owned()));
        }
        rules.push(Rule {
            name,
            priority,
            kind,
            labels,
        });
    }
    rules.sort_by_key(|r| r.priority);
    Ok((rules, descriptions))
}

fn parse_group_ref(
    ctx: &Ctx,
    ro: &Map<String, Value>,
    g: &Value,
    rp: &str,
    gp: &str,
) -> Result<RuleKind, AclError> {
    if ro.contains_key("Action") {
        return err(
            &format!("{rp}.Action"),
            "a rule group statement takes `OverrideAction`, not `Action`",
        );
    }
    let count_all = match ro.get("OverrideAction") {
        None => false,
        Some(v) => match single(v, &format!("{rp}.OverrideAction"))?.0 {
            "None" => false,
            "Count" => true,
            other => {
                return err(
                    &format!("{rp}.OverrideAction"),
                    format!("unknown override action `{other}`"),
                );
            }
        },
    };
    let go = obj(g, gp)?;
    let name = string(go, "Name", gp)?;
    let group = ctx.groups.get(name).cloned().map_or_else(
        || {
            err(
                &format!("{gp}.Name"),
                format!("unknown managed rule group `{name}`"),
            )
        },
        Ok,
    )?;
    let known = |n: &str| group.rules.iter().any(|r| r.name == n);
    let mut excluded = Vec::new();
    if go.contains_key("ExcludedRules") {
        for (i, e) in array(go, "ExcludedRules", gp)?.iter().enumerate() {
            let ep = format!("{gp}.ExcludedRules[{i}]");
            let n = string(obj(e, &ep)?, "Name", &ep)?;
            if !known(n) {
                return err(&format!("{ep}.Name"), format!("no rule `{n}` in `{name}`"));
            }
            excluded.push(n.to_owned());
        }
    }
    let mut overrides = Vec::new();
    if go.contains_key("RuleActionOverrides") {
        for (i, e) in array(go, "RuleActionOverrides", gp)?.iter().enumerate() {
            let ep = format!("{gp}.RuleActionOverrides[{i}]");
            let eo = obj(e, &ep)?;
            let n = string(eo, "Name", &ep)?;
            if !known(n) {
                return err(&format!("{ep}.Name"), format!("no rule `{n}` in `{name}`"));
            }
            let a = parse_action(
                get(eo, "ActionToUse", &ep)?,
                &format!("{ep}.ActionToUse"),
                &HashMap::new(),
            )?;
            overrides.push((n.to_owned(), a));
        }
    }
    let scope_down = match go.get("ScopeDownStatement") {
        Some(s) => Some(parse_statement(
            ctx,
            s,
            &format!("{gp}.ScopeDownStatement"),
            0,
        )?),
        None => None,
    };
    Ok(RuleKind::Group {
        group,
        excluded,
        overrides,
        scope_down,
        count_all,
    })
}

impl WebAcl {
    /// Parses a web ACL (`Name`, `DefaultAction`, `Rules`, optional `CustomResponseBodies` and
    /// `IPSets`), resolving managed rule groups among `groups`.
    ///
    /// # Errors
    /// An [`AclError`] with the JSON path of the first problem.
    pub fn from_json(text: &str, groups: &[Arc<RuleGroup>]) -> Result<WebAcl, AclError> {
        let v: Value =
            serde_json::from_str(text).or_else(|e| err("$", format!("invalid JSON: {e}")))?;
        let o = obj(&v, "$")?;
        let name = match o.get("Name") {
            Some(n) => str_of(n, "$.Name")?.to_owned(),
            None => "default".to_owned(),
        };
        let mut bodies = HashMap::new();
        if let Some(b) = o.get("CustomResponseBodies") {
            for (k, bv) in obj(b, "$.CustomResponseBodies")? {
                let bp = format!("$.CustomResponseBodies.{k}");
                let bo = obj(bv, &bp)?;
                bodies.insert(
                    k.clone(),
                    (
                        string(bo, "ContentType", &bp)?.to_owned(),
                        string(bo, "Content", &bp)?.to_owned(),
                    ),
                );
            }
        }
        let mut ip_sets = HashMap::new();
        if o.contains_key("IPSets") {
            for (i, s) in array(o, "IPSets", "$")?.iter().enumerate() {
                let sp = format!("$.IPSets[{i}]");
                let so = obj(s, &sp)?;
                let mut nets = Vec::new();
                for (j, a) in array(so, "Addresses", &sp)?.iter().enumerate() {
                    let ap = format!("{sp}.Addresses[{j}]");
                    let text = str_of(a, &ap)?;
                    let net = text
                        .parse::<IpNet>()
                        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                        .or_else(|_| err(&ap, format!("invalid address or CIDR `{text}`")))?;
                    nets.push(net.trunc());
                }
                let nets = Arc::new(nets);
                ip_sets.insert(string(so, "Name", &sp)?.to_owned(), nets.clone());
                if let Some(arn) = so.get("ARN") {
                    ip_sets.insert(str_of(arn, &format!("{sp}.ARN"))?.to_owned(), nets);
                }
            }
        }
        let groups = groups.iter().map(|g| (g.name.clone(), g.clone())).collect();
        let default_action =
            parse_action(get(o, "DefaultAction", "$")?, "$.DefaultAction", &bodies)?;
        let ctx = Ctx {
            ip_sets,
            groups,
            acl_name: name.clone(),
            bodies,
        };
        if !matches!(default_action, Action::Allow | Action::Block(_)) {
            return err(
                "$.DefaultAction",
                "the default action is `Allow` or `Block`",
            );
        }
        let (rules, _) = parse_rules(&ctx, o, "$", false)?;
        Ok(WebAcl {
            name,
            default_action,
            rules,
        })
    }

    /// The ACL's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Inspects a request.
    pub fn evaluate(&self, req: &Request) -> Verdict {
        let mut ev = Eval {
            req,
            labels: req.anomalies.clone(),
            cache: HashMap::default(),
        };
        let mut counted = Vec::new();
        for rule in &self.rules {
            match &rule.kind {
                RuleKind::Plain { statement, action } => {
                    if ev.matches(statement) {
                        ev.add_labels(&rule.labels);
                        if *action == Action::Count {
                            counted.push(rule.name.clone());
                        } else {
                            return Verdict {
                                action: action.clone(),
                                rule: Some(rule.name.clone()),
                                labels: ev.labels,
                                counted,
                            };
                        }
                    }
                }
                RuleKind::Group {
                    group,
                    excluded,
                    overrides,
                    scope_down,
                    count_all,
                } => {
                    if let Some(s) = scope_down
                        && !ev.matches(s)
                    {
                        continue;
                    }
                    for gr in &group.rules {
                        let RuleKind::Plain { statement, action } = &gr.kind else {
                            continue;
                        };
                        if !ev.matches(statement) {
                            continue;
                        }
                        let label = format!("{}{}", group.namespace, gr.name);
                        ev.add_labels(std::slice::from_ref(&label));
                        ev.add_labels(&gr.labels);
                        let mut act = overrides
                            .iter()
                            .find(|(n, _)| *n == gr.name)
                            .map_or(action, |(_, a)| a)
                            .clone();
                        if *count_all || excluded.contains(&gr.name) {
                            act = Action::Count;
                        }
                        let full = format!("{}/{}", rule.name, gr.name);
                        if act == Action::Count {
                            counted.push(full);
                        } else {
                            ev.add_labels(&rule.labels);
                            return Verdict {
                                action: act,
                                rule: Some(full),
                                labels: ev.labels,
                                counted,
                            };
                        }
                    }
                }
            }
        }
        Verdict {
            action: self.default_action.clone(),
            rule: None,
            labels: ev.labels,
            counted,
        }
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A field's values after transformation, and whether it was oversize.
type FieldValues = (Vec<Vec<u8>>, bool);

/// Rules parsed from a `Rules` array, and each one's documented purpose.
type ParsedRules = (Vec<Rule>, Vec<(String, String)>);

struct Eval<'r> {
    req: &'r Request,
    labels: Vec<String>,
    /// Transformed fields already computed for this request, by key hash: (key, values).
    cache: HashMap<u64, (&'r str, Rc<FieldValues>), BuildHasherDefault<KeyHasher>>,
}

fn push_kv(out: &mut Vec<Vec<u8>>, scope: Scope, k: &str, v: &str) {
    if scope != Scope::Value {
        out.push(k.as_bytes().to_vec());
    }
    if scope != Scope::Key {
        out.push(v.as_bytes().to_vec());
    }
}

fn json_leaves(
    v: &Value,
    pointer: &mut String,
    scope: Scope,
    paths: Option<&[String]>,
    out: &mut Vec<Vec<u8>>,
    budget: &mut usize,
) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(k);
                if scope != Scope::Value
                    && paths.is_none_or(|p| p.iter().any(|x| x == pointer.as_str()))
                {
                    out.push(k.as_bytes().to_vec());
                }
                json_leaves(child, pointer, scope, paths, out, budget);
                pointer.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                json_leaves(child, pointer, scope, paths, out, budget);
                pointer.truncate(len);
            }
        }
        leaf => {
            if scope != Scope::Key && paths.is_none_or(|p| p.iter().any(|x| x == pointer.as_str()))
            {
                let text = match leaf {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.push(text.into_bytes());
            }
        }
    }
}

/// The inspectable parts of a body: form fields, JSON leaves, multipart parts, or the whole.
fn body_arguments(req: &Request) -> Vec<Vec<u8>> {
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut out = Vec::new();
    if req.body.is_empty() {
        return out;
    }
    let json_like =
        ct.contains("json") || req.body.first().is_some_and(|b| *b == b'{' || *b == b'[');
    if json_like && let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
        let mut budget = 4096;
        json_leaves(
            &v,
            &mut String::new(),
            Scope::All,
            None,
            &mut out,
            &mut budget,
        );
        return out;
    }
    // The boundary is case-sensitive: take it from the header as sent.
    let raw_ct = req.header("content-type").unwrap_or("");
    let boundary = raw_ct
        .find("boundary=")
        .and_then(|i| raw_ct.get(i + 9..))
        .map(|b| b.split(';').next().unwrap_or("").trim().trim_matches('"'))
        .filter(|b| !b.is_empty());
    if ct.contains("multipart/")
        && let Some(b) = boundary
    {
        let delim = format!("--{b}");
        let body = String::from_utf8_lossy(&req.body);
        for part in body.split(delim.as_str()).take(256) {
            // Part headers are framing, not values: the multipart rules read the raw body.
            let content = part
                .split_once("\r\n\r\n")
                .or_else(|| part.split_once("\n\n"))
                .map_or(part, |(_, c)| c);
            out.push(content.trim_end_matches(['\r', '\n']).as_bytes().to_vec());
        }
        return out;
    }
    let text = String::from_utf8_lossy(&req.body);
    if ct.contains("x-www-form-urlencoded") || (!text.contains(['<', '\n']) && text.contains('=')) {
        for (k, v) in parse_args(&text, 1024) {
            out.push(k.into_bytes());
            out.push(v.into_bytes());
        }
        return out;
    }
    out.push(req.body.clone());
    out
}

impl<'r> Eval<'r> {
    fn add_labels(&mut self, labels: &[String]) {
        for l in labels {
            if !self.labels.contains(l) {
                self.labels.push(l.clone());
            }
        }
    }

    /// The field's values (raw) and whether it was oversize.
    fn raw(&self, f: &Field) -> (Vec<Vec<u8>>, bool) {
        let req = self.req;
        match f {
            Field::UriPath => (vec![req.path.as_bytes().to_vec()], false),
            Field::QueryString => (vec![req.query.as_bytes().to_vec()], false),
            Field::Method => (vec![req.method.as_bytes().to_vec()], false),
            Field::Body { .. } => (vec![req.body.clone()], req.body_oversize),
            Field::BodyArguments => (body_arguments(req), req.body_oversize),
            Field::JsonBody { scope, paths, .. } => {
                match serde_json::from_slice::<Value>(&req.body) {
                    Ok(v) => {
                        let mut out = Vec::new();
                        let mut budget = 4096;
                        json_leaves(
                            &v,
                            &mut String::new(),
                            *scope,
                            paths.as_deref(),
                            &mut out,
                            &mut budget,
                        );
                        (out, req.body_oversize)
                    }
                    Err(_) => (vec![req.body.clone()], req.body_oversize),
                }
            }
            Field::SingleHeader(name) => (
                req.headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_bytes().to_vec())
                    .collect(),
                false,
            ),
            Field::SingleQueryArgument(name) => (
                req.args
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_bytes().to_vec())
                    .collect(),
                false,
            ),
            Field::AllQueryArguments(scope) => {
                let mut out = Vec::new();
                for (k, v) in &req.args {
                    push_kv(&mut out, *scope, k, v);
                }
                (out, false)
            }
            Field::Headers { pattern, scope, .. } => {
                let mut out = Vec::new();
                for (k, v) in req.headers.iter().filter(|(k, _)| pattern.admits(k)) {
                    push_kv(&mut out, *scope, k, v);
                }
                (out, false)
            }
            Field::Cookies { pattern, scope, .. } => {
                let mut out = Vec::new();
                for (k, v) in req.cookies.iter().filter(|(k, _)| pattern.admits(k)) {
                    push_kv(&mut out, *scope, k, v);
                }
                (out, false)
            }
        }
    }

    fn values(&mut self, t: &'r Target) -> Rc<FieldValues> {
        if let Some((k, v)) = self.cache.get(&t.hash)
            && *k == t.key
        {
            return v.clone();
        }
        let (raw, oversize) = self.raw(&t.field);
        let vals = if t.chain.is_empty() {
            raw
        } else {
            raw.iter().map(|v| apply_all(&t.chain, v)).collect()
        };
        let rc = Rc::new((vals, oversize));
        // On a hash collision the first key keeps the slot; the other is recomputed each time.
        self.cache
            .entry(t.hash)
            .or_insert((t.key.as_str(), rc.clone()));
        rc
    }

    fn field_matches(&mut self, t: &'r Target, pred: impl Fn(&[u8]) -> bool) -> bool {
        let vals = self.values(t);
        if vals.1 {
            match oversize_of(&t.field) {
                Oversize::Match => return true,
                Oversize::NoMatch => return false,
                Oversize::Continue => {}
            }
        }
        vals.0.iter().any(|v| pred(v))
    }

    fn matches(&mut self, s: &'r Statement) -> bool {
        match s {
            Statement::ByteMatch {
                target,
                needle,
                position,
            } => self.field_matches(target, |v| byte_match(v, needle, *position)),
            Statement::Regex { target, regex } => self.field_matches(target, |v| regex.is_match(v)),
            Statement::Sqli { target, high } => {
                self.field_matches(target, |v| sqli::is_sqli(v, *high))
            }
            Statement::Xss { target } => self.field_matches(target, xss::is_xss),
            Statement::Size { target, cmp, size } => {
                let vals = self.values(target);
                if vals.0.is_empty() {
                    return false;
                }
                vals.0.iter().any(|v| {
                    let n = v.len() as u64;
                    match cmp {
                        Cmp::Eq => n == *size,
                        Cmp::Ne => n != *size,
                        Cmp::Le => n <= *size,
                        Cmp::Lt => n < *size,
                        Cmp::Ge => n >= *size,
                        Cmp::Gt => n > *size,
                    }
                })
            }
            Statement::IpSet { nets, forwarded } => {
                let ip = match forwarded {
                    None => self.req.client_ip,
                    Some(f) => match self
                        .req
                        .header(&f.header)
                        .and_then(|h| h.split(',').next())
                        .map(str::trim)
                        .and_then(|h| h.parse::<IpAddr>().ok())
                    {
                        Some(ip) => Some(ip),
                        None => return f.fallback_match,
                    },
                };
                ip.is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)))
            }
            Statement::Label { namespace, key } => self.labels.iter().any(|l| {
                if *namespace {
                    l.starts_with(key.as_str())
                } else {
                    l == key
                        || l.strip_suffix(key.as_str())
                            .is_some_and(|p| p.ends_with(':'))
                }
            }),
            Statement::And(list) => list.iter().all(|s| self.matches(s)),
            Statement::Or(list) => list.iter().any(|s| self.matches(s)),
            Statement::Not(inner) => !self.matches(inner),
        }
    }
}

fn oversize_of(f: &Field) -> Oversize {
    match f {
        Field::Body { oversize }
        | Field::JsonBody { oversize, .. }
        | Field::Headers { oversize, .. }
        | Field::Cookies { oversize, .. } => *oversize,
        _ => Oversize::Continue,
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn byte_match(hay: &[u8], needle: &[u8], pos: Position) -> bool {
    match pos {
        Position::Exactly => hay == needle,
        Position::StartsWith => hay.starts_with(needle),
        Position::EndsWith => hay.ends_with(needle),
        Position::Contains => needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle),
        Position::ContainsWord => {
            if needle.is_empty() || hay.len() < needle.len() {
                return false;
            }
            (0..=hay.len() - needle.len()).any(|i| {
                hay.get(i..i + needle.len()) == Some(needle)
                    && (i == 0 || hay.get(i - 1).is_some_and(|&b| !is_word(b)))
                    && hay.get(i + needle.len()).is_none_or(|&b| !is_word(b))
            })
        }
    }
}
