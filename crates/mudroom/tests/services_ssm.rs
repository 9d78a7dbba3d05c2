#![cfg(test)]
//! The services endpoint with real AWS clients: Systems Manager Parameter Store.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{Server, assert_ok};
use mudroom_audit::{AuditLog, Decision, Filter};
use mudroom_services::identity::{Identities, OwnerKind};
use mudroom_store::Store;
use mudroom_vault::{KeyConfig, Vault, load_master_key};

/// A value no test writes by accident, different on every run.
fn marker(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}-{}-{nanos:x}", std::process::id())
}

/// The files under `dir` that contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert_ok(out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn parameter_store_with_boto3_and_the_aws_cli() {
    let Some(python) = common::python() else {
        return;
    };
    let mut server = Server::start("services_ssm");
    let secret = marker("s3cret-value");
    assert_ok(&server.python(&python, "ssm_basics.py", &[("SECRET_MARKER", &secret)]));

    // The aws CLI: a SecureString written and read back with and without decryption.
    let cli_secret = marker("cli-secret");
    let put = json(&server.aws(
        &python,
        &[
            "ssm",
            "put-parameter",
            "--name",
            "/cli/token",
            "--value",
            &cli_secret,
            "--type",
            "SecureString",
        ],
    ));
    assert_eq!(put["Version"], 1);
    assert_eq!(put["Tier"], "Standard");
    let got = json(&server.aws(
        &python,
        &[
            "ssm",
            "get-parameter",
            "--name",
            "/cli/token",
            "--with-decryption",
        ],
    ));
    assert_eq!(got["Parameter"]["Value"], cli_secret.as_str());
    assert_eq!(got["Parameter"]["Type"], "SecureString");
    assert_eq!(
        got["Parameter"]["ARN"],
        "arn:aws:ssm:us-east-1:000000000000:parameter/cli/token"
    );
    let opaque = json(&server.aws(&python, &["ssm", "get-parameter", "--name", "/cli/token"]));
    let shown = opaque["Parameter"]["Value"].as_str().unwrap();
    assert!(!shown.contains(&cli_secret), "{shown}");
    for i in 0..3 {
        assert_ok(&server.aws(
            &python,
            &[
                "ssm",
                "put-parameter",
                "--name",
                &format!("/cli/list/p{i}"),
                "--value",
                "v",
                "--type",
                "String",
            ],
        ));
    }
    // The CLI follows NextToken itself, one parameter a page.
    let listed = json(&server.aws(
        &python,
        &[
            "ssm",
            "get-parameters-by-path",
            "--path",
            "/cli",
            "--recursive",
            "--page-size",
            "1",
        ],
    ));
    let names: Vec<&str> = listed["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["/cli/list/p0", "/cli/list/p1", "/cli/list/p2", "/cli/token"]
    );
    assert_ok(&server.aws(
        &python,
        &["ssm", "delete-parameter", "--name", "/cli/token"],
    ));
    let gone = server.aws(&python, &["ssm", "get-parameter", "--name", "/cli/token"]);
    assert!(!gone.status.success());
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("ParameterNotFound"),
        "{gone:?}"
    );

    server.stop();
    // The scan finds what is stored in the clear (names are), so finding no value means
    // something.
    assert!(!files_containing(&server.data_dir, b"/app/db/password").is_empty());
    // No value is plaintext at rest: not in the database, its write-ahead log, nor the audit
    // log (the SecureString and the String values alike).
    for needle in [&secret, &cli_secret] {
        let hits = files_containing(&server.data_dir, needle.as_bytes());
        assert!(hits.is_empty(), "a value is readable in {hits:?}");
    }
    let hits = files_containing(&server.data_dir, b"db2.internal");
    assert!(hits.is_empty(), "a String value is readable in {hits:?}");
    // Changes are audited by ARN.
    let audit = AuditLog::open(&server.data_dir).unwrap();
    let puts = audit
        .query(
            &Filter::new()
                .action("ssm:PutParameter")
                .decision(Decision::Mutation)
                .limit(1000),
        )
        .unwrap();
    assert!(
        puts.iter()
            .any(|e| e.resource == "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password"),
        "no mutation record for the SecureString"
    );
    let deletes = audit
        .query(
            &Filter::new()
                .action("ssm:DeleteParameter")
                .decision(Decision::Mutation),
        )
        .unwrap();
    assert!(
        deletes
            .iter()
            .any(|e| e.resource == "arn:aws:ssm:us-east-1:000000000000:parameter/cli/token")
    );
}

const READER_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "App", "Effect": "Allow", "Action": "ssm:GetParameter",
     "Resource": "arn:aws:ssm:us-east-1:000000000000:parameter/app/*"},
    {"Sid": "Payments", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*",
     "Condition": {"StringEquals": {"ssm:ResourceTag/team": "payments"}}}
  ]
}"#;

const READER_TRUST: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": "arn:aws:iam::000000000000:user/admin"}}]
}"#;

/// Creates role `ssm-reader` in the data directory before a server runs on it, with the key
/// file where the server will look for it; returns the role's ARN.
fn create_reader_role(root: &Path, data_dir: &Path) -> String {
    let store = Store::open(data_dir).unwrap();
    let config = KeyConfig {
        config_home: Some(root.join("config")),
        ..KeyConfig::default()
    };
    let key = load_master_key(&store, &config).unwrap().key;
    let vault = Arc::new(Vault::open(&store, key).unwrap());
    let ids = Identities::open(store, vault, "000000000000", "us-east-1").unwrap();
    let role = ids
        .create_role("ssm-reader", "/", READER_TRUST, "", 3600, &[])
        .unwrap();
    ids.put_inline_policy(OwnerKind::Role, "ssm-reader", "read-app", READER_POLICY)
        .unwrap();
    role.arn
}

#[test]
fn a_role_reads_only_what_its_policy_allows() {
    let Some(python) = common::python() else {
        return;
    };
    let root = common::scratch("services_ssm_role");
    let data_dir = root.join("data");
    let role_arn = create_reader_role(&root, &data_dir);
    let mut server = Server::start_in(&root, &data_dir);
    assert_ok(&server.python(&python, "ssm_role.py", &[("ROLE_ARN", &role_arn)]));
    server.stop();
    // The refusals are in the audit log, attributed to the role session.
    let audit = AuditLog::open(&data_dir).unwrap();
    let denied = audit
        .query(
            &Filter::new()
                .action("ssm:GetParameter")
                .decision(Decision::ImplicitDeny),
        )
        .unwrap();
    let denied: Vec<(&str, &str)> = denied
        .iter()
        .map(|e| (e.principal.as_str(), e.resource.as_str()))
        .collect();
    let session = "arn:aws:sts::000000000000:assumed-role/ssm-reader/reader";
    for resource in ["/other/key", "/other/missing", "/team/core"] {
        let arn = format!("arn:aws:ssm:us-east-1:000000000000:parameter{resource}");
        assert!(
            denied.contains(&(session, arn.as_str())),
            "{resource} not audited as denied: {denied:?}"
        );
    }
    let allowed = audit
        .query(
            &Filter::new()
                .action("ssm:GetParameter")
                .decision(Decision::Allow)
                .principal(session),
        )
        .unwrap();
    assert!(
        allowed.iter().any(|e| e
            .statement
            .as_deref()
            .is_some_and(|s| s.ends_with("#Payments"))),
        "the tag-conditioned statement is not what allowed /team/pay"
    );
}
