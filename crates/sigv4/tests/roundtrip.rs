//! Properties: whatever the signer signs, the verifier accepts (header auth and presigned, both
//! rule sets); any change to the signed parts is rejected; no input makes parsing or verifying
//! panic.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mudroom_sigv4::{
    Credentials, Payload, RequestParts, Rules, SigError, SignedRequest, Signer, Verifier,
};
use proptest::prelude::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Headers the signer sets itself or never signs; generated headers avoid them.
const RESERVED: [&str; 10] = [
    "host",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "date",
    "user-agent",
    "expect",
    "connection",
    "te",
];

#[derive(Clone, Debug)]
struct Input {
    rules: Rules,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    token: Option<String>,
    now: SystemTime,
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9 %._~+!@$&'()*,;=:ü-]{0,8}|\\.|\\.\\.", 0..6)
        .prop_map(|segments| format!("/{}", segments.join("/")))
}

fn query() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            "[a-zA-Z0-9 %._~+/:;ü-]{0,6}",
            "[a-zA-Z0-9 %._~+/=:;ü-]{0,8}",
        ),
        0..5,
    )
    .prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            "[a-zA-Z][a-zA-Z0-9-]{0,12}",
            "[ \t]{0,2}[ -~]{0,20}[ \t]{0,2}",
        ),
        0..6,
    )
    .prop_map(|hs| {
        hs.into_iter()
            .filter(|(n, _)| !RESERVED.contains(&n.to_ascii_lowercase().as_str()))
            .collect()
    })
}

fn input() -> impl Strategy<Value = Input> {
    (
        prop_oneof![Just(Rules::SERVICES), Just(Rules::S3)],
        prop_oneof![Just("GET"), Just("POST"), Just("PUT"), Just("DELETE")],
        path(),
        query(),
        headers(),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::option::of("[A-Za-z0-9+/=]{1,40}"),
        0u64..4_000_000_000,
    )
        .prop_map(
            |(rules, method, path, query, headers, body, token, secs)| Input {
                rules,
                method: method.to_owned(),
                path,
                query,
                headers,
                body,
                token,
                now: UNIX_EPOCH + Duration::from_secs(secs),
            },
        )
}

impl Input {
    fn parts(&self) -> RequestParts {
        let mut headers = vec![("Host".to_owned(), "mudroom.example.test".to_owned())];
        headers.extend(self.headers.iter().cloned());
        RequestParts {
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers,
            body: self.body.clone(),
        }
    }

    fn signer(&self) -> Signer<'static> {
        if self.rules == Rules::S3 {
            Signer::s3("us-east-1")
        } else {
            Signer::new("us-east-1", "secretsmanager")
        }
    }

    fn credentials(&self) -> Credentials<'_> {
        Credentials {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: SECRET,
            session_token: self.token.as_deref(),
        }
    }
}

/// Parses and verifies `parts` as received at `now`.
fn check(
    parts: &RequestParts,
    rules: Rules,
    secret: &str,
    now: SystemTime,
) -> Result<(), SigError> {
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
    let verifier = Verifier::new(rules).with_region("us-east-1");
    let parsed = verifier.parse(&req)?;
    assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
    verifier.verify(&parsed, &req, secret.as_bytes(), now)
}

fn host_mut(parts: &mut RequestParts) -> &mut String {
    &mut parts
        .headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .unwrap()
        .1
}

proptest! {
    // No failure files in the source tree: a failing case is printed, not persisted.
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn signed_requests_verify(input in input(), skew in -900i64..=900) {
        let mut parts = input.parts();
        input.signer().sign(&mut parts, &input.credentials(), input.now).unwrap();
        let now = if skew >= 0 {
            input.now + Duration::from_secs(skew.unsigned_abs())
        } else {
            input.now - Duration::from_secs(skew.unsigned_abs())
        };
        prop_assert_eq!(check(&parts, input.rules, SECRET, now), Ok(()));
    }

    #[test]
    fn changed_signed_requests_fail(input in input(), change in 0usize..5) {
        let mut parts = input.parts();
        input.signer().sign(&mut parts, &input.credentials(), input.now).unwrap();
        let mut changed = parts.clone();
        let mut secret = SECRET.to_owned();
        match change {
            0 => changed.body.push(b'x'),
            1 => host_mut(&mut changed).push('x'),
            2 => changed.path.push('x'),
            3 => changed.method.push('X'),
            _ => secret.push('x'),
        }
        let result = check(&changed, input.rules, &secret, input.now);
        let expected = if change == 0 && input.rules == Rules::S3 {
            SigError::ContentSha256Mismatch
        } else {
            SigError::SignatureDoesNotMatch
        };
        prop_assert_eq!(result, Err(expected));
    }

    #[test]
    fn presigned_requests_verify_until_they_expire(input in input(), expires in 0u32..=604_800) {
        let mut parts = input.parts();
        input
            .signer()
            .presign(&mut parts, &input.credentials(), input.now, expires)
            .unwrap();
        let at = |secs: i64| {
            if secs >= 0 {
                input.now + Duration::from_secs(secs.unsigned_abs())
            } else {
                input.now - Duration::from_secs(secs.unsigned_abs())
            }
        };
        prop_assert_eq!(check(&parts, input.rules, SECRET, at(-900)), Ok(()));
        prop_assert_eq!(check(&parts, input.rules, SECRET, at(i64::from(expires))), Ok(()));
        prop_assert_eq!(
            check(&parts, input.rules, SECRET, at(i64::from(expires) + 1)),
            Err(SigError::PresignedExpired)
        );
        prop_assert_eq!(
            check(&parts, input.rules, SECRET, at(-901)),
            Err(SigError::PresignedNotYetValid)
        );
        let mut changed = parts.clone();
        host_mut(&mut changed).push('x');
        prop_assert_eq!(
            check(&changed, input.rules, SECRET, input.now),
            Err(SigError::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn arbitrary_requests_never_panic(
        authorization in "AWS4-HMAC-SHA256 [ -~]{0,200}",
        query in "(X-Amz-[A-Za-z]{1,12}=[ -~]{0,30}&){0,8}[ -~]{0,40}",
        date in "[0-9TZ]{14,18}",
        path in "[ -~ü]{0,40}",
        body in prop::collection::vec(any::<u8>(), 0..16),
        use_header in any::<bool>(),
    ) {
        let mut headers = vec![("host", "h"), ("x-amz-date", date.as_str())];
        if use_header {
            headers.push(("authorization", authorization.as_str()));
        }
        let req = SignedRequest {
            method: "GET",
            path: &path,
            query: &query,
            headers: &headers,
            payload: Payload::Bytes(&body),
        };
        for verifier in [Verifier::SERVICES, Verifier::S3] {
            if let Ok(parsed) = verifier.parse(&req) {
                let _ = format!("{parsed:?}");
                let result = verifier.verify(&parsed, &req, SECRET.as_bytes(), UNIX_EPOCH);
                prop_assert!(result.is_err());
            }
        }
    }
}

#[test]
fn signer_output_is_what_aws_sdks_send() {
    // A hand-checked request: POST to Secrets Manager with a session token.
    let mut parts = RequestParts {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            (
                "Host".into(),
                "secretsmanager.us-east-1.amazonaws.com".into(),
            ),
            (
                "X-Amz-Target".into(),
                "secretsmanager.GetSecretValue".into(),
            ),
            ("Content-Type".into(), "application/x-amz-json-1.1".into()),
            ("User-Agent".into(), "mudroom".into()),
        ],
        body: br#"{"SecretId":"app/db"}"#.to_vec(),
    };
    let creds = Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        session_token: Some("token"),
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    Signer::new("us-east-1", "secretsmanager")
        .sign(&mut parts, &creds, now)
        .unwrap();
    let names: Vec<&str> = parts.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "X-Amz-Target",
            "Content-Type",
            "User-Agent",
            "X-Amz-Date",
            "X-Amz-Security-Token",
            "Authorization"
        ]
    );
    let auth = &parts.headers[6].1;
    assert!(auth.starts_with(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="
    ));
    assert_eq!(check(&parts, Rules::SERVICES, SECRET, now), Ok(()));
}
