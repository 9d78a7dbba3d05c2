//! Policy lint: a positive and a negative case per rule, every privilege escalation path, and a
//! run over the AWS managed policies.
#![cfg(test)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mudroom_policy::{
    AccessLevel, Finding, Linter, MUDROOM_ACTIONS, ParseOptions, PolicyKind, RULES, Severity, lint,
    lint_text, parse_policy, privesc_paths,
};

fn run(kind: PolicyKind, text: &str) -> Vec<Finding> {
    lint_text(text, ParseOptions::unlimited(kind))
}

/// An identity policy of version 2012-10-17 with these statements (a JSON array's contents).
fn identity(statements: &str) -> Vec<Finding> {
    run(
        PolicyKind::Identity,
        &format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#),
    )
}

fn resource_policy(statements: &str) -> Vec<Finding> {
    run(
        PolicyKind::Resource,
        &format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#),
    )
}

fn with(findings: &[Finding], code: &str) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| f.code == code)
        .cloned()
        .collect()
}

/// The paths of the findings with `code`.
fn paths(findings: &[Finding], code: &str) -> Vec<String> {
    with(findings, code).into_iter().map(|f| f.path).collect()
}

fn allow(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect": "Allow", "Action": {action}, "Resource": {resource}}}"#)
}

#[test]
fn rules_are_documented_and_stable() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy-lint.md"),
    )
    .unwrap();
    let mut seen = std::collections::HashSet::new();
    for rule in RULES {
        assert!(seen.insert(rule.code), "duplicate code {}", rule.code);
        assert!(
            rule.code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            rule.code
        );
        let row = format!("| `{}` | {} |", rule.code, rule.severity);
        assert!(
            doc.contains(&row),
            "docs/policy-lint.md lacks the row {row}"
        );
    }
    let rows = doc.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, RULES.len(), "docs table and RULES differ in length");
}

#[test]
fn severity_names_and_serialization() {
    assert_eq!(Severity::Error.as_str(), "error");
    assert_eq!(Severity::Warning.to_string(), "warning");
    assert_eq!(Severity::Suggestion.as_str(), "suggestion");
    let f = identity(&allow(r#""s3:GetObjekt""#, r#""arn:aws:s3:::b/*""#));
    let json = serde_json::to_value(&f[0]).unwrap();
    assert_eq!(json["severity"], "error");
    assert_eq!(json["code"], "unknown-action");
    assert_eq!(json["path"], "Statement[0].Action");
    assert!(
        f[0].to_string()
            .starts_with("error [unknown-action] Statement[0].Action: ")
    );
}

#[test]
fn invalid_policy() {
    let f = run(
        PolicyKind::Identity,
        r#"{"Version": "2012-10-17", "Statement": 5}"#,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, "invalid-policy");
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].path, "Statement");
    let f = run(
        PolicyKind::Identity,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
    assert_eq!(paths(&f, "invalid-policy"), ["Statement[0].Principal"]);
    let f = run(PolicyKind::Identity, "{");
    assert_eq!(paths(&f, "invalid-policy"), [""]);
    let ok = identity(&allow(r#""s3:GetObject""#, r#""arn:aws:s3:::b/*""#));
    assert!(with(&ok, "invalid-policy").is_empty(), "{ok:?}");
}

#[test]
fn clean_policy_has_no_findings() {
    let f = identity(&allow(
        r#"["s3:GetObject", "s3:PutObject"]"#,
        r#""arn:aws:s3:::app-bucket/*""#,
    ));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn unknown_service() {
    let f = identity(&allow(
        r#"["s3x:GetObject", "zz*:Get*", "s3:GetObject"]"#,
        r#""arn:aws:s3:::b/*""#,
    ));
    assert_eq!(
        paths(&f, "unknown-service"),
        ["Statement[0].Action[0]", "Statement[0].Action[1]"]
    );
    assert_eq!(with(&f, "unknown-service")[0].severity, Severity::Error);
    let f = identity(&allow(r#"["S3:getobject", "s3*:Get*"]"#, r#""*""#));
    assert!(with(&f, "unknown-service").is_empty(), "{f:?}");
}

#[test]
fn unknown_action() {
    let f = identity(&allow(
        r#"["s3:GetObjekt", "s3:Frob*", "mudroom:Nope", "s3:GetObject"]"#,
        r#""*""#,
    ));
    let found = with(&f, "unknown-action");
    assert_eq!(
        found.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        [
            "Statement[0].Action[0]",
            "Statement[0].Action[1]",
            "Statement[0].Action[2]"
        ]
    );
    assert!(
        found[0].message.contains("did you mean `s3:GetObject`"),
        "{found:?}"
    );
    assert!(found[2].message.contains("`mudroom:Invoke`"), "{found:?}");
    // Case-insensitive exact names, wildcards that match, and mudroom's own actions are known.
    let f = identity(&allow(
        r#"["s3:getOBJECT", "s3:Get*", "mudroom:Invoke", "mudroom:readaudit"]"#,
        r#""*""#,
    ));
    assert!(with(&f, "unknown-action").is_empty(), "{f:?}");
}

#[test]
fn registered_actions_are_known() {
    let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["mudroom:Rollback", "queue:Drain"], "Resource": "arn:aws:s3:::b"}]}"#;
    let before = lint_text(text, ParseOptions::new(PolicyKind::Identity));
    assert_eq!(paths(&before, "unknown-action"), ["Statement[0].Action[0]"]);
    assert_eq!(
        paths(&before, "unknown-service"),
        ["Statement[0].Action[1]"]
    );
    let mut linter = Linter::new();
    linter
        .register_action("mudroom:Rollback", AccessLevel::Write)
        .unwrap();
    linter
        .register_action("queue:Drain", AccessLevel::Write)
        .unwrap();
    assert!(
        linter
            .register_action("queue:*", AccessLevel::Write)
            .is_err()
    );
    assert!(
        linter
            .register_action("nocolon", AccessLevel::Read)
            .is_err()
    );
    let after = linter.lint_text(text, ParseOptions::new(PolicyKind::Identity));
    assert!(after.is_empty(), "{after:?}");
    // A registered write action counts for wildcard checks.
    let f = linter.lint_text(
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "queue:*", "Resource": "*"}]}"#,
        ParseOptions::new(PolicyKind::Identity),
    );
    assert_eq!(paths(&f, "wildcard-action-write"), ["Statement[0].Action"]);
    assert_eq!(MUDROOM_ACTIONS.len(), 3);
}

#[test]
fn unknown_condition_key() {
    let f = identity(
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
            "Condition": {"IpAddress": {"aws:SourceIpp": "10.0.0.0/8"},
                          "StringEquals": {"s3:NoSuchKey": "x", "s3:prefix": "home/"}}}"#,
    );
    assert_eq!(
        paths(&f, "unknown-condition-key"),
        [
            "Statement[0].Condition.IpAddress.aws:SourceIpp",
            "Statement[0].Condition.StringEquals.s3:NoSuchKey"
        ]
    );
    let f = identity(
        r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a", "aws:ResourceTag/x": "b",
                "S3:Prefix": "home/", "custom.example.com:sub": "x"}}}"#,
    );
    assert!(with(&f, "unknown-condition-key").is_empty(), "{f:?}");
    let trust = run(
        PolicyKind::Trust,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/idp"},
            "Action": "sts:AssumeRoleWithSAML",
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}"#,
    );
    assert!(trust.is_empty(), "{trust:?}");
}

#[test]
fn condition_type_mismatch() {
    let f = identity(
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:SourceIp": "10.0.0.1", "aws:CurrentTime": "2020-01-01",
                                           "aws:TagKeys": "a"},
                          "ArnLike": {"aws:PrincipalAccount": "arn:aws:iam::*:root"},
                          "ForAnyValue:StringEquals": {"aws:PrincipalTag/team": "a"}}}"#,
    );
    let found = paths(&f, "condition-type-mismatch");
    assert_eq!(
        found,
        // Operators and keys in the order the JSON reader gives them: sorted.
        [
            "Statement[0].Condition.ArnLike.aws:PrincipalAccount",
            "Statement[0].Condition.ForAnyValue:StringEquals.aws:PrincipalTag/team",
            "Statement[0].Condition.StringEquals.aws:CurrentTime",
            "Statement[0].Condition.StringEquals.aws:SourceIp",
            "Statement[0].Condition.StringEquals.aws:TagKeys"
        ],
        "{f:?}"
    );
    let f = identity(
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                          "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
                          "ForAnyValue:StringEquals": {"aws:TagKeys": "a"},
                          "StringLike": {"aws:SourceArn": "arn:aws:sns:*"},
                          "Bool": {"aws:SecureTransport": "true"},
                          "Null": {"aws:TagKeys": "false"}}}"#,
    );
    assert!(with(&f, "condition-type-mismatch").is_empty(), "{f:?}");
}

#[test]
fn condition_key_not_applicable() {
    let f = identity(
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringLike": {"s3:prefix": "home/*"}}}"#,
    );
    assert_eq!(
        paths(&f, "condition-key-not-applicable"),
        ["Statement[0].Condition.StringLike.s3:prefix"]
    );
    let f = identity(
        r#"{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"StringLike": {"s3:prefix": "home/*", "aws:PrincipalTag/x": "y",
                                         "ec2:SourceInstanceARN": "arn:aws:ec2:*"}}}"#,
    );
    assert!(with(&f, "condition-key-not-applicable").is_empty(), "{f:?}");
}

#[test]
fn forallvalues_allow() {
    let f = identity(
        r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}"#,
    );
    assert_eq!(
        paths(&f, "forallvalues-allow"),
        ["Statement[0].Condition.ForAllValues:StringEquals.aws:TagKeys"]
    );
    let guarded = identity(
        r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]},
                          "Null": {"aws:TagKeys": "false"}}}"#,
    );
    assert!(
        with(&guarded, "forallvalues-allow").is_empty(),
        "{guarded:?}"
    );
    let deny = identity(
        r#"{"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}"#,
    );
    assert!(with(&deny, "forallvalues-allow").is_empty(), "{deny:?}");
}

#[test]
fn never_matches() {
    let f = identity(
        r#"{"Effect": "Deny", "NotAction": "*", "Resource": "*"},
           {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::b", "*"]},
           {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/t"},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Null": {"aws:PrincipalTag/team": "true"},
                          "StringEquals": {"aws:PrincipalTag/team": "a"}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"},
                          "StringNotEquals": {"aws:PrincipalTag/team": ["a", "b"]}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "5"},
                          "NumericGreaterThan": {"aws:MultiFactorAuthAge": "10"}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                          "DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}"#,
    );
    assert_eq!(
        paths(&f, "never-matches"),
        [
            "Statement[0].NotAction",
            "Statement[1].NotResource[1]",
            "Statement[2]",
            "Statement[3].Condition.StringEquals.aws:PrincipalTag/team",
            "Statement[4].Condition",
            "Statement[5].Condition",
            "Statement[6].Condition"
        ],
        "{f:?}"
    );
    let f = identity(
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Null": {"aws:PrincipalTag/team": "false"},
                          "StringEquals": {"aws:PrincipalTag/team": "a"},
                          "StringNotEquals": {"aws:PrincipalTag/env": "a"},
                          "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                          "NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "0"}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "c"]},
                          "StringNotEquals": {"aws:PrincipalTag/team": "a"}}},
           {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Null": {"aws:PrincipalTag/team": "true"},
                          "StringNotEquals": {"aws:PrincipalTag/team": "a"}}}"#,
    );
    assert!(with(&f, "never-matches").is_empty(), "{f:?}");
}

#[test]
fn resource_mismatch() {
    let f = identity(&allow(
        r#"["s3:GetObject", "s3:ListBucket"]"#,
        r#""arn:aws:s3:::bucket""#,
    ));
    assert_eq!(paths(&f, "resource-mismatch"), ["Statement[0].Action[0]"]);
    assert!(
        with(&f, "resource-mismatch")[0]
            .message
            .contains("${BucketName}/${ObjectName}")
    );
    let f = identity(&allow(
        r#"["s3:GetObject", "s3:ListBucket"]"#,
        r#"["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]"#,
    ));
    assert!(with(&f, "resource-mismatch").is_empty(), "{f:?}");
    // Actions that take only `*` are not refused resources of their own service.
    let f = identity(&allow(
        r#"["s3:ListAllMyBuckets", "s3:ListBucket"]"#,
        r#""arn:aws:s3:::bucket""#,
    ));
    assert!(with(&f, "resource-mismatch").is_empty(), "{f:?}");
}

#[test]
fn full_admin() {
    let f = identity(&allow(r#""*""#, r#""*""#));
    assert_eq!(paths(&f, "full-admin"), ["Statement[0]"]);
    // The wildcard rules and privilege escalation stay quiet under full administrator access.
    assert_eq!(f.len(), 1, "{f:?}");
    let scoped = identity(&allow(r#""*""#, r#""arn:aws:s3:::b/*""#));
    assert!(with(&scoped, "full-admin").is_empty(), "{scoped:?}");
    let scp = run(
        PolicyKind::Scp,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    );
    assert!(scp.is_empty(), "{scp:?}");
}

#[test]
fn wildcard_action_write() {
    let f = identity(&allow(r#"["s3:*", "s3:Get*", "ec2:Describe*"]"#, r#""*""#));
    let found = with(&f, "wildcard-action-write");
    assert_eq!(found.len(), 1, "{f:?}");
    assert_eq!(found[0].path, "Statement[0].Action[0]");
    assert!(
        found[0].message.contains("permissions-management"),
        "{found:?}"
    );
    let f = identity(&allow(r#""s3:*""#, r#""arn:aws:s3:::b/*""#));
    assert!(with(&f, "wildcard-action-write").is_empty(), "{f:?}");
    // A key policy's `*` is the key itself: the default key policy is not flagged.
    let f = resource_policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*", "Resource": "*"}"#,
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn allow_not_action_and_not_resource() {
    let f = identity(
        r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
           {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}"#,
    );
    assert_eq!(paths(&f, "allow-not-action"), ["Statement[0].NotAction"]);
    assert_eq!(
        paths(&f, "allow-not-resource"),
        ["Statement[1].NotResource"]
    );
    let f = identity(
        r#"{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
           {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::public/*"}"#,
    );
    assert!(with(&f, "allow-not-action").is_empty(), "{f:?}");
    assert!(with(&f, "allow-not-resource").is_empty(), "{f:?}");
    let boundary = run(
        PolicyKind::Boundary,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#,
    );
    assert!(
        with(&boundary, "allow-not-action").is_empty(),
        "{boundary:?}"
    );
}

#[test]
fn allow_not_principal_and_principal_wildcard() {
    let f = resource_policy(
        r#"{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
           {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    assert_eq!(
        paths(&f, "allow-not-principal"),
        ["Statement[0].NotPrincipal"]
    );
    assert_eq!(
        paths(&f, "principal-wildcard"),
        ["Statement[1].Principal", "Statement[2].Principal"]
    );
    let f = resource_policy(
        r#"{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
           {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}},
           {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    assert!(with(&f, "allow-not-principal").is_empty(), "{f:?}");
    assert!(with(&f, "principal-wildcard").is_empty(), "{f:?}");
    let trust = run(
        PolicyKind::Trust,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}"#,
    );
    assert_eq!(
        paths(&trust, "principal-wildcard"),
        ["Statement[0].Principal"]
    );
}

#[test]
fn passrole_wildcard() {
    let f = identity(&format!(
        "{}, {}",
        allow(r#""iam:PassRole""#, r#""*""#),
        allow(
            r#"["iam:Get*", "iam:*"]"#,
            r#""arn:aws:iam::111122223333:role/*""#
        )
    ));
    assert_eq!(
        paths(&f, "passrole-wildcard"),
        ["Statement[0].Action", "Statement[1].Action[1]"]
    );
    let f = identity(
        r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
           {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app"}"#,
    );
    assert!(with(&f, "passrole-wildcard").is_empty(), "{f:?}");
}

#[test]
fn assume_role_wildcard() {
    let f = identity(&allow(r#""sts:AssumeRole""#, r#""*""#));
    assert_eq!(paths(&f, "assume-role-wildcard"), ["Statement[0].Action"]);
    let f = identity(&allow(
        r#""sts:AssumeRole""#,
        r#""arn:aws:iam::111122223333:role/deploy""#,
    ));
    assert!(with(&f, "assume-role-wildcard").is_empty(), "{f:?}");
    let trust = run(
        PolicyKind::Trust,
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
    );
    assert!(trust.is_empty(), "{trust:?}");
}

#[test]
fn privilege_escalation() {
    let f = identity(&allow(
        r#""iam:CreateAccessKey""#,
        r#""arn:aws:iam::111122223333:user/*""#,
    ));
    let found = with(&f, "privilege-escalation");
    assert_eq!(found.len(), 1, "{f:?}");
    assert_eq!(found[0].path, "Statement[0].Action");
    assert!(found[0].message.contains("`iam-002`"), "{found:?}");
    // Not on a user: the permission is not granted where the path needs it.
    let f = identity(&allow(r#""iam:CreateAccessKey""#, r#""arn:aws:s3:::b""#));
    assert!(with(&f, "privilege-escalation").is_empty(), "{f:?}");
    // Refused by an unconditional deny.
    let f = identity(&format!(
        "{}, {}",
        allow(r#""iam:CreateAccessKey""#, r#""*""#),
        r#"{"Effect": "Deny", "Action": "iam:Create*", "Resource": "*"}"#
    ));
    assert!(with(&f, "privilege-escalation").is_empty(), "{f:?}");
    // A role that may only go to EC2 does not open the Lambda paths.
    let f = identity(
        r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
           {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction", "ec2:RunInstances"], "Resource": "*"}"#,
    );
    let ids: Vec<String> = with(&f, "privilege-escalation")
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert!(ids.iter().any(|m| m.contains("`ec2-001`")), "{ids:?}");
    assert!(!ids.iter().any(|m| m.contains("`lambda-001`")), "{ids:?}");
}

#[test]
fn every_privesc_path_is_detected() {
    let all = privesc_paths();
    assert_eq!(all.len(), 65);
    for path in all {
        let actions: Vec<String> = path
            .permissions
            .iter()
            .map(|p| format!("\"{}\"", p.action))
            .collect();
        let needle = format!("`{}`", path.id);
        let f = identity(&allow(&format!("[{}]", actions.join(", ")), r#""*""#));
        let hit = with(&f, "privilege-escalation")
            .into_iter()
            .find(|f| f.message.contains(&needle));
        let hit = hit.unwrap_or_else(|| panic!("{} not detected: {f:?}", path.id));
        assert!(hit.message.contains(&path.name), "{hit:?}");
        // Without its first permission, the path is not granted.
        if actions.len() > 1 {
            let rest = actions.get(1..).unwrap().join(", ");
            let f = identity(&allow(&format!("[{rest}]"), r#""*""#));
            assert!(
                !with(&f, "privilege-escalation")
                    .iter()
                    .any(|f| f.message.contains(&needle)),
                "{} reported without {}",
                path.id,
                path.permissions[0].action
            );
        }
    }
}

#[test]
fn versions() {
    let body = r#""Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/${aws:username}/*"}]"#;
    let missing = run(PolicyKind::Identity, &format!("{{{body}}}"));
    assert_eq!(paths(&missing, "missing-version"), [""]);
    assert_eq!(
        paths(&missing, "literal-variable"),
        ["Statement[0].Resource"]
    );
    assert!(with(&missing, "deprecated-version").is_empty());
    let old = run(
        PolicyKind::Identity,
        &format!(r#"{{"Version": "2008-10-17", {body}}}"#),
    );
    assert_eq!(paths(&old, "deprecated-version"), ["Version"]);
    assert_eq!(paths(&old, "literal-variable"), ["Statement[0].Resource"]);
    assert!(with(&old, "missing-version").is_empty());
    let current = run(
        PolicyKind::Identity,
        &format!(r#"{{"Version": "2012-10-17", {body}}}"#),
    );
    assert!(current.is_empty(), "{current:?}");
    // Without a variable, an old policy has nothing literal.
    let plain = run(
        PolicyKind::Identity,
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}]}"#,
    );
    assert!(with(&plain, "literal-variable").is_empty(), "{plain:?}");
    assert_eq!(paths(&plain, "missing-version"), [""]);
    let vars = run(
        PolicyKind::Identity,
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}}]}"#,
    );
    assert_eq!(
        paths(&vars, "literal-variable"),
        ["Statement[0].Condition.StringEquals.aws:PrincipalTag/team"]
    );
}

#[test]
fn redundant_statement() {
    let f = identity(
        r#"{"Sid": "Broad", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
           {"Sid": "Narrow", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
           {"Sid": "Same", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    let found = with(&f, "redundant-statement");
    assert_eq!(
        found.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["Statement[1]", "Statement[2]"],
        "{f:?}"
    );
    assert!(
        found[0]
            .message
            .contains("`Narrow` is fully covered by `Broad`")
    );
    assert!(found[1].message.contains("`Same` repeats `Broad`"));
    let f = identity(
        r#"{"Sid": "Broad", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
           {"Sid": "Narrow", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*"},
           {"Sid": "Other", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x/*"},
           {"Sid": "Elsewhere", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::c/*"}"#,
    );
    assert!(with(&f, "redundant-statement").is_empty(), "{f:?}");
}

#[test]
fn redundant_action() {
    let f = identity(&allow(
        r#"["s3:GetObject", "s3:Get*", "s3:PutObject", "S3:putobject"]"#,
        r#""arn:aws:s3:::b/*""#,
    ));
    assert_eq!(
        paths(&f, "redundant-action"),
        ["Statement[0].Action[0]", "Statement[0].Action[3]"]
    );
    let f = identity(&allow(
        r#"["s3:GetObject", "s3:PutObject", "s3:GetObjectAcl"]"#,
        r#""arn:aws:s3:::b/*""#,
    ));
    assert!(with(&f, "redundant-action").is_empty(), "{f:?}");
}

#[test]
fn redundant_resource() {
    let f = identity(&allow(
        r#""s3:GetObject""#,
        r#"["arn:aws:s3:::b/*", "arn:aws:s3:::b/x", "arn:aws:s3:::b/*"]"#,
    ));
    assert_eq!(
        paths(&f, "redundant-resource"),
        ["Statement[0].Resource[1]", "Statement[0].Resource[2]"]
    );
    let f = identity(&allow(
        r#""s3:GetObject""#,
        r#"["arn:aws:s3:::b/*", "arn:aws:s3:::c/*", "arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::bob/*"]"#,
    ));
    assert!(with(&f, "redundant-resource").is_empty(), "{f:?}");
}

#[test]
fn sensitive_action() {
    let f = identity(&allow(
        r#"["s3:GetObject", "s3:ListAllMyBuckets", "iam:PassRole"]"#,
        r#""*""#,
    ));
    let found = with(&f, "sensitive-action");
    assert_eq!(found.len(), 1, "{f:?}");
    assert_eq!(found[0].path, "Statement[0].Action[0]");
    assert_eq!(found[0].severity, Severity::Suggestion);
    assert!(found[0].message.contains("data access"), "{found:?}");
    let f = identity(&allow(r#""s3:GetObject""#, r#""arn:aws:s3:::b/*""#));
    assert!(with(&f, "sensitive-action").is_empty(), "{f:?}");
}

#[test]
fn paths_follow_the_source() {
    let text = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Action": "s3:GetObjekt", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b/*"]}}"#;
    let f = lint_text(text, ParseOptions::new(PolicyKind::Identity));
    assert_eq!(paths(&f, "unknown-action"), ["Statement.Action"]);
    assert_eq!(paths(&f, "redundant-resource"), ["Statement.Resource[1]"]);
    // From a parsed policy, paths assume an array of statements.
    let policy = parse_policy(text, ParseOptions::new(PolicyKind::Identity)).unwrap();
    let f = lint(&policy, PolicyKind::Identity);
    assert_eq!(paths(&f, "unknown-action"), ["Statement[0].Action"]);
    assert_eq!(
        paths(&f, "redundant-resource"),
        ["Statement[0].Resource[1]"]
    );
}

fn shared() -> PathBuf {
    std::env::var("MUDROOM_SHARED").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    )
}

#[test]
fn managed_policies_corpus() {
    let dir = shared().join("corpora/iam/managed-policies");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "skipping: {} is absent (set MUDROOM_SHARED to the shared data directory)",
            dir.display()
        );
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() > 1000,
        "only {} policies in {}",
        files.len(),
        dir.display()
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut invalid = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let findings = lint_text(&text, ParseOptions::unlimited(PolicyKind::Identity));
        for f in &findings {
            *counts.entry(f.code).or_default() += 1;
            if f.code == "invalid-policy" {
                invalid.push(format!("{}: {f}", file.display()));
            }
        }
        if file.ends_with("AdministratorAccess.json") {
            assert!(
                findings.iter().any(|f| f.code == "full-admin"),
                "{findings:?}"
            );
        }
    }
    eprintln!(
        "linted {} managed policies; findings per code:",
        files.len()
    );
    for (code, n) in &counts {
        eprintln!("  {code:<30} {n}");
    }
    assert!(invalid.is_empty(), "{invalid:#?}");
}
