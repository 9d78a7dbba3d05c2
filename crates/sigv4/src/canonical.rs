//! The canonical request and the string to sign, shared by verifying and signing.

use sha2::{Digest, Sha256};

use crate::Rules;
use crate::encode::{hex32, push_canonical_path, push_canonical_query};
use crate::error::SigError;
use crate::request::SignedRequest;

/// What goes into a canonical request besides the request itself.
pub(crate) struct Inputs<'s> {
    /// `host;x-amz-date`: lowercase, sorted.
    pub(crate) signed_headers: &'s str,
    /// Leave `X-Amz-Signature` out of the canonical query (presigned).
    pub(crate) presigned: bool,
    /// The last line: a lowercase SHA-256 hex or a keyword such as `UNSIGNED-PAYLOAD`.
    pub(crate) payload_hash: &'s [u8],
    pub(crate) max_query_params: usize,
}

/// Appends the canonical request:
///
/// ```text
/// METHOD\nCANONICAL-URI\nCANONICAL-QUERY\nname:value\n...\n\nSIGNED-HEADERS\nPAYLOAD-HASH
/// ```
///
/// Each signed header's values (all headers of that name, in order) are trimmed, runs of
/// whitespace inside collapsed to one space, and joined with `,`. A signed header that is absent
/// contributes an empty value.
pub(crate) fn push_canonical_request(
    out: &mut Vec<u8>,
    req: &SignedRequest<'_>,
    rules: &Rules,
    inputs: &Inputs<'_>,
) -> Result<(), SigError> {
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    push_canonical_path(out, req.path, rules);
    out.push(b'\n');
    push_canonical_query(out, req.query, inputs.presigned, inputs.max_query_params)?;
    out.push(b'\n');
    for name in inputs.signed_headers.split(';') {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in req.header_values(name).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            for (j, word) in value.split_ascii_whitespace().enumerate() {
                if j > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(word.as_bytes());
            }
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(inputs.signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(inputs.payload_hash);
    Ok(())
}

/// The lowercase hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> [u8; 64] {
    hex32(&Sha256::digest(bytes).into())
}

/// Calls `f` with each piece of the string to sign, in order:
///
/// ```text
/// AWS4-HMAC-SHA256\nYYYYMMDDTHHMMSSZ\nYYYYMMDD/region/service/aws4_request\nHEX(SHA256(canonical request))
/// ```
pub(crate) fn string_to_sign_parts(
    timestamp: &str,
    scope: &str,
    canonical_request: &[u8],
    mut f: impl FnMut(&[u8]),
) {
    f(b"AWS4-HMAC-SHA256\n");
    f(timestamp.as_bytes());
    f(b"\n");
    f(scope.as_bytes());
    f(b"\n");
    f(&sha256_hex(canonical_request));
}
