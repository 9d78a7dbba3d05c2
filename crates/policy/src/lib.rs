//! mudroom's IAM policy language: parse and validate AWS IAM policy JSON, compile it, evaluate
//! requests exactly as AWS documents, explain decisions and lint policies.
//!
//! The crate is pure: no I/O, no async.
//!
//! ```
//! use mudroom_policy::{Caller, CompiledPolicy, Context, Decision, ParseOptions, PolicyKind,
//!     PolicySet, Request, decide, parse_policy};
//!
//! let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
//!     "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]}"#;
//! let policy = parse_policy(text, ParseOptions::new(PolicyKind::Identity)).unwrap();
//! let compiled = [CompiledPolicy::new("app-role", PolicyKind::Identity, &policy)];
//! let caller = Caller::from_arn("arn:aws:sts::111122223333:assumed-role/app-role/s1").unwrap();
//! let context = Context::new();
//! let request = Request {
//!     caller: &caller,
//!     action: "secretsmanager:GetSecretValue",
//!     resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
//!     resource_account: None,
//!     context: &context,
//! };
//! let set = PolicySet { identity: &compiled, ..PolicySet::default() };
//! assert_eq!(decide(&request, &set), Decision::Allow);
//! ```

mod arn;
mod compile;
mod condition;
mod context;
mod error;
mod eval;
mod explain;
pub mod lint;
mod model;
mod parse;
mod pattern;
pub mod request;

pub use arn::{Arn, ArnPattern};
pub use compile::CompiledPolicy;
pub use condition::{Base, Kind, Operator, SetOp, parse_date};
pub use context::Context;
pub use error::PolicyError;
pub use eval::{Caller, CallerKind, Decision, PolicySet, Request, decide};
pub use explain::{Explanation, NearMiss, StatementRef, explain};
pub use lint::{
    AccessLevel, Finding, Linter, MUDROOM_ACTIONS, PathPermission, PrivescPath, RULES, Rule,
    Severity, lint, lint_text, privesc_paths,
};
pub use model::{Block, Condition, Effect, Policy, PrincipalKind, Principals, Statement, Version};
pub use parse::{MAX_DOCUMENT_BYTES, ParseOptions, PolicyKind, parse_policy, policy_from_value};
pub use pattern::{Matched, Pattern, Resolve, Syntax, Token};
