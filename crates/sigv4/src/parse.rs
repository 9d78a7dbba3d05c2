//! Step one: read the signature's claims (who, when, what scope, which headers) from the
//! `Authorization` header or the presigned query, checking their syntax and the rules.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::time::SystemTime;

use crate::Verifier;
use crate::encode::{decode_query_value, parse_hex32};
use crate::error::{Limit, Malformed, SigError};
use crate::request::SignedRequest;
use crate::time::AmzTime;

/// The only algorithm verified.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub(crate) const TERMINATOR: &str = "aws4_request";
/// Longest presigned validity AWS allows: 7 days.
pub const MAX_EXPIRES_SECS: u32 = 604_800;
/// Longest access key id accepted.
pub const MAX_ACCESS_KEY_ID_LEN: usize = 128;
/// Longest region name accepted.
pub const MAX_REGION_LEN: usize = 32;
/// Longest service name accepted.
pub const MAX_SERVICE_LEN: usize = 64;

/// How the request carries its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
    Header,
    /// A presigned URL: `X-Amz-Algorithm`, `X-Amz-Credential`, … query parameters.
    Presigned,
}

/// The `x-amz-content-sha256` header's claim about the payload.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentSha256 {
    /// The SHA-256 of the body.
    Sha256([u8; 32]),
    /// `UNSIGNED-PAYLOAD`: the body is not signed.
    Unsigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: an `aws-chunked` body without chunk signatures,
    /// whose trailing checksum the caller checks.
    StreamingUnsignedTrailer,
}

impl ContentSha256 {
    fn parse(value: &str) -> Result<Self, SigError> {
        match value {
            "UNSIGNED-PAYLOAD" => Ok(Self::Unsigned),
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER" => Ok(Self::StreamingUnsignedTrailer),
            v if v.starts_with("STREAMING-") => Err(SigError::StreamingNotSupported),
            v => parse_hex32(v)
                .map(Self::Sha256)
                .ok_or(SigError::InvalidContentSha256),
        }
    }
}

impl fmt::Debug for ContentSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sha256(h) => {
                let hex = crate::encode::hex32(h);
                write!(f, "Sha256({})", std::str::from_utf8(&hex).unwrap_or(""))
            }
            Self::Unsigned => f.write_str("Unsigned"),
            Self::StreamingUnsignedTrailer => f.write_str("StreamingUnsignedTrailer"),
        }
    }
}

/// The claims of a signed request, read by [`Verifier::parse`]: enough to look up the secret key
/// by [`access_key_id`](Self::access_key_id) before [`Verifier::verify`].
///
/// Borrows from the request. `Debug` shows neither the signature nor the security token.
#[derive(Clone)]
pub struct Parsed<'a> {
    pub(crate) kind: AuthKind,
    /// `AKID/YYYYMMDD/region/service/aws4_request`, decoded.
    credential: Cow<'a, str>,
    akid_len: usize,
    region: Range<usize>,
    service: Range<usize>,
    pub(crate) time: AmzTime,
    signed_headers: Cow<'a, str>,
    /// `None` when the signature is not 64 lowercase hex digits: it cannot match.
    pub(crate) signature: Option<[u8; 32]>,
    security_token: Option<Cow<'a, str>>,
    pub(crate) expires: Option<u32>,
    pub(crate) content_sha256: Option<ContentSha256>,
}

impl<'a> Parsed<'a> {
    /// Header or presigned.
    pub fn kind(&self) -> AuthKind {
        self.kind
    }

    /// The access key id of the credential.
    pub fn access_key_id(&self) -> &str {
        self.credential.get(..self.akid_len).unwrap_or("")
    }

    /// The credential scope's date, `YYYYMMDD`.
    pub fn date(&self) -> &str {
        self.credential
            .get(self.akid_len + 1..self.akid_len + 9)
            .unwrap_or("")
    }

    /// The credential scope's region.
    pub fn region(&self) -> &str {
        self.credential.get(self.region.clone()).unwrap_or("")
    }

    /// The credential scope's service, e.g. `sts`.
    pub fn service(&self) -> &str {
        self.credential.get(self.service.clone()).unwrap_or("")
    }

    /// The credential scope, `YYYYMMDD/region/service/aws4_request`.
    pub fn scope(&self) -> &str {
        self.credential.get(self.akid_len + 1..).unwrap_or("")
    }

    /// The request time as signed, `YYYYMMDDTHHMMSSZ` (from `X-Amz-Date`, or from `Date`
    /// converted).
    pub fn timestamp(&self) -> &str {
        self.time.as_str()
    }

    /// The request time.
    pub fn request_time(&self) -> SystemTime {
        self.time.to_system()
    }

    /// The signed header names, lowercase and sorted.
    pub fn signed_headers(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';')
    }

    /// The signed header names as `SignedHeaders` lists them, `host;x-amz-date`.
    pub fn signed_headers_list(&self) -> &str {
        &self.signed_headers
    }

    /// Whether `name` (lowercase) is signed.
    pub fn is_signed(&self, name: &str) -> bool {
        self.signed_headers().any(|h| h == name)
    }

    /// The session token (`x-amz-security-token` header or `X-Amz-Security-Token` parameter).
    /// The caller checks that it belongs to the access key and has not expired.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// `X-Amz-Expires` of a presigned request, in seconds.
    pub fn expires_secs(&self) -> Option<u32> {
        self.expires
    }

    /// The `x-amz-content-sha256` header's claim, if the header is present.
    pub fn content_sha256(&self) -> Option<ContentSha256> {
        self.content_sha256
    }
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("kind", &self.kind)
            .field("access_key_id", &self.access_key_id())
            .field("scope", &self.scope())
            .field("timestamp", &self.timestamp())
            .field("signed_headers", &self.signed_headers_list())
            .field("signature", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .field("content_sha256", &self.content_sha256)
            .finish()
    }
}

/// The raw claims before validation, from either form.
struct Claims<'a> {
    kind: AuthKind,
    credential: Cow<'a, str>,
    signed_headers: Cow<'a, str>,
    signature: Cow<'a, str>,
    time: AmzTime,
    security_token: Option<Cow<'a, str>>,
    expires: Option<u32>,
}

impl Verifier<'_> {
    /// Reads and checks the signature's claims: the form (header or presigned), the credential
    /// and its scope (date equal to the request time's, region and service if this verifier
    /// names them), the signed headers (`host` required; for header auth also the date header),
    /// `X-Amz-Expires` (at most 7 days) and `x-amz-content-sha256`.
    ///
    /// Nothing here needs the secret key, the clock or the body.
    pub fn parse<'a>(&self, req: &SignedRequest<'a>) -> Result<Parsed<'a>, SigError> {
        self.check_limits(req)?;
        let authorization = req
            .single_header("authorization")
            .map_err(|()| SigError::MalformedHeader(Malformed::InvalidComponent))?;
        let presigned = req.query_pairs().any(|(k, _)| k == "X-Amz-Algorithm");
        let claims = match (authorization, presigned) {
            (Some(_), true) => return Err(SigError::AmbiguousAuthentication),
            (None, false) => return Err(SigError::MissingAuthentication),
            (Some(value), false) => header_claims(req, value)?,
            (None, true) => query_claims(req)?,
        };
        let malformed = |m| match claims.kind {
            AuthKind::Header => SigError::MalformedHeader(m),
            AuthKind::Presigned => SigError::MalformedQuery(m),
        };

        let (akid_len, region, service) = split_credential(&claims.credential, malformed)?;
        let date = claims.credential.get(akid_len + 1..akid_len + 9);
        if date != Some(claims.time.date()) {
            return Err(malformed(Malformed::ScopeDateMismatch));
        }
        self.check_signed_headers(&claims.signed_headers, malformed)?;
        if claims.kind == AuthKind::Header {
            let date_header = if req.header_values("x-amz-date").next().is_some() {
                "x-amz-date"
            } else {
                "date"
            };
            if !claims.signed_headers.split(';').any(|h| h == date_header) {
                return Err(malformed(Malformed::DateNotSigned));
            }
        }
        if self.rules.require_signed_amz_headers {
            let unsigned = req.headers.iter().any(|(name, _)| {
                name.get(..6)
                    .is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
                    && !claims
                        .signed_headers
                        .split(';')
                        .any(|h| h.eq_ignore_ascii_case(name))
            });
            if unsigned {
                return Err(SigError::HeadersNotSigned);
            }
        }
        let content_sha256 = req
            .single_header("x-amz-content-sha256")
            .map_err(|()| malformed(Malformed::RepeatedHeader))?
            .map(|v| ContentSha256::parse(v.trim()))
            .transpose()?;

        let parsed = Parsed {
            kind: claims.kind,
            akid_len,
            region,
            service,
            time: claims.time,
            signature: parse_hex32(&claims.signature),
            signed_headers: claims.signed_headers,
            security_token: claims.security_token,
            expires: claims.expires,
            content_sha256,
            credential: claims.credential,
        };
        if self.region.is_some_and(|r| r != parsed.region()) {
            return Err(SigError::WrongRegion);
        }
        if self.service.is_some_and(|s| s != parsed.service()) {
            return Err(SigError::WrongService);
        }
        Ok(parsed)
    }

    fn check_limits(&self, req: &SignedRequest<'_>) -> Result<(), SigError> {
        let limits = &self.limits;
        let exceeded = |l| Err(SigError::LimitExceeded(l));
        if req.headers.len() > limits.max_headers {
            return exceeded(Limit::Headers);
        }
        if req
            .headers
            .iter()
            .any(|(_, v)| v.len() > limits.max_header_value_len)
        {
            return exceeded(Limit::HeaderValue);
        }
        if req.path.len() > limits.max_path_len {
            return exceeded(Limit::Path);
        }
        if req.query.len() > limits.max_query_len {
            return exceeded(Limit::Query);
        }
        Ok(())
    }

    /// Non-empty, lowercase token names, strictly ascending, bounded, `host` among them.
    fn check_signed_headers(
        &self,
        list: &str,
        malformed: impl Fn(Malformed) -> SigError,
    ) -> Result<(), SigError> {
        let mut previous: Option<&str> = None;
        let mut count = 0usize;
        let mut host = false;
        for name in list.split(';') {
            count += 1;
            if count > self.limits.max_signed_headers {
                return Err(SigError::LimitExceeded(Limit::SignedHeaders));
            }
            let valid = !name.is_empty() && name.bytes().all(is_lowercase_token_byte);
            if !valid || previous.is_some_and(|p| p >= name) {
                return Err(malformed(Malformed::InvalidSignedHeaders));
            }
            host |= name == "host";
            previous = Some(name);
        }
        if host {
            Ok(())
        } else {
            Err(malformed(Malformed::HostNotSigned))
        }
    }
}

/// RFC 9110 token characters, without uppercase letters.
fn is_lowercase_token_byte(b: u8) -> bool {
    b.is_ascii_lowercase()
        || b.is_ascii_digit()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Splits `AKID/YYYYMMDD/region/service/aws4_request`, returning the access key id's length and
/// the region's and service's ranges.
fn split_credential(
    credential: &str,
    malformed: impl Fn(Malformed) -> SigError,
) -> Result<(usize, Range<usize>, Range<usize>), SigError> {
    let mut parts = credential.split('/');
    let (Some(akid), Some(date), Some(region), Some(service), Some(terminator), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(malformed(Malformed::InvalidCredential));
    };
    if akid.len() > MAX_ACCESS_KEY_ID_LEN
        || region.len() > MAX_REGION_LEN
        || service.len() > MAX_SERVICE_LEN
    {
        return Err(SigError::LimitExceeded(Limit::Credential));
    }
    let printable = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
    if !printable(akid)
        || !printable(region)
        || !printable(service)
        || date.len() != 8
        || !date.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed(Malformed::InvalidCredential));
    }
    if terminator != TERMINATOR {
        return Err(malformed(Malformed::InvalidTerminator));
    }
    let region_start = akid.len() + 1 + date.len() + 1;
    let service_start = region_start + region.len() + 1;
    Ok((
        akid.len(),
        region_start..region_start + region.len(),
        service_start..service_start + service.len(),
    ))
}

/// Claims of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn header_claims<'a>(req: &SignedRequest<'a>, value: &'a str) -> Result<Claims<'a>, SigError> {
    let malformed = SigError::MalformedHeader;
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(SigError::UnsupportedAlgorithm);
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim_matches(|c: char| c.is_ascii_whitespace());
        if part.is_empty() {
            continue;
        }
        let (key, value) = part
            .split_once('=')
            .ok_or(malformed(Malformed::InvalidComponent))?;
        let slot = match key.trim_end() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(malformed(Malformed::InvalidComponent)),
        };
        if slot.replace(value.trim_start()).is_some() {
            return Err(malformed(Malformed::InvalidComponent));
        }
    }
    let credential = credential.ok_or(malformed(Malformed::MissingCredential))?;
    let signed_headers = signed_headers.ok_or(malformed(Malformed::MissingSignedHeaders))?;
    let signature = signature.ok_or(malformed(Malformed::MissingSignature))?;

    let repeated = |()| malformed(Malformed::RepeatedHeader);
    let time = match req.single_header("x-amz-date").map_err(repeated)? {
        Some(v) => AmzTime::parse_basic(v.trim()),
        None => match req.single_header("date").map_err(repeated)? {
            Some(v) => AmzTime::parse_http(v),
            None => return Err(malformed(Malformed::MissingDate)),
        },
    }
    .ok_or(malformed(Malformed::InvalidDate))?;
    let security_token = req
        .single_header("x-amz-security-token")
        .map_err(repeated)?
        .map(|t| Cow::Borrowed(t.trim()));
    Ok(Claims {
        kind: AuthKind::Header,
        credential: Cow::Borrowed(credential),
        signed_headers: Cow::Borrowed(signed_headers),
        signature: Cow::Borrowed(signature),
        time,
        security_token,
        expires: None,
    })
}

/// Claims of a presigned URL's `X-Amz-*` query parameters.
fn query_claims<'a>(req: &SignedRequest<'a>) -> Result<Claims<'a>, SigError> {
    let malformed = SigError::MalformedQuery;
    let mut algorithm = None;
    let mut credential = None;
    let mut date = None;
    let mut expires = None;
    let mut signed_headers = None;
    let mut signature = None;
    let mut security_token = None;
    for (key, value) in req.query_pairs() {
        let slot = match key {
            "X-Amz-Algorithm" => &mut algorithm,
            "X-Amz-Credential" => &mut credential,
            "X-Amz-Date" => &mut date,
            "X-Amz-Expires" => &mut expires,
            "X-Amz-SignedHeaders" => &mut signed_headers,
            "X-Amz-Signature" => &mut signature,
            "X-Amz-Security-Token" => &mut security_token,
            _ => continue,
        };
        if slot.replace(decode_query_value(value)).is_some() {
            return Err(malformed(Malformed::InvalidComponent));
        }
    }
    if algorithm.as_deref() != Some(ALGORITHM) {
        return Err(SigError::UnsupportedAlgorithm);
    }
    let credential = credential.ok_or(malformed(Malformed::MissingCredential))?;
    let signed_headers = signed_headers.ok_or(malformed(Malformed::MissingSignedHeaders))?;
    let signature = signature.ok_or(malformed(Malformed::MissingSignature))?;
    let date = date.ok_or(malformed(Malformed::MissingDate))?;
    let expires = expires.ok_or(malformed(Malformed::MissingExpires))?;
    let time = AmzTime::parse_basic(&date).ok_or(malformed(Malformed::InvalidDate))?;
    let expires = parse_expires(&expires).map_err(malformed)?;
    Ok(Claims {
        kind: AuthKind::Presigned,
        credential,
        signed_headers,
        signature,
        time,
        security_token,
        expires: Some(expires),
    })
}

/// Seconds, `0..=604800`.
fn parse_expires(value: &str) -> Result<u32, Malformed> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Malformed::InvalidExpires);
    }
    let digits = value.trim_start_matches('0');
    if digits.len() > 7 {
        return Err(Malformed::ExpiresTooLarge);
    }
    let secs: u32 = digits.parse().unwrap_or(0);
    if secs > MAX_EXPIRES_SECS {
        return Err(Malformed::ExpiresTooLarge);
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Payload, Verifier};

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn req<'a>(headers: &'a [(&'a str, &'a str)], query: &'a str) -> SignedRequest<'a> {
        SignedRequest {
            method: "GET",
            path: "/",
            query,
            headers,
            payload: Payload::Bytes(b""),
        }
    }

    fn parse_headers(headers: &[(&str, &str)]) -> Result<(), SigError> {
        Verifier::SERVICES.parse(&req(headers, "")).map(|_| ())
    }

    #[test]
    fn reads_the_authorization_header() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", AUTH),
        ];
        let r = req(&headers, "");
        let p = Verifier::SERVICES.parse(&r).unwrap();
        assert_eq!(p.kind(), AuthKind::Header);
        assert_eq!(p.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(p.date(), "20150830");
        assert_eq!(p.region(), "us-east-1");
        assert_eq!(p.service(), "service");
        assert_eq!(p.scope(), "20150830/us-east-1/service/aws4_request");
        assert_eq!(p.timestamp(), "20150830T123600Z");
        assert_eq!(
            p.signed_headers().collect::<Vec<_>>(),
            ["host", "x-amz-date"]
        );
        assert!(p.is_signed("host") && !p.is_signed("content-type"));
        assert_eq!(p.security_token(), None);
        assert_eq!(p.expires_secs(), None);
        assert!(p.signature.is_some());
        let debug = format!("{p:?}");
        assert!(!debug.contains("5fa00fa3"), "{debug}");
        assert!(debug.contains("AKIDEXAMPLE"), "{debug}");
    }

    #[test]
    fn header_form_errors() {
        let host = ("Host", "h");
        let date = ("X-Amz-Date", "20150830T123600Z");
        let m = SigError::MalformedHeader;
        let case = |auth: &str| parse_headers(&[host, date, ("Authorization", auth)]);
        assert_eq!(
            parse_headers(&[host, date]),
            Err(SigError::MissingAuthentication)
        );
        assert_eq!(
            case("AWS4-HMAC-SHA512 Credential=a"),
            Err(SigError::UnsupportedAlgorithm)
        );
        assert_eq!(case("AWS AKID:c2ln"), Err(SigError::UnsupportedAlgorithm));
        assert_eq!(
            case("AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=00"),
            Err(m(Malformed::MissingCredential))
        );
        assert_eq!(
            case("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Signature=00"),
            Err(m(Malformed::MissingSignedHeaders))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;x-amz-date"
            ),
            Err(m(Malformed::MissingSignature))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            ),
            Err(m(Malformed::InvalidComponent))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Foo=1, SignedHeaders=host;x-amz-date, Signature=00"
            ),
            Err(m(Malformed::InvalidComponent))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            ),
            Err(m(Malformed::InvalidCredential))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws5_request, SignedHeaders=host;x-amz-date, Signature=00"
            ),
            Err(m(Malformed::InvalidTerminator))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150831/r/s/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
            ),
            Err(m(Malformed::ScopeDateMismatch))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=x-amz-date, Signature=00"
            ),
            Err(m(Malformed::HostNotSigned))
        );
        assert_eq!(
            case(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=00"
            ),
            Err(m(Malformed::DateNotSigned))
        );
        for list in [
            "x-amz-date;host",
            "host;host;x-amz-date",
            "Host;x-amz-date",
            "host;;x-amz-date",
            "",
        ] {
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders={list}, Signature=00"
            );
            assert_eq!(
                case(&auth),
                Err(m(Malformed::InvalidSignedHeaders)),
                "{list}"
            );
        }
        assert_eq!(
            parse_headers(&[host, ("Authorization", AUTH)]),
            Err(m(Malformed::MissingDate))
        );
        assert_eq!(
            parse_headers(&[
                host,
                ("X-Amz-Date", "2015-08-30T12:36:00Z"),
                ("Authorization", AUTH)
            ]),
            Err(m(Malformed::InvalidDate))
        );
        assert_eq!(
            parse_headers(&[host, date, date, ("Authorization", AUTH)]),
            Err(m(Malformed::RepeatedHeader))
        );
        assert_eq!(
            parse_headers(&[host, date, ("Authorization", AUTH), ("Authorization", AUTH)]),
            Err(m(Malformed::InvalidComponent))
        );
        assert_eq!(
            parse_headers(&[
                host,
                date,
                ("Authorization", AUTH),
                ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
            ]),
            Err(SigError::StreamingNotSupported)
        );
        assert_eq!(
            parse_headers(&[
                host,
                date,
                ("Authorization", AUTH),
                ("x-amz-content-sha256", "abc")
            ]),
            Err(SigError::InvalidContentSha256)
        );
    }

    #[test]
    fn accepts_the_date_header_and_flexible_spacing() {
        let auth = "AWS4-HMAC-SHA256   Credential=AKID/20150830/us-east-1/sts/aws4_request ,SignedHeaders=date;host,Signature=00";
        let headers = [
            ("host", "h"),
            ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
            ("authorization", auth),
        ];
        let r = req(&headers, "");
        let p = Verifier::SERVICES.parse(&r).unwrap();
        assert_eq!(p.timestamp(), "20150830T123600Z");
        assert_eq!(p.service(), "sts");
        assert!(p.signature.is_none());
    }

    #[test]
    fn reads_presigned_parameters() {
        let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Security-Token=a%2Bb%2F%3D&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";
        let headers = [("Host", "example.amazonaws.com")];
        let r = req(&headers, query);
        let p = Verifier::SERVICES.parse(&r).unwrap();
        assert_eq!(p.kind(), AuthKind::Presigned);
        assert_eq!(p.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(p.service(), "service");
        assert_eq!(p.expires_secs(), Some(3600));
        assert_eq!(p.security_token(), Some("a+b/="));
        assert!(!format!("{p:?}").contains("a+b/="));
    }

    #[test]
    fn presigned_errors() {
        let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20150830%2Fr%2Fs%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
        let host = [("Host", "h")];
        let run = |q: &str| Verifier::SERVICES.parse(&req(&host, q)).map(|_| ());
        let m = SigError::MalformedQuery;
        assert_eq!(run(base), Err(m(Malformed::MissingExpires)));
        assert!(run(&format!("{base}&X-Amz-Expires=604800")).is_ok());
        assert!(run(&format!("{base}&X-Amz-Expires=0")).is_ok());
        assert_eq!(
            run(&format!("{base}&X-Amz-Expires=604801")),
            Err(m(Malformed::ExpiresTooLarge))
        );
        assert_eq!(
            run(&format!("{base}&X-Amz-Expires=99999999999999999999")),
            Err(m(Malformed::ExpiresTooLarge))
        );
        assert_eq!(
            run(&format!("{base}&X-Amz-Expires=-1")),
            Err(m(Malformed::InvalidExpires))
        );
        assert_eq!(
            run(&format!("{base}&X-Amz-Expires=60&X-Amz-Expires=60")),
            Err(m(Malformed::InvalidComponent))
        );
        assert_eq!(
            run(&base.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
            Err(SigError::UnsupportedAlgorithm)
        );
        assert_eq!(
            run(&format!(
                "{}&X-Amz-Expires=60",
                base.replace("X-Amz-SignedHeaders=host&", "")
            )),
            Err(m(Malformed::MissingSignedHeaders))
        );
        assert_eq!(
            run(&format!(
                "{}&X-Amz-Expires=60",
                base.replace("20150830T", "20150831T")
            )),
            Err(m(Malformed::ScopeDateMismatch))
        );
        let headers = [("Host", "h"), ("Authorization", AUTH)];
        assert_eq!(
            Verifier::SERVICES
                .parse(&req(&headers, &format!("{base}&X-Amz-Expires=60")))
                .map(|_| ()),
            Err(SigError::AmbiguousAuthentication)
        );
    }

    #[test]
    fn region_and_service_are_enforced_when_named() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", AUTH),
        ];
        let r = req(&headers, "");
        let v = Verifier::SERVICES
            .with_region("us-east-1")
            .with_service("service");
        assert!(v.parse(&r).is_ok());
        assert_eq!(
            Verifier::SERVICES
                .with_region("eu-west-1")
                .parse(&r)
                .map(|_| ()),
            Err(SigError::WrongRegion)
        );
        assert_eq!(
            Verifier::SERVICES.with_service("sts").parse(&r).map(|_| ()),
            Err(SigError::WrongService)
        );
    }

    #[test]
    fn s3_rules_require_signed_amz_headers() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("X-Amz-Acl", "public-read"),
            ("Authorization", AUTH),
        ];
        let r = req(&headers, "");
        assert!(Verifier::SERVICES.parse(&r).is_ok());
        assert_eq!(
            Verifier::S3.parse(&r).map(|_| ()),
            Err(SigError::HeadersNotSigned)
        );
    }

    #[test]
    fn limits_are_enforced() {
        let mut v = Verifier::SERVICES;
        v.limits.max_headers = 2;
        let headers = [("a", "1"), ("b", "2"), ("c", "3")];
        assert_eq!(
            v.parse(&req(&headers, "")).map(|_| ()),
            Err(SigError::LimitExceeded(Limit::Headers))
        );
        let long = "x".repeat(Verifier::SERVICES.limits.max_header_value_len + 1);
        let headers = [("a", long.as_str())];
        assert_eq!(
            Verifier::SERVICES.parse(&req(&headers, "")).map(|_| ()),
            Err(SigError::LimitExceeded(Limit::HeaderValue))
        );
        let long_query = "a".repeat(Verifier::SERVICES.limits.max_query_len + 1);
        assert_eq!(
            Verifier::SERVICES.parse(&req(&[], &long_query)).map(|_| ()),
            Err(SigError::LimitExceeded(Limit::Query))
        );
        let many: Vec<String> = (0..100).map(|i| format!("x{i:03}")).collect();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;{}, Signature=00",
            many.join(";")
        );
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", auth.as_str()),
        ];
        assert_eq!(
            Verifier::SERVICES.parse(&req(&headers, "")).map(|_| ()),
            Err(SigError::LimitExceeded(Limit::SignedHeaders))
        );
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/20150830/r/s/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
            "A".repeat(MAX_ACCESS_KEY_ID_LEN + 1)
        );
        let headers = [
            ("Host", "h"),
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", auth.as_str()),
        ];
        assert_eq!(
            Verifier::SERVICES.parse(&req(&headers, "")).map(|_| ()),
            Err(SigError::LimitExceeded(Limit::Credential))
        );
    }

    #[test]
    fn content_sha256_claims() {
        assert_eq!(
            ContentSha256::parse("UNSIGNED-PAYLOAD"),
            Ok(ContentSha256::Unsigned)
        );
        assert_eq!(
            ContentSha256::parse("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            Ok(ContentSha256::StreamingUnsignedTrailer)
        );
        assert_eq!(
            ContentSha256::parse("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            Err(SigError::StreamingNotSupported)
        );
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(matches!(
            ContentSha256::parse(hex),
            Ok(ContentSha256::Sha256(_))
        ));
        assert_eq!(
            ContentSha256::parse(&hex.to_uppercase()),
            Err(SigError::InvalidContentSha256)
        );
    }
}
