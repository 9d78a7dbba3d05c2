//! The parsed, validated form of an IAM policy document.

use crate::condition::Operator;

/// The policy language version: `2012-10-17` knows policy variables, `2008-10-17` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`, also the version of a document without `Version`: `${...}` is literal text.
    V2008,
    /// `2012-10-17`: `${...}` is a policy variable.
    V2012,
}

/// A validated policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The language version.
    pub version: Version,
    /// The optional `Id`.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Grants when matched.
    Allow,
    /// Refuses when matched; wins over every allow.
    Deny,
}

/// An element that may be given in its positive or in its `Not...` form.
#[derive(Debug, Clone)]
pub enum Block<T> {
    /// `Action`, `Resource`, `Principal`.
    Is(T),
    /// `NotAction`, `NotResource`, `NotPrincipal`.
    Not(T),
}

impl<T> Block<T> {
    /// The listed values, whichever the form.
    pub fn inner(&self) -> &T {
        match self {
            Block::Is(t) | Block::Not(t) => t,
        }
    }

    /// True for the `Not...` form.
    pub fn is_not(&self) -> bool {
        matches!(self, Block::Not(_))
    }
}

/// The kind of a principal entry in `Principal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalKind {
    /// `AWS`: accounts, users, roles, role sessions.
    Aws,
    /// `Service`: AWS service principals like `lambda.amazonaws.com`.
    Service,
    /// `Federated`: identity providers.
    Federated,
    /// `CanonicalUser`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalKind {
    /// The JSON key of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
}

/// The value of `Principal` or `NotPrincipal`.
#[derive(Debug, Clone)]
pub enum Principals {
    /// `"*"`: everyone, anonymous callers included.
    Any,
    /// Entries by kind.
    Listed(Vec<(PrincipalKind, String)>),
}

/// One condition: an operator, a key and the values it is compared with (ORed).
#[derive(Debug, Clone)]
pub struct Condition {
    /// The operator, with its set and `IfExists` modifiers.
    pub operator: Operator,
    /// The operator as written, for messages.
    pub operator_text: String,
    /// The context key as written (keys compare case-insensitively).
    pub key: String,
    /// The values as written (numbers and booleans turned into their text).
    pub values: Vec<String>,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The `Sid`, if any.
    pub sid: Option<String>,
    /// Position in the document's `Statement` list.
    pub index: usize,
    /// Allow or deny.
    pub effect: Effect,
    /// `Principal` / `NotPrincipal`.
    pub principal: Option<Block<Principals>>,
    /// `Action` / `NotAction` (absent only in trust-less slots AWS refuses anyway).
    pub action: Option<Block<Vec<String>>>,
    /// `Resource` / `NotResource`.
    pub resource: Option<Block<Vec<String>>>,
    /// Conditions, all ANDed.
    pub conditions: Vec<Condition>,
}

impl Statement {
    /// `Sid` when present, else `Statement[i]`: how messages name this statement.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => sid.clone(),
            _ => format!("Statement[{}]", self.index),
        }
    }
}
