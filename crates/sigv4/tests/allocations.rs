//! Verification is allocation-light: parsing a header-signed request allocates nothing, and
//! verifying it allocates only the canonical request buffer. Checked with a counting allocator
//! (alone in this test binary, so no other test's allocations are counted).

use std::time::{Duration, UNIX_EPOCH};

use mudroom_sigv4::{
    Credentials, Payload, RequestParts, SignedRequest, Signer, SigningKey, Verifier,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[test]
fn parse_allocates_nothing_and_verify_one_buffer() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut parts = RequestParts {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("Host".into(), "ssm.us-east-1.amazonaws.com".into()),
            ("X-Amz-Target".into(), "AmazonSSM.GetParameter".into()),
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
        ],
        body: br#"{"Name": "/app/db/password", "WithDecryption": true}"#.to_vec(),
    };
    let creds = Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        session_token: Some("FwoGZXIvYXdzEXAMPLE"),
    };
    Signer::new("us-east-1", "ssm")
        .sign(&mut parts, &creds, now)
        .unwrap();
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
        .with_service("ssm");

    let region = Region::new(GLOBAL);
    let parsed = verifier.parse(&req).unwrap();
    assert_eq!(region.change().allocations, 0, "parse");

    let region = Region::new(GLOBAL);
    let key = SigningKey::derive(SECRET.as_bytes(), parsed.date(), "us-east-1", "ssm").unwrap();
    assert_eq!(region.change().allocations, 0, "key derivation");

    let region = Region::new(GLOBAL);
    verifier.verify_with_key(&parsed, &req, &key, now).unwrap();
    assert_eq!(
        region.change().allocations,
        1,
        "verify: the canonical request buffer"
    );

    let region = Region::new(GLOBAL);
    verifier
        .verify(&parsed, &req, SECRET.as_bytes(), now)
        .unwrap();
    assert_eq!(region.change().allocations, 1, "verify deriving the key");
}
