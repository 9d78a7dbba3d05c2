//! Any bytes as a signed request (method, path, query, then `name:value` header lines, then a
//! blank line and the body): parsing and verifying never panic, a request that parses under
//! both rule sets reads the same claims, and a verification never succeeds with a wrong key.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use mudroom_sigv4::{Payload, SignedRequest, Verifier};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.split('\n');
    let method = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("");
    let query = lines.next().unwrap_or("");
    let headers: Vec<(&str, &str)> = lines.filter_map(|l| l.split_once(':')).collect();
    let req = SignedRequest {
        method,
        path,
        query,
        headers: &headers,
        payload: Payload::Bytes(body.as_bytes()),
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    let services = Verifier::SERVICES.parse(&req);
    for verifier in [Verifier::SERVICES, Verifier::S3] {
        if let Ok(parsed) = verifier.parse(&req) {
            let _ = verifier.canonical_request(&parsed, &req);
            let _ = verifier.string_to_sign(&parsed, &req);
            let _ = format!("{parsed:?}");
            assert!(
                verifier
                    .verify(&parsed, &req, b"not the key anyone signed with", now)
                    .is_err()
            );
            if let Ok(p) = &services {
                assert_eq!(p.access_key_id(), parsed.access_key_id());
                assert_eq!(p.scope(), parsed.scope());
                assert_eq!(p.timestamp(), parsed.timestamp());
            }
        }
    }
});
