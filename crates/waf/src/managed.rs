//! The managed rule groups mudroom ships, and the default web ACL built from them.
//!
//! Each group is JSON data in the crate (`data/*.json`); every rule has a name (its id), a
//! label (`<namespace><name>`) and a `Description` of its purpose. `docs/waf.md` lists them.

use std::sync::Arc;

use crate::acl::{AclError, RuleGroup, WebAcl};

/// `AWSManagedRulesCommonRuleSet`: the core rule set (OWASP Top 10 classes).
pub const CORE_RULE_SET: &str = include_str!("../data/core-rule-set.json");
/// `AWSManagedRulesSQLiRuleSet`: SQL database.
pub const SQL_DATABASE: &str = include_str!("../data/sql-database.json");
/// `AWSManagedRulesKnownBadInputsRuleSet`: Log4Shell, Java deserialization, Spring4Shell.
pub const KNOWN_BAD_INPUTS: &str = include_str!("../data/known-bad-inputs.json");
/// The web ACL `mudroom up` applies when none is configured.
pub const DEFAULT_ACL: &str = include_str!("../data/default-acl.json");

/// The shipped rule groups, parsed.
///
/// # Errors
/// An [`AclError`] if shipped data is broken (a test guards against it).
pub fn groups() -> Result<Vec<Arc<RuleGroup>>, AclError> {
    [CORE_RULE_SET, SQL_DATABASE, KNOWN_BAD_INPUTS]
        .iter()
        .map(|t| RuleGroup::from_json(t).map(Arc::new))
        .collect()
}

/// Parses a web ACL that may reference the shipped groups.
///
/// # Errors
/// An [`AclError`] with the JSON path and reason of the first problem.
pub fn acl_from_json(text: &str) -> Result<WebAcl, AclError> {
    WebAcl::from_json(text, &groups()?)
}

/// The default web ACL.
///
/// # Errors
/// An [`AclError`] if shipped data is broken (a test guards against it).
pub fn default_acl() -> Result<WebAcl, AclError> {
    acl_from_json(DEFAULT_ACL)
}
