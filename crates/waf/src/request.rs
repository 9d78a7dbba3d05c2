//! The request the WAF inspects, and a bounded, lenient HTTP/1.1 parser for raw request bytes.
//!
//! The parser accepts what real servers accept but notes every protocol anomaly it sees as a
//! label under [`PROTOCOL_LABEL_NAMESPACE`]; the core rule set blocks on those labels. Input it
//! cannot read as HTTP at all (or that exceeds [`Limits`]) is a [`ParseError`].

use std::net::IpAddr;

/// The namespace of the labels the parser adds for protocol anomalies.
pub const PROTOCOL_LABEL_NAMESPACE: &str = "mudroom:protocol:";

/// Bounds on what is parsed and inspected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Raw requests longer than this are refused.
    pub max_request_bytes: usize,
    /// At most this many headers are kept; more is an anomaly.
    pub max_headers: usize,
    /// The header section (request line included) may be at most this long.
    pub max_header_bytes: usize,
    /// At most this many body bytes are inspected; the rest is dropped and the body is marked
    /// oversize.
    pub max_body_inspect: usize,
    /// At most this many query arguments and cookies are kept.
    pub max_args: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_request_bytes: 4 * 1024 * 1024,
            max_headers: 200,
            max_header_bytes: 256 * 1024,
            max_body_inspect: 64 * 1024,
            max_args: 1024,
        }
    }
}

/// A request that cannot be read as HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input is empty.
    #[error("empty request")]
    Empty,
    /// The request line is not `METHOD TARGET [VERSION]`.
    #[error("malformed request line `{0}`")]
    RequestLine(String),
    /// The request exceeds a limit.
    #[error("request too large: {0}")]
    Oversized(&'static str),
}

/// An HTTP request, decoded for inspection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent.
    pub method: String,
    /// The request target, as sent.
    pub uri: String,
    /// The path part of the target, as sent (not decoded).
    pub path: String,
    /// The query string (after `?`), as sent (not decoded).
    pub query: String,
    /// The query arguments, URL-decoded, in order.
    pub args: Vec<(String, String)>,
    /// The headers, in order (names as sent).
    pub headers: Vec<(String, String)>,
    /// The cookies from every `Cookie` header, in order.
    pub cookies: Vec<(String, String)>,
    /// The body, truncated to [`Limits::max_body_inspect`].
    pub body: Vec<u8>,
    /// Whether the body was longer than what is kept.
    pub body_oversize: bool,
    /// The HTTP version from the request line (`HTTP/1.1`), empty for HTTP/0.9 style lines.
    pub version: String,
    /// The client address, when known.
    pub client_ip: Option<IpAddr>,
    /// Labels for the protocol anomalies seen (each under [`PROTOCOL_LABEL_NAMESPACE`]).
    pub anomalies: Vec<String>,
}

impl Request {
    /// Builds a request from its parts (the JSON form of `mudroom waf test`).
    pub fn from_parts(
        method: &str,
        uri: &str,
        headers: Vec<(String, String)>,
        body: &[u8],
        limits: &Limits,
    ) -> Request {
        let mut req = Request {
            method: method.to_owned(),
            version: "HTTP/1.1".to_owned(),
            ..Request::default()
        };
        req.set_target(uri, limits);
        let mut headers = headers;
        if headers.len() > limits.max_headers {
            headers.truncate(limits.max_headers);
            req.anomaly("too-many-headers");
        }
        req.headers = headers;
        req.derive_from_headers(limits);
        req.set_body(body, limits);
        req.check_common();
        req
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn anomaly(&mut self, name: &str) {
        let label = format!("{PROTOCOL_LABEL_NAMESPACE}{name}");
        if !self.anomalies.contains(&label) {
            self.anomalies.push(label);
        }
    }

    fn set_target(&mut self, uri: &str, limits: &Limits) {
        self.uri = uri.to_owned();
        let target = match uri.find("://") {
            // Absolute form: keep path and query only.
            Some(i)
                if uri
                    .get(..i)
                    .is_some_and(|s| s.bytes().all(|b| b.is_ascii_alphabetic())) =>
            {
                let rest = uri.get(i + 3..).unwrap_or("");
                match rest.find('/') {
                    Some(j) => rest.get(j..).unwrap_or(""),
                    None => "/",
                }
            }
            _ => uri,
        };
        let target = match target.find('#') {
            Some(i) => {
                self.anomaly("fragment-in-uri");
                target.get(..i).unwrap_or("")
            }
            None => target,
        };
        match target.split_once('?') {
            Some((p, q)) => {
                self.path = p.to_owned();
                self.query = q.to_owned();
            }
            None => self.path = target.to_owned(),
        }
        if !self.path.starts_with('/') && self.path != "*" {
            self.anomaly("invalid-uri");
        }
        self.args = parse_args(&self.query, limits.max_args);
        if self.args.len() >= limits.max_args {
            self.anomaly("too-many-arguments");
        }
        if self.query.contains('%') && has_bad_percent(self.query.as_bytes()) {
            self.anomaly("invalid-url-encoding");
        }
    }

    fn derive_from_headers(&mut self, limits: &Limits) {
        let mut cookies = Vec::new();
        for (k, v) in &self.headers {
            if k.eq_ignore_ascii_case("cookie") {
                for part in v.split(';') {
                    if cookies.len() >= limits.max_args {
                        break;
                    }
                    let part = part.trim();
                    if part.is_empty() {
                        continue;
                    }
                    let (name, value) = part.split_once('=').unwrap_or((part, ""));
                    cookies.push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
        }
        self.cookies = cookies;
    }

    fn set_body(&mut self, body: &[u8], limits: &Limits) {
        if body.len() > limits.max_body_inspect {
            self.body = body.get(..limits.max_body_inspect).unwrap_or(body).to_vec();
            self.body_oversize = true;
        } else {
            self.body = body.to_vec();
        }
    }

    /// Anomalies visible on the parts alone, whichever way the request arrived.
    fn check_common(&mut self) {
        let method_ok = !self.method.is_empty()
            && self
                .method
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_');
        if !method_ok {
            self.anomaly("invalid-method");
        }
        let hosts = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("host"))
            .count();
        if hosts > 1 {
            self.anomaly("duplicate-host");
        }
        let bad_cl = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .any(|(_, v)| v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()));
        if bad_cl {
            self.anomaly("invalid-content-length");
        }
        if self.header("content-length").is_some() && self.header("transfer-encoding").is_some() {
            self.anomaly("content-length-and-transfer-encoding");
        }
        let cls = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .count();
        if cls > 1 {
            self.anomaly("duplicate-content-length");
        }
        if let Some(te) = self.header("transfer-encoding")
            && !te.trim().eq_ignore_ascii_case("chunked")
        {
            self.anomaly("invalid-transfer-encoding");
        }
        if (self.method == "GET" || self.method == "HEAD")
            && !self.body.is_empty()
            && self.header("content-length").is_none()
            && self.header("transfer-encoding").is_none()
        {
            self.anomaly("body-without-length");
        }
        if self.uri.bytes().any(|b| b < 0x20 || b == 0x7f) {
            self.anomaly("control-character-in-uri");
        }
        let mut bad_header = false;
        for (k, v) in &self.headers {
            if k.is_empty() || !k.bytes().all(is_tchar) {
                bad_header = true;
            }
            if v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
                bad_header = true;
            }
        }
        if bad_header {
            self.anomaly("invalid-header");
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn has_bad_percent(s: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let ok = s.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return true;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    false
}

/// Decodes `%HH` escapes and `+` (as a space) in a form or query component.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                s.get(i + 1).and_then(|&h| hex_val(h)),
                s.get(i + 2).and_then(|&l| hex_val(l)),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

pub(crate) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a query string (or form body) into URL-decoded name/value pairs.
pub fn parse_args(query: &str, max: usize) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .take(max)
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&percent_decode(k.as_bytes())).into_owned(),
                String::from_utf8_lossy(&percent_decode(v.as_bytes())).into_owned(),
            )
        })
        .collect()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses raw HTTP/1.x request bytes.
///
/// # Errors
/// A [`ParseError`] when the input is empty, oversized or has no readable request line.
pub fn parse_raw(raw: &[u8], limits: &Limits) -> Result<Request, ParseError> {
    if raw.is_empty() {
        return Err(ParseError::Empty);
    }
    if raw.len() > limits.max_request_bytes {
        return Err(ParseError::Oversized("request"));
    }
    let mut anomalies: Vec<&str> = Vec::new();
    let (head, body) = match (find(raw, b"\r\n\r\n"), find(raw, b"\n\n")) {
        (Some(a), Some(b)) if b + 2 < a + 4 => (raw.get(..b).unwrap_or(raw), raw.get(b + 2..)),
        (Some(a), _) => (raw.get(..a).unwrap_or(raw), raw.get(a + 4..)),
        (None, Some(b)) => (raw.get(..b).unwrap_or(raw), raw.get(b + 2..)),
        (None, None) => {
            anomalies.push("incomplete-headers");
            (raw, None)
        }
    };
    let body = body.unwrap_or(&[]);
    if head.len() > limits.max_header_bytes {
        return Err(ParseError::Oversized("header section"));
    }
    let head = String::from_utf8_lossy(head);
    if head.contains('\n') && !head.contains("\r\n") {
        anomalies.push("bare-lf");
    }
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or("");
    let parts: Vec<&str> = line.split([' ', '\t']).filter(|p| !p.is_empty()).collect();
    let (method, target, version) = match parts.as_slice() {
        [m, t] => (*m, *t, ""),
        [m, t, v] => (*m, *t, *v),
        [m, t @ .., v] if v.starts_with("HTTP/") => {
            anomalies.push("space-in-uri");
            // Keep the whole target: the spaces are part of what the client sent.
            let start = line.find(t.first().unwrap_or(&"")).unwrap_or(0);
            let end = line.rfind(v).unwrap_or(line.len());
            (*m, line.get(start..end).unwrap_or("").trim(), *v)
        }
        _ => {
            let shown: String = line.chars().take(80).collect();
            return Err(ParseError::RequestLine(shown));
        }
    };
    if version.is_empty() {
        anomalies.push("missing-version");
    } else if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        anomalies.push("invalid-version");
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in lines {
        if l.is_empty() {
            continue;
        }
        if l.starts_with([' ', '\t']) {
            anomalies.push("obsolete-line-folding");
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(l.trim());
            }
            continue;
        }
        if headers.len() >= limits.max_headers {
            anomalies.push("too-many-headers");
            break;
        }
        match l.split_once(':') {
            Some((k, v)) => {
                if k.ends_with([' ', '\t']) {
                    anomalies.push("invalid-header");
                }
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            None => anomalies.push("malformed-header"),
        }
    }
    let mut req = Request {
        method: method.to_owned(),
        version: version.to_owned(),
        headers,
        ..Request::default()
    };
    req.set_target(target, limits);
    req.derive_from_headers(limits);
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        match dechunk(body, limits.max_body_inspect + 1) {
            Some(b) => b,
            None => {
                anomalies.push("invalid-chunked-body");
                body.to_vec()
            }
        }
    } else {
        let declared = req
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok());
        match declared {
            Some(n) if n < body.len() => {
                anomalies.push("body-beyond-content-length");
                body.to_vec()
            }
            _ => body.to_vec(),
        }
    };
    req.set_body(&body, limits);
    req.check_common();
    // HTTP/1.1 requires Host on the wire; the parts form (`from_parts`) does not claim to be a
    // wire request, so only raw requests are held to it.
    if req.header("host").is_none_or(|h| h.trim().is_empty()) && req.version != "HTTP/1.0" {
        req.anomaly("missing-host");
    }
    for a in anomalies {
        req.anomaly(a);
    }
    Ok(req)
}

/// Decodes a chunked body (up to `max` bytes); `None` when the framing is broken.
fn dechunk(mut s: &[u8], max: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = find(s, b"\n")?;
        let line = String::from_utf8_lossy(s.get(..eol)?);
        let size_str = line
            .trim()
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        let size = usize::from_str_radix(&size_str, 16).ok()?;
        s = s.get(eol + 1..)?;
        if size == 0 {
            return Some(out);
        }
        let take = size.min(s.len());
        out.extend_from_slice(s.get(..take)?);
        if out.len() >= max {
            return Some(out);
        }
        s = s.get(take..)?;
        s = s.strip_prefix(b"\r").unwrap_or(s);
        s = s.strip_prefix(b"\n").unwrap_or(s);
        if s.is_empty() {
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_simple_request() {
        let raw = b"GET /a/b?x=1&y=%27a+b HTTP/1.1\r\nHost: h\r\nCookie: s=1; t=2\r\n\r\n";
        let r = parse_raw(raw, &Limits::default()).unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/a/b");
        assert_eq!(r.query, "x=1&y=%27a+b");
        assert_eq!(
            r.args,
            vec![("x".into(), "1".into()), ("y".into(), "'a b".into())]
        );
        assert_eq!(
            r.cookies,
            vec![("s".into(), "1".into()), ("t".into(), "2".into())]
        );
        assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
    }

    #[test]
    fn body_is_bounded_and_chunked_bodies_decoded() {
        let limits = Limits {
            max_body_inspect: 4,
            ..Limits::default()
        };
        let raw = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789";
        let r = parse_raw(raw, &limits).unwrap();
        assert_eq!(r.body, b"0123");
        assert!(r.body_oversize);
        let raw = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let r = parse_raw(raw, &Limits::default()).unwrap();
        assert_eq!(r.body, b"abcde");
    }

    #[test]
    fn malformed_requests_are_errors_or_anomalies() {
        assert_eq!(parse_raw(b"", &Limits::default()), Err(ParseError::Empty));
        assert!(matches!(
            parse_raw(b"GARBAGE\r\n\r\n", &Limits::default()),
            Err(ParseError::RequestLine(_))
        ));
        let limits = Limits {
            max_request_bytes: 10,
            ..Limits::default()
        };
        assert!(matches!(
            parse_raw(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", &limits),
            Err(ParseError::Oversized(_))
        ));
        let r = parse_raw(
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: x\r\n\r\n",
            &Limits::default(),
        )
        .unwrap();
        for a in [
            "missing-host",
            "invalid-content-length",
            "duplicate-content-length",
        ] {
            assert!(
                r.anomalies.contains(&format!("mudroom:protocol:{a}")),
                "{a}: {:?}",
                r.anomalies
            );
        }
    }

    #[test]
    fn from_parts_matches_the_raw_parser() {
        let l = Limits::default();
        let a = Request::from_parts(
            "GET",
            "/p?q=%3Cb%3E",
            vec![("Host".into(), "h".into())],
            b"",
            &l,
        );
        let b = parse_raw(b"GET /p?q=%3Cb%3E HTTP/1.1\r\nHost: h\r\n\r\n", &l).unwrap();
        assert_eq!(a, b);
    }
}
