//! The lint rules: stable codes, severities and what each finds. `docs/policy-lint.md` explains
//! them; keep both in step.

use super::Severity;

/// A lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The stable kebab-case code findings carry.
    pub code: &'static str,
    /// The severity of its findings.
    pub severity: Severity,
    /// What it finds, in one line.
    pub summary: &'static str,
}

const fn rule(code: &'static str, severity: Severity, summary: &'static str) -> Rule {
    Rule {
        code,
        severity,
        summary,
    }
}

pub(crate) const INVALID_POLICY: Rule = rule(
    "invalid-policy",
    Severity::Error,
    "the document is not a valid policy for its slot",
);
pub(crate) const UNKNOWN_SERVICE: Rule = rule(
    "unknown-service",
    Severity::Error,
    "an action names a service prefix no service has",
);
pub(crate) const UNKNOWN_ACTION: Rule = rule(
    "unknown-action",
    Severity::Error,
    "an action, or a wildcard action, matches no action of its service",
);
pub(crate) const UNKNOWN_CONDITION_KEY: Rule = rule(
    "unknown-condition-key",
    Severity::Warning,
    "a condition key of `aws:` or of a known service is not documented",
);
pub(crate) const CONDITION_TYPE_MISMATCH: Rule = rule(
    "condition-type-mismatch",
    Severity::Warning,
    "a condition operator does not fit the key's type or its single or multiple values",
);
pub(crate) const CONDITION_KEY_NOT_APPLICABLE: Rule = rule(
    "condition-key-not-applicable",
    Severity::Warning,
    "a service condition key that none of the statement's actions supports",
);
pub(crate) const FORALLVALUES_ALLOW: Rule = rule(
    "forallvalues-allow",
    Severity::Warning,
    "`ForAllValues:` in an `Allow` holds when the key is absent",
);
pub(crate) const NEVER_MATCHES: Rule = rule(
    "never-matches",
    Severity::Warning,
    "a statement that can match no request",
);
pub(crate) const RESOURCE_MISMATCH: Rule = rule(
    "resource-mismatch",
    Severity::Warning,
    "an action that applies to none of the statement's resources",
);
pub(crate) const FULL_ADMIN: Rule = rule(
    "full-admin",
    Severity::Warning,
    "`Allow` of every action on every resource",
);
pub(crate) const WILDCARD_ACTION_WRITE: Rule = rule(
    "wildcard-action-write",
    Severity::Warning,
    "a wildcard action grants write or permissions-management actions on every resource",
);
pub(crate) const ALLOW_NOT_ACTION: Rule = rule(
    "allow-not-action",
    Severity::Warning,
    "`Allow` with `NotAction`",
);
pub(crate) const ALLOW_NOT_RESOURCE: Rule = rule(
    "allow-not-resource",
    Severity::Warning,
    "`Allow` with `NotResource`",
);
pub(crate) const ALLOW_NOT_PRINCIPAL: Rule = rule(
    "allow-not-principal",
    Severity::Warning,
    "`Allow` with `NotPrincipal` in a resource or trust policy",
);
pub(crate) const PRINCIPAL_WILDCARD: Rule = rule(
    "principal-wildcard",
    Severity::Warning,
    "a resource or trust policy allows every principal without a condition",
);
pub(crate) const PASSROLE_WILDCARD: Rule = rule(
    "passrole-wildcard",
    Severity::Warning,
    "`iam:PassRole` on every role without `iam:PassedToService`",
);
pub(crate) const ASSUME_ROLE_WILDCARD: Rule = rule(
    "assume-role-wildcard",
    Severity::Warning,
    "`sts:AssumeRole` on every role",
);
pub(crate) const PRIVILEGE_ESCALATION: Rule = rule(
    "privilege-escalation",
    Severity::Warning,
    "the policy grants every permission of a known privilege escalation path",
);
pub(crate) const MISSING_VERSION: Rule = rule(
    "missing-version",
    Severity::Warning,
    "no `Version`: the policy is read as `2008-10-17`",
);
pub(crate) const LITERAL_VARIABLE: Rule = rule(
    "literal-variable",
    Severity::Warning,
    "`${...}` in a `2008-10-17` policy is literal text, not a variable",
);
pub(crate) const DEPRECATED_VERSION: Rule = rule(
    "deprecated-version",
    Severity::Suggestion,
    "`Version` `2008-10-17` instead of `2012-10-17`",
);
pub(crate) const REDUNDANT_STATEMENT: Rule = rule(
    "redundant-statement",
    Severity::Suggestion,
    "a statement fully covered by another unconditional statement of the same effect",
);
pub(crate) const REDUNDANT_ACTION: Rule = rule(
    "redundant-action",
    Severity::Suggestion,
    "an action item covered by another item of the same list",
);
pub(crate) const REDUNDANT_RESOURCE: Rule = rule(
    "redundant-resource",
    Severity::Suggestion,
    "a resource item covered by another item of the same list",
);
pub(crate) const SENSITIVE_ACTION: Rule = rule(
    "sensitive-action",
    Severity::Suggestion,
    "actions that expose credentials or data, escalate privileges or expose resources, on every resource",
);

/// Every rule, errors first.
pub const RULES: &[Rule] = &[
    INVALID_POLICY,
    UNKNOWN_SERVICE,
    UNKNOWN_ACTION,
    UNKNOWN_CONDITION_KEY,
    CONDITION_TYPE_MISMATCH,
    CONDITION_KEY_NOT_APPLICABLE,
    FORALLVALUES_ALLOW,
    NEVER_MATCHES,
    RESOURCE_MISMATCH,
    FULL_ADMIN,
    WILDCARD_ACTION_WRITE,
    ALLOW_NOT_ACTION,
    ALLOW_NOT_RESOURCE,
    ALLOW_NOT_PRINCIPAL,
    PRINCIPAL_WILDCARD,
    PASSROLE_WILDCARD,
    ASSUME_ROLE_WILDCARD,
    PRIVILEGE_ESCALATION,
    MISSING_VERSION,
    LITERAL_VARIABLE,
    DEPRECATED_VERSION,
    REDUNDANT_STATEMENT,
    REDUNDANT_ACTION,
    REDUNDANT_RESOURCE,
    SENSITIVE_ACTION,
];
