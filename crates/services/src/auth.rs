//! Authentication of every call: SigV4 (header or presigned) checked against the identity
//! layer's keys, the key's state, the session token and the session's expiry.

use std::sync::Arc;
use std::time::SystemTime;

use mudroom_sigv4::{Payload, SigError, SignedRequest, Verifier};

use crate::error::ServiceError;
use crate::identity::{Identities, KeyEntry};
use crate::platform::Platform;
use crate::protocol::Protocol;
use crate::server::ServiceRequest;

fn sig_protocol(protocol: Protocol) -> mudroom_sigv4::Protocol {
    match protocol {
        Protocol::Query { .. } => mudroom_sigv4::Protocol::Query,
        Protocol::Json { .. } | Protocol::RestJson => mudroom_sigv4::Protocol::Json,
    }
}

/// AWS's answer to a failed authentication, in the request's protocol.
pub fn sig_error(e: SigError, protocol: Protocol) -> ServiceError {
    let p = sig_protocol(protocol);
    ServiceError::client(e.code(p), e.aws_message(p).to_string()).with_status(e.http_status())
}

/// The authenticated key and its id; on failure, what the caller claimed to be (for the audit
/// log) and the error to answer.
pub(crate) fn authenticate(
    platform: &Platform,
    request: &ServiceRequest,
) -> Result<(Arc<KeyEntry>, String), (String, ServiceError)> {
    let protocol = request.route.protocol;
    let fail = |claimed: &str, e: SigError| (claimed.to_string(), sig_error(e, protocol));
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signed = SignedRequest {
        method: &request.method,
        path: &request.raw_path,
        query: &request.raw_query,
        headers: &headers,
        payload: Payload::Bytes(&request.body),
    };
    let ids = &platform.identities;
    let verifier = Verifier::SERVICES
        .with_region(ids.region())
        .with_service(request.route.service);
    let parsed = verifier.parse(&signed).map_err(|e| fail("anonymous", e))?;
    let akid = parsed.access_key_id();
    let entry = ids
        .lookup(akid)
        .map_err(|e| (akid.to_string(), e.into_service()))?
        .filter(|entry| entry.active)
        .ok_or_else(|| fail(akid, SigError::UnknownAccessKey))?;
    if !Identities::token_matches(&entry, parsed.security_token()) {
        return Err(fail(akid, SigError::InvalidSecurityToken));
    }
    let now = SystemTime::now();
    if let Some(expires) = entry.expires {
        let now_secs = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        if now_secs >= expires {
            return Err(fail(akid, SigError::ExpiredToken));
        }
    }
    verifier
        .verify(&parsed, &signed, &entry.secret, now)
        .map_err(|e| fail(akid, e))?;
    Ok((entry, akid.to_string()))
}
