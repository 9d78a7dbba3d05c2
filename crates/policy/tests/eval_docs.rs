//! The examples of AWS's IAM documentation, each evaluated and checked against the answer the
//! documentation gives. Each test names the page it comes from.

#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use mudroom_policy::Decision::{self, Allow, ExplicitDeny, ImplicitDeny};
use mudroom_policy::request::RequestFile;
use serde_json::{Value, json};

const EVAL: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html";

fn decide(request: &Value) -> Decision {
    RequestFile::from_value(request).unwrap().decide()
}

/// An identity policy allowing `action` on `resource`.
fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]})
}

/// A policy of one statement.
fn one(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

// ---------------------------------------------------------------------------------------------
// Policy evaluation logic: reference_policies_evaluation-logic.html
// ---------------------------------------------------------------------------------------------

fn carlos_identity() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow",
         "Action": ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock",
                    "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
         "Resource": "arn:aws:s3:::*"},
        {"Sid": "AllowS3Self", "Effect": "Allow", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
         "Resource": "arn:aws:s3:::*log*"}]})
}

fn carlos_bucket_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
         "Action": "s3:*",
         "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"]}]})
}

// reference_policies_evaluation-logic.html, "Example identity-based and resource-based policy
// evaluation": the identity policy's DenyS3Logs denies Carlos the carlossalazar-logs bucket.
#[test]
fn carlos_logs_bucket_is_explicitly_denied() {
    let r = json!({
        "principal": {"arn": "arn:aws:iam::123456789012:user/carlossalazar"},
        "action": "s3:PutObject",
        "resource": "arn:aws:s3:::carlossalazar-logs/file.txt",
        "identity_policies": [carlos_identity()],
        "resource_policy": carlos_bucket_policy(),
    });
    assert_eq!(decide(&r), ExplicitDeny, "{EVAL}");
}

// Same example: both policies allow the carlossalazar bucket, so the request is allowed.
#[test]
fn carlos_own_bucket_is_allowed() {
    let r = json!({
        "principal": {"arn": "arn:aws:iam::123456789012:user/carlossalazar"},
        "action": "s3:PutObject",
        "resource": "arn:aws:s3:::carlossalazar/file.txt",
        "identity_policies": [carlos_identity()],
        "resource_policy": carlos_bucket_policy(),
    });
    assert_eq!(decide(&r), Allow);
}

// Same example: "If one of the policy types allows the request and the other doesn't, the
// request is still allowed" (same account), for each of the two alone.
#[test]
fn same_account_either_policy_alone_allows() {
    let only_resource = json!({
        "principal": {"arn": "arn:aws:iam::123456789012:user/carlossalazar"},
        "action": "s3:PutObject",
        "resource": "arn:aws:s3:::carlossalazar/file.txt",
        "resource_policy": carlos_bucket_policy(),
    });
    assert_eq!(decide(&only_resource), Allow);
    let only_identity = json!({
        "principal": {"arn": "arn:aws:iam::123456789012:user/carlossalazar"},
        "action": "s3:PutObject",
        "resource": "arn:aws:s3:::carlossalazar/file.txt",
        "identity_policies": [carlos_identity()],
    });
    assert_eq!(decide(&only_identity), Allow);
}

// Same example: AllowS3ListRead lists the buckets; nothing grants s3:DeleteBucket elsewhere.
#[test]
fn carlos_list_and_other_bucket() {
    let base = |action: &str, resource: &str| {
        json!({
            "principal": {"arn": "arn:aws:iam::123456789012:user/carlossalazar"},
            "action": action, "resource": resource,
            "identity_policies": [carlos_identity()],
        })
    };
    assert_eq!(
        decide(&base("s3:ListAllMyBuckets", "arn:aws:s3:::*")),
        Allow
    );
    assert_eq!(
        decide(&base("s3:DeleteBucket", "arn:aws:s3:::someone-else")),
        ImplicitDeny
    );
}

fn get_list_deny_reports() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"],
         "Resource": "*"},
        {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"}]})
}

// reference_policies_evaluation-logic.html, "The difference between explicit and implicit
// denies": Get*/List* allowed, iam:CreatePolicy implicitly denied, *Report explicitly denied even
// when another policy allows it.
#[test]
fn explicit_and_implicit_denies() {
    let r = |action: &str, extra: Option<Value>| {
        let mut policies = vec![get_list_deny_reports()];
        policies.extend(extra);
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": action, "resource": "*",
            "identity_policies": policies,
        })
    };
    assert_eq!(decide(&r("iam:GetUser", None)), Allow);
    assert_eq!(decide(&r("iam:ListRoles", None)), Allow);
    assert_eq!(decide(&r("iam:CreatePolicy", None)), ImplicitDeny);
    assert_eq!(
        decide(&r("iam:GetOrganizationsAccessReport", None)),
        ExplicitDeny
    );
    let grant = allow("iam:GenerateCredentialReport", "*");
    assert_eq!(
        decide(&r("iam:GenerateCredentialReport", Some(grant))),
        ExplicitDeny
    );
}

// reference_policies_evaluation-logic_policy-eval-denyallow.html: "By default, all requests are
// implicitly denied with the exception of the AWS account root user, which has full access."
#[test]
fn root_user_has_full_access_unless_denied() {
    let base = json!({
        "principal": {"arn": "arn:aws:iam::111122223333:root"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/key",
    });
    assert_eq!(decide(&base), Allow);
    let mut denied = base.clone();
    denied["resource_policy"] = one(json!({"Effect": "Deny", "Principal": "*",
        "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"}));
    assert_eq!(decide(&denied), ExplicitDeny);
    // "The SCP maximum applies to principals in member accounts, including each AWS account
    // root user."
    let mut scp = base;
    scp["service_control_policies"] = json!([allow("ec2:*", "*")]);
    assert_eq!(decide(&scp), ImplicitDeny);
}

// reference_policies_evaluation-logic.html, "Organizations SCPs": "If the enforcement code does
// not find any applicable Allow statements in the SCPs, the request is ... denied"; with an SCP,
// a boundary and an identity policy "the request is allowed only if all three policy types
// allow it" (access_policies_boundaries.html).
#[test]
fn scp_boundary_and_identity_must_all_allow() {
    let r = |scp: &str, boundary: &str, identity: &str| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "identity_policies": [allow(identity, "*")],
            "permissions_boundary": allow(boundary, "*"),
            "service_control_policies": [allow(scp, "*")],
        })
    };
    assert_eq!(decide(&r("s3:*", "s3:*", "s3:*")), Allow);
    assert_eq!(decide(&r("ec2:*", "s3:*", "s3:*")), ImplicitDeny);
    assert_eq!(decide(&r("s3:*", "ec2:*", "s3:*")), ImplicitDeny);
    assert_eq!(decide(&r("s3:*", "s3:*", "ec2:*")), ImplicitDeny);
}

// reference_policies_evaluation-logic_policy-eval-denyallow.html, "AWS Organizations RCPs": "If
// the enforcement code does not find any applicable Allow statements in the RCPs, then the
// enforcement code returns a final decision of Deny."
#[test]
fn rcp_must_allow() {
    let r = |rcp: Value| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "identity_policies": [allow("s3:*", "*")],
            "resource_control_policies": [rcp],
        })
    };
    let full = one(json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}));
    assert_eq!(decide(&r(full)), Allow);
    let ec2 = one(
        json!({"Effect": "Allow", "Principal": "*", "Action": "ec2:*",
        "Resource": "*"}),
    );
    assert_eq!(decide(&r(ec2)), ImplicitDeny);
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
    let mut insecure = r(deny);
    insecure["context"] = json!({"aws:SecureTransport": "false"});
    assert_eq!(decide(&insecure), ExplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// Resource-based policies and implicit denies in other policy types (same account):
// reference_policies_evaluation-logic.html, access_policies_boundaries.html and
// access_policies.html#policies_session
// ---------------------------------------------------------------------------------------------

fn bucket_policy_for(principal: &str) -> Value {
    one(json!({"Effect": "Allow", "Principal": {"AWS": principal},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}))
}

// "IAM user – Within the same account, resource-based policies that grant permissions to an IAM
// user ARN ... are not limited by an implicit deny in an identity-based policy or permissions
// boundary."
#[test]
fn resource_policy_naming_user_ignores_boundary_and_identity() {
    let r = json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/key",
        "identity_policies": [allow("ec2:*", "*")],
        "permissions_boundary": allow("ec2:*", "*"),
        "resource_policy": bucket_policy_for("arn:aws:iam::111122223333:user/ana"),
    });
    assert_eq!(decide(&r), Allow);
}

// "IAM role – Resource-based policies that grant permissions to an IAM role ARN are limited by
// an implicit deny in a permissions boundary or session policy."
#[test]
fn resource_policy_naming_role_is_limited_by_boundary_and_session_policy() {
    let r = |boundary: Option<Value>, session: Option<Value>| {
        json!({
            "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/app/s1"},
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/key",
            "resource_policy": bucket_policy_for("arn:aws:iam::111122223333:role/app"),
            "permissions_boundary": boundary,
            "session_policies": session.map(|s| vec![s]),
        })
    };
    // No identity policy at all: the role grant alone is enough.
    assert_eq!(decide(&r(None, None)), Allow);
    assert_eq!(decide(&r(Some(allow("ec2:*", "*")), None)), ImplicitDeny);
    assert_eq!(decide(&r(Some(allow("s3:*", "*")), None)), Allow);
    assert_eq!(decide(&r(None, Some(allow("ec2:*", "*")))), ImplicitDeny);
    assert_eq!(decide(&r(None, Some(allow("s3:*", "*")))), Allow);
}

// "IAM role session – Within the same account, resource-based policies that grant permissions to
// an IAM role session ARN grant permissions directly to the assumed role session. Permissions
// granted directly to a session are not limited by an implicit deny in an identity-based policy,
// a permissions boundary, or session policy."
#[test]
fn resource_policy_naming_session_is_not_limited() {
    let r = json!({
        "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/app/s1"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/key",
        "identity_policies": [allow("ec2:*", "*")],
        "permissions_boundary": allow("ec2:*", "*"),
        "session_policies": [allow("ec2:*", "*")],
        "resource_policy": bucket_policy_for("arn:aws:sts::111122223333:assumed-role/app/s1"),
    });
    assert_eq!(decide(&r), Allow);
    // Another session of the same role is not named.
    let mut other = r.clone();
    other["principal"] = json!({"arn": "arn:aws:sts::111122223333:assumed-role/app/s2"});
    assert_eq!(decide(&other), ImplicitDeny);
}

// "IAM federated user sessions – ... resource-based policies that grant permissions to a
// federated user ARN grant permissions directly to the session."
#[test]
fn resource_policy_naming_federated_user_session() {
    let r = json!({
        "principal": {"arn": "arn:aws:sts::111122223333:federated-user/ana"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/key",
        "session_policies": [allow("ec2:*", "*")],
        "resource_policy": bucket_policy_for("arn:aws:sts::111122223333:federated-user/ana"),
    });
    assert_eq!(decide(&r), Allow);
}

// reference_policies_evaluation-logic.html, "Identity-based policies" and "Session policies":
// for a role session with no resource policy, identity, boundary and session policy must all
// allow; "If there is no session policy, ... If the principal is a role session, then the request
// is Allowed".
#[test]
fn role_session_identity_boundary_session_intersection() {
    let r = |identity: &str, boundary: Option<&str>, session: Option<&str>| {
        json!({
            "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/app/s1"},
            "action": "dynamodb:GetItem",
            "resource": "arn:aws:dynamodb:us-east-1:111122223333:table/t",
            "identity_policies": [allow(identity, "*")],
            "permissions_boundary": boundary.map(|b| allow(b, "*")),
            "session_policies": session.map(|s| vec![allow(s, "*")]),
        })
    };
    assert_eq!(decide(&r("dynamodb:*", None, None)), Allow);
    assert_eq!(
        decide(&r("dynamodb:*", Some("dynamodb:*"), Some("dynamodb:Get*"))),
        Allow
    );
    assert_eq!(
        decide(&r("dynamodb:*", Some("dynamodb:*"), Some("dynamodb:Put*"))),
        ImplicitDeny
    );
    assert_eq!(decide(&r("dynamodb:*", Some("s3:*"), None)), ImplicitDeny);
    // "Session policies limit permissions for a created session, but do not grant permissions."
    assert_eq!(decide(&r("s3:*", None, Some("dynamodb:*"))), ImplicitDeny);
}

// access_policies.html#policies_session: "The resulting session has all the permissions of the
// resource-based policy plus the intersection of the identity-based policy and the session
// policy" when the resource policy names the session.
#[test]
fn session_policy_with_resource_policy_naming_session() {
    let r = |resource: &str| {
        json!({
            "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/app/s1"},
            "action": "s3:GetObject",
            "resource": resource,
            "identity_policies": [allow("s3:GetObject", "arn:aws:s3:::other/*")],
            "session_policies": [allow("s3:GetObject", "arn:aws:s3:::other/*")],
            "resource_policy": bucket_policy_for("arn:aws:sts::111122223333:assumed-role/app/s1"),
        })
    };
    assert_eq!(decide(&r("arn:aws:s3:::bucket/key")), Allow);
    assert_eq!(decide(&r("arn:aws:s3:::other/key")), Allow);
    assert_eq!(decide(&r("arn:aws:s3:::third/key")), ImplicitDeny);
}

// access_policies_boundaries.html: ShirleyRodriguez may only manage S3, CloudWatch and EC2; her
// identity policy allowing iam:CreateUser has no effect under that boundary.
#[test]
fn boundary_limits_identity_policy() {
    let boundary = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}]});
    let r = |action: &str| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ShirleyRodriguez"},
            "action": action, "resource": "*",
            "identity_policies": [allow("iam:CreateUser", "*"), allow("ec2:*", "*")],
            "permissions_boundary": boundary,
        })
    };
    assert_eq!(decide(&r("iam:CreateUser")), ImplicitDeny);
    assert_eq!(decide(&r("ec2:DescribeInstances")), Allow);
    // Allowed by the boundary but not by an identity policy.
    assert_eq!(decide(&r("s3:ListAllMyBuckets")), ImplicitDeny);
}

fn xcompany_boundaries() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "ServiceBoundaries", "Effect": "Allow",
         "Action": ["s3:*", "cloudwatch:*", "ec2:*", "dynamodb:*"], "Resource": "*"},
        {"Sid": "AllowIAMConsoleForCredentials", "Effect": "Allow",
         "Action": ["iam:ListUsers", "iam:GetAccountPasswordPolicy"], "Resource": "*"},
        {"Sid": "AllowManageOwnPasswordAndAccessKeys", "Effect": "Allow",
         "Action": ["iam:*AccessKey*", "iam:ChangePassword", "iam:GetUser",
                    "iam:*ServiceSpecificCredential*", "iam:*SigningCertificate*"],
         "Resource": ["arn:aws:iam::*:user/${aws:username}"]},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]},
        {"Sid": "DenyEC2Production", "Effect": "Deny", "Action": "ec2:*",
         "Resource": "arn:aws:ec2:*:*:instance/i-1234567890abcdef0"}]})
}

// access_policies_boundaries.html, "Delegating responsibility to others using permissions
// boundaries": the XCompanyBoundaries boundary over a user with broad identity permissions.
#[test]
fn xcompany_boundary_delegation() {
    let r = |action: &str, resource: &str| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/zhang"},
            "action": action, "resource": resource,
            "identity_policies": [allow("*", "*")],
            "permissions_boundary": xcompany_boundaries(),
        })
    };
    assert_eq!(decide(&r("s3:GetObject", "arn:aws:s3:::data/x")), Allow);
    assert_eq!(
        decide(&r("s3:GetObject", "arn:aws:s3:::logs/x")),
        ExplicitDeny
    );
    assert_eq!(
        decide(&r(
            "ec2:StopInstances",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0"
        )),
        ExplicitDeny
    );
    assert_eq!(
        decide(&r(
            "iam:CreateAccessKey",
            "arn:aws:iam::111122223333:user/zhang"
        )),
        Allow
    );
    assert_eq!(
        decide(&r(
            "iam:CreateAccessKey",
            "arn:aws:iam::111122223333:user/maria"
        )),
        ImplicitDeny
    );
    assert_eq!(
        decide(&r("iam:CreateUser", "arn:aws:iam::111122223333:user/new")),
        ImplicitDeny
    );
}

// access_policies_boundaries.html, Important: "The NotPrincipal element with a Deny effect will
// always deny any IAM principal that has a permissions boundary policy attached, regardless of
// the values specified in the NotPrincipal element."
#[test]
fn not_principal_deny_always_denies_a_bounded_principal() {
    let bucket = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny",
         "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:user/ana",
                                  "arn:aws:iam::111122223333:root"]},
         "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/ana"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]});
    let r = json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/key",
        "resource_policy": bucket,
    });
    assert_eq!(decide(&r), Allow);
    let mut bounded = r;
    bounded["permissions_boundary"] = allow("*", "*");
    assert_eq!(decide(&bounded), ExplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// Cross-account: reference_policies_evaluation-logic-cross-account.html
// ---------------------------------------------------------------------------------------------

fn carlos_cross_identity() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowS3ListRead", "Effect": "Allow", "Action": "s3:ListAllMyBuckets",
         "Resource": "*"},
        {"Sid": "AllowS3ProductionObjectActions", "Effect": "Allow", "Action": "s3:*Object*",
         "Resource": "arn:aws:s3:::Production/*"},
        {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"]}]})
}

fn production_bucket_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow",
         "Action": ["s3:GetObject*", "s3:PutObject*", "s3:ReplicateObject", "s3:RestoreObject"],
         "Principal": {"AWS": "arn:aws:iam::111111111111:user/carlossalazar"},
         "Resource": "arn:aws:s3:::Production/*"}]})
}

fn carlos_cross(action: &str, resource: &str, bucket_policy: Option<Value>) -> Value {
    json!({
        "principal": {"arn": "arn:aws:iam::111111111111:user/carlossalazar"},
        "action": action, "resource": resource,
        "resource_account": "222222222222",
        "identity_policies": [carlos_cross_identity()],
        "resource_policy": bucket_policy,
    })
}

// "Example cross-account policy evaluation": the Production-logs bucket is denied in account
// 111111111111 by DenyS3Logs, so the final decision is deny.
#[test]
fn cross_account_logs_bucket_denied() {
    let r = carlos_cross("s3:PutObject", "arn:aws:s3:::Production-logs/f", None);
    assert_eq!(decide(&r), ExplicitDeny);
}

// Same example: "Because both accounts allow the request, the final decision is to allow".
#[test]
fn cross_account_production_allowed() {
    let r = carlos_cross(
        "s3:PutObject",
        "arn:aws:s3:::Production/f",
        Some(production_bucket_policy()),
    );
    assert_eq!(decide(&r), Allow);
}

// Same example: "He can create and edit, but not delete the objects in the bucket."
#[test]
fn cross_account_delete_not_granted_by_bucket_policy() {
    let r = carlos_cross(
        "s3:DeleteObject",
        "arn:aws:s3:::Production/f",
        Some(production_bucket_policy()),
    );
    assert_eq!(decide(&r), ImplicitDeny);
}

// "The request is allowed only if both evaluations return a decision of Allow": each side alone
// is not enough across accounts.
#[test]
fn cross_account_needs_both_sides() {
    let no_identity = json!({
        "principal": {"arn": "arn:aws:iam::111111111111:user/carlossalazar"},
        "action": "s3:PutObject", "resource": "arn:aws:s3:::Production/f",
        "resource_account": "222222222222",
        "resource_policy": production_bucket_policy(),
    });
    assert_eq!(decide(&no_identity), ImplicitDeny);
    let no_resource = carlos_cross("s3:PutObject", "arn:aws:s3:::Production/f", None);
    assert_eq!(decide(&no_resource), ImplicitDeny);
}

// reference_policies_elements_principal.html, "AWS account principals": the account ARN and the
// account id both delegate to the account, whose administrator must grant access to an identity.
#[test]
fn cross_account_principal_account_forms() {
    for principal in ["111111111111", "arn:aws:iam::111111111111:root"] {
        let bucket = bucket_policy_for(principal);
        let r = |identity: Option<Value>| {
            json!({
                "principal": {"arn": "arn:aws:iam::111111111111:user/carlossalazar"},
                "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/k",
                "resource_account": "222222222222",
                "identity_policies": identity.map(|p| vec![p]),
                "resource_policy": bucket.clone(),
            })
        };
        assert_eq!(decide(&r(Some(allow("s3:*", "*")))), Allow);
        assert_eq!(decide(&r(None)), ImplicitDeny);
    }
}

// reference_policies_elements_principal.html, "All principals": a wildcard principal "grants
// access to all users, including anonymous users"; "For principals in other accounts, they must
// also have identity-based permissions in their account".
#[test]
fn wildcard_principal_public_and_cross_account() {
    for principal in [json!("*"), json!({"AWS": "*"})] {
        let bucket = one(json!({"Effect": "Allow", "Principal": principal,
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::public/*"}));
        let anonymous = json!({
            "principal": {"arn": "anonymous"},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::public/k",
            "resource_account": "222222222222",
            "resource_policy": bucket.clone(),
        });
        assert_eq!(decide(&anonymous), Allow);
        let same = json!({
            "principal": {"arn": "arn:aws:iam::222222222222:user/a"},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::public/k",
            "resource_account": "222222222222",
            "resource_policy": bucket.clone(),
        });
        assert_eq!(decide(&same), Allow);
        let other = json!({
            "principal": {"arn": "arn:aws:iam::111111111111:user/a"},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::public/k",
            "resource_account": "222222222222",
            "resource_policy": bucket,
        });
        assert_eq!(decide(&other), ImplicitDeny);
    }
}

// ---------------------------------------------------------------------------------------------
// Condition operators: reference_policies_elements_condition_operators.html
// ---------------------------------------------------------------------------------------------

fn with_condition(condition: Value, context: Value) -> Value {
    json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": "iam:CreateAccessKey",
        "resource": "arn:aws:iam::111122223333:user/ana",
        "context": context,
        "identity_policies": [one(json!({"Effect": "Allow", "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::111122223333:user/*", "Condition": condition}))],
    })
}

// String: "the principal making the request must be tagged with the iamuser-admin job
// category"; "If a user without the tag attempts to view or edit an access key, the condition
// returns false".
#[test]
fn string_equals_principal_tag() {
    let cond = json!({"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}});
    let mut r = with_condition(cond, json!({}));
    assert_eq!(decide(&r), ImplicitDeny);
    r["principal"]["tags"] = json!({"job-category": "iamuser-admin"});
    assert_eq!(decide(&r), Allow);
    r["principal"]["tags"] = json!({"job-category": "IAMUSER-ADMIN"});
    assert_eq!(decide(&r), ImplicitDeny);
}

// reference_policies_elements_condition.html: "only requests made by johndoe match. Users named
// JohnDoe are denied access", and StringEqualsIgnoreCase matches both.
#[test]
fn string_equals_ignore_case_username() {
    let r = |operator: &str, user: &str| {
        json!({
            "principal": {"arn": format!("arn:aws:iam::111122223333:user/{user}")},
            "action": "s3:ListBucket", "resource": "arn:aws:s3:::b",
            "identity_policies": [one(json!({"Effect": "Allow", "Action": "s3:*",
                "Resource": "*", "Condition": {operator: {"aws:username": "johndoe"}}}))],
        })
    };
    assert_eq!(decide(&r("StringEquals", "johndoe")), Allow);
    assert_eq!(decide(&r("StringEquals", "JohnDoe")), ImplicitDeny);
    assert_eq!(decide(&r("StringEqualsIgnoreCase", "JohnDoe")), Allow);
    assert_eq!(
        decide(&r("StringNotEqualsIgnoreCase", "JOHNDOE")),
        ImplicitDeny
    );
    assert_eq!(decide(&r("StringNotEqualsIgnoreCase", "jane")), Allow);
}

// reference_policies_elements_condition.html: "Condition key names are not case-sensitive ...
// aws:SourceIP ... is equivalent to testing for AWS:SourceIp", and `"aws:ResourceTag/TagKey1"`
// matches a tag key named `tagkey1`.
#[test]
fn condition_key_names_ignore_case() {
    let cond = json!({"IpAddress": {"AWS:SourceIp": "203.0.113.0/24"},
        "StringEquals": {"aws:ResourceTag/TagKey1": "Value1"}});
    let ok = with_condition(
        cond.clone(),
        json!({"aws:sourceip": "203.0.113.9", "aws:resourcetag/tagkey1": "Value1"}),
    );
    assert_eq!(decide(&ok), Allow);
    let bad_value = with_condition(
        cond,
        json!({"aws:SourceIP": "203.0.113.9", "aws:ResourceTag/TAGKEY1": "value1"}),
    );
    assert_eq!(decide(&bad_value), ImplicitDeny);
}

// String: the S3 home-directory example with StringLike and `${aws:username}` on s3:prefix.
#[test]
fn string_like_home_directory() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
         "Resource": "arn:aws:s3:::*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::BUCKET-NAME",
         "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}},
        {"Effect": "Allow", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
                      "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"]}]});
    let r = |action: &str, resource: &str, prefix: Option<&str>| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/david"},
            "action": action, "resource": resource,
            "context": prefix.map(|p| json!({"s3:prefix": p})),
            "identity_policies": [policy.clone()],
        })
    };
    let list = |prefix| r("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", Some(prefix));
    assert_eq!(decide(&list("")), Allow);
    assert_eq!(decide(&list("home/")), Allow);
    assert_eq!(decide(&list("home/david/")), Allow);
    assert_eq!(decide(&list("home/adele/")), ImplicitDeny);
    assert_eq!(decide(&list("home/david/photos/")), ImplicitDeny);
    assert_eq!(
        decide(&r("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", None)),
        ImplicitDeny
    );
    assert_eq!(
        decide(&r(
            "s3:GetObject",
            "arn:aws:s3:::BUCKET-NAME/home/david/notes.txt",
            None
        )),
        Allow
    );
    assert_eq!(
        decide(&r(
            "s3:GetObject",
            "arn:aws:s3:::BUCKET-NAME/home/adele/notes.txt",
            None
        )),
        ImplicitDeny
    );
}

// StringLike/StringNotLike wildcards: "multi-character match wildcards (*) and single-character
// match wildcards (?) anywhere in the string", case-sensitive.
#[test]
fn string_like_wildcards() {
    let r = |operator: &str, value: &str| {
        with_condition(
            json!({operator: {"aws:PrincipalTag/team": "t?-*-x"}}),
            json!({"aws:PrincipalTag/team": value}),
        )
    };
    assert_eq!(decide(&r("StringLike", "t1-anything-x")), Allow);
    assert_eq!(decide(&r("StringLike", "t1--x")), Allow);
    assert_eq!(decide(&r("StringLike", "t12-a-x")), ImplicitDeny);
    assert_eq!(decide(&r("StringLike", "T1-a-x")), ImplicitDeny);
    assert_eq!(decide(&r("StringNotLike", "t12-a-x")), Allow);
    assert_eq!(decide(&r("StringNotLike", "t1-a-x")), ImplicitDeny);
    // StringEquals does not treat `*` as a wildcard.
    assert_eq!(decide(&r("StringEquals", "t1-a-x")), ImplicitDeny);
    assert_eq!(decide(&r("StringEquals", "t?-*-x")), Allow);
}

// Numeric: "the requester can list up to 10 objects"; "If the key ... is not present in the
// request context, the values do not match".
#[test]
fn numeric_less_than_equals_max_keys() {
    let r = |max_keys: Option<&str>| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "s3:ListBucket", "resource": "arn:aws:s3:::example_bucket",
            "context": max_keys.map(|m| json!({"s3:max-keys": m})),
            "identity_policies": [one(json!({"Effect": "Allow", "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::example_bucket",
                "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}}))],
        })
    };
    assert_eq!(decide(&r(Some("10"))), Allow);
    assert_eq!(decide(&r(Some("3"))), Allow);
    assert_eq!(decide(&r(Some("11"))), ImplicitDeny);
    assert_eq!(decide(&r(Some("ten"))), ImplicitDeny);
    assert_eq!(decide(&r(None)), ImplicitDeny);
}

// Numeric: every operator of the family, integer and decimal values.
#[test]
fn numeric_operators() {
    let r = |operator: &str, value: &str| {
        with_condition(
            json!({operator: {"aws:MultiFactorAuthAge": "3600"}}),
            json!({"aws:MultiFactorAuthAge": value}),
        )
    };
    let cases = [
        ("NumericEquals", "3600", Allow),
        ("NumericEquals", "3600.0", Allow),
        ("NumericEquals", "3601", ImplicitDeny),
        ("NumericNotEquals", "3601", Allow),
        ("NumericNotEquals", "3600", ImplicitDeny),
        ("NumericLessThan", "3599.5", Allow),
        ("NumericLessThan", "3600", ImplicitDeny),
        ("NumericGreaterThan", "3600.5", Allow),
        ("NumericGreaterThan", "3600", ImplicitDeny),
        ("NumericGreaterThanEquals", "3600", Allow),
        ("NumericGreaterThanEquals", "-1", ImplicitDeny),
    ];
    for (operator, value, want) in cases {
        assert_eq!(decide(&r(operator, value)), want, "{operator} {value}");
    }
}

// Date: "the temporary security credentials used to make the request were issued in 2020"; "The
// aws:TokenIssueTime key is present in the request context only when the principal uses temporary
// credentials ... if an IAM user attempts to view or edit an access key, the request is denied".
#[test]
fn date_greater_than_token_issue_time() {
    let cond = json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}});
    let r = |ctx: Value| with_condition(cond.clone(), ctx);
    assert_eq!(
        decide(&r(json!({"aws:TokenIssueTime": "2020-06-01T12:00:00Z"}))),
        Allow
    );
    assert_eq!(
        decide(&r(json!({"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}))),
        ImplicitDeny
    );
    assert_eq!(
        decide(&r(json!({"aws:TokenIssueTime": "2019-12-31T23:59:59Z"}))),
        ImplicitDeny
    );
    assert_eq!(decide(&r(json!({}))), ImplicitDeny);
    // "You must specify date/time values with one of the W3C implementations of the ISO 8601
    // date formats or in epoch (UNIX) time": 1577836802 is 2020-01-01T00:00:02Z.
    assert_eq!(
        decide(&r(json!({"aws:TokenIssueTime": "1577836802"}))),
        Allow
    );
    assert_eq!(
        decide(&r(json!({"aws:TokenIssueTime": "1577836801"}))),
        ImplicitDeny
    );
}

// Date: every operator of the family against aws:CurrentTime, ISO 8601 and epoch policy values.
#[test]
fn date_operators() {
    let r = |operator: &str, policy: &str, now: &str| {
        with_condition(
            json!({operator: {"aws:CurrentTime": policy}}),
            json!({"aws:CurrentTime": now}),
        )
    };
    let cases = [
        (
            "DateEquals",
            "2024-03-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
            Allow,
        ),
        ("DateEquals", "2024-03-01", "2024-03-01T00:00:00Z", Allow),
        ("DateEquals", "1709251200", "2024-03-01T00:00:00Z", Allow),
        (
            "DateNotEquals",
            "2024-03-01T00:00:00Z",
            "2024-03-01T00:00:01Z",
            Allow,
        ),
        (
            "DateNotEquals",
            "2024-03-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
            ImplicitDeny,
        ),
        (
            "DateLessThan",
            "2024-03-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            Allow,
        ),
        (
            "DateLessThan",
            "2024-03-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
            ImplicitDeny,
        ),
        (
            "DateLessThanEquals",
            "2024-03-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
            Allow,
        ),
        (
            "DateGreaterThanEquals",
            "2024-03-01T00:00:00Z",
            "2024-03-01T00:00:00Z",
            Allow,
        ),
        (
            "DateGreaterThanEquals",
            "2024-03-01T00:00:00Z",
            "2024-02-01T00:00:00Z",
            ImplicitDeny,
        ),
        (
            "DateGreaterThan",
            "2024-03-01T01:00:00+01:00",
            "2024-03-01T00:00:01Z",
            Allow,
        ),
    ];
    for (operator, policy, now, want) in cases {
        assert_eq!(
            decide(&r(operator, policy, now)),
            want,
            "{operator} {policy} {now}"
        );
    }
}

// Boolean: "deny all S3 actions on a bucket and its contents if the request is not over SSL";
// "This policy does not allow any actions."
#[test]
fn bool_secure_transport_deny() {
    let deny = one(
        json!({"Sid": "BooleanExample", "Action": "s3:*", "Effect": "Deny",
        "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    );
    let r = |secure: &str, with_allow: bool| {
        let mut policies = vec![deny.clone()];
        if with_allow {
            policies.push(allow("s3:*", "*"));
        }
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
            "context": {"aws:SecureTransport": secure},
            "identity_policies": policies,
        })
    };
    assert_eq!(decide(&r("false", true)), ExplicitDeny);
    assert_eq!(decide(&r("true", true)), Allow);
    assert_eq!(decide(&r("true", false)), ImplicitDeny);
    // JSON booleans in the policy are the same as the strings.
    let r = with_condition(
        json!({"Bool": {"aws:MultiFactorAuthPresent": true}}),
        json!({"aws:MultiFactorAuthPresent": "true"}),
    );
    assert_eq!(decide(&r), Allow);
}

// Binary: BinaryEquals "compares the value of the specified key byte for byte against a base-64
// encoded representation of the binary value in the policy".
#[test]
fn binary_equals() {
    let cond = json!({"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}});
    assert_eq!(
        decide(&with_condition(
            cond.clone(),
            json!({"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="})
        )),
        Allow
    );
    assert_eq!(
        decide(&with_condition(cond.clone(), json!({"key": "T3RoZXI="}))),
        ImplicitDeny
    );
    assert_eq!(decide(&with_condition(cond, json!({}))), ImplicitDeny);
}

// IP address: "the request must come from the IP range 203.0.113.0 to 203.0.113.255"; "If you
// specify an IP address without the associated routing prefix, IAM uses the default prefix value
// of /32".
#[test]
fn ip_address_v4() {
    let r = |policy: &str, ip: Option<&str>| {
        with_condition(
            json!({"IpAddress": {"aws:SourceIp": policy}}),
            ip.map_or(json!({}), |ip| json!({"aws:SourceIp": ip})),
        )
    };
    assert_eq!(decide(&r("203.0.113.0/24", Some("203.0.113.0"))), Allow);
    assert_eq!(decide(&r("203.0.113.0/24", Some("203.0.113.255"))), Allow);
    assert_eq!(
        decide(&r("203.0.113.0/24", Some("203.0.114.0"))),
        ImplicitDeny
    );
    // "The aws:SourceIp key is always present ... except when the requester uses a VPC endpoint
    // ... In this case, the condition returns false".
    assert_eq!(decide(&r("203.0.113.0/24", None)), ImplicitDeny);
    assert_eq!(decide(&r("203.0.113.7", Some("203.0.113.7"))), Allow);
    assert_eq!(decide(&r("203.0.113.7", Some("203.0.113.8"))), ImplicitDeny);
}

// IP address: "mix IPv4 and IPv6 addresses to cover all of your organization's valid IP
// addresses": 203.0.113.0/24 and 2001:DB8:1234:5678::/64.
#[test]
fn ip_address_v4_and_v6() {
    let cond =
        json!({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}});
    let r = |ip: &str| with_condition(cond.clone(), json!({"aws:SourceIp": ip}));
    assert_eq!(decide(&r("203.0.113.10")), Allow);
    assert_eq!(decide(&r("2001:db8:1234:5678::1")), Allow);
    assert_eq!(decide(&r("2001:DB8:1234:5678:ffff:ffff:ffff:ffff")), Allow);
    assert_eq!(decide(&r("2001:db8:1234:5679::1")), ImplicitDeny);
    assert_eq!(decide(&r("198.51.100.1")), ImplicitDeny);
}

// NotIpAddress: "All IP addresses except the specified IP address or range", in a deny; a
// missing key makes the negated operator true.
#[test]
fn not_ip_address_deny() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}}]});
    let r = |ctx: Value| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "ec2:DescribeInstances", "resource": "*",
            "context": ctx, "identity_policies": [policy.clone()],
        })
    };
    assert_eq!(decide(&r(json!({"aws:SourceIp": "192.0.2.44"}))), Allow);
    assert_eq!(decide(&r(json!({"aws:SourceIp": "2001:db8:ab::1"}))), Allow);
    assert_eq!(
        decide(&r(json!({"aws:SourceIp": "203.0.113.1"}))),
        ExplicitDeny
    );
    assert_eq!(decide(&r(json!({}))), ExplicitDeny);
}

// ARN: "With a StringLike condition, the match succeeds ... With an ArnLike condition, which
// matches elements between colons, the match fails."
#[test]
fn arn_like_matches_element_by_element() {
    let value =
        "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
    let r = |operator: &str| {
        with_condition(
            json!({operator: {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}),
            json!({"aws:SourceArn": value}),
        )
    };
    assert_eq!(decide(&r("StringLike")), Allow);
    assert_eq!(decide(&r("ArnLike")), ImplicitDeny);
    assert_eq!(decide(&r("ArnEquals")), ImplicitDeny);
    assert_eq!(decide(&r("ArnNotLike")), Allow);
}

// ARN: "The ArnEquals and ArnLike condition operators behave identically", wildcards in each
// element, case-sensitive; the negated pair too.
#[test]
fn arn_operators() {
    let r = |operator: &str, value: &str| {
        with_condition(
            json!({operator: {"aws:SourceArn": "arn:aws:sns:*:123456789012:TOPIC-?D"}}),
            json!({"aws:SourceArn": value}),
        )
    };
    for op in ["ArnEquals", "ArnLike"] {
        assert_eq!(
            decide(&r(op, "arn:aws:sns:us-east-1:123456789012:TOPIC-ID")),
            Allow
        );
        assert_eq!(
            decide(&r(op, "arn:aws:sns:us-east-1:123456789012:topic-id")),
            ImplicitDeny
        );
        assert_eq!(
            decide(&r(op, "arn:aws:sns:us-east-1:999999999999:TOPIC-ID")),
            ImplicitDeny
        );
    }
    for op in ["ArnNotEquals", "ArnNotLike"] {
        assert_eq!(
            decide(&r(op, "arn:aws:sns:us-east-1:123456789012:TOPIC-ID")),
            ImplicitDeny
        );
        assert_eq!(decide(&r(op, "arn:aws:sns:us-east-1:1:TOPIC-ID")), Allow);
    }
}

// ARN: the SQS queue policy that lets Amazon SNS send messages "only if the service is sending
// the messages on behalf of a particular Amazon SNS topic"; "If an IAM user attempts to perform
// this operation directly, the condition returns false". (The doc's principal is the account; the
// SNS service principal is named here so the key policy alone decides.)
#[test]
fn arn_equals_source_arn_queue_policy() {
    let queue = one(
        json!({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "SQS:SendMessage", "Resource": "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:TOPIC-ID"}}}),
    );
    let r = |ctx: Value| {
        json!({
            "principal": {"arn": "sns.amazonaws.com"},
            "action": "sqs:SendMessage",
            "resource": "arn:aws:sqs:us-east-2:123456789012:QUEUE-ID",
            "context": ctx, "resource_policy": queue.clone(),
        })
    };
    assert_eq!(
        decide(&r(
            json!({"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:TOPIC-ID"})
        )),
        Allow
    );
    assert_eq!(
        decide(&r(
            json!({"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:OTHER"})
        )),
        ImplicitDeny
    );
    assert_eq!(decide(&r(json!({}))), ImplicitDeny);
}

// "If the key that you specify in a policy condition is not present in the request context, the
// values do not match and the condition is false. If the policy condition requires that the key
// is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the
// condition is true."
#[test]
fn missing_key_positive_false_negated_true() {
    let cases = [
        ("StringEquals", "x", ImplicitDeny),
        ("StringLike", "*", ImplicitDeny),
        ("StringNotEquals", "x", Allow),
        ("StringNotLike", "*", Allow),
        ("StringNotEqualsIgnoreCase", "x", Allow),
        ("NumericEquals", "1", ImplicitDeny),
        ("NumericNotEquals", "1", Allow),
        ("DateNotEquals", "2020-01-01", Allow),
        ("DateLessThan", "2020-01-01", ImplicitDeny),
        ("Bool", "true", ImplicitDeny),
        ("IpAddress", "0.0.0.0/0", ImplicitDeny),
        ("NotIpAddress", "0.0.0.0/0", Allow),
        ("ArnLike", "*", ImplicitDeny),
        ("ArnNotLike", "arn:aws:s3:::x", Allow),
        ("ArnNotEquals", "arn:aws:s3:::x", Allow),
    ];
    for (operator, value, want) in cases {
        let r = with_condition(json!({operator: {"aws:missing": value}}), json!({}));
        assert_eq!(decide(&r), want, "{operator}");
    }
}

fn run_instances(operator: &str, instance_type: Option<&str>) -> Value {
    json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": "ec2:RunInstances",
        "resource": "arn:aws:ec2:us-east-1::image/ami-1234",
        "context": instance_type.map(|t| json!({"ec2:InstanceType": t})),
        "identity_policies": [one(json!({"Effect": "Allow", "Action": "ec2:RunInstances",
            "Resource": "*",
            "Condition": {operator: {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}}))],
    })
}

// ...IfExists: "THISPOLICYDOESNOTWORK" — resources without ec2:InstanceType fail StringLike.
#[test]
fn if_exists_policy_that_does_not_work() {
    assert_eq!(decide(&run_instances("StringLike", None)), ImplicitDeny);
    assert_eq!(
        decide(&run_instances("StringLike", Some("t2.micro"))),
        Allow
    );
}

// ...IfExists: "If the resource being checked has an ec2:InstanceType condition key, then allow
// the action only if the key value begins with t1., t2., or m3. If the resource being checked
// does not have that condition key, then don't worry about it."
#[test]
fn if_exists_string_like() {
    assert_eq!(decide(&run_instances("StringLikeIfExists", None)), Allow);
    assert_eq!(
        decide(&run_instances("StringLikeIfExists", Some("m3.large"))),
        Allow
    );
    assert_eq!(
        decide(&run_instances("StringLikeIfExists", Some("m5.large"))),
        ImplicitDeny
    );
}

// ...IfExists: "If you are using an "Effect": "Deny" element with a negated condition operator
// like StringNotEqualsIfExists, the request is still denied even if the tag is missing."
#[test]
fn if_exists_negated_deny_with_missing_key() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:*", "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:ResourceTag/team": "blue"}}}]});
    let r = |ctx: Value| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "ec2:StopInstances",
            "resource": "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
            "context": ctx, "identity_policies": [policy.clone()],
        })
    };
    assert_eq!(decide(&r(json!({}))), ExplicitDeny);
    assert_eq!(
        decide(&r(json!({"aws:ResourceTag/team": "red"}))),
        ExplicitDeny
    );
    assert_eq!(decide(&r(json!({"aws:ResourceTag/team": "blue"}))), Allow);
}

// ...IfExists on the other families: a missing key makes the condition true, a present one is
// compared as without IfExists.
#[test]
fn if_exists_other_families() {
    let cases = [
        ("NumericLessThanIfExists", "5", "10", Allow, Allow),
        ("NumericLessThanIfExists", "5", "3", Allow, ImplicitDeny),
        (
            "DateLessThanIfExists",
            "2020-01-01",
            "2030-01-01",
            Allow,
            Allow,
        ),
        ("BoolIfExists", "true", "false", Allow, ImplicitDeny),
        ("IpAddressIfExists", "10.1.2.3", "10.0.0.0/8", Allow, Allow),
        (
            "IpAddressIfExists",
            "11.1.2.3",
            "10.0.0.0/8",
            Allow,
            ImplicitDeny,
        ),
        (
            "ArnLikeIfExists",
            "arn:aws:s3:::x",
            "arn:aws:s3:::x",
            Allow,
            Allow,
        ),
        ("BinaryEqualsIfExists", "AAEC", "AAED", Allow, ImplicitDeny),
    ];
    for (operator, request, policy, absent, present) in cases {
        let cond = json!({operator: {"k:v": policy}});
        let none = with_condition(cond.clone(), json!({}));
        assert_eq!(decide(&none), absent, "{operator} absent");
        let some = with_condition(cond, json!({"k:v": request}));
        assert_eq!(decide(&some), present, "{operator} {request}");
    }
}

// Null: "the user must not be using temporary credentials (the key must not exist) for the user
// to use the Amazon EC2 API".
#[test]
fn null_token_issue_time() {
    let r = |ctx: Value, is_null: &str| {
        json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "ec2:DescribeInstances", "resource": "*", "context": ctx,
            "identity_policies": [one(json!({"Action": "ec2:*", "Effect": "Allow",
                "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": is_null}}}))],
        })
    };
    let temp = json!({"aws:TokenIssueTime": "2024-01-01T00:00:00Z"});
    assert_eq!(decide(&r(json!({}), "true")), Allow);
    assert_eq!(decide(&r(temp.clone(), "true")), ImplicitDeny);
    assert_eq!(decide(&r(json!({}), "false")), ImplicitDeny);
    assert_eq!(decide(&r(temp, "false")), Allow);
}

// reference_policies_multi-value-conditions.html, "Evaluation logic for conditions with multiple
// keys or values": operators and keys are ANDed, values of one key ORed.
#[test]
fn multiple_keys_and_values() {
    let cond = json!({
        "StringEqualsIgnoreCase": {
            "aws:PrincipalTag/department": ["finance", "hr", "legal"],
            "aws:PrincipalTag/role": ["audit", "security"]},
        "StringEquals": {"aws:PrincipalAccount": "123456789012"}});
    let r = |account: &str, tags: Value| {
        json!({
            "principal": {"arn": format!("arn:aws:iam::{account}:user/ana"), "tags": tags},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
            "identity_policies": [one(json!({"Effect": "Allow", "Action": "s3:*",
                "Resource": "*", "Condition": cond.clone()}))],
        })
    };
    assert_eq!(
        decide(&r(
            "123456789012",
            json!({"department": "HR", "role": "Audit"})
        )),
        Allow
    );
    assert_eq!(
        decide(&r("123456789012", json!({"department": "hr"}))),
        ImplicitDeny
    );
    assert_eq!(
        decide(&r(
            "123456789012",
            json!({"department": "it", "role": "audit"})
        )),
        ImplicitDeny
    );
    assert_eq!(
        decide(&r(
            "210987654321",
            json!({"department": "hr", "role": "audit"})
        )),
        ImplicitDeny
    );
}

// Same page, Note: "if there are multiple aws:PrincipalAccount values in a StringNotEquals
// condition operator, the string cannot match any of the aws:PrincipalAccount values listed to
// resolve the condition to true."
#[test]
fn negated_operator_with_several_values_is_an_and() {
    let r = |account: &str| {
        json!({
            "principal": {"arn": format!("arn:aws:iam::{account}:user/ana")},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
            "identity_policies": [one(json!({"Effect": "Allow", "Action": "s3:*",
                "Resource": "*", "Condition": {"StringNotEquals":
                    {"aws:PrincipalAccount": ["111111111111", "222222222222"]}}}))],
        })
    };
    assert_eq!(decide(&r("111111111111")), ImplicitDeny);
    assert_eq!(decide(&r("222222222222")), ImplicitDeny);
    assert_eq!(decide(&r("333333333333")), Allow);
}

// ---------------------------------------------------------------------------------------------
// ForAllValues / ForAnyValue: reference_policies_multi-value-conditions.html and
// reference_policies_condition-single-vs-multi-valued-context-keys.html
// ---------------------------------------------------------------------------------------------

fn dynamodb(action: &str, condition: Value, effect: &str, attributes: Option<&[&str]>) -> Value {
    let mut policies = vec![one(json!({"Effect": effect, "Action": action,
        "Resource": "arn:aws:dynamodb:*:*:table/Thread", "Condition": condition}))];
    if effect == "Deny" {
        policies.push(allow("dynamodb:*", "*"));
    }
    json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": action,
        "resource": "arn:aws:dynamodb:us-east-1:111122223333:table/Thread",
        "context": attributes.map(|a| json!({"dynamodb:Attributes": a})),
        "identity_policies": policies,
    })
}

// "The condition allows a user to request only the attributes ID, Message, or Tags": Message
// and Tags (and ID) are allowed; adding UserName fails.
#[test]
fn for_all_values_string_equals_attributes() {
    let cond =
        json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID", "Message", "Tags"]}});
    let r = |attrs: &[&str]| dynamodb("dynamodb:GetItem", cond.clone(), "Allow", Some(attrs));
    assert_eq!(decide(&r(&["Message", "Tags"])), Allow);
    assert_eq!(decide(&r(&["ID", "Message", "Tags"])), Allow);
    assert_eq!(decide(&r(&["ID", "Message", "UserName"])), ImplicitDeny);
}

// "Evaluation logic for multiple values with condition set operators": PostDateTime and UserName
// against PostDateTime, Message, Tags — "There's no match for UserName, so the condition operator
// returns false".
#[test]
fn for_all_values_evaluation_table() {
    let cond = json!({"ForAllValues:StringEquals":
        {"dynamodb:Attributes": ["PostDateTime", "Message", "Tags"]}});
    let r = dynamodb(
        "dynamodb:GetItem",
        cond,
        "Allow",
        Some(&["PostDateTime", "UserName"]),
    );
    assert_eq!(decide(&r), ImplicitDeny);
}

// "deny access to the ID and PostDateTime attributes if the user tries to perform the PutItem
// action": PostDateTime and Message is denied; just UserName is not denied by this policy.
#[test]
fn for_any_value_deny_attributes() {
    let cond = json!({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID", "PostDateTime"]}});
    let r = |attrs: &[&str]| dynamodb("dynamodb:PutItem", cond.clone(), "Deny", Some(attrs));
    assert_eq!(decide(&r(&["PostDateTime", "Message"])), ExplicitDeny);
    assert_eq!(
        decide(&r(&["UserName", "Message", "PostDateTime"])),
        ExplicitDeny
    );
    assert_eq!(decide(&r(&["UserName"])), Allow);
}

// "ForAllValues ... also returns true if there are no keys in the request"; "ForAnyValue ... For
// no matching key or a null dataset, the condition returns false."
#[test]
fn set_operators_with_missing_key() {
    let all = json!({"ForAllValues:StringEquals": {"dynamodb:Attributes": ["ID"]}});
    assert_eq!(
        decide(&dynamodb("dynamodb:GetItem", all.clone(), "Allow", None)),
        Allow
    );
    assert_eq!(
        decide(&dynamodb("dynamodb:GetItem", all, "Allow", Some(&[]))),
        Allow
    );
    let any = json!({"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["ID"]}});
    assert_eq!(
        decide(&dynamodb("dynamodb:GetItem", any.clone(), "Allow", None)),
        ImplicitDeny
    );
    assert_eq!(
        decide(&dynamodb("dynamodb:GetItem", any, "Allow", Some(&[]))),
        ImplicitDeny
    );
}

fn tagging(condition: Value, tag_keys: Option<&[&str]>) -> Value {
    json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": "iam:TagUser", "resource": "arn:aws:iam::111122223333:user/bob",
        "context": tag_keys.map(|k| json!({"aws:TagKeys": k})),
        "identity_policies": [allow("iam:*", "*"),
            one(json!({"Sid": "DenyRestrictedTags", "Effect": "Deny",
                "Action": ["iam:Tag*", "iam:UnTag*"], "Resource": ["*"],
                "Condition": condition}))],
    })
}

// reference_policies_condition_examples-multi-valued-context-keys.html, "Deny policy with
// condition set operator ForAllValues": Null false plus ForAllValues:StringLike key1*, key2*,
// key3*; the Null check stops a missing key from evaluating to true.
#[test]
fn deny_for_all_values_with_null_guard() {
    let cond = json!({"Null": {"aws:TagKeys": "false"},
        "ForAllValues:StringLike": {"aws:TagKeys": ["key1*", "key2*", "key3*"]}});
    let r = |keys| decide(&tagging(cond.clone(), keys));
    assert_eq!(r(Some(&["key1-a", "key3-b"])), ExplicitDeny);
    assert_eq!(r(Some(&["key1-a", "other"])), Allow);
    assert_eq!(r(None), Allow);
}

// Same page: ForAllValues:StringNotLike key1* in a deny, and "The ForAllValues set operator also
// returns true if there are no context keys in the request."
#[test]
fn deny_for_all_values_string_not_like() {
    let cond = json!({"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}});
    let r = |keys| decide(&tagging(cond.clone(), keys));
    assert_eq!(r(Some(&["key2-a", "key3"])), ExplicitDeny);
    assert_eq!(r(Some(&["key1-a"])), Allow);
    assert_eq!(r(Some(&["key1-a", "key2-b"])), Allow);
    assert_eq!(r(None), ExplicitDeny);
}

// Same page, "Deny policy with condition set operator ForAnyValue": snapshots tagged with
// environment or webserver are denied.
#[test]
fn deny_for_any_value_tag_keys() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ec2:CreateSnapshot", "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "webserver"]}}}]});
    let r = |ctx: Value| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "ec2:CreateSnapshot",
            "resource": "arn:aws:ec2:us-east-1::snapshot/snap-1",
            "context": ctx, "identity_policies": [policy.clone()],
        }))
    };
    assert_eq!(
        r(json!({"aws:TagKeys": ["environment", "x"]})),
        ExplicitDeny
    );
    assert_eq!(r(json!({"aws:TagKeys": ["webserver"]})), ExplicitDeny);
    assert_eq!(r(json!({"aws:TagKeys": ["Environment"]})), Allow);
    assert_eq!(r(json!({})), Allow);
}

// Negated operators under set operators: ForAllValues:StringNotEquals holds when no request value
// is listed; ForAnyValue:StringNotEquals when at least one request value is not listed.
#[test]
fn set_operators_with_negated_base() {
    let r = |op: &str, keys: &[&str]| {
        decide(&with_condition(
            json!({op: {"aws:TagKeys": ["DataClass", "Owner"]}}),
            json!({"aws:TagKeys": keys}),
        ))
    };
    assert_eq!(r("ForAllValues:StringNotEquals", &["Env", "Cost"]), Allow);
    assert_eq!(
        r("ForAllValues:StringNotEquals", &["Env", "Owner"]),
        ImplicitDeny
    );
    assert_eq!(r("ForAnyValue:StringNotEquals", &["Env", "Owner"]), Allow);
    assert_eq!(
        r("ForAnyValue:StringNotEquals", &["Owner", "DataClass"]),
        ImplicitDeny
    );
}

// A single-valued key with a set operator: "The difference between single-valued and multivalued
// context keys depends on the number of values in the request context, not the number of values
// in the policy condition." ForAnyValue on one request value is true when it matches.
#[test]
fn set_operator_on_single_value() {
    let r = |op: &str, value: &str| {
        decide(&with_condition(
            json!({op: {"aws:PrincipalTag/team": ["red", "blue"]}}),
            json!({"aws:PrincipalTag/team": value}),
        ))
    };
    assert_eq!(r("ForAnyValue:StringEquals", "red"), Allow);
    assert_eq!(r("ForAnyValue:StringEquals", "green"), ImplicitDeny);
    assert_eq!(r("ForAllValues:StringEquals", "blue"), Allow);
}

// ---------------------------------------------------------------------------------------------
// Policy variables: reference_policies_variables.html
// ---------------------------------------------------------------------------------------------

fn mybucket_policy(version: Option<&str>) -> Value {
    let mut p = json!({"Statement": [
        {"Action": ["s3:ListBucket"], "Effect": "Allow", "Resource": ["arn:aws:s3:::mybucket"],
         "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}},
        {"Action": ["s3:GetObject", "s3:PutObject"], "Effect": "Allow",
         "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]}]});
    if let Some(v) = version {
        p["Version"] = json!(v);
    }
    p
}

fn mybucket(principal: &str, action: &str, resource: &str, version: Option<&str>) -> Value {
    json!({
        "principal": {"arn": principal},
        "action": action, "resource": resource,
        "context": {"s3:prefix": "David/photos/"},
        "identity_policies": [mybucket_policy(version)],
    })
}

// "IAM replaces the variable ${aws:username} with the friendly name of the actual current user."
#[test]
fn variable_in_resource_and_condition() {
    let david = "arn:aws:iam::111122223333:user/David";
    let v = Some("2012-10-17");
    assert_eq!(
        decide(&mybucket(
            david,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/a.jpg",
            v
        )),
        Allow
    );
    assert_eq!(
        decide(&mybucket(
            david,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/Adele/a.jpg",
            v
        )),
        ImplicitDeny
    );
    assert_eq!(
        decide(&mybucket(
            david,
            "s3:ListBucket",
            "arn:aws:s3:::mybucket",
            v
        )),
        Allow
    );
    let adele = "arn:aws:iam::111122223333:user/Adele";
    assert_eq!(
        decide(&mybucket(
            adele,
            "s3:ListBucket",
            "arn:aws:s3:::mybucket",
            v
        )),
        ImplicitDeny
    );
}

// "If you don't include the Version element ... variables like ${aws:username} are treated as
// literal strings in the policy" (also for 2008-10-17, reference_policies_elements_version.html).
#[test]
fn variables_are_literal_without_2012_version() {
    let david = "arn:aws:iam::111122223333:user/David";
    for version in [None, Some("2008-10-17")] {
        assert_eq!(
            decide(&mybucket(
                david,
                "s3:GetObject",
                "arn:aws:s3:::mybucket/David/a.jpg",
                version
            )),
            ImplicitDeny
        );
        assert_eq!(
            decide(&mybucket(
                david,
                "s3:GetObject",
                "arn:aws:s3:::mybucket/${aws:username}/a.jpg",
                version
            )),
            Allow
        );
    }
}

// "When policy variables reference a condition context key that has no value or is not present
// ... StringEquals or StringLike do not match, and the policy statement does not take effect.
// Inverted condition operators like StringNotEquals or StringNotLike do match against a null
// value". A role session has no aws:username.
#[test]
fn variable_without_value() {
    let session = "arn:aws:sts::111122223333:assumed-role/app/s1";
    assert_eq!(
        decide(&mybucket(
            session,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/app/a.jpg",
            Some("2012-10-17")
        )),
        ImplicitDeny
    );
    let r = |operator: &str| {
        decide(&json!({
            "principal": {"arn": session},
            "action": "s3:ListBucket", "resource": "arn:aws:s3:::mybucket",
            "context": {"s3:prefix": "app/"},
            "identity_policies": [one(json!({"Effect": "Allow", "Action": "s3:ListBucket",
                "Resource": "*",
                "Condition": {operator: {"s3:prefix": "${aws:username}/*"}}}))],
        }))
    };
    assert_eq!(r("StringLike"), ImplicitDeny);
    assert_eq!(r("StringEquals"), ImplicitDeny);
    assert_eq!(r("StringNotLike"), Allow);
    assert_eq!(r("StringNotEquals"), Allow);
}

// "The following policy might be used for an IAM group ... create, use, and delete queues that
// have their names and that are in the us-east-2 Region."
#[test]
fn variable_sqs_queue_per_user() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "ListForConsole", "Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"},
        {"Sid": "AllQueueActions", "Effect": "Allow", "Action": "sqs:*",
         "Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"}]});
    let r = |resource: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/maria"},
            "action": "sqs:SendMessage", "resource": resource,
            "identity_policies": [policy.clone()],
        }))
    };
    assert_eq!(r("arn:aws:sqs:us-east-2:111122223333:maria-queue"), Allow);
    assert_eq!(
        r("arn:aws:sqs:us-west-2:111122223333:maria-queue"),
        ImplicitDeny
    );
    assert_eq!(
        r("arn:aws:sqs:us-east-2:111122223333:bob-queue"),
        ImplicitDeny
    );
}

// "the following Resource element refers to only a bucket that is named the same as the value in
// the requesting user's department tag."
#[test]
fn variable_principal_tag_in_resource() {
    let r = |tags: Value, resource: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana", "tags": tags},
            "action": "s3:GetObject", "resource": resource,
            "identity_policies": [allow("s3:GetObject",
                "arn:aws:s3:::bucket/${aws:PrincipalTag/department}")],
        }))
    };
    assert_eq!(
        r(json!({"department": "hr"}), "arn:aws:s3:::bucket/hr"),
        Allow
    );
    assert_eq!(
        r(json!({"department": "hr"}), "arn:aws:s3:::bucket/it"),
        ImplicitDeny
    );
    assert_eq!(r(json!({}), "arn:aws:s3:::bucket/"), ImplicitDeny);
}

// "Specifying default values": team=yellow gets DOC-EXAMPLE-BUCKET-yellow; "For users without team
// tags, it sets a default value of company-wide".
#[test]
fn variable_default_value() {
    let r = |tags: Value, bucket: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana", "tags": tags},
            "action": "s3:ListBucket", "resource": format!("arn:aws:s3:::{bucket}"),
            "identity_policies": [allow("s3:ListBucket",
                "arn:aws:s3:::DOC-EXAMPLE-BUCKET-${aws:PrincipalTag/team, 'company-wide'}")],
        }))
    };
    assert_eq!(
        r(json!({"team": "yellow"}), "DOC-EXAMPLE-BUCKET-yellow"),
        Allow
    );
    assert_eq!(
        r(json!({"team": "yellow"}), "DOC-EXAMPLE-BUCKET-company-wide"),
        ImplicitDeny
    );
    assert_eq!(r(json!({}), "DOC-EXAMPLE-BUCKET-company-wide"), Allow);
    assert_eq!(r(json!({}), "DOC-EXAMPLE-BUCKET-yellow"), ImplicitDeny);
}

// "Special characters": ${*}, ${?} and ${$} stand for the literal characters.
#[test]
fn variable_special_characters() {
    let r = |pattern: &str, resource: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "s3:GetObject", "resource": resource,
            "identity_policies": [allow("s3:GetObject", pattern)],
        }))
    };
    assert_eq!(r("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*"), Allow);
    assert_eq!(
        r("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/anything"),
        ImplicitDeny
    );
    assert_eq!(r("arn:aws:s3:::b/what${?}", "arn:aws:s3:::b/what?"), Allow);
    assert_eq!(
        r("arn:aws:s3:::b/what${?}", "arn:aws:s3:::b/whatX"),
        ImplicitDeny
    );
    assert_eq!(r("arn:aws:s3:::b/${$}HOME", "arn:aws:s3:::b/$HOME"), Allow);
}

// "You can use a policy variable for Condition values in any condition that involves the string
// operators or the ARN operators": the SNS topic policy allows account 999999999999 to manage the
// topic only "if the URL matches their AWS user name" (cross-account here, so the topic policy's
// conditions decide).
#[test]
fn variable_in_condition_sns_endpoint() {
    let topic = one(
        json!({"Principal": {"AWS": "999999999999"}, "Effect": "Allow",
        "Action": "sns:*", "Resource": "arn:aws:sns:us-east-1:111122223333:topic",
        "Condition": {"StringLike": {"sns:endpoint": "https://example.com/${aws:username}/"},
                      "StringEquals": {"sns:Protocol": "https"}}}),
    );
    let r = |endpoint: &str, protocol: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::999999999999:user/bob"},
            "action": "sns:Subscribe",
            "resource": "arn:aws:sns:us-east-1:111122223333:topic",
            "context": {"sns:endpoint": endpoint, "sns:Protocol": protocol},
            "identity_policies": [allow("sns:*", "*")],
            "resource_policy": topic.clone(),
        }))
    };
    assert_eq!(r("https://example.com/bob/", "https"), Allow);
    assert_eq!(r("https://example.com/alice/", "https"), ImplicitDeny);
    assert_eq!(r("https://example.com/bob/", "http"), ImplicitDeny);
}

// ArnLike with a variable: "You can use a policy variable with the ARN condition operator."
#[test]
fn variable_in_arn_condition() {
    let r = |source: &str| {
        decide(&with_condition(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:user/${aws:username}"}}),
            json!({"aws:SourceArn": source}),
        ))
    };
    assert_eq!(r("arn:aws:iam::111122223333:user/ana"), Allow);
    assert_eq!(r("arn:aws:iam::111122223333:user/bob"), ImplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// NotAction, NotResource, NotPrincipal
// ---------------------------------------------------------------------------------------------

// reference_policies_elements_notaction.html: "allows users to access all of the Amazon S3
// actions that can be performed on any S3 resource except for deleting a bucket ... This policy
// also does not allow actions in other services".
#[test]
fn not_action_allow_s3_except_delete_bucket() {
    let r = |action: &str, resource: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": action, "resource": resource,
            "identity_policies": [one(json!({"Effect": "Allow",
                "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}))],
        }))
    };
    assert_eq!(r("s3:GetObject", "arn:aws:s3:::b/k"), Allow);
    assert_eq!(r("s3:DeleteBucket", "arn:aws:s3:::b"), ImplicitDeny);
    assert_eq!(r("s3:ListAllMyBuckets", "*"), ImplicitDeny);
    assert_eq!(
        r(
            "ec2:StopInstances",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        ),
        ImplicitDeny
    );
}

// Same page: "allows users to access every action in every AWS service except for IAM."
#[test]
fn not_action_allow_everything_but_iam() {
    let r = |action: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": action, "resource": "*",
            "identity_policies": [one(json!({"Effect": "Allow", "NotAction": "iam:*",
                "Resource": "*"}))],
        }))
    };
    assert_eq!(r("ec2:RunInstances"), Allow);
    assert_eq!(r("iam:CreateUser"), ImplicitDeny);
    // Action names compare case-insensitively.
    assert_eq!(r("IAM:createuser"), ImplicitDeny);
}

// Same page, "NotAction with Deny": "denies access to non-IAM actions if the user is not signed
// in using MFA"; "this would not grant the user access to any actions".
#[test]
fn not_action_deny_without_mfa() {
    let deny = one(json!({"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny",
        "NotAction": "iam:*", "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}));
    let r = |action: &str, ctx: Value| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": action, "resource": "*", "context": ctx,
            "identity_policies": [deny.clone(), allow("*", "*")],
        }))
    };
    assert_eq!(r("ec2:DescribeInstances", json!({})), ExplicitDeny);
    assert_eq!(
        r(
            "ec2:DescribeInstances",
            json!({"aws:MultiFactorAuthPresent": "false"})
        ),
        ExplicitDeny
    );
    assert_eq!(
        r(
            "ec2:DescribeInstances",
            json!({"aws:MultiFactorAuthPresent": "true"})
        ),
        Allow
    );
    assert_eq!(r("iam:ListUsers", json!({})), Allow);
}

// reference_policies_elements_notresource.html: members of HRPayroll "should not be allowed to
// access any Amazon S3 resources except the Payroll folder in the HRBucket bucket"; "this policy
// does not grant the user access to any resources".
#[test]
fn not_resource_deny_outside_payroll() {
    let deny = one(json!({"Effect": "Deny", "Action": "s3:*",
        "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}));
    let r = |resource: &str, with_allow: bool| {
        let mut policies = vec![deny.clone()];
        if with_allow {
            policies.push(allow("s3:*", "*"));
        }
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "s3:GetObject", "resource": resource,
            "identity_policies": policies,
        }))
    };
    assert_eq!(r("arn:aws:s3:::HRBucket/Payroll/jan.csv", true), Allow);
    assert_eq!(r("arn:aws:s3:::HRBucket/Other/jan.csv", true), ExplicitDeny);
    assert_eq!(
        r("arn:aws:s3:::HRBucket/Payroll/jan.csv", false),
        ImplicitDeny
    );
}

// Same page: "Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::HRBucket" "allows all
// actions in AWS on all resources except the HRBucket S3 bucket".
#[test]
fn not_resource_allow_everything_but_bucket() {
    let r = |action: &str, resource: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": action, "resource": resource,
            "identity_policies": [one(json!({"Effect": "Allow", "Action": "*",
                "NotResource": "arn:aws:s3:::HRBucket"}))],
        }))
    };
    assert_eq!(r("s3:ListBucket", "arn:aws:s3:::HRBucket"), ImplicitDeny);
    assert_eq!(r("s3:ListBucket", "arn:aws:s3:::Other"), Allow);
    assert_eq!(
        r("iam:PutUserPolicy", "arn:aws:iam::111122223333:user/ana"),
        Allow
    );
}

fn bob_bucket(principal: &str) -> Value {
    json!({
        "principal": {"arn": principal},
        "action": "s3:GetObject", "resource": "arn:aws:s3:::BUCKETNAME/k",
        "resource_account": "111122223333",
        "identity_policies": [allow("s3:*", "*")],
        "resource_policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny",
             "NotPrincipal": {"AWS": ["arn:aws:iam::444455556666:user/Bob",
                                      "arn:aws:iam::444455556666:root"]},
             "Action": "s3:*",
             "Resource": ["arn:aws:s3:::BUCKETNAME", "arn:aws:s3:::BUCKETNAME/*"]},
            {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::BUCKETNAME/*"}]},
    })
}

// reference_policies_elements_notprincipal.html, "IAM user in the same or a different account":
// "all principals except the user named Bob in AWS account 444455556666 are explicitly denied".
#[test]
fn not_principal_deny_except_bob() {
    assert_eq!(
        decide(&bob_bucket("arn:aws:iam::444455556666:user/Bob")),
        Allow
    );
    assert_eq!(
        decide(&bob_bucket("arn:aws:iam::444455556666:user/Alice")),
        ExplicitDeny
    );
    assert_eq!(
        decide(&bob_bucket("arn:aws:iam::777788889999:user/Bob")),
        ExplicitDeny
    );
}

// Same page, "IAM role in the same or different account": all principals except the assumed-role
// session cross-account-audit-app are denied.
#[test]
fn not_principal_deny_except_role_session() {
    let r = |principal: &str| {
        decide(&json!({
            "principal": {"arn": principal},
            "action": "s3:GetObject", "resource": "arn:aws:s3:::Bucket_AccountAudit/k",
            "resource_account": "111122223333",
            "identity_policies": [allow("s3:*", "*")],
            "resource_policy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Deny",
                 "NotPrincipal": {"AWS": [
                    "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app",
                    "arn:aws:iam::444455556666:role/cross-account-read-only-role",
                    "arn:aws:iam::444455556666:root"]},
                 "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::Bucket_AccountAudit",
                              "arn:aws:s3:::Bucket_AccountAudit/*"]},
                {"Effect": "Allow", "Principal": {"AWS": "444455556666"},
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::Bucket_AccountAudit/*"}]},
        }))
    };
    assert_eq!(
        r(
            "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
        ),
        Allow
    );
    assert_eq!(
        r("arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other-session"),
        ExplicitDeny
    );
    assert_eq!(r("arn:aws:iam::444455556666:user/Bob"), ExplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// KMS key policies: kms/latest/developerguide/key-policies.html and key-policy-default.html
// ---------------------------------------------------------------------------------------------

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn key_policy(principal: &str) -> Value {
    one(
        json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": principal}, "Action": "kms:*", "Resource": "*"}),
    )
}

fn kms(principal: &str, identity: Option<Value>, key: Option<Value>) -> Value {
    json!({
        "principal": {"arn": principal},
        "action": "kms:Decrypt", "resource": KEY,
        "identity_policies": identity.map(|p| vec![p]),
        "resource_policy": key,
    })
}

// key-policy-default.html: the default statement "gives the AWS account that owns the KMS key
// permission to use IAM policies to allow access"; key-policies.html: "Unless the key policy
// explicitly allows it, you cannot use IAM policies to allow access to a KMS key."
#[test]
fn kms_account_root_enables_iam_policies() {
    let user = "arn:aws:iam::111122223333:user/ana";
    let root = key_policy("arn:aws:iam::111122223333:root");
    let identity = allow("kms:Decrypt", "*");
    assert_eq!(
        decide(&kms(user, Some(identity.clone()), Some(root.clone()))),
        Allow
    );
    assert_eq!(decide(&kms(user, None, Some(root))), ImplicitDeny);
    let other = key_policy("arn:aws:iam::111122223333:user/bob");
    assert_eq!(
        decide(&kms(user, Some(identity.clone()), Some(other))),
        ImplicitDeny
    );
    assert_eq!(decide(&kms(user, Some(identity), None)), ImplicitDeny);
}

// key-policies.html: the key policy can grant a principal directly; and "No AWS principal,
// including the account root user or key creator, has any permissions to a KMS key unless they
// are explicitly allowed".
#[test]
fn kms_key_policy_direct_grant_and_root() {
    let user = "arn:aws:iam::111122223333:user/ana";
    let direct = key_policy(user);
    assert_eq!(decide(&kms(user, None, Some(direct.clone()))), Allow);
    let root = "arn:aws:iam::111122223333:root";
    assert_eq!(decide(&kms(root, None, Some(direct))), ImplicitDeny);
    assert_eq!(
        decide(&kms(
            root,
            None,
            Some(key_policy("arn:aws:iam::111122223333:root"))
        )),
        Allow
    );
}

// key-policies.html: "You can use an IAM policy to deny a permission to a KMS key without
// permission from a key policy."
#[test]
fn kms_iam_deny_applies() {
    let user = "arn:aws:iam::111122223333:user/ana";
    let deny = one(json!({"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}));
    assert_eq!(
        decide(&kms(user, Some(deny), Some(key_policy(user)))),
        ExplicitDeny
    );
}

// Cross-account key use: the key policy allows the other account, whose IAM policy must allow.
#[test]
fn kms_cross_account() {
    let user = "arn:aws:iam::444455556666:user/ana";
    let key = key_policy("arn:aws:iam::444455556666:root");
    let mut with_identity = kms(user, Some(allow("kms:Decrypt", KEY)), Some(key.clone()));
    with_identity["resource_account"] = json!("111122223333");
    assert_eq!(decide(&with_identity), Allow);
    let mut without = kms(user, None, Some(key));
    without["resource_account"] = json!("111122223333");
    assert_eq!(decide(&without), ImplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// Role trust policies and sts:AssumeRole: reference_policies_evaluation-logic.html ("IAM role
// trust policies and KMS key policies are exceptions ... they must explicitly allow access for
// principals") and id_roles_use_passrole.html
// ---------------------------------------------------------------------------------------------

const ROLE: &str = "arn:aws:iam::111122223333:role/app";

fn assume(principal: &str, identity: Option<Value>, trust: Value) -> Value {
    json!({
        "principal": {"arn": principal},
        "action": "sts:AssumeRole", "resource": ROLE,
        "resource_account": "111122223333",
        "identity_policies": identity.map(|p| vec![p]),
        "resource_policy": trust,
    })
}

fn trust(principal: Value) -> Value {
    one(json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}))
}

#[test]
fn trust_policy_same_account() {
    let user = "arn:aws:iam::111122223333:user/ana";
    let account = trust(json!({"AWS": "arn:aws:iam::111122223333:root"}));
    let may_assume = allow("sts:AssumeRole", ROLE);
    // Trusting the account delegates to IAM policies.
    assert_eq!(
        decide(&assume(user, Some(may_assume.clone()), account.clone())),
        Allow
    );
    assert_eq!(decide(&assume(user, None, account)), ImplicitDeny);
    // Trusting the user directly needs no identity policy in the same account.
    let direct = trust(json!({"AWS": user}));
    assert_eq!(decide(&assume(user, None, direct)), Allow);
    // A trust policy that does not name the caller or its account: no identity policy helps.
    let other = trust(json!({"AWS": "arn:aws:iam::111122223333:user/bob"}));
    assert_eq!(decide(&assume(user, Some(may_assume), other)), ImplicitDeny);
}

#[test]
fn trust_policy_cross_account() {
    let user = "arn:aws:iam::444455556666:user/ana";
    let account = trust(json!({"AWS": "444455556666"}));
    assert_eq!(
        decide(&assume(
            user,
            Some(allow("sts:AssumeRole", ROLE)),
            account.clone()
        )),
        Allow
    );
    assert_eq!(decide(&assume(user, None, account)), ImplicitDeny);
    // Even a trust policy naming the user directly needs the user's own account to allow.
    let direct = trust(json!({"AWS": user}));
    assert_eq!(decide(&assume(user, None, direct)), ImplicitDeny);
}

// id_roles_use_passrole.html, Example 1: "This trust policy allows Amazon EC2 to use the role".
#[test]
fn trust_policy_service_principal() {
    let t = one(
        json!({"Sid": "TrustPolicyStatementThatAllowsEC2ServiceToAssumeTheAttachedRole",
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}),
    );
    assert_eq!(decide(&assume("ec2.amazonaws.com", None, t.clone())), Allow);
    assert_eq!(
        decide(&assume("lambda.amazonaws.com", None, t.clone())),
        ImplicitDeny
    );
    let user = "arn:aws:iam::111122223333:user/ana";
    assert_eq!(
        decide(&assume(user, Some(allow("sts:AssumeRole", "*")), t)),
        ImplicitDeny
    );
}

// A trust policy condition (sts:ExternalId) and an explicit deny in the trust policy.
#[test]
fn trust_policy_conditions_and_deny() {
    let user = "arn:aws:iam::444455556666:user/ana";
    let t = one(
        json!({"Effect": "Allow", "Principal": {"AWS": "444455556666"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unique-1234"}}}),
    );
    let mut r = assume(user, Some(allow("sts:AssumeRole", ROLE)), t);
    assert_eq!(decide(&r), ImplicitDeny);
    r["context"] = json!({"sts:ExternalId": "Unique-1234"});
    assert_eq!(decide(&r), Allow);
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}]});
    let denied = assume(user, Some(allow("sts:AssumeRole", ROLE)), deny);
    assert_eq!(decide(&denied), ExplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// iam:PassRole: id_roles_use_passrole.html and reference_policies_examples_iam-passrole-service.html
// ---------------------------------------------------------------------------------------------

// Example 1: "the user can pass only roles that exist in the specified account with names
// beginning with EC2-roles-for-XYZ-".
#[test]
fn pass_role_by_name_prefix() {
    let policy = one(
        json!({"Effect": "Allow", "Action": ["iam:GetRole", "iam:PassRole"],
        "Resource": "arn:aws:iam::111122223333:role/EC2-roles-for-XYZ-*"}),
    );
    let r = |role: &str| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "iam:PassRole",
            "resource": format!("arn:aws:iam::111122223333:role/{role}"),
            "context": {"iam:PassedToService": "ec2.amazonaws.com"},
            "identity_policies": [policy.clone()],
        }))
    };
    assert_eq!(r("EC2-roles-for-XYZ-web"), Allow);
    assert_eq!(r("Admin"), ImplicitDeny);
}

// "allows passing any IAM service role to the Amazon CloudWatch service".
#[test]
fn pass_role_to_specific_service() {
    let policy = one(
        json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudwatch.amazonaws.com"}}}),
    );
    let r = |service: Option<&str>| {
        decide(&json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
            "action": "iam:PassRole",
            "resource": "arn:aws:iam::111122223333:role/cw",
            "context": service.map(|s| json!({"iam:PassedToService": s})),
            "identity_policies": [policy.clone()],
        }))
    };
    assert_eq!(r(Some("cloudwatch.amazonaws.com")), Allow);
    assert_eq!(r(Some("ec2.amazonaws.com")), ImplicitDeny);
    assert_eq!(r(None), ImplicitDeny);
}

// "You cannot use the PassRole permission to pass a cross-account role."
#[test]
fn pass_role_cross_account() {
    let r = json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/ana"},
        "action": "iam:PassRole",
        "resource": "arn:aws:iam::444455556666:role/other",
        "identity_policies": [allow("iam:PassRole", "*")],
    });
    assert_eq!(decide(&r), ImplicitDeny);
}
