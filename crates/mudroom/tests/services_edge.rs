#![cfg(test)]
//! The endpoint's edges: raw malformed requests get AWS-shaped errors (never a 500), expired
//! session credentials are refused, TLS on request and refusal of plain HTTP off loopback.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use common::{Server, assert_ok, mudroom};

/// Sends raw bytes, returns the status line and the whole answer.
fn raw(endpoint: &str, request: &[u8]) -> (u16, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn malformed_requests_get_aws_shaped_errors() {
    let server = Server::start("edge_raw");
    let host = server.endpoint.trim_start_matches("http://").to_string();
    // No signature at all, JSON protocol.
    let body = r#"{"SecretId":"x"}"#;
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw(&server.endpoint, req.as_bytes());
    assert!((400..500).contains(&status), "{text}");
    assert!(
        text.contains("\"__type\"") && text.contains("MissingAuthenticationToken"),
        "{text}"
    );
    // Query protocol without a signature.
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, text) = raw(&server.endpoint, req.as_bytes());
    assert!((400..500).contains(&status), "{text}");
    assert!(text.contains("<ErrorResponse"), "{text}");
    // A garbled Authorization header.
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nAuthorization: AWS4-HMAC-SHA256 garbage\r\nX-Amz-Date: 20260101T000000Z\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    );
    let (status, text) = raw(&server.endpoint, req.as_bytes());
    assert!((400..500).contains(&status), "{text}");
    assert!(text.contains("\"__type\""), "{text}");
    // An oversized body is refused before anything reads it.
    let big = 2 * 1024 * 1024;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: secretsmanager.ListSecrets\r\nContent-Length: {big}\r\nConnection: close\r\n\r\n"
    );
    let mut request = head.into_bytes();
    request.extend(std::iter::repeat_n(b'a', big));
    let (status, text) = raw(&server.endpoint, &request);
    assert_eq!(status, 413, "{text}");
    // Too many headers.
    let mut req = format!("POST / HTTP/1.1\r\nHost: {host}\r\n");
    for i in 0..200 {
        req.push_str(&format!("X-Pad-{i}: x\r\n"));
    }
    req.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    let (status, text) = raw(&server.endpoint, req.as_bytes());
    assert!(status == 431 || status == 400, "{text}");
    // Garbage is not a request.
    let (status, _) = raw(&server.endpoint, b"\x00\x01garbage\r\n\r\n");
    assert!(status == 0 || status == 400, "status {status}");
    // The server is still healthy afterwards.
    let Some(python) = common::python() else {
        return;
    };
    assert_ok(&server.python(&python, "sts_basics.py", &[]));
}

#[test]
fn expired_session_credentials_are_refused() {
    let Some(python) = common::python() else {
        return;
    };
    let mut server = Server::start("edge_expiry");
    let saved = server.root.join("session.json");
    let saved = saved.to_str().unwrap().to_string();
    assert_ok(&server.python(&python, "session_expiry.py", &[("SAVED", &saved)]));
    let root = server.root.clone();
    let data = server.data_dir.clone();
    server.stop();
    // Let the session's hour pass: move its expiry into the past.
    {
        use mudroom_store::rusqlite::Connection;
        let conn = Connection::open(data.join("mudroom.db")).unwrap();
        let n = conn
            .execute("UPDATE sts_sessions SET expires = expires - 100000", [])
            .unwrap();
        assert_eq!(n, 1);
    }
    let server = Server::start_in(&root, &data);
    assert_ok(&server.python(
        &python,
        "session_expiry.py",
        &[("SAVED", &saved), ("MODE", "check")],
    ));
}

#[test]
fn plain_http_off_loopback_is_refused_and_tls_works() {
    let root = common::scratch("edge_tls");
    let out = mudroom(&root)
        .args(["up", "--data-dir"])
        .arg(root.join("data"))
        .args(["--services-listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-cert"),
        "{out:?}"
    );

    let Some(python) = common::python() else {
        return;
    };
    let cert = root.join("cert.pem");
    let key = root.join("key.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    let Ok(made) = made else {
        eprintln!("SKIP: openssl is not installed");
        return;
    };
    assert_ok(&made);
    let port = common::free_port();
    let mut child = mudroom(&root)
        .args(["up", "--data-dir"])
        .arg(root.join("data"))
        .args(["--services-listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let creds = mudroom(&root)
        .args(["admin", "credentials", "--data-dir"])
        .arg(root.join("data"))
        .output()
        .unwrap();
    assert_ok(&creds);
    let text = String::from_utf8_lossy(&creds.stdout).into_owned();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {k}=")))
            .unwrap()
            .to_string()
    };
    let script = format!(
        "import boto3,time\nfor i in range(100):\n    try:\n        c=boto3.client('sts',endpoint_url='https://127.0.0.1:{port}',verify=False)\n        print(c.get_caller_identity()['Arn']); break\n    except Exception as e:\n        err=e; time.sleep(0.1)\nelse:\n    raise err\n"
    );
    let out = std::process::Command::new(&python)
        .args(["-W", "ignore", "-c", &script])
        .env("AWS_ACCESS_KEY_ID", get("AWS_ACCESS_KEY_ID"))
        .env("AWS_SECRET_ACCESS_KEY", get("AWS_SECRET_ACCESS_KEY"))
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(":user/admin"),
        "{out:?}"
    );
}
