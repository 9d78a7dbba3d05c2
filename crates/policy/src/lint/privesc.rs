//! Privilege escalation: the policy's `Allow` statements grant every permission of a path.

use super::catalog::{PrivescPath, privesc_paths};
use super::glob::ArnGlob;
use super::rules::*;
use super::{Run, Stmt};
use crate::condition::CompiledCondition;
use crate::context::Context;
use crate::model::{Block, Condition, Effect};
use crate::parse::PolicyKind;

fn category_words(category: &str) -> &'static str {
    match category {
        "self-escalation" => "the caller can raise its own permissions",
        "principal-access" => "the caller can act as another principal",
        "new-passrole" => {
            "the caller can give a role to a new resource and act with the role's permissions"
        }
        "existing-passrole" => "the caller can take over a resource that already acts with a role",
        _ => "the caller can gain permissions it was not given",
    }
}

impl Run<'_> {
    /// Paths whose permissions the policy grants. Only identity policies; skipped when the
    /// policy already grants full administrator access.
    pub(super) fn privilege_escalation(&mut self, stmts: &[Stmt<'_>]) {
        if self.kind != PolicyKind::Identity || self.full_admin {
            return;
        }
        for path in privesc_paths() {
            let mut at = None;
            let granted =
                path.permissions
                    .iter()
                    .all(|p| match self.granted(stmts, &p.action, path) {
                        Some(loc) => {
                            at.get_or_insert(loc);
                            true
                        }
                        None => false,
                    });
            if granted {
                self.push(
                    &PRIVILEGE_ESCALATION,
                    at.unwrap_or_default(),
                    format!(
                        "grants privilege escalation path `{}` ({}): {}",
                        path.id,
                        path.name,
                        category_words(&path.category)
                    ),
                );
            }
        }
    }

    /// Where the policy grants `action` as the path needs it, if it does.
    fn granted(&self, stmts: &[Stmt<'_>], action: &str, path: &PrivescPath) -> Option<String> {
        let lower = action.to_ascii_lowercase();
        let target = self.linter.lookup(&lower);
        let denied = stmts.iter().any(|s| {
            s.st.effect == Effect::Deny
                && s.st.conditions.is_empty()
                && s.covers_action(&lower)
                && (s.st.resource.is_none() || s.on_every_resource())
        });
        if denied {
            return None;
        }
        stmts
            .iter()
            .filter(|s| s.st.effect == Effect::Allow && s.covers_action(&lower))
            .find_map(|s| {
                let on_resource = match &s.st.resource {
                    None => true,
                    Some(Block::Is(_)) => target.is_none_or(|a| {
                        s.resources
                            .iter()
                            .flatten()
                            .any(|r| self.linter.applies(a, r))
                    }),
                    Some(Block::Not(_)) => !s.resources.iter().flatten().any(ArnGlob::is_any),
                };
                if !on_resource {
                    return None;
                }
                if lower == "iam:passrole" && !self.passes(s, &path.passed_to) {
                    return None;
                }
                Some(match s.items_matching(&lower).next() {
                    Some(i) if s.action_is() => s.action_path(i),
                    _ => s.element_path("NotAction"),
                })
            })
    }

    /// Whether the statement's `iam:PassedToService` conditions let the role reach one of
    /// the services.
    fn passes(&self, s: &Stmt<'_>, services: &[String]) -> bool {
        let on_key: Vec<&Condition> =
            s.st.conditions
                .iter()
                .filter(|c| c.key.eq_ignore_ascii_case("iam:PassedToService"))
                .collect();
        if on_key.is_empty() || services.is_empty() {
            return true;
        }
        services.iter().any(|service| {
            let mut context = Context::new();
            context.set("iam:PassedToService", service.as_str());
            on_key.iter().all(|c| {
                CompiledCondition::compile(c.operator, &c.key, &c.values, self.version)
                    .map_or(true, |compiled| compiled.eval(&context))
            })
        })
    }
}
