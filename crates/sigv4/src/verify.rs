//! Step two: check the time window, the payload hash and, in constant time, the signature.

use std::fmt;
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::Verifier;
use crate::canonical::{Inputs, push_canonical_request, sha256_hex, string_to_sign_parts};
use crate::encode::parse_hex32;
use crate::error::{Limit, SigError};
use crate::parse::{AuthKind, ContentSha256, MAX_REGION_LEN, MAX_SERVICE_LEN, Parsed, TERMINATOR};
use crate::request::{Payload, SignedRequest};
use crate::time::unix_seconds;

type HmacSha256 = Hmac<Sha256>;

/// `date/region/service` fits in this many bytes.
const SCOPE_CAPACITY: usize = 8 + 1 + MAX_REGION_LEN + 1 + MAX_SERVICE_LEN;

/// A derived SigV4 signing key for one `(secret, date, region, service)`, ready to sign.
///
/// Deriving costs four HMACs; a caller that sees many requests may keep keys by access key id
/// and [`scope`](Self::scope) for the day. `Debug` shows only the scope.
#[derive(Clone)]
pub struct SigningKey {
    /// HMAC-SHA256 keyed with the signing key, before any input.
    mac: HmacSha256,
    scope: [u8; SCOPE_CAPACITY],
    scope_len: usize,
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; the error branch cannot happen.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

impl SigningKey {
    /// Derives the key: `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
    /// "aws4_request")`. `None` when `date` is not 8 bytes or `region` or `service` exceed the
    /// bounds [`MAX_REGION_LEN`](crate::MAX_REGION_LEN) and
    /// [`MAX_SERVICE_LEN`](crate::MAX_SERVICE_LEN).
    pub fn derive(
        secret_access_key: &[u8],
        date: &str,
        region: &str,
        service: &str,
    ) -> Option<Self> {
        if date.len() != 8 || region.len() > MAX_REGION_LEN || service.len() > MAX_SERVICE_LEN {
            return None;
        }
        let k_date = {
            let mut mac = if secret_access_key.len() <= 124 {
                let mut buf = [0u8; 128];
                let len = 4 + secret_access_key.len();
                let key = buf.get_mut(..len)?;
                let (prefix, rest) = key.split_at_mut(4);
                prefix.copy_from_slice(b"AWS4");
                rest.copy_from_slice(secret_access_key);
                keyed(key)
            } else {
                keyed(&[b"AWS4".as_slice(), secret_access_key].concat())
            };
            mac.update(date.as_bytes());
            <[u8; 32]>::from(mac.finalize().into_bytes())
        };
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let k_signing = hmac(&k_service, TERMINATOR.as_bytes());

        let mut scope = [0u8; SCOPE_CAPACITY];
        let mut len = 0;
        for piece in [date, "/", region, "/", service] {
            let end = len + piece.len();
            scope.get_mut(len..end)?.copy_from_slice(piece.as_bytes());
            len = end;
        }
        Some(Self {
            mac: keyed(&k_signing),
            scope,
            scope_len: len,
        })
    }

    /// `date/region/service` this key signs for.
    pub fn scope(&self) -> &str {
        self.scope
            .get(..self.scope_len)
            .and_then(|s| std::str::from_utf8(s).ok())
            .unwrap_or("")
    }

    fn matches(&self, parsed: &Parsed<'_>) -> bool {
        let mut expected = self.scope().split('/');
        expected.next() == Some(parsed.date())
            && expected.next() == Some(parsed.region())
            && expected.next() == Some(parsed.service())
    }

    /// The raw signature of a string to sign given in pieces.
    pub(crate) fn sign_parts(&self, f: impl FnOnce(&mut dyn FnMut(&[u8]))) -> [u8; 32] {
        let mut mac = self.mac.clone();
        f(&mut |piece: &[u8]| mac.update(piece));
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("scope", &self.scope())
            .finish_non_exhaustive()
    }
}

/// The payload hash line of the canonical request.
enum PayloadLine {
    Hex([u8; 64]),
    Keyword(&'static str),
}

impl PayloadLine {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Hex(h) => h,
            Self::Keyword(k) => k.as_bytes(),
        }
    }
}

impl Verifier<'_> {
    /// Verifies `req` against the claims `parse` read from it, with the secret key of
    /// `parsed.access_key_id()` and the server's clock `now`.
    ///
    /// Checks, in order: the time window (header auth: request time within `max_skew_secs` of
    /// `now`; presigned: not before `X-Amz-Date` minus the skew, not after `X-Amz-Date` plus
    /// `X-Amz-Expires`), the payload hash, then the signature in constant time.
    pub fn verify(
        &self,
        parsed: &Parsed<'_>,
        req: &SignedRequest<'_>,
        secret_key: &[u8],
        now: SystemTime,
    ) -> Result<(), SigError> {
        let key = SigningKey::derive(secret_key, parsed.date(), parsed.region(), parsed.service())
            .ok_or(SigError::LimitExceeded(Limit::Credential))?;
        self.verify_with_key(parsed, req, &key, now)
    }

    /// [`verify`](Self::verify) with a derived key, for callers that keep keys. A key derived for
    /// another scope fails with [`SigError::SignatureDoesNotMatch`].
    pub fn verify_with_key(
        &self,
        parsed: &Parsed<'_>,
        req: &SignedRequest<'_>,
        key: &SigningKey,
        now: SystemTime,
    ) -> Result<(), SigError> {
        self.check_time(parsed, now)?;
        let payload = self.payload_line(parsed, req)?;
        let Some(claimed) = parsed.signature else {
            return Err(SigError::SignatureDoesNotMatch);
        };
        if !key.matches(parsed) {
            return Err(SigError::SignatureDoesNotMatch);
        }
        let mut canonical = Vec::with_capacity(256 + req.query.len() + req.path.len());
        self.write_canonical(&mut canonical, parsed, req, &payload)?;
        let mut mac = key.mac.clone();
        string_to_sign_parts(parsed.timestamp(), parsed.scope(), &canonical, |piece| {
            mac.update(piece);
        });
        mac.verify_slice(&claimed)
            .map_err(|_| SigError::SignatureDoesNotMatch)
    }

    /// The canonical request AWS would compute for `req`, for diagnostics (S3 returns it in
    /// `SignatureDoesNotMatch` errors) and tests.
    pub fn canonical_request(
        &self,
        parsed: &Parsed<'_>,
        req: &SignedRequest<'_>,
    ) -> Result<String, SigError> {
        let payload = self.payload_line(parsed, req)?;
        let mut out = Vec::new();
        self.write_canonical(&mut out, parsed, req, &payload)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// The string to sign AWS would compute for `req`, for diagnostics and tests.
    pub fn string_to_sign(
        &self,
        parsed: &Parsed<'_>,
        req: &SignedRequest<'_>,
    ) -> Result<String, SigError> {
        let canonical = self.canonical_request(parsed, req)?;
        let mut out = Vec::new();
        string_to_sign_parts(
            parsed.timestamp(),
            parsed.scope(),
            canonical.as_bytes(),
            |p| out.extend_from_slice(p),
        );
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn write_canonical(
        &self,
        out: &mut Vec<u8>,
        parsed: &Parsed<'_>,
        req: &SignedRequest<'_>,
        payload: &PayloadLine,
    ) -> Result<(), SigError> {
        let inputs = Inputs {
            signed_headers: parsed.signed_headers_list(),
            presigned: parsed.kind == AuthKind::Presigned,
            payload_hash: payload.as_bytes(),
            max_query_params: self.limits.max_query_params,
        };
        push_canonical_request(out, req, &self.rules, &inputs)
    }

    fn check_time(&self, parsed: &Parsed<'_>, now: SystemTime) -> Result<(), SigError> {
        let server = unix_seconds(now);
        let request = parsed.time.unix;
        let skew = i64::from(self.max_skew_secs);
        match parsed.kind {
            AuthKind::Header => {
                if request.abs_diff(server) > u64::from(self.max_skew_secs) {
                    return Err(SigError::RequestTimeTooSkewed {
                        request,
                        server,
                        max_skew: self.max_skew_secs,
                    });
                }
            }
            AuthKind::Presigned => {
                if server < request - skew {
                    return Err(SigError::PresignedNotYetValid);
                }
                let expires = i64::from(parsed.expires.unwrap_or(0));
                if server > request + expires {
                    return Err(SigError::PresignedExpired);
                }
            }
        }
        Ok(())
    }

    /// The payload hash line: the `x-amz-content-sha256` claim (checked against the body when
    /// the body or its hash is known), else `UNSIGNED-PAYLOAD` for presigned requests under S3
    /// rules, else the body's hash.
    fn payload_line(
        &self,
        parsed: &Parsed<'_>,
        req: &SignedRequest<'_>,
    ) -> Result<PayloadLine, SigError> {
        let body_hash = || -> Result<Option<[u8; 32]>, SigError> {
            match req.payload {
                Payload::Bytes(b) => Ok(Some(Sha256::digest(b).into())),
                Payload::Sha256Hex(h) => parse_hex32(h)
                    .map(Some)
                    .ok_or(SigError::InvalidContentSha256),
                Payload::Deferred => Ok(None),
            }
        };
        match parsed.content_sha256 {
            Some(ContentSha256::Sha256(claimed)) => {
                if body_hash()?.is_some_and(|actual| actual != claimed) {
                    return Err(SigError::ContentSha256Mismatch);
                }
                Ok(PayloadLine::Hex(crate::encode::hex32(&claimed)))
            }
            Some(ContentSha256::Unsigned) if self.rules.allow_unsigned_payload => {
                Ok(PayloadLine::Keyword("UNSIGNED-PAYLOAD"))
            }
            Some(ContentSha256::StreamingUnsignedTrailer) if self.rules.allow_unsigned_payload => {
                Ok(PayloadLine::Keyword("STREAMING-UNSIGNED-PAYLOAD-TRAILER"))
            }
            Some(ContentSha256::Unsigned | ContentSha256::StreamingUnsignedTrailer) => {
                Err(SigError::UnsignedPayloadNotAllowed)
            }
            None if parsed.kind == AuthKind::Presigned && self.rules.presigned_unsigned_payload => {
                Ok(PayloadLine::Keyword("UNSIGNED-PAYLOAD"))
            }
            None => match req.payload {
                Payload::Bytes(b) => Ok(PayloadLine::Hex(sha256_hex(b))),
                Payload::Sha256Hex(_) => body_hash()?
                    .map(|h| PayloadLine::Hex(crate::encode::hex32(&h)))
                    .ok_or(SigError::MissingContentSha256),
                Payload::Deferred => Err(SigError::MissingContentSha256),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_signing_key() {
        // The example of AWS's SigV4 documentation ("Deriving the signing key").
        let key = SigningKey::derive(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        )
        .unwrap();
        let k_date = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"20150830");
        let k_signing = hmac(&hmac(&hmac(&k_date, b"us-east-1"), b"iam"), b"aws4_request");
        assert_eq!(
            crate::encode::hex32(&k_signing),
            *b"c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let sig = key.sign_parts(|f| f(b"x"));
        assert_eq!(sig, hmac(&k_signing, b"x"));
        assert_eq!(key.scope(), "20150830/us-east-1/iam");
        assert_eq!(
            format!("{key:?}"),
            "SigningKey { scope: \"20150830/us-east-1/iam\", .. }"
        );
    }

    #[test]
    fn long_secrets_and_bounds() {
        let long = vec![7u8; 300];
        let a = SigningKey::derive(&long, "20150830", "r", "s").unwrap();
        let k = hmac(&[b"AWS4".as_slice(), &long].concat(), b"20150830");
        let k = hmac(&hmac(&hmac(&k, b"r"), b"s"), b"aws4_request");
        assert_eq!(a.sign_parts(|f| f(b"m")), hmac(&k, b"m"));
        assert!(SigningKey::derive(b"k", "2015083", "r", "s").is_none());
        assert!(
            SigningKey::derive(b"k", "20150830", &"r".repeat(MAX_REGION_LEN + 1), "s").is_none()
        );
        assert!(
            SigningKey::derive(b"k", "20150830", "r", &"s".repeat(MAX_SERVICE_LEN + 1)).is_none()
        );
        let max = SigningKey::derive(
            b"k",
            "20150830",
            &"r".repeat(MAX_REGION_LEN),
            &"s".repeat(MAX_SERVICE_LEN),
        )
        .unwrap();
        assert_eq!(max.scope().len(), SCOPE_CAPACITY);
    }
}
