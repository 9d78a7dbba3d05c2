//! Explanations: which statements decided, and for a deny, why the nearest allows did not match.

use crate::compile::{CompiledPolicy, CompiledStatement};
use crate::eval::{Decision, Miss, PolicySet, Recorder, Request, decide_with, slot_name};
use crate::model::{Block, Effect};

/// A statement named in an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRef {
    /// The policy's name.
    pub policy: String,
    /// The slot the policy fills, like `identity policy`.
    pub slot: &'static str,
    /// The statement's Sid, else `Statement[i]`.
    pub statement: String,
    /// Its effect.
    pub effect: Effect,
}

/// An allow statement that covers the action but did not apply, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// The statement.
    pub statement: StatementRef,
    /// Why it did not apply.
    pub why: String,
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The decision, the same `decide` gives.
    pub decision: Decision,
    /// Statements that applied to the request, allows and denies.
    pub matched: Vec<StatementRef>,
    /// For a deny, what was missing.
    pub reasons: Vec<String>,
    /// For a deny, allow statements that cover the action but did not match, and why.
    pub near_misses: Vec<NearMiss>,
}

struct Record<'r> {
    req: &'r Request<'r>,
    out: Explanation,
}

fn statement_ref(p: &CompiledPolicy, s: &CompiledStatement) -> StatementRef {
    StatementRef {
        policy: p.name().to_string(),
        slot: slot_name(p.kind()),
        statement: s.label(),
        effect: s.effect,
    }
}

impl Recorder for Record<'_> {
    fn applied(&mut self, p: &CompiledPolicy, s: &CompiledStatement) {
        self.out.matched.push(statement_ref(p, s));
    }

    fn missed(&mut self, p: &CompiledPolicy, s: &CompiledStatement, miss: Miss) {
        let req = self.req;
        let why = match miss {
            Miss::Resource => {
                let listed = s
                    .resource_text
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                match &s.resource {
                    Some(Block::Not(_)) => format!(
                        "resource `{}` is excluded by NotResource {listed} (or a policy variable has no value)",
                        req.resource
                    ),
                    _ => format!(
                        "resource `{}` is not covered by {listed} (or a policy variable has no value)",
                        req.resource
                    ),
                }
            }
            Miss::Principal => format!(
                "principal `{}` is not named by the statement",
                req.caller.arn()
            ),
            Miss::Condition(i) => match s.conditions.get(i) {
                Some(c) => {
                    let have = match req.context.get(&c.key) {
                        Some(values) if !values.is_empty() => format!("the request has {values:?}"),
                        _ => "the request does not have the key".to_string(),
                    };
                    let op = c.operator;
                    let set = match op.set {
                        Some(crate::condition::SetOp::ForAllValues) => "ForAllValues:",
                        Some(crate::condition::SetOp::ForAnyValue) => "ForAnyValue:",
                        None => "",
                    };
                    let if_exists = if op.if_exists { "IfExists" } else { "" };
                    format!(
                        "condition `{set}{}{if_exists}` on `{}` does not hold: {have}",
                        op.base.name(),
                        c.key_text
                    )
                }
                None => "a condition does not hold".to_string(),
            },
        };
        self.out.near_misses.push(NearMiss {
            statement: statement_ref(p, s),
            why,
        });
    }

    fn reason(&mut self, why: &dyn Fn() -> String) {
        self.out.reasons.push(why());
    }
}

/// Decides `req` against `set` and says why.
pub fn explain(req: &Request<'_>, set: &PolicySet<'_>) -> Explanation {
    let mut rec = Record {
        req,
        out: Explanation {
            decision: Decision::ImplicitDeny,
            matched: Vec::new(),
            reasons: Vec::new(),
            near_misses: Vec::new(),
        },
    };
    let decision = decide_with(req, set, &mut rec);
    let mut out = rec.out;
    // A statement listing several matching actions is reached once per action pattern.
    dedup(&mut out.matched, |m| m.clone());
    dedup(&mut out.near_misses, |m| m.statement.clone());
    out.decision = decision;
    if decision == Decision::ExplicitDeny {
        out.matched.retain(|m| m.effect == Effect::Deny);
    }
    if decision == Decision::Allow {
        out.near_misses.clear();
        out.reasons.clear();
    }
    out
}

/// Removes later duplicates, keeping order.
fn dedup<T>(items: &mut Vec<T>, key: impl Fn(&T) -> StatementRef) {
    let mut seen: Vec<StatementRef> = Vec::new();
    items.retain(|item| {
        let k = key(item);
        if seen.contains(&k) {
            false
        } else {
            seen.push(k);
            true
        }
    });
}
