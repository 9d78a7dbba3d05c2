//! Parse and verify a typical JSON-protocol request (Secrets Manager `GetSecretValue`, as boto3
//! signs it). Goal: a few microseconds for parse + verify, the signing key derived each time.
#![expect(
    clippy::expect_used,
    reason = "a benchmark with a broken fixture must stop"
)]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use mudroom_sigv4::{
    Credentials, Payload, RequestParts, SignedRequest, Signer, SigningKey, Verifier,
};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn signed_request(now: SystemTime) -> RequestParts {
    let mut parts = RequestParts {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("Host".into(), "secretsmanager.us-east-1.amazonaws.com".into()),
            ("X-Amz-Target".into(), "secretsmanager.GetSecretValue".into()),
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            ("Content-Length".into(), "40".into()),
            (
                "User-Agent".into(),
                "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.2".into(),
            ),
            ("amz-sdk-invocation-id".into(), "4f3b9a52-8f0c-4b5e-9d41-0b7c0c6b2f11".into()),
            ("amz-sdk-request".into(), "attempt=1".into()),
        ],
        body: br#"{"SecretId": "app/db", "VersionStage": 1}"#.to_vec(),
    };
    let creds = Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        session_token: None,
    };
    Signer::new("us-east-1", "secretsmanager")
        .sign(&mut parts, &creds, now)
        .expect("signing the fixture");
    parts
}

fn bench(c: &mut Criterion) {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let parts = signed_request(now);
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = SignedRequest {
        method: &parts.method,
        path: &parts.path,
        query: &parts.query,
        headers: &headers,
        payload: Payload::Bytes(&parts.body),
    };
    let verifier = Verifier::SERVICES
        .with_region("us-east-1")
        .with_service("secretsmanager");
    let parsed = verifier.parse(&req).expect("fixture parses");
    verifier
        .verify(&parsed, &req, SECRET.as_bytes(), now)
        .expect("fixture verifies");
    let key = SigningKey::derive(
        SECRET.as_bytes(),
        parsed.date(),
        "us-east-1",
        "secretsmanager",
    )
    .expect("fixture key");

    c.bench_function("json request: parse", |b| {
        b.iter(|| black_box(verifier.parse(black_box(&req)).is_ok()))
    });
    c.bench_function("json request: parse + verify", |b| {
        b.iter(|| {
            let parsed = verifier.parse(black_box(&req)).expect("parses");
            black_box(
                verifier
                    .verify(&parsed, &req, SECRET.as_bytes(), now)
                    .is_ok(),
            )
        })
    });
    c.bench_function("json request: parse + verify with a kept key", |b| {
        b.iter(|| {
            let parsed = verifier.parse(black_box(&req)).expect("parses");
            black_box(verifier.verify_with_key(&parsed, &req, &key, now).is_ok())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
