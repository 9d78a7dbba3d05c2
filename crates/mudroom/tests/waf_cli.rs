#![cfg(test)]
//! `mudroom waf test`, run as the real binary: one JSON line out per line in, in order.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn waf_test(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mudroom"))
        .arg("waf")
        .arg("test")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mudroom");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    out
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn b64(raw: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(raw)
}

#[test]
fn one_line_out_per_line_in_in_order() {
    let big = format!(
        "GET /?q={} HTTP/1.1\r\nHost: h\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let input = [
        json!({ "method": "GET", "uri": "/hello?name=world", "headers": [["Host", "x"]] }).to_string(),
        json!({ "request_b64": b64(b"GET /?id=1%27%20or%20%271%27%3D%271 HTTP/1.1\r\nHost: x\r\n\r\n") }).to_string(),
        "this is not json".to_owned(),
        json!({ "request_b64": b64(b"\r\n\r\n") }).to_string(),
        json!({ "request_b64": "***" }).to_string(),
        json!({ "request_b64": b64(big.as_bytes()) }).to_string(),
        json!({ "method": "POST", "uri": "/f", "headers": [["Host", "x"]], "body": "x=<script>alert(1)</script>" }).to_string(),
        String::new(),
    ]
    .join("\n");
    let out = waf_test(&[], format!("{input}\n").as_bytes());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = lines(&out);
    assert_eq!(got.len(), 8);
    let actions: Vec<&str> = got
        .iter()
        .map(|v| v["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions,
        [
            "ALLOW", "BLOCK", "BLOCK", "BLOCK", "BLOCK", "BLOCK", "BLOCK", "BLOCK"
        ]
    );
    assert_eq!(got[0]["rule"], Value::Null);
    assert_eq!(got[0]["labels"], json!([]));
    assert!(
        got[1]["rule"].as_str().unwrap_or("").contains("SQLi"),
        "{}",
        got[1]
    );
    for bad in [2, 3, 4, 7] {
        assert!(
            got[bad]["rule"]
                .as_str()
                .unwrap_or("")
                .contains("ProtocolViolation"),
            "{}",
            got[bad]
        );
        assert!(got[bad]["error"].is_string(), "{}", got[bad]);
    }
    assert!(
        got[5]["rule"]
            .as_str()
            .unwrap_or("")
            .contains("SizeRestrictions"),
        "{}",
        got[5]
    );
}

#[test]
fn custom_acl_and_its_errors() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("waf_cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let acl = json!({ "Name": "t", "DefaultAction": { "Block": {} }, "Rules": [
        { "Name": "health", "Priority": 0, "Action": { "Allow": {} },
          "Statement": { "ByteMatchStatement": { "SearchString": "/health", "PositionalConstraint": "EXACTLY",
            "FieldToMatch": { "UriPath": {} }, "TextTransformations": [{ "Priority": 0, "Type": "NONE" }] } } } ] });
    let path = dir.join("acl.json");
    std::fs::write(&path, acl.to_string()).expect("write");
    let input =
        "{\"method\":\"GET\",\"uri\":\"/health\"}\n{\"method\":\"GET\",\"uri\":\"/other\"}\n";
    let out = waf_test(&["--acl", path.to_str().expect("utf-8")], input.as_bytes());
    let got = lines(&out);
    assert_eq!(
        got[0],
        json!({ "action": "ALLOW", "rule": "health", "labels": got[0]["labels"] })
    );
    assert_eq!(got[1]["action"], "BLOCK");
    assert_eq!(got[1]["rule"], Value::Null);
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"DefaultAction":{"Allow":{}},"Rules":[{"Name":"r","Priority":"x"}]}"#,
    )
    .expect("write");
    let out = waf_test(&["--acl", bad.to_str().expect("utf-8")], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("$.Rules[0].Priority: expected an integer"),
        "{err}"
    );
}
