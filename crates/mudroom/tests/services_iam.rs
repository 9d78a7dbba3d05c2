#![cfg(test)]
//! The services endpoint with real AWS clients: IAM.

mod common;

use common::{Server, assert_ok};
use mudroom_audit::{AuditLog, Decision};

#[test]
fn iam_with_boto3_and_the_aws_cli() {
    let Some(python) = common::python() else {
        return;
    };
    let mut server = Server::start("services_iam");
    assert_ok(&server.python(&python, "iam_scenario.py", &[]));

    // The scenario leaves `app-role` behind for the CLI.
    let out = server.aws(&python, &["iam", "list-roles"]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let roles = v["Roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{v}");
    assert_eq!(roles[0]["Arn"], "arn:aws:iam::000000000000:role/app-role");
    assert_eq!(
        roles[0]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::000000000000:root",
        "the CLI decodes the URL-encoded trust policy: {v}"
    );
    let out = server.aws(&python, &["iam", "get-role", "--role-name", "nope"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NoSuchEntity"),
        "{out:?}"
    );

    // Every change and every refusal is in the audit log.
    server.stop();
    let log = AuditLog::open(&server.data_dir).unwrap();
    let entries = log.tail(10_000).unwrap();
    let has = |principal: &str, action: &str, resource: &str, decision: Decision| {
        entries.iter().any(|e| {
            e.principal.ends_with(principal)
                && e.action == action
                && e.resource == resource
                && e.decision == decision
        })
    };
    let role = "arn:aws:iam::000000000000:role/app-role";
    assert!(has(":user/admin", "iam:CreateRole", role, Decision::Allow));
    assert!(has(
        ":user/admin",
        "iam:CreateRole",
        role,
        Decision::Mutation
    ));
    assert!(has(
        ":user/admin",
        "iam:PutRolePolicy",
        role,
        Decision::Mutation
    ));
    assert!(has(
        ":user/team/limited",
        "iam:CreateRole",
        "arn:aws:iam::000000000000:role/mine",
        Decision::ImplicitDeny
    ));
    assert!(has(
        ":user/team/limited",
        "iam:DeleteRole",
        role,
        Decision::ExplicitDeny
    ));
    assert!(has(
        ":assumed-role/app-role/s1",
        "iam:CreateRole",
        "arn:aws:iam::000000000000:role/x",
        Decision::ImplicitDeny
    ));
    assert!(has(
        ":user/admin",
        "iam:UpdateAccessKey",
        "arn:aws:iam::000000000000:user/team/limited",
        Decision::Mutation
    ));
    assert!(
        !entries.iter().any(|e| e.action.starts_with("iam:")
            && e.decision == Decision::Mutation
            && !e.principal.ends_with(":user/admin")),
        "only the administrator changed anything"
    );
}
