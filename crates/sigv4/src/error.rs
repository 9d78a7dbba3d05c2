//! Why a request is not authenticated, with the code and message AWS answers for each protocol.

use std::fmt;

use crate::time::AmzTime;

/// The wire protocol whose error codes the caller answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `awsQuery` and `ec2Query` services (STS, IAM, SQS, SNS): XML errors such as
    /// `SignatureDoesNotMatch`.
    Query,
    /// `awsJson1_0`, `awsJson1_1` and `restJson1` services (Secrets Manager, SSM, KMS, Lambda):
    /// errors such as `InvalidSignatureException`.
    Json,
    /// `restXml` as S3 speaks it: errors such as `SignatureDoesNotMatch` and
    /// `AuthorizationHeaderMalformed`.
    RestXml,
}

/// What is wrong with the `Authorization` header or the presigned query parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// The `Credential` component or `X-Amz-Credential` parameter is missing.
    MissingCredential,
    /// The `SignedHeaders` component or `X-Amz-SignedHeaders` parameter is missing.
    MissingSignedHeaders,
    /// The `Signature` component or `X-Amz-Signature` parameter is missing.
    MissingSignature,
    /// Neither `X-Amz-Date` nor `Date` is present (or `X-Amz-Date` is missing from the query).
    MissingDate,
    /// `X-Amz-Expires` is missing from a presigned request.
    MissingExpires,
    /// A component or parameter appears twice, or an unknown component appears.
    InvalidComponent,
    /// The credential is not `AKID/YYYYMMDD/region/service/aws4_request`.
    InvalidCredential,
    /// The credential scope does not end with `aws4_request`.
    InvalidTerminator,
    /// The request time is not `YYYYMMDD'T'HHMMSS'Z'` (or not an HTTP date in `Date`).
    InvalidDate,
    /// The credential scope's date differs from the request time's date.
    ScopeDateMismatch,
    /// `X-Amz-Expires` is not a number of seconds.
    InvalidExpires,
    /// `X-Amz-Expires` exceeds 604800 seconds (7 days).
    ExpiresTooLarge,
    /// `SignedHeaders` is empty, not lowercase, not sorted, or repeats a name.
    InvalidSignedHeaders,
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// The header carrying the request time (`x-amz-date` or `date`) is not signed.
    DateNotSigned,
    /// A header that must appear once (`x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token`) appears more than once.
    RepeatedHeader,
}

impl Malformed {
    /// AWS's wording.
    fn aws_message(self) -> &'static str {
        match self {
            Self::MissingCredential => "Authorization header requires 'Credential' parameter.",
            Self::MissingSignedHeaders => {
                "Authorization header requires 'SignedHeaders' parameter."
            }
            Self::MissingSignature => "Authorization header requires 'Signature' parameter.",
            Self::MissingDate => {
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
            }
            Self::MissingExpires => {
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
            }
            Self::InvalidComponent => {
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters, each once."
            }
            Self::InvalidCredential => {
                "Credential should be of the form 'AccessKeyId/YYYYMMDD/region/service/aws4_request'."
            }
            Self::InvalidTerminator => {
                "Credential should be scoped with a valid terminator: 'aws4_request'."
            }
            Self::InvalidDate => {
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            }
            Self::ScopeDateMismatch => {
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."
            }
            Self::InvalidExpires => "X-Amz-Expires should be a number",
            Self::ExpiresTooLarge => {
                "X-Amz-Expires must be less than a week (in seconds) that is 604800"
            }
            Self::InvalidSignedHeaders => {
                "SignedHeaders must be a non-empty, sorted, semicolon-separated list of lowercase header names."
            }
            Self::HostNotSigned => {
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
            }
            Self::DateNotSigned => {
                "'X-Amz-Date' or 'Date' must be a 'SignedHeader' in the AWS Authorization."
            }
            Self::RepeatedHeader => {
                "The headers X-Amz-Date, X-Amz-Content-SHA256 and X-Amz-Security-Token may appear only once."
            }
        }
    }

    /// Our wording, for logs.
    fn describe(self) -> &'static str {
        match self {
            Self::MissingCredential => "missing credential",
            Self::MissingSignedHeaders => "missing signed headers",
            Self::MissingSignature => "missing signature",
            Self::MissingDate => "missing request time (`x-amz-date` or `date`)",
            Self::MissingExpires => "missing `X-Amz-Expires`",
            Self::InvalidComponent => "unknown or repeated component",
            Self::InvalidCredential => "credential is not `akid/date/region/service/aws4_request`",
            Self::InvalidTerminator => "credential scope does not end with `aws4_request`",
            Self::InvalidDate => "request time is not `yyyymmddThhmmssZ`",
            Self::ScopeDateMismatch => "credential scope date differs from the request date",
            Self::InvalidExpires => "`X-Amz-Expires` is not a number of seconds",
            Self::ExpiresTooLarge => "`X-Amz-Expires` exceeds 604800 seconds",
            Self::InvalidSignedHeaders => {
                "signed headers are empty, unsorted, repeated or not lowercase"
            }
            Self::HostNotSigned => "`host` is not signed",
            Self::DateNotSigned => "the request time header is not signed",
            Self::RepeatedHeader => "an authentication header appears more than once",
        }
    }
}

/// A bound of [`Limits`](crate::Limits) that a request exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// More headers than `max_headers`.
    Headers,
    /// A header value longer than `max_header_value_len`.
    HeaderValue,
    /// More signed headers than `max_signed_headers`.
    SignedHeaders,
    /// A path longer than `max_path_len`.
    Path,
    /// A query string longer than `max_query_len`.
    Query,
    /// More query parameters than `max_query_params`.
    QueryParams,
    /// An access key id, region or service name longer than the fixed bounds.
    Credential,
}

impl Limit {
    fn describe(self) -> &'static str {
        match self {
            Self::Headers => "too many headers",
            Self::HeaderValue => "a header value is too long",
            Self::SignedHeaders => "too many signed headers",
            Self::Path => "the path is too long",
            Self::Query => "the query string is too long",
            Self::QueryParams => "too many query parameters",
            Self::Credential => "the credential is too long",
        }
    }
}

/// Why a request is not authenticated.
///
/// [`code`](Self::code) and [`aws_message`](Self::aws_message) give what AWS answers for each
/// [`Protocol`]; [`http_status`](Self::http_status) the status. `Display` is a short lowercase
/// description for logs. No variant holds a secret key or a signature.
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigError {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm` query parameter is present.
    MissingAuthentication,
    /// Both an `Authorization` header and presigned query parameters are present.
    AmbiguousAuthentication,
    /// The algorithm is not `AWS4-HMAC-SHA256` (for example SigV2 or SigV4a).
    UnsupportedAlgorithm,
    /// The `Authorization` header is malformed.
    MalformedHeader(Malformed),
    /// The presigned query parameters are malformed.
    MalformedQuery(Malformed),
    /// The credential scope names a region this endpoint does not serve.
    WrongRegion,
    /// The credential scope names a service this endpoint does not serve.
    WrongService,
    /// The access key id is unknown. Returned by callers whose key lookup fails.
    UnknownAccessKey,
    /// The security token is missing, malformed or does not belong to the access key. Returned
    /// by callers that check session tokens.
    InvalidSecurityToken,
    /// The security token (session) has expired. Returned by callers that check session tokens.
    ExpiredToken,
    /// The signature does not match.
    SignatureDoesNotMatch,
    /// A header-signed request's time is further than the allowed skew from the server's time.
    RequestTimeTooSkewed {
        /// Request time, Unix seconds.
        request: i64,
        /// Server time, Unix seconds.
        server: i64,
        /// Allowed skew in seconds.
        max_skew: u32,
    },
    /// A presigned request was used after `X-Amz-Date` + `X-Amz-Expires`.
    PresignedExpired,
    /// A presigned request was used before `X-Amz-Date`, beyond the allowed skew.
    PresignedNotYetValid,
    /// `x-amz-content-sha256` holds a SHA-256 that is not the body's.
    ContentSha256Mismatch,
    /// `x-amz-content-sha256` is neither a lowercase SHA-256 hex nor a known keyword.
    InvalidContentSha256,
    /// The payload hash is needed but neither the body, its hash, nor `x-amz-content-sha256`
    /// is available.
    MissingContentSha256,
    /// `UNSIGNED-PAYLOAD` is used where the rules require a signed payload.
    UnsignedPayloadNotAllowed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (chunk-signed uploads) is not supported.
    StreamingNotSupported,
    /// The rules require every `x-amz-*` header to be signed and one is not.
    HeadersNotSigned,
    /// The request exceeds a bound of [`Limits`](crate::Limits).
    LimitExceeded(Limit),
}

impl SigError {
    /// The error code AWS answers with in `protocol`.
    pub fn code(&self, protocol: Protocol) -> &'static str {
        use Protocol::{Json, Query, RestXml};
        match (self, protocol) {
            (Self::MissingAuthentication, Query) => "MissingAuthenticationToken",
            (Self::MissingAuthentication, Json) => "MissingAuthenticationTokenException",
            (Self::MissingAuthentication, RestXml) => "AccessDenied",

            (Self::AmbiguousAuthentication | Self::UnsupportedAlgorithm, RestXml) => {
                "InvalidArgument"
            }
            (Self::MalformedHeader(_), RestXml) => "AuthorizationHeaderMalformed",
            (Self::MalformedQuery(_), RestXml) => "AuthorizationQueryParametersError",
            (Self::InvalidContentSha256, RestXml) => "InvalidArgument",
            (Self::MissingContentSha256 | Self::LimitExceeded(_), RestXml) => "InvalidRequest",
            (Self::StreamingNotSupported, RestXml) => "NotImplemented",
            (
                Self::AmbiguousAuthentication
                | Self::UnsupportedAlgorithm
                | Self::MalformedHeader(_)
                | Self::MalformedQuery(_)
                | Self::InvalidContentSha256
                | Self::MissingContentSha256
                | Self::StreamingNotSupported
                | Self::LimitExceeded(_),
                Query,
            ) => "IncompleteSignature",
            (
                Self::AmbiguousAuthentication
                | Self::UnsupportedAlgorithm
                | Self::MalformedHeader(_)
                | Self::MalformedQuery(_)
                | Self::InvalidContentSha256
                | Self::MissingContentSha256
                | Self::StreamingNotSupported
                | Self::LimitExceeded(_),
                Json,
            ) => "IncompleteSignatureException",

            (Self::WrongRegion | Self::WrongService, RestXml) => "AuthorizationHeaderMalformed",

            (Self::UnknownAccessKey | Self::InvalidSecurityToken, Query) => "InvalidClientTokenId",
            (Self::UnknownAccessKey | Self::InvalidSecurityToken, Json) => {
                "UnrecognizedClientException"
            }
            (Self::UnknownAccessKey, RestXml) => "InvalidAccessKeyId",
            (Self::InvalidSecurityToken, RestXml) => "InvalidToken",

            (Self::ExpiredToken, Query | RestXml) => "ExpiredToken",
            (Self::ExpiredToken, Json) => "ExpiredTokenException",

            (Self::ContentSha256Mismatch, RestXml) => "XAmzContentSHA256Mismatch",
            (
                Self::SignatureDoesNotMatch
                | Self::WrongRegion
                | Self::WrongService
                | Self::ContentSha256Mismatch
                | Self::UnsignedPayloadNotAllowed,
                Query,
            ) => "SignatureDoesNotMatch",
            (Self::SignatureDoesNotMatch | Self::UnsignedPayloadNotAllowed, RestXml) => {
                "SignatureDoesNotMatch"
            }
            (
                Self::SignatureDoesNotMatch
                | Self::WrongRegion
                | Self::WrongService
                | Self::ContentSha256Mismatch
                | Self::UnsignedPayloadNotAllowed
                | Self::RequestTimeTooSkewed { .. },
                Json,
            ) => "InvalidSignatureException",

            (Self::RequestTimeTooSkewed { .. }, Query | RestXml) => "RequestTimeTooSkewed",

            (
                Self::PresignedExpired | Self::PresignedNotYetValid | Self::HeadersNotSigned,
                Query | RestXml,
            ) => "AccessDenied",
            (
                Self::PresignedExpired | Self::PresignedNotYetValid | Self::HeadersNotSigned,
                Json,
            ) => "AccessDeniedException",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::AmbiguousAuthentication
            | Self::UnsupportedAlgorithm
            | Self::MalformedHeader(_)
            | Self::MalformedQuery(_)
            | Self::ContentSha256Mismatch
            | Self::InvalidContentSha256
            | Self::MissingContentSha256
            | Self::LimitExceeded(_) => 400,
            Self::StreamingNotSupported => 501,
            Self::MissingAuthentication
            | Self::WrongRegion
            | Self::WrongService
            | Self::UnknownAccessKey
            | Self::InvalidSecurityToken
            | Self::ExpiredToken
            | Self::SignatureDoesNotMatch
            | Self::RequestTimeTooSkewed { .. }
            | Self::PresignedExpired
            | Self::PresignedNotYetValid
            | Self::UnsignedPayloadNotAllowed
            | Self::HeadersNotSigned => 403,
        }
    }

    /// The message AWS answers with in `protocol`, worded as AWS words it.
    pub fn aws_message(&self, protocol: Protocol) -> AwsMessage {
        AwsMessage {
            error: *self,
            protocol,
        }
    }
}

/// The message of a [`SigError`] as AWS words it; see [`SigError::aws_message`].
#[derive(Clone, Copy, Debug)]
pub struct AwsMessage {
    error: SigError,
    protocol: Protocol,
}

impl fmt::Display for AwsMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Protocol::{Json, Query, RestXml};
        let p = self.protocol;
        let text = match self.error {
            SigError::MissingAuthentication => match p {
                Query => "Request is missing Authentication Token",
                Json => "Missing Authentication Token",
                RestXml => "Access Denied",
            },
            SigError::AmbiguousAuthentication => {
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
            }
            SigError::UnsupportedAlgorithm => match p {
                RestXml => "Unsupported Authorization Type",
                Query | Json => {
                    "Unsupported AWS 'algorithm'. The only supported algorithm is AWS4-HMAC-SHA256."
                }
            },
            SigError::MalformedHeader(m) | SigError::MalformedQuery(m) => m.aws_message(),
            SigError::WrongRegion => match p {
                RestXml => "The authorization header is malformed; the region is wrong.",
                Query | Json => "Credential should be scoped to a valid region.",
            },
            SigError::WrongService => match p {
                RestXml => "The authorization header is malformed; the service is wrong.",
                Query | Json => "Credential should be scoped to correct service.",
            },
            SigError::UnknownAccessKey => match p {
                RestXml => "The AWS Access Key Id you provided does not exist in our records.",
                Query | Json => "The security token included in the request is invalid.",
            },
            SigError::InvalidSecurityToken => match p {
                RestXml => "The provided token is malformed or otherwise invalid.",
                Query | Json => "The security token included in the request is invalid.",
            },
            SigError::ExpiredToken => match p {
                RestXml => "The provided token has expired.",
                Query | Json => "The security token included in the request is expired",
            },
            SigError::SignatureDoesNotMatch => {
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
            }
            SigError::RequestTimeTooSkewed {
                request,
                server,
                max_skew,
            } => {
                if p == RestXml {
                    "The difference between the request time and the current time is too large."
                } else {
                    return write_skew(f, request, server, max_skew);
                }
            }
            SigError::PresignedExpired => "Request has expired",
            SigError::PresignedNotYetValid => "Request is not yet valid",
            SigError::ContentSha256Mismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            }
            SigError::InvalidContentSha256 => {
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value."
            }
            SigError::MissingContentSha256 => {
                "Missing required header for this request: x-amz-content-sha256"
            }
            SigError::UnsignedPayloadNotAllowed => {
                "The request payload must be signed: x-amz-content-sha256 must be the SHA-256 of the payload."
            }
            SigError::StreamingNotSupported => {
                "A header you provided implies functionality that is not implemented"
            }
            SigError::HeadersNotSigned => {
                "There were headers present in the request which were not signed"
            }
            SigError::LimitExceeded(limit) => {
                return write!(f, "The request exceeds a limit: {}.", limit.describe());
            }
        };
        f.write_str(text)
    }
}

/// `Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)`
fn write_skew(f: &mut fmt::Formatter<'_>, request: i64, server: i64, max_skew: u32) -> fmt::Result {
    let minutes = max_skew / 60;
    let skew = i64::from(max_skew);
    let (req, now) = (Basic(request), Basic(server));
    if request < server {
        let bound = Basic(server - skew);
        write!(
            f,
            "Signature expired: {req} is now earlier than {bound} ({now} - {minutes} min.)"
        )
    } else {
        let bound = Basic(server + skew);
        write!(
            f,
            "Signature not yet current: {req} is still later than {bound} ({now} + {minutes} min.)"
        )
    }
}

/// Unix seconds shown as `YYYYMMDDTHHMMSSZ` (or as a number outside years 0000..=9999).
struct Basic(i64);

impl fmt::Display for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match AmzTime::from_unix(self.0) {
            Some(t) => f.write_str(t.as_str()),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingAuthentication => f.write_str("request is not signed"),
            Self::AmbiguousAuthentication => {
                f.write_str("request carries both an authorization header and a presigned query")
            }
            Self::UnsupportedAlgorithm => f.write_str("unsupported signing algorithm"),
            Self::MalformedHeader(m) => {
                write!(f, "malformed authorization header: {}", m.describe())
            }
            Self::MalformedQuery(m) => write!(f, "malformed presigned query: {}", m.describe()),
            Self::WrongRegion => f.write_str("credential scope names another region"),
            Self::WrongService => f.write_str("credential scope names another service"),
            Self::UnknownAccessKey => f.write_str("unknown access key id"),
            Self::InvalidSecurityToken => f.write_str("invalid security token"),
            Self::ExpiredToken => f.write_str("expired security token"),
            Self::SignatureDoesNotMatch => f.write_str("signature does not match"),
            Self::RequestTimeTooSkewed {
                request,
                server,
                max_skew,
            } => write!(
                f,
                "request time is {}s from server time, more than the allowed {max_skew}s",
                request.abs_diff(*server)
            ),
            Self::PresignedExpired => f.write_str("presigned request has expired"),
            Self::PresignedNotYetValid => f.write_str("presigned request is not yet valid"),
            Self::ContentSha256Mismatch => {
                f.write_str("payload does not match `x-amz-content-sha256`")
            }
            Self::InvalidContentSha256 => f.write_str("invalid `x-amz-content-sha256`"),
            Self::MissingContentSha256 => f.write_str("payload hash is unavailable"),
            Self::UnsignedPayloadNotAllowed => f.write_str("unsigned payload is not allowed"),
            Self::StreamingNotSupported => {
                f.write_str("chunk-signed streaming payloads are not supported")
            }
            Self::HeadersNotSigned => f.write_str("an `x-amz-*` header is not signed"),
            Self::LimitExceeded(limit) => {
                write!(f, "request exceeds a limit: {}", limit.describe())
            }
        }
    }
}

impl fmt::Debug for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedHeader(m) => write!(f, "MalformedHeader({m:?})"),
            Self::MalformedQuery(m) => write!(f, "MalformedQuery({m:?})"),
            Self::LimitExceeded(l) => write!(f, "LimitExceeded({l:?})"),
            Self::RequestTimeTooSkewed {
                request,
                server,
                max_skew,
            } => write!(
                f,
                "RequestTimeTooSkewed {{ request: {request}, server: {server}, max_skew: {max_skew} }}"
            ),
            other => f.write_str(other.code(Protocol::Query)).and_then(|()| {
                if matches!(other, Self::SignatureDoesNotMatch) {
                    Ok(())
                } else {
                    write!(f, "({other})")
                }
            }),
        }
    }
}

impl std::error::Error for SigError {}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SigError; 22] = [
        SigError::MissingAuthentication,
        SigError::AmbiguousAuthentication,
        SigError::UnsupportedAlgorithm,
        SigError::MalformedHeader(Malformed::MissingCredential),
        SigError::MalformedQuery(Malformed::ExpiresTooLarge),
        SigError::WrongRegion,
        SigError::WrongService,
        SigError::UnknownAccessKey,
        SigError::InvalidSecurityToken,
        SigError::ExpiredToken,
        SigError::SignatureDoesNotMatch,
        SigError::RequestTimeTooSkewed {
            request: 1_440_938_160,
            server: 1_440_939_060,
            max_skew: 900,
        },
        SigError::PresignedExpired,
        SigError::PresignedNotYetValid,
        SigError::ContentSha256Mismatch,
        SigError::InvalidContentSha256,
        SigError::MissingContentSha256,
        SigError::UnsignedPayloadNotAllowed,
        SigError::StreamingNotSupported,
        SigError::HeadersNotSigned,
        SigError::LimitExceeded(Limit::Headers),
        SigError::MalformedHeader(Malformed::HostNotSigned),
    ];

    #[test]
    fn codes_per_protocol() {
        let e = SigError::SignatureDoesNotMatch;
        assert_eq!(e.code(Protocol::Query), "SignatureDoesNotMatch");
        assert_eq!(e.code(Protocol::Json), "InvalidSignatureException");
        assert_eq!(e.code(Protocol::RestXml), "SignatureDoesNotMatch");
        assert_eq!(e.http_status(), 403);
        let e = SigError::UnknownAccessKey;
        assert_eq!(e.code(Protocol::Query), "InvalidClientTokenId");
        assert_eq!(e.code(Protocol::Json), "UnrecognizedClientException");
        assert_eq!(e.code(Protocol::RestXml), "InvalidAccessKeyId");
        let e = SigError::MissingAuthentication;
        assert_eq!(e.code(Protocol::Query), "MissingAuthenticationToken");
        assert_eq!(
            e.code(Protocol::Json),
            "MissingAuthenticationTokenException"
        );
        let e = SigError::MalformedHeader(Malformed::MissingSignature);
        assert_eq!(e.code(Protocol::Query), "IncompleteSignature");
        assert_eq!(e.code(Protocol::Json), "IncompleteSignatureException");
        assert_eq!(e.code(Protocol::RestXml), "AuthorizationHeaderMalformed");
        assert_eq!(e.http_status(), 400);
        let e = SigError::ExpiredToken;
        assert_eq!(e.code(Protocol::Query), "ExpiredToken");
        assert_eq!(e.code(Protocol::Json), "ExpiredTokenException");
        let e = SigError::PresignedExpired;
        assert_eq!(e.code(Protocol::Query), "AccessDenied");
        assert_eq!(e.code(Protocol::RestXml), "AccessDenied");
        let e = SigError::RequestTimeTooSkewed {
            request: 0,
            server: 1000,
            max_skew: 900,
        };
        assert_eq!(e.code(Protocol::Query), "RequestTimeTooSkewed");
        assert_eq!(e.code(Protocol::Json), "InvalidSignatureException");
        assert_eq!(
            SigError::ContentSha256Mismatch.code(Protocol::RestXml),
            "XAmzContentSHA256Mismatch"
        );
    }

    #[test]
    fn aws_messages() {
        assert_eq!(
            SigError::SignatureDoesNotMatch
                .aws_message(Protocol::Json)
                .to_string(),
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method."
        );
        let past = SigError::RequestTimeTooSkewed {
            request: 1_440_938_160,
            server: 1_440_939_060 + 60,
            max_skew: 900,
        };
        assert_eq!(
            past.aws_message(Protocol::Query).to_string(),
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z \
             (20150830T125200Z - 15 min.)"
        );
        let future = SigError::RequestTimeTooSkewed {
            request: 1_440_938_160 + 1000,
            server: 1_440_938_160,
            max_skew: 900,
        };
        assert_eq!(
            future.aws_message(Protocol::Json).to_string(),
            "Signature not yet current: 20150830T125240Z is still later than 20150830T125100Z \
             (20150830T123600Z + 15 min.)"
        );
        assert_eq!(
            future.aws_message(Protocol::RestXml).to_string(),
            "The difference between the request time and the current time is too large."
        );
    }

    #[test]
    fn every_error_has_code_message_and_log_text() {
        for e in ALL {
            for p in [Protocol::Query, Protocol::Json, Protocol::RestXml] {
                let code = e.code(p);
                assert!(!code.is_empty() && code.is_ascii(), "{e:?}");
                assert!(!e.aws_message(p).to_string().is_empty(), "{e:?}");
            }
            let log = e.to_string();
            assert!(log.starts_with(|c: char| c.is_ascii_lowercase()), "{log}");
            assert!(!log.ends_with('.'), "{log}");
            assert!(matches!(e.http_status(), 400 | 403 | 501));
        }
    }
}
