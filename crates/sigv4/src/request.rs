//! The transport-neutral view of a request that is verified.

use std::fmt;

/// A received request, as the transport saw it.
///
/// Everything is raw: `path` and `query` exactly as they arrived on the request line
/// (percent-encoded, `query` without the `?`), `headers` in arrival order with repeated names
/// repeated. HTTP/2's `:authority` belongs in a `host` header.
///
/// `Debug` hides the values of `authorization` and `x-amz-security-token` and of the
/// `X-Amz-Signature` and `X-Amz-Security-Token` query parameters, and shows only the body's size.
#[derive(Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as received, e.g. `/2015-03-31/functions/arn%3Aaws%3Alambda/invocations`.
    pub path: &'a str,
    /// The query string as received, without `?`; empty when there is none.
    pub query: &'a str,
    /// Header names and values. Names match case-insensitively.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, or what is known of it.
    pub payload: Payload<'a>,
}

impl fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|&(n, v)| (n, redact_header(n, v)))
            .collect();
        let payload = match self.payload {
            Payload::Bytes(b) => format!("{} bytes", b.len()),
            Payload::Sha256Hex(h) => format!("sha256 {h}"),
            Payload::Deferred => "deferred".to_owned(),
        };
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &RedactedQuery(self.query))
            .field("headers", &headers)
            .field("payload", &payload)
            .finish()
    }
}

/// `value`, or a placeholder for headers that carry a signature or a session token.
pub(crate) fn redact_header<'v>(name: &str, value: &'v str) -> &'v str {
    if name.eq_ignore_ascii_case("authorization")
        || name.eq_ignore_ascii_case("x-amz-security-token")
    {
        "<redacted>"
    } else {
        value
    }
}

/// A query string shown with the signature and session token values hidden.
pub(crate) struct RedactedQuery<'q>(pub(crate) &'q str);

impl fmt::Debug for RedactedQuery<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for (i, pair) in self.0.split('&').enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            match pair.split_once('=') {
                Some((k, _)) if k == "X-Amz-Signature" || k == "X-Amz-Security-Token" => {
                    write!(f, "{k}=<redacted>")?;
                }
                _ => write!(f, "{}", pair.escape_debug())?,
            }
        }
        f.write_str("\"")
    }
}

/// What the verifier knows of a request's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// The lowercase hex SHA-256 of the whole body. Anything else fails verification with
    /// [`SigError::InvalidContentSha256`](crate::SigError::InvalidContentSha256).
    Sha256Hex(&'a str),
    /// The body is not read yet. Only requests whose `x-amz-content-sha256` header gives the
    /// payload hash (or `UNSIGNED-PAYLOAD`) can be verified, and the caller must then check the
    /// body against [`Parsed::content_sha256`](crate::Parsed::content_sha256) once it has it.
    Deferred,
}

impl<'a> SignedRequest<'a> {
    /// The values of the headers named `name` (ASCII case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The value of the header `name` if it appears exactly once; `Err(())` when it repeats.
    pub(crate) fn single_header(&self, name: &str) -> Result<Option<&'a str>, ()> {
        let mut values = self.header_values(name);
        let first = values.next();
        match values.next() {
            Some(_) => Err(()),
            None => Ok(first),
        }
    }

    /// The query parameters as raw `(key, value)` pairs, empty pairs skipped.
    pub(crate) fn query_pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_ordered() {
        let headers = [("Host", "h"), ("My-Header", "a"), ("my-header", "b")];
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "a=1&&b&c=x=y",
            headers: &headers,
            payload: Payload::Bytes(b""),
        };
        assert_eq!(
            req.header_values("my-header").collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(req.single_header("HOST"), Ok(Some("h")));
        assert_eq!(req.single_header("my-header"), Err(()));
        assert_eq!(req.single_header("absent"), Ok(None));
        assert_eq!(
            req.query_pairs().collect::<Vec<_>>(),
            [("a", "1"), ("b", ""), ("c", "x=y")]
        );
    }

    #[test]
    fn debug_hides_signatures_and_tokens() {
        let headers = [
            ("Host", "h"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=A/x, Signature=abcdef0123",
            ),
            ("X-Amz-Security-Token", "t0ken"),
        ];
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "a=1&X-Amz-Signature=abcdef0123&X-Amz-Security-Token=t0ken",
            headers: &headers,
            payload: Payload::Bytes(b"secret body"),
        };
        let debug = format!("{req:?}");
        assert!(!debug.contains("abcdef0123"), "{debug}");
        assert!(!debug.contains("t0ken"), "{debug}");
        assert!(!debug.contains("secret body"), "{debug}");
        assert!(debug.contains("a=1&X-Amz-Signature=<redacted>"), "{debug}");
        assert!(debug.contains("11 bytes"), "{debug}");
    }
}
