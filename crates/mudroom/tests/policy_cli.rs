//! `mudroom policy check` and `mudroom policy eval`, run as the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn mudroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mudroom"))
        .args(args)
        .output()
        .expect("run mudroom")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy")
}

/// A scratch directory under the target directory, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write file");
    path.display().to_string()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn eval_examples_give_the_documented_decisions() {
    for (file, want) in [
        ("read-own-secret.json", "Allow"),
        ("read-other-team-secret.json", "ImplicitDeny"),
        ("read-admin-secret.json", "ExplicitDeny"),
    ] {
        let path = examples().join(file);
        let out = mudroom(&[
            "policy",
            "eval",
            "--request",
            path.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{file}: {out:?}");
        let v = stdout_json(&out);
        assert_eq!(v["decision"], want, "{file}: {v}");
        assert!(v["matched"].is_array());
    }
}

#[test]
fn eval_json_names_the_deciding_statement() {
    let path = examples().join("read-admin-secret.json");
    let out = mudroom(&[
        "policy",
        "eval",
        "--request",
        path.to_str().unwrap(),
        "--json",
    ]);
    let v = stdout_json(&out);
    let matched = v["matched"].as_array().unwrap();
    assert_eq!(matched.len(), 1, "{v}");
    assert_eq!(matched[0]["statement"], "NeverAdminSecrets");
    assert_eq!(matched[0]["effect"], "Deny");
}

#[test]
fn eval_text_explains_a_deny() {
    let path = examples().join("read-other-team-secret.json");
    let out = mudroom(&["policy", "eval", "--request", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("ImplicitDeny"), "{text}");
    assert!(text.contains("ReadOwnTeamSecrets"), "{text}");
    assert!(text.contains("not covered by"), "{text}");
}

#[test]
fn eval_refuses_bad_input_with_exit_2() {
    let dir = scratch("eval_bad");
    let base = json!({
        "principal": {"arn": "arn:aws:iam::111122223333:user/alice"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k",
        "resource_account": "111122223333",
        "identity_policies": []
    });
    let mut unknown = base.clone();
    unknown["surprise"] = json!(1);
    let mut bad_policy = base.clone();
    bad_policy["identity_policies"] = json!([{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}]}]);
    let mut bad_arn = base.clone();
    bad_arn["principal"] = json!({"arn": "alice"});
    for (name, doc, needle) in [
        ("unknown.json", unknown, "surprise"),
        (
            "bad_policy.json",
            bad_policy,
            "identity_policies[0].Statement[0].Principal",
        ),
        ("bad_arn.json", bad_arn, "principal.arn"),
    ] {
        let path = write(&dir, name, &doc);
        let out = mudroom(&["policy", "eval", "--request", &path]);
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(needle), "{name}: {err}");
    }
    let out = mudroom(&["policy", "eval", "--request", "/nonexistent/request.json"]);
    assert_eq!(out.status.code(), Some(2));
    let path = write(&dir, "ok.json", &base);
    let out = mudroom(&["policy", "eval", "--request", &path, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["decision"], "ImplicitDeny");
}

#[test]
fn check_exit_codes() {
    let dir = scratch("check_codes");
    let good = write(
        &dir,
        "good.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}),
    );
    let bad = write(
        &dir,
        "bad.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}]}),
    );
    let out = mudroom(&["policy", "check", &good]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = mudroom(&["policy", "check", &good, &bad]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = mudroom(&["policy", "check", &good, "/nonexistent.json"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = mudroom(&["policy", "check", "--frobnicate", &good]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = mudroom(&["policy", "check"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn check_json_shape() {
    let dir = scratch("check_json");
    let bad = write(
        &dir,
        "bad.json",
        &json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEqualz": {"aws:username": "x"}}}
        ]}),
    );
    let out = mudroom(&["policy", "check", "--json", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    let findings = v["findings"].as_array().unwrap();
    let f = findings
        .iter()
        .find(|f| f["severity"] == "error")
        .expect("an error finding");
    assert_eq!(f["file"], bad.as_str());
    assert_eq!(f["path"], "Statement[1].Condition.StringEqualz");
    assert!(f["code"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(f["message"].as_str().unwrap().contains("StringEqualz"));
}

#[test]
fn check_applies_the_slot_rules() {
    let dir = scratch("check_slots");
    let trust = write(
        &dir,
        "trust.json",
        &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    );
    let out = mudroom(&["policy", "check", &trust]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = mudroom(&["policy", "check", "--kind", "identity", &trust]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn version_and_help() {
    let out = mudroom(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("mudroom"));
    let out = mudroom(&["policy", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("check") && help.contains("eval"), "{help}");
    let out = mudroom(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}
