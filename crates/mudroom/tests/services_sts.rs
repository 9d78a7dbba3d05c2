#![cfg(test)]
//! The services endpoint with real AWS clients: STS.

mod common;

use common::{Server, assert_ok};

#[test]
fn sts_with_boto3_and_the_aws_cli() {
    let Some(python) = common::python() else {
        return;
    };
    let server = Server::start("services_sts");
    assert_ok(&server.python(
        &python,
        "sts_basics.py",
        &[("EXPECT_ACCOUNT", "000000000000")],
    ));
    let out = server.aws(&python, &["sts", "get-caller-identity"]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Arn"], "arn:aws:iam::000000000000:user/admin");
}

#[test]
fn second_server_on_one_data_dir_is_refused() {
    let server = Server::start("services_lock");
    let out = common::mudroom(&server.root)
        .args(["up", "--data-dir"])
        .arg(&server.data_dir)
        .args([
            "--services-listen",
            &format!("127.0.0.1:{}", common::free_port()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error:") && err.contains("lock"), "{err}");
}
