//! Actions: expanding action patterns against the catalog, and the checks on them.

use std::collections::{BTreeMap, HashMap};

use super::catalog::{AccessLevel, CATALOG, SENSITIVE};
use super::glob::Glob;
use super::rules::*;
use super::{Linter, Run, Stmt};
use crate::model::Effect;
use crate::parse::PolicyKind;

/// An action the linter knows: `(service, action)` in the catalog or among the registered ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum ActionRef {
    Aws(usize, usize),
    Extra(usize, usize),
}

/// Why an action item matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Problem {
    /// No service has the prefix.
    UnknownService,
    /// The service has no such action; the closest name, if one is close.
    UnknownAction(Option<String>),
    /// A wildcard item matches no action of the services its prefix matches.
    NoMatch,
}

/// What one action item matches.
#[derive(Debug, Clone)]
pub(super) struct Expansion {
    /// The item is `*` (or `*:*`): every action, known or not.
    pub(super) all: bool,
    /// The known actions it matches, when not `all`.
    pub(super) actions: Vec<ActionRef>,
    pub(super) problem: Option<Problem>,
}

impl Expansion {
    /// True when every action matched is a catalog action, whose resource types are known.
    pub(super) fn typed(&self) -> bool {
        !self.all
            && self.problem.is_none()
            && self.actions.iter().all(|a| matches!(a, ActionRef::Aws(..)))
    }
}

fn only_stars(s: &str) -> bool {
    s.chars().all(|c| c == '*')
}

impl Linter {
    /// Expands an action item (as written in the policy).
    pub(super) fn expand(&self, text: &str) -> Expansion {
        let lower = text.to_ascii_lowercase();
        let all = Expansion {
            all: true,
            actions: Vec::new(),
            problem: None,
        };
        let Some((service, name)) = lower.split_once(':') else {
            return all;
        };
        if only_stars(service) && only_stars(name) {
            return all;
        }
        let service_glob = Glob::wild(service, true);
        let name_glob = Glob::wild(name, true);
        let aws: Vec<usize> = if service_glob.is_literal() {
            CATALOG.service(service).into_iter().collect()
        } else {
            (0..CATALOG.services.len())
                .filter(|i| {
                    CATALOG
                        .services
                        .get(*i)
                        .is_some_and(|s| service_glob.matches(&s.prefix.to_ascii_lowercase()))
                })
                .collect()
        };
        let extra: Vec<usize> = (0..self.extra.len())
            .filter(|i| {
                self.extra
                    .get(*i)
                    .is_some_and(|s| service_glob.matches(&s.lower))
            })
            .collect();
        if aws.is_empty() && extra.is_empty() {
            return Expansion {
                all: false,
                actions: Vec::new(),
                problem: Some(Problem::UnknownService),
            };
        }
        let mut actions = Vec::new();
        for &s in &aws {
            let Some(svc) = CATALOG.services.get(s) else {
                continue;
            };
            if name_glob.is_literal() {
                actions.extend(svc.action(name).map(|a| ActionRef::Aws(s, a)));
            } else {
                actions.extend(
                    svc.actions
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| name_glob.matches(&a.lower))
                        .map(|(a, _)| ActionRef::Aws(s, a)),
                );
            }
        }
        for &s in &extra {
            let Some(svc) = self.extra.get(s) else {
                continue;
            };
            actions.extend(
                svc.actions
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| name_glob.matches(&a.lower))
                    .map(|(a, _)| ActionRef::Extra(s, a)),
            );
        }
        let problem = if !actions.is_empty() {
            None
        } else if service_glob.is_literal() && name_glob.is_literal() {
            Some(Problem::UnknownAction(self.closest(&aws, &extra, name)))
        } else {
            Some(Problem::NoMatch)
        };
        actions.sort_unstable();
        actions.dedup();
        Expansion {
            all: false,
            actions,
            problem,
        }
    }

    /// The known action closest to `name` in the services, when it is close.
    fn closest(&self, aws: &[usize], extra: &[usize], name: &str) -> Option<String> {
        let mut names: Vec<String> = Vec::new();
        for s in aws.iter().filter_map(|s| CATALOG.services.get(*s)) {
            names.extend(s.actions.iter().map(|a| format!("{}:{}", s.prefix, a.name)));
        }
        for s in extra.iter().filter_map(|s| self.extra.get(*s)) {
            names.extend(s.actions.iter().map(|a| format!("{}:{}", s.prefix, a.name)));
        }
        let limit = (name.len() / 3).clamp(1, 3);
        names
            .into_iter()
            .filter_map(|full| {
                let candidate = full.split_once(':')?.1.to_ascii_lowercase();
                let d = distance(name, &candidate);
                (d <= limit).then_some((d, full))
            })
            .min()
            .map(|(_, full)| full)
    }

    /// The catalog or registered action named by a lowercase literal `service:action`.
    pub(super) fn lookup(&self, lower: &str) -> Option<ActionRef> {
        let (service, name) = lower.split_once(':')?;
        if let Some(s) = CATALOG.service(service)
            && let Some(a) = CATALOG.services.get(s).and_then(|svc| svc.action(name))
        {
            return Some(ActionRef::Aws(s, a));
        }
        self.extra.iter().enumerate().find_map(|(s, svc)| {
            (svc.lower == service)
                .then(|| svc.actions.iter().position(|a| a.lower == name))
                .flatten()
                .map(|a| ActionRef::Extra(s, a))
        })
    }

    pub(super) fn level(&self, r: ActionRef) -> Option<AccessLevel> {
        match r {
            ActionRef::Aws(s, a) => CATALOG
                .services
                .get(s)
                .and_then(|s| s.actions.get(a))
                .map(|a| a.level),
            ActionRef::Extra(s, a) => self
                .extra
                .get(s)
                .and_then(|s| s.actions.get(a))
                .map(|a| a.level),
        }
    }

    /// `service:Action` as AWS writes it.
    pub(super) fn name(&self, r: ActionRef) -> String {
        match r {
            ActionRef::Aws(s, a) => CATALOG
                .services
                .get(s)
                .and_then(|s| Some(format!("{}:{}", s.prefix, s.actions.get(a)?.name)))
                .unwrap_or_default(),
            ActionRef::Extra(s, a) => self
                .extra
                .get(s)
                .and_then(|s| Some(format!("{}:{}", s.prefix, s.actions.get(a)?.name)))
                .unwrap_or_default(),
        }
    }

    fn extra_names(&self, service: &str) -> Vec<String> {
        self.extra
            .iter()
            .filter(|s| s.lower == service)
            .flat_map(|s| {
                s.actions
                    .iter()
                    .map(|a| format!("`{}:{}`", s.prefix, a.name))
            })
            .collect()
    }
}

/// Levenshtein distance over bytes.
fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut prev = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let (Some(&left), Some(&up)) = (row.get(j), row.get(j + 1)) else {
                continue;
            };
            let cost = usize::from(ca != *cb);
            let value = (prev + cost).min(left + 1).min(up + 1);
            prev = up;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or_default()
}

/// True when the statement's resources include every role: `*`, or an IAM ARN pattern whose
/// resource part covers `role/*` (in any account the pattern names).
fn every_role(s: &Stmt<'_>) -> bool {
    if s.on_every_resource() {
        return true;
    }
    let iam = Glob::wild("iam", false);
    let roles = Glob::wild("role/*", false);
    s.resource_is()
        && s.resources.iter().flatten().any(|r| match r {
            super::glob::ArnGlob::Parts(parts) => {
                parts.get(1).is_some_and(|g| g.covers(&iam))
                    && parts.get(4).is_some_and(|g| g.covers(&roles))
            }
            super::glob::ArnGlob::Whole(g) => g.is_any(),
        })
}

impl Run<'_> {
    pub(super) fn actions(&mut self, s: &Stmt<'_>) {
        for (i, (text, e)) in s.actions().iter().zip(&s.expansions).enumerate() {
            let (service, name) = text.split_once(':').unwrap_or((text, ""));
            match &e.problem {
                None => {}
                Some(Problem::UnknownService) => {
                    let message = if Glob::wild(service, true).is_literal() {
                        format!("`{text}`: no service has the prefix `{service}`")
                    } else {
                        format!("`{text}`: `{service}` matches no service prefix")
                    };
                    self.push(&UNKNOWN_SERVICE, s.action_path(i), message);
                }
                Some(Problem::UnknownAction(suggestion)) => {
                    let mut message = format!("`{service}` has no action `{name}`");
                    if let Some(close) = suggestion {
                        message.push_str(&format!(": did you mean `{close}`?"));
                    } else if service.eq_ignore_ascii_case("mudroom") {
                        let known = self.linter.extra_names("mudroom");
                        message.push_str(&format!(": mudroom's actions are {}", known.join(", ")));
                    }
                    self.push(&UNKNOWN_ACTION, s.action_path(i), message);
                }
                Some(Problem::NoMatch) => self.push(
                    &UNKNOWN_ACTION,
                    s.action_path(i),
                    format!("`{text}` matches no action of `{service}`"),
                ),
            }
        }
        self.redundant_actions(s);
        // In a resource policy `*` is the resource the policy is attached to, not every
        // resource: the breadth rules below are about identity policies.
        if self.kind != PolicyKind::Identity || s.st.effect != Effect::Allow || !s.action_is() {
            return;
        }
        if s.on_every_resource() {
            self.wildcard_writes(s);
            self.sensitive(s);
        }
        if every_role(s) {
            self.role_wildcards(s);
        }
    }

    /// Items that repeat or are covered by another item of the same list. Only wildcard items
    /// cover others, so each item is compared with those alone (and repeats found by text).
    fn redundant_actions(&mut self, s: &Stmt<'_>) {
        let texts = s.actions();
        let lower: Vec<String> = texts.iter().map(|t| t.to_ascii_lowercase()).collect();
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (j, (text, gj)) in texts.iter().zip(&s.action_globs).enumerate() {
            let key = lower.get(j).map_or("", String::as_str);
            if let Some(i) = first.get(key) {
                let other = texts.get(*i).map_or("", String::as_str);
                self.push(
                    &REDUNDANT_ACTION,
                    s.action_path(j),
                    format!("`{text}` repeats `{other}`"),
                );
                continue;
            }
            first.insert(key, j);
            let service = super::literal_service(text);
            let by = s.items_for(service.as_deref()).into_iter().find(|&i| {
                let Some(gi) = s.action_globs.get(i) else {
                    return false;
                };
                i != j
                    && !gi.is_literal()
                    && lower.get(i) != lower.get(j)
                    && gi.covers(gj)
                    && !(j < i && gj.covers(gi))
            });
            if let Some(i) = by {
                let other = texts.get(i).map_or("", String::as_str);
                self.push(
                    &REDUNDANT_ACTION,
                    s.action_path(j),
                    format!("`{text}` is already covered by `{other}`"),
                );
            }
        }
    }

    fn wildcard_writes(&mut self, s: &Stmt<'_>) {
        for (i, (text, e)) in s.actions().iter().zip(&s.expansions).enumerate() {
            if e.all || s.action_globs.get(i).is_none_or(Glob::is_literal) {
                continue;
            }
            let count = |level| {
                e.actions
                    .iter()
                    .filter(|a| self.linter.level(**a) == Some(level))
                    .count()
            };
            let write = count(AccessLevel::Write);
            let perms = count(AccessLevel::PermissionsManagement);
            if write + perms == 0 {
                continue;
            }
            let mut parts = Vec::new();
            if write > 0 {
                parts.push(format!("{write} write"));
            }
            if perms > 0 {
                parts.push(format!("{perms} permissions-management"));
            }
            self.push(
                &WILDCARD_ACTION_WRITE,
                s.action_path(i),
                format!(
                    "`{text}` grants {} action{} on every resource: list the actions needed or scope `Resource`",
                    parts.join(" and "),
                    if write + perms == 1 { "" } else { "s" }
                ),
            );
        }
    }

    fn sensitive(&mut self, s: &Stmt<'_>) {
        for (i, (text, e)) in s.actions().iter().zip(&s.expansions).enumerate() {
            if e.all {
                continue;
            }
            // Classes to the actions in them, in a stable order.
            let mut hits: Vec<(String, &str)> = e
                .actions
                .iter()
                .filter_map(|a| {
                    let name = self.linter.name(*a);
                    let lower = name.to_ascii_lowercase();
                    if lower == "iam:passrole" || lower == "sts:assumerole" {
                        // Their own rules say more.
                        return None;
                    }
                    SENSITIVE.get(lower.as_str()).map(|c| (name, *c))
                })
                .collect();
            if hits.is_empty() {
                continue;
            }
            hits.sort();
            let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, c) in &hits {
                for class in c.split(',') {
                    *classes.entry(class).or_default() += 1;
                }
            }
            let shown: Vec<String> = hits.iter().take(3).map(|(n, _)| format!("`{n}`")).collect();
            let more = if hits.len() > 3 {
                format!(" and {} more", hits.len() - 3)
            } else {
                String::new()
            };
            let classes: Vec<String> = classes.keys().map(|c| class_words(c)).collect();
            self.push(
                &SENSITIVE_ACTION,
                s.action_path(i),
                format!(
                    "`{text}` grants {}{more} on every resource ({}): scope `Resource` to what is needed",
                    shown.join(", "),
                    classes.join(", ")
                ),
            );
        }
    }

    /// `iam:PassRole` and `sts:AssumeRole` on every role.
    fn role_wildcards(&mut self, s: &Stmt<'_>) {
        let real = |i: &usize| s.expansions.get(*i).is_some_and(|e| !e.all);
        if let Some(i) = s.items_matching("iam:passrole").find(real) {
            let scoped =
                s.st.conditions
                    .iter()
                    .any(|c| c.key.eq_ignore_ascii_case("iam:PassedToService"));
            if !scoped {
                let text = s.actions().get(i).map_or("", String::as_str);
                self.push(
                    &PASSROLE_WILDCARD,
                    s.action_path(i),
                    format!(
                        "`{text}` lets the caller pass any role to any service, which then acts with the role's permissions: list the roles in `Resource` and add an `iam:PassedToService` condition"
                    ),
                );
            }
        }
        if let Some(i) = s.items_matching("sts:assumerole").find(real) {
            let text = s.actions().get(i).map_or("", String::as_str);
            self.push(
                &ASSUME_ROLE_WILDCARD,
                s.action_path(i),
                format!(
                    "`{text}` on every role lets the caller become any role that trusts it: list the roles in `Resource`"
                ),
            );
        }
    }
}

fn class_words(class: &str) -> String {
    match class {
        "CredentialExposure" => "credential exposure".to_string(),
        "DataAccess" => "data access".to_string(),
        "PrivEsc" => "privilege escalation".to_string(),
        "ResourceExposure" => "resource exposure".to_string(),
        other => other.to_string(),
    }
}

/// Used by redundancy checks: the union of what items match, when all are typed or registered.
pub(super) fn known_union(
    expansions: &[Expansion],
) -> Option<std::collections::HashSet<ActionRef>> {
    let mut out = std::collections::HashSet::new();
    for e in expansions {
        if e.all || e.problem.is_some() {
            return None;
        }
        out.extend(e.actions.iter().copied());
    }
    Some(out)
}
