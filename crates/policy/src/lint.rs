//! Linting: findings about policies that are valid but probably wrong, too broad or dangerous,
//! in the spirit of IAM Access Analyzer's policy checks, Parliament and Policy Sentry.
//!
//! Every finding has a stable kebab-case code (see [`RULES`] and `docs/policy-lint.md`), a
//! severity and the JSON path of the element it is about, in the style of [`PolicyError`].
//!
//! Actions, resource types and condition keys are checked against an embedded copy of the AWS
//! Service Authorization Reference; privilege escalation against the pathfinding.cloud catalog;
//! sensitive actions against the sensitive IAM actions list. mudroom's own `mudroom:` actions
//! are [`MUDROOM_ACTIONS`], and a [`Linter`] can be taught more.
//!
//! ```
//! use mudroom_policy::{ParseOptions, PolicyKind, Severity, lint_text};
//!
//! let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!     "Action": ["s3:GetObjekt"], "Resource": "arn:aws:s3:::bucket/*"}]}"#;
//! let findings = lint_text(text, ParseOptions::new(PolicyKind::Identity));
//! assert_eq!(findings[0].code, "unknown-action");
//! assert_eq!(findings[0].severity, Severity::Error);
//! assert_eq!(findings[0].path, "Statement[0].Action[0]");
//! ```

mod actions;
mod catalog;
mod conditions;
mod glob;
mod privesc;
mod redundancy;
mod resources;
mod rules;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

pub use catalog::{AccessLevel, PathPermission, PrivescPath, privesc_paths};
pub use rules::{RULES, Rule};

use crate::arn::ArnPattern;
use crate::error::PolicyError;
use crate::model::{Block, Condition, Effect, Policy, Principals, Statement, Version};
use crate::parse::{ParseOptions, PolicyKind, parse_policy};
use crate::pattern::Syntax;
use actions::Expansion;
use glob::{ArnGlob, Glob};
use rules::*;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The policy is wrong: it names things that do not exist or cannot be read.
    Error,
    /// The policy probably does not do what its author wants, or grants too much.
    Warning,
    /// The policy could be simpler or tighter.
    Suggestion,
}

impl Severity {
    /// The lowercase name: `error`, `warning` or `suggestion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the linter found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How much it matters.
    pub severity: Severity,
    /// The rule's stable kebab-case code, one of [`RULES`].
    pub code: &'static str,
    /// JSON path of the element, like `Statement[2].Action[0]`; empty for the document.
    pub path: String,
    /// What is wrong, lowercase and without a final period.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} [{}]: {}", self.severity, self.code, self.message)
        } else {
            write!(
                f,
                "{} [{}] {}: {}",
                self.severity, self.code, self.path, self.message
            )
        }
    }
}

/// mudroom's own actions (prefix `mudroom:`), known to every [`Linter`]; an unknown `mudroom:`
/// action is an `unknown-action` error. A platform adds its other actions with
/// [`Linter::register_action`].
///
/// - `mudroom:Invoke`: call a deployed function.
/// - `mudroom:Deploy`: deploy or update a function.
/// - `mudroom:ReadAudit`: read the audit log.
pub const MUDROOM_ACTIONS: &[(&str, AccessLevel)] = &[
    ("Invoke", AccessLevel::Write),
    ("Deploy", AccessLevel::Write),
    ("ReadAudit", AccessLevel::Read),
];

/// Actions registered by the platform, outside the AWS catalog.
#[derive(Debug, Clone)]
struct ExtraService {
    prefix: String,
    lower: String,
    actions: Vec<ExtraAction>,
}

#[derive(Debug, Clone)]
struct ExtraAction {
    name: String,
    lower: String,
    level: AccessLevel,
}

/// A linter: the AWS catalog plus the actions the platform registered.
///
/// [`lint`] and [`lint_text`] use `Linter::new()`; build one to know more actions:
///
/// ```
/// use mudroom_policy::{AccessLevel, Linter, ParseOptions, PolicyKind};
///
/// let mut linter = Linter::new();
/// linter.register_action("mudroom:Rollback", AccessLevel::Write).unwrap();
/// let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
///     "Action": "mudroom:Rollback", "Resource": "*"}]}"#;
/// let findings = linter.lint_text(text, ParseOptions::new(PolicyKind::Identity));
/// assert!(findings.iter().all(|f| f.code != "unknown-action"));
/// ```
#[derive(Debug, Clone)]
pub struct Linter {
    extra: Vec<ExtraService>,
}

impl Default for Linter {
    fn default() -> Self {
        Self::new()
    }
}

impl Linter {
    /// A linter knowing the AWS catalog and [`MUDROOM_ACTIONS`].
    pub fn new() -> Self {
        let mut linter = Self { extra: Vec::new() };
        for (name, level) in MUDROOM_ACTIONS {
            linter.add("mudroom", name, *level);
        }
        linter
    }

    /// Makes `service:Action` known, with its access level; its resources and condition keys
    /// are not checked. Refuses text that is not `service:Action` without wildcards.
    pub fn register_action(&mut self, action: &str, level: AccessLevel) -> Result<(), String> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        match action.split_once(':') {
            Some((service, name)) if valid(service) && valid(name) => {
                self.add(service, name, level);
                Ok(())
            }
            _ => Err(format!(
                "`{action}` is not an action like `service:Action` without wildcards"
            )),
        }
    }

    fn add(&mut self, service: &str, name: &str, level: AccessLevel) {
        let lower = service.to_ascii_lowercase();
        let index = match self.extra.iter().position(|s| s.lower == lower) {
            Some(i) => i,
            None => {
                self.extra.push(ExtraService {
                    prefix: service.to_string(),
                    lower,
                    actions: Vec::new(),
                });
                self.extra.len() - 1
            }
        };
        if let Some(s) = self.extra.get_mut(index) {
            let name_lower = name.to_ascii_lowercase();
            match s.actions.iter_mut().find(|a| a.lower == name_lower) {
                Some(a) => a.level = level,
                None => s.actions.push(ExtraAction {
                    name: name.to_string(),
                    lower: name_lower,
                    level,
                }),
            }
        }
    }

    /// Lints a parsed policy filling the slot `kind`.
    ///
    /// Without the source text, paths assume `Statement` is an array and that elements holding
    /// one value were written as a string; a policy of [`Version::V2008`] is reported as
    /// `deprecated-version` (a missing `Version` is indistinguishable). [`Linter::lint_text`]
    /// gives exact paths.
    pub fn lint(&self, policy: &Policy, kind: PolicyKind) -> Vec<Finding> {
        self.run(policy, kind, &Shape::guess(policy))
    }

    /// Parses and lints policy text; a policy that does not parse gives one `invalid-policy`
    /// error at the path [`PolicyError`] names.
    pub fn lint_text(&self, text: &str, options: ParseOptions) -> Vec<Finding> {
        match parse_policy(text, options) {
            Ok(policy) => {
                let shape = serde_json::from_str::<Value>(text)
                    .ok()
                    .and_then(|v| Shape::of(&v, &policy))
                    .unwrap_or_else(|| Shape::guess(&policy));
                self.run(&policy, options.kind, &shape)
            }
            Err(e) => vec![invalid(e)],
        }
    }

    fn run(&self, policy: &Policy, kind: PolicyKind, shape: &Shape) -> Vec<Finding> {
        let stmts: Vec<Stmt<'_>> = policy
            .statements
            .iter()
            .zip(&shape.statements)
            .map(|(st, sh)| Stmt::new(self, policy.version, st, sh))
            .collect();
        let mut run = Run {
            linter: self,
            kind,
            version: policy.version,
            findings: Vec::new(),
            full_admin: false,
        };
        run.version(policy, shape);
        for s in &stmts {
            run.statement(s);
        }
        run.redundant_statements(&stmts);
        run.privilege_escalation(&stmts);
        run.findings
    }
}

static DEFAULT: std::sync::LazyLock<Linter> = std::sync::LazyLock::new(Linter::new);

/// Lints a parsed policy with the default [`Linter`]; see [`Linter::lint`].
pub fn lint(policy: &Policy, kind: PolicyKind) -> Vec<Finding> {
    DEFAULT.lint(policy, kind)
}

/// Parses and lints policy text with the default [`Linter`]; see [`Linter::lint_text`].
pub fn lint_text(text: &str, options: ParseOptions) -> Vec<Finding> {
    DEFAULT.lint_text(text, options)
}

fn invalid(e: PolicyError) -> Finding {
    Finding {
        severity: INVALID_POLICY.severity,
        code: INVALID_POLICY.code,
        path: e.path,
        message: e.message,
    }
}

/// How the source wrote what the model flattens: for exact paths.
#[derive(Debug, Default)]
struct Shape {
    /// `Version` was given (else the model's V2008 came from its absence).
    version_given: bool,
    statements: Vec<StatementShape>,
}

#[derive(Debug)]
struct StatementShape {
    path: String,
    action_array: bool,
    resource_array: bool,
}

impl Shape {
    fn guess(policy: &Policy) -> Self {
        Self {
            version_given: true,
            statements: policy
                .statements
                .iter()
                .map(|s| StatementShape {
                    path: format!("Statement[{}]", s.index),
                    action_array: s.action.as_ref().is_some_and(|b| b.inner().len() > 1),
                    resource_array: s.resource.as_ref().is_some_and(|b| b.inner().len() > 1),
                })
                .collect(),
        }
    }

    fn of(value: &Value, policy: &Policy) -> Option<Self> {
        let doc = value.as_object()?;
        let raw: Vec<(String, &serde_json::Map<String, Value>)> = match doc.get("Statement")? {
            Value::Object(one) => vec![("Statement".to_string(), one)],
            Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, s)| Some((format!("Statement[{i}]"), s.as_object()?)))
                .collect::<Option<_>>()?,
            _ => return None,
        };
        if raw.len() != policy.statements.len() {
            return None;
        }
        let is_array = |obj: &serde_json::Map<String, Value>, a: &str, b: &str| {
            obj.get(a)
                .or_else(|| obj.get(b))
                .is_some_and(Value::is_array)
        };
        Some(Self {
            version_given: doc.contains_key("Version"),
            statements: raw
                .into_iter()
                .map(|(path, obj)| StatementShape {
                    path,
                    action_array: is_array(obj, "Action", "NotAction"),
                    resource_array: is_array(obj, "Resource", "NotResource"),
                })
                .collect(),
        })
    }
}

/// A statement with what the checks need precomputed.
struct Stmt<'p> {
    st: &'p Statement,
    shape: &'p StatementShape,
    /// The action element's items, lowercased, as globs.
    action_globs: Vec<Glob>,
    /// Indexes of the action items by their literal service prefix (lowercase); items whose
    /// prefix holds a wildcard under `None`.
    action_services: HashMap<Option<String>, Vec<usize>>,
    /// The action element's items, expanded against the catalog.
    expansions: Vec<Expansion>,
    /// The resource element's items; `None` for an item that does not read as a pattern.
    resources: Vec<Option<ArnGlob>>,
    /// Whether each resource item holds a policy variable.
    resource_vars: Vec<bool>,
}

impl<'p> Stmt<'p> {
    fn new(
        linter: &Linter,
        version: Version,
        st: &'p Statement,
        shape: &'p StatementShape,
    ) -> Self {
        let actions = st.action.as_ref().map_or(&[][..], |b| b.inner().as_slice());
        let resources = st
            .resource
            .as_ref()
            .map_or(&[][..], |b| b.inner().as_slice());
        Self {
            st,
            shape,
            action_globs: actions.iter().map(|a| Glob::wild(a, true)).collect(),
            action_services: {
                let mut map: HashMap<Option<String>, Vec<usize>> = HashMap::new();
                for (i, a) in actions.iter().enumerate() {
                    map.entry(literal_service(a)).or_default().push(i);
                }
                map
            },
            expansions: actions.iter().map(|a| linter.expand(a)).collect(),
            resources: resources
                .iter()
                .map(|r| {
                    ArnPattern::parse(r, Syntax::for_version(version, true))
                        .ok()
                        .map(|p| ArnGlob::pattern(&p))
                })
                .collect(),
            resource_vars: resources
                .iter()
                .map(|r| version == Version::V2012 && r.contains("${"))
                .collect(),
        }
    }

    fn path(&self) -> &str {
        &self.shape.path
    }

    fn actions(&self) -> &'p [String] {
        self.st
            .action
            .as_ref()
            .map_or(&[], |b| b.inner().as_slice())
    }

    fn resource_texts(&self) -> &'p [String] {
        self.st
            .resource
            .as_ref()
            .map_or(&[], |b| b.inner().as_slice())
    }

    fn action_is(&self) -> bool {
        matches!(self.st.action, Some(Block::Is(_)))
    }

    fn resource_is(&self) -> bool {
        matches!(self.st.resource, Some(Block::Is(_)))
    }

    fn action_path(&self, i: usize) -> String {
        let key = match self.st.action {
            Some(Block::Not(_)) => "NotAction",
            _ => "Action",
        };
        item(&self.shape.path, key, i, self.shape.action_array)
    }

    fn resource_path(&self, i: usize) -> String {
        let key = match self.st.resource {
            Some(Block::Not(_)) => "NotResource",
            _ => "Resource",
        };
        item(&self.shape.path, key, i, self.shape.resource_array)
    }

    fn element_path(&self, key: &str) -> String {
        format!("{}.{key}", self.shape.path)
    }

    fn condition_path(&self, c: &Condition) -> String {
        format!(
            "{}.Condition.{}.{}",
            self.shape.path, c.operator_text, c.key
        )
    }

    /// True when some resource item matches every resource.
    fn on_every_resource(&self) -> bool {
        self.resource_is() && self.resources.iter().flatten().any(ArnGlob::is_any)
    }

    /// Indexes of the action items matching the lowercase literal `action`.
    fn items_matching(&self, action: &str) -> impl Iterator<Item = usize> + '_ {
        let action = action.to_string();
        self.action_globs
            .iter()
            .enumerate()
            .filter(move |(_, g)| g.matches(&action) || g.is_any())
            .map(|(i, _)| i)
    }

    /// Indexes of the items that may cover an item of `service` (its literal prefix, if any):
    /// the items of that prefix and those whose prefix holds a wildcard.
    fn items_for(&self, service: Option<&str>) -> Vec<usize> {
        let Some(service) = service else {
            return (0..self.action_globs.len()).collect();
        };
        let same = self.action_services.get(&Some(service.to_string()));
        let wild = self.action_services.get(&None);
        same.into_iter().chain(wild).flatten().copied().collect()
    }

    /// Whether the action element covers the lowercase literal `action`.
    fn covers_action(&self, action: &str) -> bool {
        let hit = self.items_matching(action).next().is_some();
        match self.st.action {
            Some(Block::Is(_)) => hit,
            Some(Block::Not(_)) => !hit,
            None => false,
        }
    }
}

/// The lowercase service prefix of an action item, when it holds no wildcard.
fn literal_service(action: &str) -> Option<String> {
    action
        .split_once(':')
        .map(|(svc, _)| svc.to_ascii_lowercase())
        .filter(|svc| !svc.contains(['*', '?']))
}

fn item(base: &str, key: &str, i: usize, array: bool) -> String {
    if array {
        format!("{base}.{key}[{i}]")
    } else {
        format!("{base}.{key}")
    }
}

/// One lint run over one policy.
struct Run<'l> {
    linter: &'l Linter,
    kind: PolicyKind,
    version: Version,
    findings: Vec<Finding>,
    /// A statement grants every action on every resource.
    full_admin: bool,
}

impl Run<'_> {
    fn push(&mut self, rule: &Rule, path: impl Into<String>, message: impl Into<String>) {
        self.findings.push(Finding {
            severity: rule.severity,
            code: rule.code,
            path: path.into(),
            message: message.into(),
        });
    }

    /// Identity and resource policies grant permissions; boundaries, SCPs, RCPs and session
    /// policies only limit them, and trust policies grant only `sts:` role assumption.
    fn grants(&self) -> bool {
        matches!(self.kind, PolicyKind::Identity | PolicyKind::Resource)
    }

    fn version(&mut self, policy: &Policy, shape: &Shape) {
        if policy.version != Version::V2008 {
            return;
        }
        if shape.version_given {
            self.push(
                &DEPRECATED_VERSION,
                "Version",
                "policy language `2008-10-17` has no policy variables: use `2012-10-17`",
            );
        } else {
            self.push(
                &MISSING_VERSION,
                "",
                "no `Version`: the policy is read as `2008-10-17`, where `${...}` is literal text; add `\"Version\": \"2012-10-17\"`",
            );
        }
    }

    fn statement(&mut self, s: &Stmt<'_>) {
        self.literal_variables(s);
        self.structure(s);
        self.actions(s);
        self.conditions(s);
        self.resources(s);
    }

    /// `${...}` in a 2008 policy: literal text, not a variable.
    fn literal_variables(&mut self, s: &Stmt<'_>) {
        if self.version != Version::V2008 {
            return;
        }
        for (i, r) in s.resource_texts().iter().enumerate() {
            if r.contains("${") {
                self.push(
                    &LITERAL_VARIABLE,
                    s.resource_path(i),
                    format!(
                        "`{r}` is matched literally: policy variables need `\"Version\": \"2012-10-17\"`"
                    ),
                );
            }
        }
        for c in &s.st.conditions {
            if let Some(v) = c.values.iter().find(|v| v.contains("${")) {
                self.push(
                    &LITERAL_VARIABLE,
                    s.condition_path(c),
                    format!(
                        "`{v}` is compared literally: policy variables need `\"Version\": \"2012-10-17\"`"
                    ),
                );
            }
        }
    }

    /// Statement shapes AWS warns about: `Allow` with `Not...`, wildcard principals, full
    /// administrator access.
    fn structure(&mut self, s: &Stmt<'_>) {
        let st = s.st;
        if st.effect != Effect::Allow {
            return;
        }
        if self.grants() {
            if let Some(Block::Not(_)) = &st.action {
                self.push(
                    &ALLOW_NOT_ACTION,
                    s.element_path("NotAction"),
                    "`Allow` with `NotAction` grants every action not listed, including actions AWS adds later: list the actions to allow",
                );
            }
            if let Some(Block::Not(_)) = &st.resource {
                self.push(
                    &ALLOW_NOT_RESOURCE,
                    s.element_path("NotResource"),
                    "`Allow` with `NotResource` grants every resource not listed, including resources created later: list the resources to allow",
                );
            }
            if s.action_is() && s.expansions.iter().any(|e| e.all) && s.on_every_resource() {
                self.full_admin = true;
                let when = if st.conditions.is_empty() {
                    ""
                } else {
                    " (when its conditions hold)"
                };
                let what = if self.kind == PolicyKind::Identity {
                    "full administrator access"
                } else {
                    "its principals get full control"
                };
                self.push(
                    &FULL_ADMIN,
                    s.path(),
                    format!("grants every action on every resource{when}: {what}"),
                );
            }
        }
        if matches!(self.kind, PolicyKind::Resource | PolicyKind::Trust) {
            match &st.principal {
                Some(Block::Not(_)) => self.push(
                    &ALLOW_NOT_PRINCIPAL,
                    s.element_path("NotPrincipal"),
                    "`Allow` with `NotPrincipal` grants everyone not listed, anonymous callers included: name the principals to allow",
                ),
                Some(Block::Is(p)) if st.conditions.is_empty() => {
                    let everyone = match p {
                        Principals::Any => true,
                        Principals::Listed(list) => list.iter().any(|(_, v)| v == "*"),
                    };
                    if everyone {
                        self.push(
                            &PRINCIPAL_WILDCARD,
                            s.element_path("Principal"),
                            "grants access to every principal, in every account and anonymous, without a condition: name the principals or add a condition like `aws:PrincipalOrgID` or `aws:SourceArn`",
                        );
                    }
                }
                _ => {}
            }
        }
    }
}
