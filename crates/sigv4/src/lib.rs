//! AWS Signature Version 4 for mudroom's AWS-compatible endpoint: verify requests signed by AWS
//! SDKs, boto3 and the aws CLI exactly as AWS does, in both forms (the `Authorization` header
//! and presigned URLs), and sign requests.
//!
//! The crate is pure: no I/O, no async, no clock (callers pass `now`).
//!
//! Verification takes two steps so that the caller can look up the secret key by access key id
//! in between:
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use mudroom_sigv4::{Payload, SignedRequest, Verifier};
//!
//! let headers = [
//!     ("Host", "example.amazonaws.com"),
//!     ("X-Amz-Date", "20150830T123600Z"),
//!     ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!         SignedHeaders=host;x-amz-date, \
//!         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
//! ];
//! let req = SignedRequest {
//!     method: "GET",
//!     path: "/",
//!     query: "",
//!     headers: &headers,
//!     payload: Payload::Bytes(b""),
//! };
//! let verifier = Verifier::SERVICES.with_region("us-east-1").with_service("service");
//! let parsed = verifier.parse(&req)?;
//! assert_eq!(parsed.access_key_id(), "AKIDEXAMPLE");
//! let secret = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"; // looked up by access key id
//! let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160 + 60);
//! verifier.verify(&parsed, &req, secret, now)?;
//! # Ok::<(), mudroom_sigv4::SigError>(())
//! ```
//!
//! Errors carry AWS's code for each protocol family ([`SigError::code`]) and AWS's wording
//! ([`SigError::aws_message`]).

mod canonical;
mod encode;
mod error;
mod parse;
mod request;
mod sign;
mod time;
mod verify;

use std::time::SystemTime;

pub use error::{AwsMessage, Limit, Malformed, Protocol, SigError};
pub use parse::{
    AuthKind, ContentSha256, MAX_ACCESS_KEY_ID_LEN, MAX_EXPIRES_SECS, MAX_REGION_LEN,
    MAX_SERVICE_LEN, Parsed,
};
pub use request::{Payload, SignedRequest};
pub use sign::{Credentials, RequestParts, SignError, Signer};
pub use verify::SigningKey;

/// How a service canonicalizes requests: S3 differs from every other AWS service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rules {
    /// Remove `.` and `..` segments and empty segments from the path before encoding.
    pub normalize_path: bool,
    /// Encode the received, already percent-encoded path once more (`%` becomes `%25`). When
    /// false the path is decoded and encoded once.
    pub double_encode_path: bool,
    /// Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (and `STREAMING-UNSIGNED-PAYLOAD-TRAILER`).
    pub allow_unsigned_payload: bool,
    /// Presigned requests without `x-amz-content-sha256` sign `UNSIGNED-PAYLOAD` rather than the
    /// body's hash.
    pub presigned_unsigned_payload: bool,
    /// Every `x-amz-*` header in the request must be signed.
    pub require_signed_amz_headers: bool,
}

impl Rules {
    /// Every AWS service but S3: normalized, double-encoded path; payload always signed.
    pub const SERVICES: Self = Self {
        normalize_path: true,
        double_encode_path: true,
        allow_unsigned_payload: false,
        presigned_unsigned_payload: false,
        require_signed_amz_headers: false,
    };

    /// S3: path as sent, encoded once; `UNSIGNED-PAYLOAD` allowed and implied for presigned
    /// URLs; every `x-amz-*` header signed.
    pub const S3: Self = Self {
        normalize_path: false,
        double_encode_path: false,
        allow_unsigned_payload: true,
        presigned_unsigned_payload: true,
        require_signed_amz_headers: true,
    };
}

impl Default for Rules {
    fn default() -> Self {
        Self::SERVICES
    }
}

/// Bounds on what a request may hold; beyond them it fails with [`SigError::LimitExceeded`]
/// before any hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Headers in the request.
    pub max_headers: usize,
    /// Bytes in one header value (session tokens run to a few KiB).
    pub max_header_value_len: usize,
    /// Names in `SignedHeaders`.
    pub max_signed_headers: usize,
    /// Bytes in the path.
    pub max_path_len: usize,
    /// Bytes in the query string.
    pub max_query_len: usize,
    /// Parameters in the query string.
    pub max_query_params: usize,
}

impl Limits {
    /// 128 headers of at most 16 KiB, 64 signed headers, an 8 KiB path, a 16 KiB query of at
    /// most 256 parameters.
    pub const DEFAULT: Self = Self {
        max_headers: 128,
        max_header_value_len: 16 * 1024,
        max_signed_headers: 64,
        max_path_len: 8 * 1024,
        max_query_len: 16 * 1024,
        max_query_params: 256,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Verifies SigV4 requests for one endpoint: [`parse`](Self::parse), look up the secret key by
/// access key id, then [`verify`](Self::verify).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verifier<'a> {
    /// How requests are canonicalized.
    pub rules: Rules,
    /// Bounds on requests.
    pub limits: Limits,
    /// Allowed difference between a header-signed request's time and `now`, and how early a
    /// presigned URL may be used; AWS allows 15 minutes.
    pub max_skew_secs: u32,
    /// The region the credential scope must name; any when `None`.
    pub region: Option<&'a str>,
    /// The service the credential scope must name; any when `None`.
    pub service: Option<&'a str>,
}

/// AWS's clock skew allowance: 15 minutes.
pub const DEFAULT_MAX_SKEW_SECS: u32 = 15 * 60;

impl Verifier<'static> {
    /// Every AWS service but S3, any region and service, default limits, 15 minutes of skew.
    pub const SERVICES: Self = Self::new(Rules::SERVICES);
    /// S3 rules, any region and service, default limits, 15 minutes of skew.
    pub const S3: Self = Self::new(Rules::S3);
}

impl<'a> Verifier<'a> {
    /// A verifier with `rules`, any region and service, default limits, 15 minutes of skew.
    pub const fn new(rules: Rules) -> Self {
        Self {
            rules,
            limits: Limits::DEFAULT,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            region: None,
            service: None,
        }
    }

    /// Requires the credential scope to name `region`.
    pub const fn with_region<'b>(self, region: &'b str) -> Verifier<'b>
    where
        'a: 'b,
    {
        Verifier {
            region: Some(region),
            ..self
        }
    }

    /// Requires the credential scope to name `service`.
    pub const fn with_service<'b>(self, service: &'b str) -> Verifier<'b>
    where
        'a: 'b,
    {
        Verifier {
            service: Some(service),
            ..self
        }
    }
}

/// [`Verifier::parse`] with [`Verifier::SERVICES`].
pub fn parse<'a>(req: &SignedRequest<'a>) -> Result<Parsed<'a>, SigError> {
    Verifier::SERVICES.parse(req)
}

/// [`Verifier::verify`] with [`Verifier::SERVICES`].
pub fn verify(
    parsed: &Parsed<'_>,
    req: &SignedRequest<'_>,
    secret_key: &[u8],
    now: SystemTime,
) -> Result<(), SigError> {
    Verifier::SERVICES.verify(parsed, req, secret_key, now)
}
