//! The transport-neutral view of a request that is verified.

/// A received request, as the transport saw it.
///
/// Everything is raw: `path` and `query` exactly as they arrived on the request line
/// (percent-encoded, `query` without the `?`), `headers` in arrival order with repeated names
/// repeated. HTTP/2's `:authority` belongs in a `host` header.
#[derive(Clone, Copy, Debug)]
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

/// What the verifier knows of a request's body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// The lowercase hex SHA-256 of the whole body.
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
}
