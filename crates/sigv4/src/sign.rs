//! A small signer: header auth (`Authorization`) and presigned URLs, for mudroom's own outgoing
//! calls (for example with a function's instance credentials).

use std::fmt;
use std::time::SystemTime;

use crate::Rules;
use crate::canonical::{Inputs, push_canonical_request, sha256_hex, string_to_sign_parts};
use crate::encode::{encode_component, hex32};
use crate::parse::{MAX_EXPIRES_SECS, MAX_REGION_LEN, MAX_SERVICE_LEN};
use crate::request::{Payload, RedactedQuery, SignedRequest, redact_header};
use crate::time::AmzTime;
use crate::verify::SigningKey;

/// Headers never signed: hop-by-hop headers and those proxies rewrite (as AWS SDKs do).
const UNSIGNED_HEADERS: [&str; 12] = [
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// AWS credentials. `Debug` shows only the access key id.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id, e.g. `AKIDEXAMPLE`.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// An outgoing request to sign. `path` and `query` are as they will be sent (percent-encoded);
/// `headers` must include `host`. `Debug` hides signatures, session tokens and the body.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestParts {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path as it will be sent, e.g. `/`.
    pub path: String,
    /// The query string as it will be sent, without `?`.
    pub query: String,
    /// Header names and values, `host` among them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl fmt::Debug for RequestParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), redact_header(n, v)))
            .collect();
        f.debug_struct("RequestParts")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &RedactedQuery(&self.query))
            .field("headers", &headers)
            .field("body", &format_args!("{} bytes", self.body.len()))
            .finish()
    }
}

/// Why a request cannot be signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The request has no `host` header.
    MissingHost,
    /// A header name is not an HTTP token.
    InvalidHeaderName,
    /// The region or service is empty, too long, or contains `/` or whitespace.
    InvalidScope,
    /// `now` is before 1970 or after 9999.
    TimeOutOfRange,
    /// The presigned validity exceeds 604800 seconds.
    ExpiresTooLarge,
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MissingHost => "request has no `host` header",
            Self::InvalidHeaderName => "a header name is not an http token",
            Self::InvalidScope => "region or service is empty, too long or not printable",
            Self::TimeOutOfRange => "signing time is outside years 1970..=9999",
            Self::ExpiresTooLarge => "presigned validity exceeds 604800 seconds",
        })
    }
}

impl std::error::Error for SignError {}

/// Signs requests for one region and service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signer<'a> {
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The service's signing name, e.g. `secretsmanager`.
    pub service: &'a str,
    /// How the path is encoded; the same rules the receiving verifier uses.
    pub rules: Rules,
    /// Add `x-amz-content-sha256` with the body's hash (S3 requires it; AWS SDKs send it to S3).
    pub content_sha256_header: bool,
}

impl<'a> Signer<'a> {
    /// A signer for a service other than S3.
    pub const fn new(region: &'a str, service: &'a str) -> Self {
        Self {
            region,
            service,
            rules: Rules::SERVICES,
            content_sha256_header: false,
        }
    }

    /// A signer for S3.
    pub const fn s3(region: &'a str) -> Self {
        Self {
            region,
            service: "s3",
            rules: Rules::S3,
            content_sha256_header: true,
        }
    }

    /// Signs `parts` with header auth at `now`: sets `X-Amz-Date`, `X-Amz-Security-Token` (with a
    /// session token), `X-Amz-Content-SHA256` (if [`content_sha256_header`](Self::content_sha256_header))
    /// and `Authorization`, replacing earlier values of those headers. Every header present is
    /// signed except hop-by-hop ones, `user-agent` and `x-amzn-trace-id`. An
    /// `x-amz-content-sha256` header already present (such as `UNSIGNED-PAYLOAD`) is used as the
    /// payload hash.
    pub fn sign(
        &self,
        parts: &mut RequestParts,
        credentials: &Credentials<'_>,
        now: SystemTime,
    ) -> Result<(), SignError> {
        let (time, key) = self.prepare(credentials, now)?;
        let content_header = self.content_sha256_header;
        parts.headers.retain(|(name, _)| {
            !(name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("x-amz-date")
                || name.eq_ignore_ascii_case("x-amz-security-token")
                || (content_header && name.eq_ignore_ascii_case("x-amz-content-sha256")))
        });
        parts
            .headers
            .push(("X-Amz-Date".to_owned(), time.as_str().to_owned()));
        if let Some(token) = credentials.session_token {
            parts
                .headers
                .push(("X-Amz-Security-Token".to_owned(), token.to_owned()));
        }
        if content_header {
            let hash = sha256_hex(&parts.body);
            parts.headers.push((
                "X-Amz-Content-SHA256".to_owned(),
                String::from_utf8_lossy(&hash).into_owned(),
            ));
        }
        let signed_headers = signed_header_list(&parts.headers)?;
        let payload = payload_hash(parts, false, &self.rules);
        let signature = self.signature(parts, &signed_headers, false, &payload, &time, &key);
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{}/aws4_request, SignedHeaders={signed_headers}, Signature={signature}",
            credentials.access_key_id,
            key.scope(),
        );
        parts
            .headers
            .push(("Authorization".to_owned(), authorization));
        Ok(())
    }

    /// Presigns `parts` at `now` for `expires_secs` seconds: appends `X-Amz-Algorithm`,
    /// `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
    /// `X-Amz-Security-Token` (with a session token) and finally `X-Amz-Signature` to the query.
    /// Every header present is signed as in [`sign`](Self::sign). The payload hash is
    /// `UNSIGNED-PAYLOAD` under S3 rules and the body's hash otherwise.
    pub fn presign(
        &self,
        parts: &mut RequestParts,
        credentials: &Credentials<'_>,
        now: SystemTime,
        expires_secs: u32,
    ) -> Result<(), SignError> {
        if expires_secs > MAX_EXPIRES_SECS {
            return Err(SignError::ExpiresTooLarge);
        }
        let (time, key) = self.prepare(credentials, now)?;
        let signed_headers = signed_header_list(&parts.headers)?;
        let credential = format!("{}/{}/aws4_request", credentials.access_key_id, key.scope());
        let mut params = vec![
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("X-Amz-Credential", encode_component(&credential)),
            ("X-Amz-Date", time.as_str().to_owned()),
            ("X-Amz-Expires", expires_secs.to_string()),
            ("X-Amz-SignedHeaders", encode_component(&signed_headers)),
        ];
        if let Some(token) = credentials.session_token {
            params.push(("X-Amz-Security-Token", encode_component(token)));
        }
        for (name, value) in params {
            if !parts.query.is_empty() {
                parts.query.push('&');
            }
            parts.query.push_str(name);
            parts.query.push('=');
            parts.query.push_str(&value);
        }
        let payload = payload_hash(parts, true, &self.rules);
        let signature = self.signature(parts, &signed_headers, true, &payload, &time, &key);
        parts.query.push_str("&X-Amz-Signature=");
        parts.query.push_str(&signature);
        Ok(())
    }

    fn prepare(
        &self,
        credentials: &Credentials<'_>,
        now: SystemTime,
    ) -> Result<(AmzTime, SigningKey), SignError> {
        let valid = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
        };
        if !valid(self.region, MAX_REGION_LEN) || !valid(self.service, MAX_SERVICE_LEN) {
            return Err(SignError::InvalidScope);
        }
        let time = AmzTime::from_system(now).ok_or(SignError::TimeOutOfRange)?;
        let key = SigningKey::derive(
            credentials.secret_access_key.as_bytes(),
            time.date(),
            self.region,
            self.service,
        )
        .ok_or(SignError::InvalidScope)?;
        Ok((time, key))
    }

    /// The hex signature of `parts` as they stand.
    fn signature(
        &self,
        parts: &RequestParts,
        signed_headers: &str,
        presigned: bool,
        payload: &str,
        time: &AmzTime,
        key: &SigningKey,
    ) -> String {
        let headers: Vec<(&str, &str)> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let view = SignedRequest {
            method: &parts.method,
            path: &parts.path,
            query: &parts.query,
            headers: &headers,
            payload: Payload::Bytes(&parts.body),
        };
        let inputs = Inputs {
            signed_headers,
            presigned,
            payload_hash: payload.as_bytes(),
            max_query_params: usize::MAX,
        };
        let mut canonical = Vec::with_capacity(512);
        // Only the query parameter bound can fail, and it is unbounded here.
        let _ = push_canonical_request(&mut canonical, &view, &self.rules, &inputs);
        let scope = format!("{}/aws4_request", key.scope());
        let raw = key.sign_parts(|f| string_to_sign_parts(time.as_str(), &scope, &canonical, f));
        String::from_utf8_lossy(&hex32(&raw)).into_owned()
    }
}

/// The payload hash: an `x-amz-content-sha256` header's value, else `UNSIGNED-PAYLOAD` for S3
/// presigning, else the body's SHA-256.
fn payload_hash(parts: &RequestParts, presigned: bool, rules: &Rules) -> String {
    if let Some((_, v)) = parts
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
    {
        return v.trim().to_owned();
    }
    if presigned && rules.presigned_unsigned_payload {
        return "UNSIGNED-PAYLOAD".to_owned();
    }
    String::from_utf8_lossy(&sha256_hex(&parts.body)).into_owned()
}

/// The lowercase, sorted, deduplicated names of the headers to sign, `;`-joined.
fn signed_header_list(headers: &[(String, String)]) -> Result<String, SignError> {
    let mut names: Vec<String> = Vec::with_capacity(headers.len());
    for (name, _) in headers {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(SignError::InvalidHeaderName);
        }
        let lower = name.to_ascii_lowercase();
        if !UNSIGNED_HEADERS.contains(&lower.as_str()) {
            names.push(lower);
        }
    }
    names.sort_unstable();
    names.dedup();
    if !names.iter().any(|n| n == "host") {
        return Err(SignError::MissingHost);
    }
    Ok(names.join(";"))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDS: Credentials<'static> = Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
    };

    fn suite_time() -> SystemTime {
        AmzTime::parse_basic("20150830T123600Z")
            .unwrap()
            .to_system()
    }

    fn get_vanilla() -> RequestParts {
        RequestParts {
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: vec![("Host".into(), "example.amazonaws.com".into())],
            body: Vec::new(),
        }
    }

    #[test]
    fn signs_get_vanilla_like_the_suite() {
        let mut parts = get_vanilla();
        Signer::new("us-east-1", "service")
            .sign(&mut parts, &CREDS, suite_time())
            .unwrap();
        let auth = &parts.headers.last().unwrap().1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        // Signing again replaces the date and authorization headers.
        Signer::new("us-east-1", "service")
            .sign(&mut parts, &CREDS, suite_time())
            .unwrap();
        assert_eq!(parts.headers.len(), 3);
    }

    #[test]
    fn presigns_get_vanilla_like_the_suite() {
        let mut parts = get_vanilla();
        Signer::new("us-east-1", "service")
            .presign(&mut parts, &CREDS, suite_time(), 3600)
            .unwrap();
        assert!(parts.query.ends_with(
            "&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"
        ));
        assert!(parts.query.contains(
            "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
        ));
    }

    #[test]
    fn sign_errors() {
        let signer = Signer::new("us-east-1", "service");
        let mut no_host = RequestParts {
            method: "GET".into(),
            path: "/".into(),
            ..RequestParts::default()
        };
        assert_eq!(
            signer.sign(&mut no_host, &CREDS, suite_time()),
            Err(SignError::MissingHost)
        );
        let mut bad = get_vanilla();
        bad.headers.push(("Bad Name".into(), "v".into()));
        assert_eq!(
            signer.sign(&mut bad, &CREDS, suite_time()),
            Err(SignError::InvalidHeaderName)
        );
        assert_eq!(
            Signer::new("us/east", "service").sign(&mut get_vanilla(), &CREDS, suite_time()),
            Err(SignError::InvalidScope)
        );
        assert_eq!(
            Signer::new("", "service").sign(&mut get_vanilla(), &CREDS, suite_time()),
            Err(SignError::InvalidScope)
        );
        assert_eq!(
            signer.sign(
                &mut get_vanilla(),
                &CREDS,
                std::time::UNIX_EPOCH - std::time::Duration::from_secs(1)
            ),
            Err(SignError::TimeOutOfRange)
        );
        assert_eq!(
            signer.presign(&mut get_vanilla(), &CREDS, suite_time(), 604_801),
            Err(SignError::ExpiresTooLarge)
        );
    }

    #[test]
    fn signed_parts_debug_is_redacted() {
        let mut parts = get_vanilla();
        let creds = Credentials {
            session_token: Some("tok3n"),
            ..CREDS
        };
        let signer = Signer::new("us-east-1", "service");
        signer.sign(&mut parts, &creds, suite_time()).unwrap();
        let signature = parts
            .headers
            .last()
            .unwrap()
            .1
            .rsplit('=')
            .next()
            .unwrap()
            .to_owned();
        let debug = format!("{parts:?}");
        assert!(
            !debug.contains(&signature) && !debug.contains("tok3n"),
            "{debug}"
        );
        let mut parts = get_vanilla();
        signer
            .presign(&mut parts, &creds, suite_time(), 60)
            .unwrap();
        let signature = parts.query.rsplit('=').next().unwrap().to_owned();
        let debug = format!("{parts:?}");
        assert!(
            !debug.contains(&signature) && !debug.contains("tok3n"),
            "{debug}"
        );
        assert!(debug.contains("X-Amz-Signature=<redacted>"), "{debug}");
    }

    #[test]
    fn credentials_debug_is_redacted() {
        let c = Credentials {
            session_token: Some("tok3n"),
            ..CREDS
        };
        let d = format!("{c:?}");
        assert!(d.contains("AKIDEXAMPLE"));
        assert!(!d.contains("EXAMPLEKEY") && !d.contains("tok3n"), "{d}");
    }
}
