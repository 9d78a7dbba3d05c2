#![cfg(test)]
//! Regression tests for decisions the differential test against iam-simulate showed wrong,
//! each checked against AWS's documentation (see `docs/policy-differential.md`).

use mudroom_policy::Decision;
use mudroom_policy::request::RequestFile;
use serde_json::{Value, json};

fn decide(request: Value) -> Decision {
    RequestFile::from_value(&request).unwrap().decide()
}

const OBJECT: &str = "arn:aws:s3:::data-444455556666/reports/q1.csv";

fn public_read(principal: &str, policy_principal: Value) -> Value {
    json!({
        "principal": {"arn": principal},
        "action": "s3:GetObject",
        "resource": OBJECT,
        "resource_account": "444455556666",
        "resource_policy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": policy_principal,
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-444455556666/*"}]},
    })
}

/// Anonymous callers and service principals have no account and no identity policies: a
/// resource policy naming them (or everyone) grants by itself, whoever owns the resource.
#[test]
fn resource_policy_alone_grants_anonymous_and_service_callers() {
    assert_eq!(
        decide(public_read("anonymous", json!("*"))),
        Decision::Allow
    );
    assert_eq!(
        decide(public_read("anonymous", json!({"AWS": "*"}))),
        Decision::Allow
    );
    assert_eq!(
        decide(public_read(
            "sns.amazonaws.com",
            json!({"Service": "sns.amazonaws.com"})
        )),
        Decision::Allow
    );
    assert_eq!(
        decide(public_read(
            "sns.amazonaws.com",
            json!({"Service": "lambda.amazonaws.com"})
        )),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(public_read(
            "anonymous",
            json!({"AWS": "arn:aws:iam::444455556666:root"})
        )),
        Decision::ImplicitDeny
    );
}

fn identity_only(resource_pattern: &str, action: &str, resource: &str) -> Value {
    json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/alice"},
        "action": action,
        "resource": resource,
        "resource_account": "111122223333",
        "identity_policies": [{"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": action, "Resource": resource_pattern}]}],
    })
}

/// AWS: "You can use a policy variable in the Resource element, but only in the resource
/// portion of the ARN [...] You can't use a variable to replace parts of the ARN before the
/// fifth colon, such as the service or account."
#[test]
fn resource_variables_count_only_after_the_fifth_colon() {
    let queue = "arn:aws:sqs:us-east-1:111122223333:orders";
    assert_eq!(
        decide(identity_only(
            "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:orders",
            "sqs:SendMessage",
            queue
        )),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(identity_only(
            "arn:aws:sqs:us-east-1:111122223333:orders",
            "sqs:SendMessage",
            queue
        )),
        Decision::Allow
    );
    assert_eq!(
        decide(identity_only(
            "arn:aws:s3:::data/${aws:username}/*",
            "s3:GetObject",
            "arn:aws:s3:::data/alice/a.txt"
        )),
        Decision::Allow
    );
    assert_eq!(
        decide(identity_only(
            "arn:aws:sqs:us-east-2:*:${aws:username}-queue",
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-2:111122223333:alice-queue"
        )),
        Decision::Allow
    );
    // ARN condition operators still resolve variables anywhere in their values.
    let mut request = identity_only("*", "sqs:SendMessage", queue);
    request["identity_policies"][0]["Statement"][0]["Condition"] = json!({
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}});
    assert_eq!(decide(request), Decision::Allow);
}

fn not_principal_deny(boundary: bool) -> Value {
    let mut request = json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/alice"},
        "action": "sqs:SendMessage",
        "resource": "arn:aws:sqs:us-east-1:111122223333:orders",
        "identity_policies": [{"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}],
        "resource_policy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny",
            "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root",
                                     "arn:aws:iam::111122223333:user/alice"]},
            "Action": "sqs:*", "Resource": "*"}]},
    });
    if boundary {
        request["permissions_boundary"] = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "*", "Resource": "*"}]});
    }
    request
}

/// AWS: "The NotPrincipal element with a Deny effect will always deny any IAM principal that
/// has a permissions boundary policy attached, regardless of the values specified in the
/// NotPrincipal element."
#[test]
fn deny_with_not_principal_denies_principals_with_a_boundary() {
    assert_eq!(decide(not_principal_deny(false)), Decision::Allow);
    assert_eq!(decide(not_principal_deny(true)), Decision::ExplicitDeny);
}

fn session_with_resource_principal(principal: Value, session_policy: bool) -> Value {
    let mut request = json!({
        "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/app-role/s1"},
        "action": "secretsmanager:GetSecretValue",
        "resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
        "resource_policy": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": principal,
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]},
    });
    if session_policy {
        request["session_policies"] = json!([{"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]);
    }
    request
}

/// STS: when a resource-based policy "specifically references the [...] session in the
/// Principal element of the policy, the session has the permissions allowed by the policy";
/// a grant to everyone (`*`) names no session, so the session policies limit it.
#[test]
fn session_policies_limit_a_grant_to_everyone() {
    let session = json!({"AWS": "arn:aws:sts::111122223333:assumed-role/app-role/s1"});
    assert_eq!(
        decide(session_with_resource_principal(json!("*"), false)),
        Decision::Allow
    );
    assert_eq!(
        decide(session_with_resource_principal(json!("*"), true)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(session_with_resource_principal(json!({"AWS": "*"}), true)),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(session_with_resource_principal(session, true)),
        Decision::Allow
    );
}
