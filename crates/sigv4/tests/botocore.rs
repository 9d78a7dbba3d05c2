//! Requests exactly as botocore (boto3, the aws CLI) sends them, captured offline by
//! `tests/fixtures/botocore_requests.py`: query, JSON and REST-JSON services, S3 with signed,
//! unsigned and `aws-chunked` payloads, session tokens, and presigned URLs. Each must verify,
//! and fail once changed.
#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mudroom_sigv4::{AuthKind, ContentSha256, Payload, Rules, SigError, SignedRequest, Verifier};
use serde_json::Value;

#[derive(Clone)]
struct Fixture {
    name: String,
    rules: Rules,
    region: String,
    service: String,
    access_key_id: String,
    secret: String,
    token: Option<String>,
    now: SystemTime,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn fixtures() -> Vec<Fixture> {
    let text = include_str!("fixtures/botocore_requests.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["expect"], "ok");
            let now = s(&r["now"]);
            Fixture {
                name: s(&r["name"]),
                rules: if r["rules"] == "s3" {
                    Rules::S3
                } else {
                    assert_eq!(r["rules"], "services");
                    Rules::SERVICES
                },
                region: s(&r["region"]),
                service: s(&r["service"]),
                access_key_id: s(&r["access_key_id"]),
                secret: s(&r["secret_access_key"]),
                token: r["session_token"].as_str().map(str::to_owned),
                now: time_of(&now),
                method: s(&r["method"]),
                path: s(&r["path"]),
                query: s(&r["query"]),
                headers: r["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| (s(&h[0]), s(&h[1])))
                    .collect(),
                body: hex_decode(r["body_hex"].as_str().unwrap()),
            }
        })
        .collect()
}

/// `20240229T235930Z` in Unix seconds, computed independently of the crate.
fn time_of(basic: &str) -> SystemTime {
    assert_eq!(basic, "20240229T235930Z", "fixtures use one fixed time");
    // 2024-02-29 is day 19782 since 1970-01-01.
    UNIX_EPOCH + Duration::from_secs(19_782 * 86_400 + 23 * 3600 + 59 * 60 + 30)
}

impl Fixture {
    fn verifier(&self) -> Verifier<'_> {
        Verifier::new(self.rules)
            .with_region(&self.region)
            .with_service(&self.service)
    }

    fn check_with(
        &self,
        verifier: &Verifier<'_>,
        payload: Payload<'_>,
        now: SystemTime,
    ) -> Result<(), SigError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            payload,
        };
        let parsed = verifier.parse(&req)?;
        assert_eq!(parsed.access_key_id(), self.access_key_id);
        assert_eq!(
            parsed.security_token(),
            self.token.as_deref(),
            "{}",
            self.name
        );
        verifier.verify(&parsed, &req, self.secret.as_bytes(), now)
    }

    fn check(&self) -> Result<(), SigError> {
        self.check_with(&self.verifier(), Payload::Bytes(&self.body), self.now)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn kind(&self) -> AuthKind {
        if self.header("authorization").is_some() {
            AuthKind::Header
        } else {
            AuthKind::Presigned
        }
    }
}

fn sha256_hex_of(fixture: &Fixture) -> Option<String> {
    // The body's hash as botocore computed it, where it sent one.
    fixture
        .header("x-amz-content-sha256")
        .filter(|v| v.len() == 64)
        .map(str::to_owned)
}

#[test]
fn every_botocore_request_verifies() {
    let all = fixtures();
    assert_eq!(all.len(), 18);
    for f in &all {
        assert_eq!(f.check(), Ok(()), "{}", f.name);
        // A minute later, as a server would see it.
        assert_eq!(
            f.check_with(
                &f.verifier(),
                Payload::Bytes(&f.body),
                f.now + Duration::from_secs(60)
            ),
            Ok(()),
            "{}",
            f.name
        );
    }
    let presigned = all
        .iter()
        .filter(|f| f.kind() == AuthKind::Presigned)
        .count();
    assert_eq!(presigned, 4);
}

#[test]
fn botocore_requests_fail_when_changed() {
    for f in fixtures() {
        let mismatch = Err(SigError::SignatureDoesNotMatch);

        let mut sig = f.clone();
        match f.kind() {
            AuthKind::Header => {
                let auth = sig
                    .headers
                    .iter_mut()
                    .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                    .unwrap();
                flip_last_hex(&mut auth.1);
            }
            AuthKind::Presigned => flip_last_hex(&mut sig.query),
        }
        assert_eq!(sig.check(), mismatch, "{}: signature", f.name);

        let mut wrong_secret = f.clone();
        wrong_secret.secret.push('x');
        assert_eq!(wrong_secret.check(), mismatch, "{}: secret", f.name);

        let mut path = f.clone();
        path.path.push('x');
        assert_eq!(path.check(), mismatch, "{}: path", f.name);

        let mut query = f.clone();
        query.query = if f.query.is_empty() {
            "x=1".to_owned()
        } else {
            format!("{}&x=1", f.query)
        };
        assert_eq!(query.check(), mismatch, "{}: query", f.name);

        // The body: signed unless botocore declared it unsigned.
        let mut body = f.clone();
        body.body.push(b'x');
        let claim = f.header("x-amz-content-sha256");
        let expected = match (f.kind(), claim) {
            (_, Some(c)) if c.len() == 64 => Err(SigError::ContentSha256Mismatch),
            (_, Some(_)) => Ok(()),
            (AuthKind::Presigned, None) if f.rules == Rules::S3 => Ok(()),
            (_, None) => mismatch,
        };
        assert_eq!(body.check(), expected, "{}: body", f.name);

        let mut host = f.clone();
        host.headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .unwrap()
            .1
            .push_str(":8080");
        assert_eq!(host.check(), mismatch, "{}: host", f.name);
    }
}

#[test]
fn rules_matter() {
    // S3 requests whose path needs S3's single encoding fail under the other services' rules,
    // and the other way round.
    for f in fixtures() {
        let other = if f.rules == Rules::S3 {
            Rules::SERVICES
        } else {
            Rules::S3
        };
        let verifier = Verifier::new(other);
        let result = f.check_with(&verifier, Payload::Bytes(&f.body), f.now);
        let path_differs = f.path.contains('%') || f.path.contains("/../");
        if path_differs {
            assert!(result.is_err(), "{}", f.name);
        }
    }
    let lambda = fixtures()
        .into_iter()
        .find(|f| f.name.starts_with("lambda invoke"))
        .unwrap();
    assert_eq!(
        lambda.check_with(&Verifier::S3, Payload::Bytes(&lambda.body), lambda.now),
        Err(SigError::SignatureDoesNotMatch)
    );
}

#[test]
fn payload_forms_agree() {
    for f in fixtures() {
        let v = f.verifier();
        let hash: [u8; 32] = {
            // SHA-256 of the body, through the crate's own signer path: sign the body with a
            // throwaway request and read the content hash header it adds.
            let mut parts = mudroom_sigv4::RequestParts {
                method: "PUT".into(),
                path: "/".into(),
                query: String::new(),
                headers: vec![("host".into(), "h".into())],
                body: f.body.clone(),
            };
            let creds = mudroom_sigv4::Credentials {
                access_key_id: "A",
                secret_access_key: "s",
                session_token: None,
            };
            mudroom_sigv4::Signer::s3("us-east-1")
                .sign(&mut parts, &creds, f.now)
                .unwrap();
            let hex = &parts
                .headers
                .iter()
                .find(|(n, _)| n == "X-Amz-Content-SHA256")
                .unwrap()
                .1;
            hex_decode(hex).try_into().unwrap()
        };
        if let Some(claimed) = sha256_hex_of(&f) {
            assert_eq!(hex_decode(&claimed), hash.to_vec(), "{}", f.name);
        }
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            f.check_with(&v, Payload::Sha256Hex(&hex), f.now),
            Ok(()),
            "{}: hash given",
            f.name
        );
        let deferred = f.check_with(&v, Payload::Deferred, f.now);
        let needs_body = f.header("x-amz-content-sha256").is_none()
            && !(f.kind() == AuthKind::Presigned && f.rules == Rules::S3);
        if needs_body {
            assert_eq!(deferred, Err(SigError::MissingContentSha256), "{}", f.name);
        } else {
            assert_eq!(deferred, Ok(()), "{}: deferred", f.name);
        }
    }
}

#[test]
fn s3_payload_claims_are_exposed() {
    let all = fixtures();
    let claim = |name: &str| {
        let f = all.iter().find(|f| f.name.starts_with(name)).unwrap();
        let headers: Vec<(&str, &str)> = f
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let req = SignedRequest {
            method: &f.method,
            path: &f.path,
            query: &f.query,
            headers: &headers,
            payload: Payload::Deferred,
        };
        f.verifier().parse(&req).unwrap().content_sha256()
    };
    assert_eq!(
        claim("s3 put-object over https"),
        Some(ContentSha256::StreamingUnsignedTrailer)
    );
    assert!(matches!(
        claim("s3 put-object over http ("),
        Some(ContentSha256::Sha256(_))
    ));
    assert_eq!(claim("s3 presigned get-object"), None);
    assert_eq!(claim("secretsmanager"), None);
    // Under the other services' rules an unsigned payload is refused.
    let f = all
        .iter()
        .find(|f| f.name.starts_with("s3 put-object over https"))
        .unwrap();
    let mut rules = Rules::S3;
    rules.allow_unsigned_payload = false;
    assert_eq!(
        f.check_with(&Verifier::new(rules), Payload::Bytes(&f.body), f.now),
        Err(SigError::UnsignedPayloadNotAllowed)
    );
}

#[test]
fn presigned_expiry_follows_x_amz_expires() {
    for f in fixtures()
        .into_iter()
        .filter(|f| f.kind() == AuthKind::Presigned)
    {
        let at = f.query.find("X-Amz-Expires=").unwrap() + 14;
        let expires: u64 = f.query[at..].split('&').next().unwrap().parse().unwrap();
        let v = f.verifier();
        let body = Payload::Bytes(&f.body);
        assert_eq!(
            f.check_with(&v, body, f.now + Duration::from_secs(expires)),
            Ok(())
        );
        assert_eq!(
            f.check_with(&v, body, f.now + Duration::from_secs(expires + 1)),
            Err(SigError::PresignedExpired),
            "{}",
            f.name
        );
    }
}

fn flip_last_hex(authorization: &mut String) {
    let last = authorization.pop().unwrap();
    authorization.push(if last == '0' { '1' } else { '0' });
}
