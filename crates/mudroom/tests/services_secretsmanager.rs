#![cfg(test)]
//! The services endpoint with real AWS clients: Secrets Manager, least privilege with a role
//! session, `mudroom secrets put`, and no plaintext on disk or in logs.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;

use common::{Server, assert_ok};
use mudroom_audit::{AuditLog, Decision, Filter};
use mudroom_services::identity::{Identities, OwnerKind};
use mudroom_store::Store;
use mudroom_vault::{KeyConfig, Vault, load_master_key};

const ACCOUNT: &str = "000000000000";

fn json(out: &Output) -> serde_json::Value {
    assert_ok(out);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `mudroom secrets put` with `stdin` piped in.
fn secrets_put(server: &Server, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = common::mudroom(&server.root)
        .args(["secrets", "put"])
        .args(args)
        .arg("--data-dir")
        .arg(&server.data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits without reading: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn lifecycle_with_boto3_and_the_aws_cli() {
    let Some(python) = common::python() else {
        return;
    };
    let server = Server::start("services_sm_lifecycle");
    assert_ok(&server.python(&python, "sm_lifecycle.py", &[("EXPECT_ACCOUNT", ACCOUNT)]));

    // The aws CLI: strings, binary from a file, versions, listing, deletion.
    let sm = |args: &[&str]| {
        let mut all = vec!["secretsmanager"];
        all.extend_from_slice(args);
        server.aws(&python, &all)
    };
    let created = json(&sm(&[
        "create-secret",
        "--name",
        "cli/one",
        "--secret-string",
        "first",
        "--description",
        "made by the aws CLI",
        "--tags",
        "Key=owner,Value=cli",
    ]));
    let arn = created["ARN"].as_str().unwrap().to_string();
    assert!(arn.starts_with(&format!(
        "arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:cli/one-"
    )));
    let got = json(&sm(&["get-secret-value", "--secret-id", "cli/one"]));
    assert_eq!(got["SecretString"], "first");
    // The aws CLI v1 prints timestamps as AWS sent them: epoch seconds.
    assert!(got["CreatedDate"].as_f64().unwrap() > 1.5e9, "{got}");
    let put = json(&sm(&[
        "put-secret-value",
        "--secret-id",
        &arn,
        "--secret-string",
        "second",
    ]));
    assert_eq!(put["VersionStages"], serde_json::json!(["AWSCURRENT"]));
    let prev = json(&sm(&[
        "get-secret-value",
        "--secret-id",
        "cli/one",
        "--version-stage",
        "AWSPREVIOUS",
    ]));
    assert_eq!(prev["SecretString"], "first");
    let bin = server.root.join("blob.bin");
    std::fs::write(&bin, [0u8, 255, 1, 254, 2]).unwrap();
    json(&sm(&[
        "create-secret",
        "--name",
        "cli/blob",
        "--secret-binary",
        &format!("fileb://{}", bin.display()),
    ]));
    let blob = json(&sm(&["get-secret-value", "--secret-id", "cli/blob"]));
    assert_eq!(blob["SecretBinary"], "AP8B/gI=", "{blob}");
    let listed = json(&sm(&[
        "list-secrets",
        "--filters",
        "Key=tag-key,Values=owner",
    ]));
    let names: Vec<&str> = listed["SecretList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cli/one"]);
    let described = json(&sm(&["describe-secret", "--secret-id", "cli/one"]));
    assert_eq!(described["Description"], "made by the aws CLI");
    assert_eq!(
        described["VersionIdsToStages"].as_object().unwrap().len(),
        2
    );
    let pw = json(&sm(&[
        "get-random-password",
        "--password-length",
        "50",
        "--exclude-punctuation",
    ]));
    let pw = pw["RandomPassword"].as_str().unwrap();
    assert_eq!(pw.len(), 50);
    assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()), "{pw}");
    let deleted = json(&sm(&[
        "delete-secret",
        "--secret-id",
        "cli/one",
        "--force-delete-without-recovery",
    ]));
    assert_eq!(deleted["Name"], "cli/one");
    let missing = sm(&["get-secret-value", "--secret-id", "cli/one"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("ResourceNotFoundException"),
        "{missing:?}"
    );
}

/// The role `app`: assumable by the account, allowed to read `app/*` secrets, secrets tagged
/// `team=red`, and to batch-read. Made in the data directory before the server starts.
fn make_app_role(root: &Path, data_dir: &Path) {
    let store = Store::open(data_dir).unwrap();
    let config = KeyConfig {
        config_home: Some(root.join("config")),
        ..KeyConfig::default()
    };
    let key = load_master_key(&store, &config).unwrap().key;
    let vault = Arc::new(Vault::open(&store, key).unwrap());
    let ids = Identities::open(store, vault, ACCOUNT, "us-east-1").unwrap();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    ids.create_role("app", "/", &trust, "the application", 3600, &[])
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"AppSecrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"},
        {"Sid":"RedTeam","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"red"}}},
        {"Sid":"Batch","Effect":"Allow","Action":"secretsmanager:BatchGetSecretValue","Resource":"*"}
    ]}"#;
    ids.put_inline_policy(OwnerKind::Role, "app", "read-app-secrets", policy)
        .unwrap();
}

#[test]
fn least_privilege_with_a_role_session() {
    let Some(python) = common::python() else {
        return;
    };
    let root = common::scratch("services_sm_least_privilege");
    let data_dir = root.join("data");
    make_app_role(&root, &data_dir);
    let server = Server::start_in(&root, &data_dir);
    assert_ok(&server.python(
        &python,
        "sm_least_privilege.py",
        &[("EXPECT_ACCOUNT", ACCOUNT)],
    ));
    // Every decision is in the audit log, denials with the statement that decided.
    let log = AuditLog::open(&data_dir).unwrap();
    let session = format!("arn:aws:sts::{ACCOUNT}:assumed-role/app/s1");
    let entries = log
        .query(&Filter::new().principal(session.clone()))
        .unwrap();
    let reads = |decision: &str, secret: &str| {
        entries
            .iter()
            .filter(|e| {
                e.decision.as_str() == decision
                    && e.action == "secretsmanager:GetSecretValue"
                    && e.resource.contains(secret)
            })
            .count()
    };
    assert!(reads("Allow", "secret:app/db-") >= 2, "{entries:#?}");
    assert!(reads("ImplicitDeny", "secret:other/key-") >= 2);
    assert_eq!(reads("ExplicitDeny", "secret:app/db-"), 1);
    let deny = entries
        .iter()
        .find(|e| e.decision.as_str() == "ExplicitDeny")
        .unwrap();
    assert_eq!(deny.statement.as_deref(), Some("resource policy#NoApp"));
    assert!(reads("Allow", "secret:other/key-") >= 1);
    let admin_changes = log
        .query(
            &Filter::new()
                .principal(format!("arn:aws:iam::{ACCOUNT}:user/admin"))
                .decision(Decision::Mutation),
        )
        .unwrap();
    let actions: Vec<&str> = admin_changes.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "secretsmanager:CreateSecret")
            .count(),
        4
    );
    assert!(actions.contains(&"secretsmanager:PutResourcePolicy"));
    assert!(actions.contains(&"secretsmanager:DeleteResourcePolicy"));
    assert!(log.verify().unwrap().is_intact());
}

#[test]
fn secrets_put_from_stdin_and_file_then_read_with_boto3() {
    let Some(python) = common::python() else {
        return;
    };
    let server = Server::start("services_sm_cli_put");
    let out = secrets_put(
        &server,
        &["cli/token", "--stdin", "--description", "from the CLI"],
        b"tok-1",
    );
    assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("created secret `cli/token`"), "{text}");
    assert!(
        !text.contains("tok-1"),
        "the value is never printed: {text}"
    );
    let out = secrets_put(&server, &["cli/token", "--stdin"], b"tok-2\n");
    assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("updated secret `cli/token`"));
    assert_ok(&server.python(
        &python,
        "sm_read.py",
        &[
            ("SECRET_ID", "cli/token"),
            ("EXPECT_STRING", "tok-2\n"),
            ("EXPECT_PREVIOUS_STRING", "tok-1"),
            ("EXPECT_DESCRIPTION", "from the CLI"),
        ],
    ));
    // Bytes that are not UTF-8 become a binary secret.
    let file = server.root.join("key.der");
    std::fs::write(&file, [0x30u8, 0x82, 0xff, 0x00, 0x01]).unwrap();
    let file_arg = file.display().to_string();
    assert_ok(&secrets_put(
        &server,
        &["cli/der", "--from-file", &file_arg],
        b"",
    ));
    assert_ok(&server.python(
        &python,
        "sm_read.py",
        &[
            ("SECRET_ID", "cli/der"),
            ("EXPECT_BINARY_HEX", "3082ff0001"),
        ],
    ));
    // The value never comes from the command line; bad input is a usage error.
    for (args, stdin) in [
        (vec!["cli/x"], "v"),
        (vec!["cli/x", "--stdin", "--from-file", &file_arg], "v"),
        (vec!["cli/x", "value-on-the-command-line", "--stdin"], "v"),
        (vec!["cli/x", "--stdin"], ""),
        (vec!["bad name", "--stdin"], "v"),
    ] {
        let out = secrets_put(&server, &args, stdin.as_bytes());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    }
    let big = vec![b'x'; 65_537];
    let out = secrets_put(&server, &["cli/big", "--stdin"], &big);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // Audited as changes by the CLI.
    let log = AuditLog::open(&server.data_dir).unwrap();
    let changes = log.query(&Filter::new().principal("mudroom:cli")).unwrap();
    let actions: Vec<(&str, &str)> = changes
        .iter()
        .map(|e| (e.action.as_str(), e.decision.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("secretsmanager:CreateSecret", "Mutation"),
            ("secretsmanager:PutSecretValue", "Mutation"),
            ("secretsmanager:CreateSecret", "Mutation"),
        ]
    );
    assert!(changes.iter().all(|e| e.resource.contains(":secret:cli/")));
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Fails when any needle appears in a file under the data directory or in the server's stderr;
/// returns how many files hold `control` (text that is stored in the clear), to show the scan
/// sees what was written.
fn assert_nowhere(server: &Server, needles: &[(&str, Vec<u8>)], control: &[u8]) -> usize {
    let mut places = files(&server.data_dir);
    places.push(server.root.join("stderr.log"));
    let mut seen = 0;
    for path in &places {
        let bytes = std::fs::read(path).unwrap();
        if contains(&bytes, control) {
            seen += 1;
        }
        for (what, needle) in needles {
            assert!(
                !contains(&bytes, needle),
                "{what} found in `{}`",
                path.display()
            );
        }
    }
    seen
}

#[test]
fn plaintext_never_lands_on_disk_or_in_logs() {
    let Some(python) = common::python() else {
        return;
    };
    let mut server = Server::start_logged("services_sm_plaintext");
    // Distinctive per run, so no constant in code or data can match by chance.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let marker = format!("canary-{nanos:x}-{}-plaintext", std::process::id());
    let mut binary = vec![0xffu8, 0xfe];
    binary.extend(marker.bytes().rev());
    let hex: String = binary.iter().map(|b| format!("{b:02x}")).collect();
    assert_ok(&server.python(
        &python,
        "sm_plaintext.py",
        &[("MARKER", &marker), ("MARKER_BINARY_HEX", &hex)],
    ));
    let cli_value = format!("{marker}-from-the-cli");
    let out = secrets_put(&server, &["canary/cli", "--stdin"], cli_value.as_bytes());
    assert_ok(&out);
    assert!(!contains(&out.stdout, marker.as_bytes()));
    assert!(!contains(&out.stderr, marker.as_bytes()));
    assert_ok(&server.python(
        &python,
        "sm_read.py",
        &[("SECRET_ID", "canary/cli"), ("EXPECT_STRING", &cli_value)],
    ));
    use base64::Engine as _;
    let b64 = |b: &[u8]| {
        base64::engine::general_purpose::STANDARD
            .encode(b)
            .into_bytes()
    };
    let needles = [
        ("the text value", marker.as_bytes().to_vec()),
        ("the binary value", binary.clone()),
        ("the base64 of the binary value", b64(&binary)),
        ("the base64 of the text value", b64(marker.as_bytes())),
    ];
    // Secret names are metadata, stored in the clear: the scan must find them, in the
    // database (or its WAL) and in the audit log.
    let control = b"canary/bytes";
    // While the server runs (database, WAL and shared memory as they are)...
    let seen = assert_nowhere(&server, &needles, control);
    assert!(seen >= 2, "the secret's name is in {seen} files");
    // ...and after it stopped and checkpointed.
    server.stop();
    let names: Vec<String> = files(&server.data_dir)
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert!(names.iter().any(|n| n.starts_with("audit")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".db")), "{names:?}");
    assert!(assert_nowhere(&server, &needles, control) >= 2);
}
