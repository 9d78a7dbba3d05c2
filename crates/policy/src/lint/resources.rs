//! Resources: which actions apply to which resources, statements that match nothing, and
//! redundant resource items.

use std::collections::HashMap;

use super::actions::ActionRef;
use super::catalog::CATALOG;
use super::glob::{ArnGlob, Glob};
use super::rules::*;
use super::{Linter, Run, Stmt};
use crate::model::Block;

impl Linter {
    /// Whether action `r` can act on some resource `res` matches. Registered actions apply to
    /// every resource; a catalog action without resource types is authorised against `*` and
    /// is only refused resources of other services.
    pub(super) fn applies(&self, r: ActionRef, res: &ArnGlob) -> bool {
        if res.is_any() {
            return true;
        }
        let ActionRef::Aws(si, ai) = r else {
            return true;
        };
        let Some(service) = CATALOG.services.get(si) else {
            return true;
        };
        let Some(action) = service.actions.get(ai) else {
            return true;
        };
        if action.resources.is_empty() {
            return self.applies_to_service(r, res);
        }
        action.resources.iter().any(|i| {
            service
                .resources
                .get(usize::from(*i))
                .is_none_or(|t| t.arn.intersects(res))
        })
    }

    /// Whether action `r` can act on a resource of the service `res` names: the services of
    /// its resource types' ARNs, or its own prefix when it takes only `*`.
    pub(super) fn applies_to_service(&self, r: ActionRef, res: &ArnGlob) -> bool {
        let ActionRef::Aws(si, ai) = r else {
            return true;
        };
        let (Some(service), Some(wanted)) = (CATALOG.services.get(si), res.service()) else {
            return true;
        };
        let Some(action) = service.actions.get(ai) else {
            return true;
        };
        if action.resources.is_empty() {
            return wanted.intersects(&Glob::wild(&service.prefix, false))
                || service
                    .resources
                    .iter()
                    .any(|t| t.arn.service().is_none_or(|s| wanted.intersects(s)));
        }
        action.resources.iter().any(|i| {
            service
                .resources
                .get(usize::from(*i))
                .and_then(|t| t.arn.service())
                .is_none_or(|s| wanted.intersects(s))
        })
    }

    /// What an action acts on, for messages.
    fn acts_on(&self, r: ActionRef) -> String {
        let ActionRef::Aws(si, ai) = r else {
            return String::new();
        };
        let Some(service) = CATALOG.services.get(si) else {
            return String::new();
        };
        let Some(action) = service.actions.get(ai) else {
            return String::new();
        };
        if action.resources.is_empty() {
            return "it takes only `*`".to_string();
        }
        let formats: Vec<String> = action
            .resources
            .iter()
            .filter_map(|i| service.resources.get(usize::from(*i)))
            .take(2)
            .map(|t| format!("`arn:${{Partition}}:{}`", t.format))
            .collect();
        let more = if action.resources.len() > 2 {
            " or others"
        } else {
            ""
        };
        format!("it acts on {}{more}", formats.join(" or "))
    }
}

impl Run<'_> {
    pub(super) fn resources(&mut self, s: &Stmt<'_>) {
        if let Some(Block::Not(_)) = s.st.action {
            for (i, e) in s.expansions.iter().enumerate() {
                if e.all {
                    self.push(
                        &NEVER_MATCHES,
                        s.action_path(i),
                        "`NotAction` lists every action: the statement never applies",
                    );
                }
            }
        }
        if let Some(Block::Not(_)) = s.st.resource {
            for (i, r) in s.resources.iter().enumerate() {
                if r.as_ref().is_some_and(ArnGlob::is_any) {
                    self.push(
                        &NEVER_MATCHES,
                        s.resource_path(i),
                        "`NotResource` lists every resource: the statement never applies",
                    );
                }
            }
        }
        self.redundant_resources(s);
        self.mismatches(s);
    }

    /// Actions that apply to none of the statement's resources.
    fn mismatches(&mut self, s: &Stmt<'_>) {
        if !s.action_is() || !s.resource_is() {
            return;
        }
        let resources: Vec<&ArnGlob> = s.resources.iter().flatten().collect();
        if resources.len() != s.resources.len() || resources.iter().any(|r| r.is_any()) {
            return;
        }
        let typed: Vec<(usize, &super::actions::Expansion)> = s
            .expansions
            .iter()
            .enumerate()
            .filter(|(_, e)| e.typed())
            .collect();
        let texts = s.actions();
        if typed.len() == s.expansions.len() {
            let elsewhere = typed.iter().all(|(_, e)| {
                !e.actions.iter().any(|a| {
                    resources
                        .iter()
                        .any(|r| self.linter.applies_to_service(*a, r))
                })
            });
            if elsewhere {
                let example = typed
                    .first()
                    .and_then(|(i, e)| Some((texts.get(*i)?, *e.actions.first()?)))
                    .map(|(text, a)| format!(" (`{text}`: {})", self.linter.acts_on(a)))
                    .unwrap_or_default();
                self.push(
                    &NEVER_MATCHES,
                    s.path(),
                    format!(
                        "no action of `Action` applies to a resource of the services `Resource` names{example}: the statement grants nothing"
                    ),
                );
                return;
            }
        }
        for (i, e) in typed {
            let fits = e
                .actions
                .iter()
                .any(|a| resources.iter().any(|r| self.linter.applies(*a, r)));
            if fits {
                continue;
            }
            let text = texts.get(i).map_or("", String::as_str);
            let message = match e.actions.as_slice() {
                [a] => format!(
                    "`{text}` applies to none of this statement's resources ({}): it is not granted here",
                    self.linter.acts_on(*a)
                ),
                _ => format!(
                    "none of the actions `{text}` matches applies to this statement's resources: they are not granted here"
                ),
            };
            self.push(&RESOURCE_MISMATCH, s.action_path(i), message);
        }
    }

    /// Items that repeat or are covered by another item of the same list. Items with
    /// variables never cover: a variable stands for one value per request, not for any.
    fn redundant_resources(&mut self, s: &Stmt<'_>) {
        let texts = s.resource_texts();
        let coverers: Vec<usize> = (0..texts.len())
            .filter(|i| {
                !s.resource_vars.get(*i).copied().unwrap_or(true)
                    && s.resources
                        .get(*i)
                        .and_then(Option::as_ref)
                        .is_some_and(|r| !r.is_literal())
            })
            .collect();
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (j, (text, rj)) in texts.iter().zip(&s.resources).enumerate() {
            if first.contains_key(text.as_str()) {
                self.push(
                    &REDUNDANT_RESOURCE,
                    s.resource_path(j),
                    format!("`{text}` is listed twice"),
                );
                continue;
            }
            first.insert(text, j);
            let Some(rj) = rj else { continue };
            let j_vars = s.resource_vars.get(j).copied().unwrap_or(true);
            let by = coverers.iter().copied().find(|&i| {
                let (Some(Some(ri)), Some(other)) = (s.resources.get(i), texts.get(i)) else {
                    return false;
                };
                i != j && other != text && ri.covers(rj) && !(j < i && !j_vars && rj.covers(ri))
            });
            if let Some(i) = by {
                let other = texts.get(i).map_or("", String::as_str);
                self.push(
                    &REDUNDANT_RESOURCE,
                    s.resource_path(j),
                    format!("`{text}` is already covered by `{other}`"),
                );
            }
        }
    }
}
