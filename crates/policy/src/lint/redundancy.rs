//! Statements fully covered by another statement.

use super::Stmt;
use super::actions::known_union;
use super::glob::ArnGlob;
use super::rules::*;
use super::{Run, literal_service};
use crate::model::{Block, PrincipalKind, Principals};

/// Above this many statements the pairwise comparison is skipped: no AWS policy slot holds
/// that many within its size limit.
const MAX_STATEMENTS: usize = 1_000;

impl Run<'_> {
    pub(super) fn redundant_statements(&mut self, stmts: &[Stmt<'_>]) {
        if stmts.len() > MAX_STATEMENTS {
            return;
        }
        for (j, sj) in stmts.iter().enumerate() {
            let by = stmts
                .iter()
                .enumerate()
                .find(|(i, si)| *i != j && covers(si, sj) && !(*i > j && covers(sj, si)));
            if let Some((_, si)) = by {
                let message = if covers(sj, si) {
                    format!(
                        "`{}` repeats `{}`: remove one",
                        sj.st.label(),
                        si.st.label()
                    )
                } else {
                    format!(
                        "`{}` is fully covered by `{}`, which has no condition: remove it or narrow `{}`",
                        sj.st.label(),
                        si.st.label(),
                        si.st.label()
                    )
                };
                self.push(&REDUNDANT_STATEMENT, sj.path(), message);
            }
        }
    }
}

/// True when every request `s` matches, `t` matches too, with the same effect.
fn covers(t: &Stmt<'_>, s: &Stmt<'_>) -> bool {
    t.st.effect == s.st.effect
        && t.st.conditions.is_empty()
        && principals_cover(t, s)
        && actions_cover(t, s)
        && resources_cover(t, s)
}

fn everyone(p: &Principals) -> bool {
    match p {
        Principals::Any => true,
        Principals::Listed(list) => list
            .iter()
            .any(|(k, v)| *k == PrincipalKind::Aws && v == "*"),
    }
}

fn principals_cover(t: &Stmt<'_>, s: &Stmt<'_>) -> bool {
    match (&t.st.principal, &s.st.principal) {
        (None, None) => true,
        (Some(Block::Is(tp)), Some(Block::Is(_))) if everyone(tp) => true,
        (Some(Block::Is(Principals::Listed(a))), Some(Block::Is(Principals::Listed(b)))) => {
            b.iter().all(|x| a.contains(x))
        }
        _ => false,
    }
}

fn actions_cover(t: &Stmt<'_>, s: &Stmt<'_>) -> bool {
    match (&t.st.action, &s.st.action) {
        (Some(Block::Is(_)), Some(Block::Is(_))) => {
            let union = known_union(&t.expansions);
            let texts = s.actions();
            s.action_globs
                .iter()
                .zip(&s.expansions)
                .enumerate()
                .all(|(j, (sg, se))| {
                    let service = texts.get(j).and_then(|a| literal_service(a));
                    t.items_for(service.as_deref())
                        .into_iter()
                        .filter_map(|i| t.action_globs.get(i))
                        .any(|tg| tg.covers(sg))
                        || (!se.all
                            && se.problem.is_none()
                            && !se.actions.is_empty()
                            && union
                                .as_ref()
                                .is_some_and(|u| se.actions.iter().all(|a| u.contains(a))))
                })
        }
        (Some(Block::Not(_)), Some(Block::Not(_))) => t
            .action_globs
            .iter()
            .all(|tg| s.action_globs.iter().any(|sg| sg.covers(tg))),
        (Some(Block::Not(_)), Some(Block::Is(_))) => s
            .action_globs
            .iter()
            .all(|sg| t.action_globs.iter().all(|tg| !tg.intersects(sg))),
        (Some(Block::Is(_)), Some(Block::Not(_))) => t.expansions.iter().any(|e| e.all),
        _ => false,
    }
}

/// Resource items usable as coverers: parsed and without policy variables.
fn plain<'a>(s: &'a Stmt<'_>) -> impl Iterator<Item = &'a ArnGlob> {
    s.resources
        .iter()
        .zip(&s.resource_vars)
        .filter(|(_, vars)| !**vars)
        .filter_map(|(r, _)| r.as_ref())
}

fn resources_cover(t: &Stmt<'_>, s: &Stmt<'_>) -> bool {
    let parsed = |x: &Stmt<'_>| x.resources.iter().all(Option::is_some);
    if !parsed(t) || !parsed(s) {
        return false;
    }
    match (&t.st.resource, &s.st.resource) {
        (None, None) => true,
        (Some(Block::Is(_)), Some(Block::Is(_))) => s
            .resources
            .iter()
            .flatten()
            .all(|sr| plain(t).any(|tr| tr.covers(sr))),
        (Some(Block::Not(_)), Some(Block::Not(_))) => t
            .resources
            .iter()
            .flatten()
            .all(|tr| plain(s).any(|sr| sr.covers(tr))),
        (Some(Block::Is(_)), Some(Block::Not(_))) => t.on_every_resource(),
        (Some(Block::Not(_)), Some(Block::Is(_))) => s
            .resources
            .iter()
            .flatten()
            .all(|sr| t.resources.iter().flatten().all(|tr| !tr.intersects(sr))),
        _ => false,
    }
}
