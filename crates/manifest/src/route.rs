//! Route patterns and request matching with the semantics of API Gateway HTTP APIs.
//!
//! A route is `$default` or `METHOD /path`, where `METHOD` is an HTTP method or `ANY`, and each
//! path segment is a literal, a parameter `{name}` or, as the last segment only, a greedy
//! parameter `{name+}` that takes one or more segments.
//!
//! # Precedence
//!
//! When several routes match a request, the most specific wins:
//!
//! 1. Paths are compared segment by segment from the left; at the first segment where they
//!    differ, a literal beats a parameter, and a parameter beats a greedy parameter. So
//!    `GET /pets/dog/1` beats `GET /pets/dog/{id}`, which beats `GET /pets/{proxy+}`, which
//!    beats `GET /{proxy+}`.
//! 2. Between routes whose paths have the same shape, a named method beats `ANY`: for a `GET`,
//!    `GET /pets/{id}` beats `ANY /pets/{id}`. The path decides first: for `GET /pets/dog`,
//!    `ANY /pets/dog` beats `GET /pets/{id}`.
//! 3. `$default` matches every request and loses to every other route.
//!
//! Two routes with the same method and path shape (parameter names aside) are duplicates; the
//! manifest refuses them, so the winner is always unique.
//!
//! # Matching
//!
//! The request path is the part before any `?`. It is split on `/`; each segment is
//! percent-decoded before it is compared with a literal or given as a parameter value (a
//! segment that does not decode to UTF-8 is used as sent). Literals compare case-sensitively.
//! A parameter takes one non-empty segment; a greedy parameter takes the rest of the path, one
//! or more segments, joined with `/` and decoded segment by segment. A trailing `/` makes an
//! empty last segment, which no literal and no parameter matches, but a greedy parameter does
//! when something comes before it (`/files/{path+}` matches `/files/a/` with `path` = `a/`).
//! Methods compare case-sensitively, as HTTP does: `get` is not `GET`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// Parameter values of a matched request, by parameter name (without `{}` or `+`).
pub type Params = BTreeMap<String, String>;

/// A route's HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `ANY`: every method no other route of the same path names.
    Any,
}

impl Method {
    /// Every method, `ANY` last.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
        Method::Any,
    ];

    /// The uppercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Any => "ANY",
        }
    }

    /// The method of this uppercase name.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Whether a request with method `method` fits: the same name, or any method for `ANY`.
    pub fn accepts(self, method: &str) -> bool {
        self == Method::Any || self.as_str() == method
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Matches exactly this text.
    Literal(String),
    /// `{name}`: matches one non-empty segment.
    Param(String),
    /// `{name+}`: matches the rest of the path, one or more segments; last only.
    Greedy(String),
}

impl Segment {
    /// 0 for a literal, 1 for a parameter, 2 for a greedy parameter: lower is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        }
    }

    /// The same shape: equal literals, or parameters of the same kind whatever their names.
    fn same_shape(&self, other: &Segment) -> bool {
        match (self, other) {
            (Segment::Literal(a), Segment::Literal(b)) => a == b,
            (Segment::Param(_), Segment::Param(_)) | (Segment::Greedy(_), Segment::Greedy(_)) => {
                true
            }
            _ => false,
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Literal(s) => f.write_str(s),
            Segment::Param(s) => write!(f, "{{{s}}}"),
            Segment::Greedy(s) => write!(f, "{{{s}+}}"),
        }
    }
}

/// A parsed route: `$default`, or a method and a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoutePattern {
    /// `$default`: every request no other route matches.
    Default,
    /// `METHOD /path`.
    Path {
        /// The method, or [`Method::Any`].
        method: Method,
        /// The path's segments; empty for `/`.
        segments: Vec<Segment>,
    },
}

/// Why a route's text is not a route: a message and the byte range of the culprit within the
/// route text, so the manifest can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// Byte offset of the culprit within the route text.
    pub offset: usize,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RouteError {}

fn err(offset: usize, message: impl Into<String>) -> RouteError {
    RouteError {
        message: message.into(),
        offset,
    }
}

/// Characters a literal path segment may hold: RFC 3986 `pchar` (unreserved, sub-delims,
/// `:` and `@`) and `%` for percent-encoding.
fn literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

fn param_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'
}

impl RoutePattern {
    /// Parses `$default` or `METHOD /path`, refusing what API Gateway would refuse, and more
    /// that is certainly a mistake: lowercase or unknown methods, a path not starting with `/`,
    /// empty segments (`//` or a trailing `/`), `{` or `}` inside a literal, parameters that
    /// are not a whole segment, a greedy parameter before the last segment, and a parameter
    /// name used twice.
    pub fn parse(text: &str) -> Result<RoutePattern, RouteError> {
        if text == "$default" {
            return Ok(RoutePattern::Default);
        }
        if text.trim().is_empty() {
            return Err(err(0, "route is empty: write `METHOD /path` or `$default`"));
        }
        if text.starts_with('$') {
            return Err(err(
                0,
                format!("unknown route `{text}`: the only special route is `$default`"),
            ));
        }
        let Some((method_text, path)) = text.split_once(' ') else {
            if text.starts_with('/') {
                return Err(err(
                    0,
                    format!(
                        "route `{text}` has no method: write `GET {text}`, or `ANY {text}` for every method"
                    ),
                ));
            }
            return Err(err(
                0,
                format!("route `{text}` is not `METHOD /path` or `$default`"),
            ));
        };
        let method = match Method::from_name(method_text) {
            Some(m) => m,
            None => {
                let upper = method_text.to_ascii_uppercase();
                let message = if Method::from_name(&upper).is_some() {
                    format!("method `{method_text}` must be uppercase: `{upper}`")
                } else {
                    let names: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
                    format!(
                        "unknown method `{method_text}`, expected {}",
                        crate::diag::one_of(&names)
                    )
                };
                return Err(err(0, message));
            }
        };
        let path_start = method_text.len() + 1;
        if path.starts_with(' ') {
            return Err(err(
                path_start,
                "one space only between the method and the path",
            ));
        }
        if !path.starts_with('/') {
            return Err(err(
                path_start,
                format!("path `{path}` must start with `/`"),
            ));
        }
        let mut segments = Vec::new();
        if path == "/" {
            return Ok(RoutePattern::Path { method, segments });
        }
        let mut offset = path_start + 1;
        let mut names: Vec<&str> = Vec::new();
        let parts: Vec<&str> = path.get(1..).unwrap_or_default().split('/').collect();
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let last = i + 1 == count;
            if part.is_empty() {
                return Err(err(
                    offset,
                    if last {
                        format!("path `{path}` must not end with `/`")
                    } else {
                        format!("path `{path}` has an empty segment (`//`)")
                    },
                ));
            }
            let segment = if let Some(inner) = part.strip_prefix('{') {
                let Some(inner) = inner.strip_suffix('}') else {
                    return Err(err(
                        offset,
                        format!("parameter `{part}` must be a whole segment: `{{name}}`"),
                    ));
                };
                let (name, greedy) = match inner.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (inner, false),
                };
                if name.is_empty() || !name.chars().all(param_name_char) {
                    return Err(err(
                        offset,
                        format!("parameter name `{name}` must be letters, digits, `_`, `-` or `.`"),
                    ));
                }
                if greedy && !last {
                    return Err(err(
                        offset,
                        format!("greedy parameter `{part}` must be the last segment"),
                    ));
                }
                if names.contains(&name) {
                    return Err(err(
                        offset,
                        format!("parameter `{name}` appears twice in the route"),
                    ));
                }
                names.push(name);
                if greedy {
                    Segment::Greedy(name.to_string())
                } else {
                    Segment::Param(name.to_string())
                }
            } else {
                if let Some(bad) = part.char_indices().find(|(_, c)| !literal_char(*c)) {
                    let (at, c) = bad;
                    let message = if c == '{' || c == '}' {
                        format!("parameter in `{part}` must be a whole segment: `{{name}}`")
                    } else {
                        format!("character `{c}` is not allowed in a path: percent-encode it")
                    };
                    return Err(err(offset + at, message));
                }
                Segment::Literal(part.to_string())
            };
            segments.push(segment);
            offset += part.len() + 1;
        }
        Ok(RoutePattern::Path { method, segments })
    }

    /// The method; `None` for `$default`.
    pub fn method(&self) -> Option<Method> {
        match self {
            RoutePattern::Default => None,
            RoutePattern::Path { method, .. } => Some(*method),
        }
    }

    /// The path's segments; empty for `$default` and for `/`.
    pub fn segments(&self) -> &[Segment] {
        match self {
            RoutePattern::Default => &[],
            RoutePattern::Path { segments, .. } => segments,
        }
    }

    /// Whether two patterns are the same route: the same method and the same path shape,
    /// parameter names aside (`GET /a/{x}` and `GET /a/{y}`), or both `$default`.
    pub fn same_route(&self, other: &RoutePattern) -> bool {
        match (self, other) {
            (RoutePattern::Default, RoutePattern::Default) => true,
            (
                RoutePattern::Path {
                    method: m1,
                    segments: s1,
                },
                RoutePattern::Path {
                    method: m2,
                    segments: s2,
                },
            ) => {
                m1 == m2 && s1.len() == s2.len() && s1.iter().zip(s2).all(|(a, b)| a.same_shape(b))
            }
            _ => false,
        }
    }

    /// Whether a request fits this route, and with which parameter values; see the module
    /// documentation. `$default` matches every request, with no parameters.
    pub fn matches(&self, method: &str, path: &str) -> Option<Params> {
        let (route_method, segments) = match self {
            RoutePattern::Default => return Some(Params::new()),
            RoutePattern::Path { method, segments } => (method, segments),
        };
        if !route_method.accepts(method) {
            return None;
        }
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        let rest = path.strip_prefix('/')?;
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split('/').collect()
        };
        let mut params = Params::new();
        let mut parts_iter = parts.iter().enumerate();
        for segment in segments {
            match segment {
                Segment::Greedy(name) => {
                    let (i, _) = parts_iter.next()?;
                    let taken = parts.get(i..)?;
                    if taken.iter().all(|p| p.is_empty()) {
                        return None;
                    }
                    let value: Vec<String> = taken.iter().map(|p| decode(p)).collect();
                    params.insert(name.clone(), value.join("/"));
                    return Some(params);
                }
                Segment::Literal(lit) => {
                    let (_, part) = parts_iter.next()?;
                    if part.is_empty() || decode(part) != decode(lit) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let (_, part) = parts_iter.next()?;
                    if part.is_empty() {
                        return None;
                    }
                    params.insert(name.clone(), decode(part));
                }
            }
        }
        if parts_iter.next().is_some() {
            return None;
        }
        Some(params)
    }

    /// Orders patterns from the most to the least specific (see the module documentation):
    /// `Less` means `self` wins over `other` when both match a request. `Equal` only for
    /// patterns that are [`RoutePattern::same_route`].
    pub fn precedence(&self, other: &RoutePattern) -> Ordering {
        match (self, other) {
            (RoutePattern::Default, RoutePattern::Default) => Ordering::Equal,
            (RoutePattern::Default, _) => Ordering::Greater,
            (_, RoutePattern::Default) => Ordering::Less,
            (
                RoutePattern::Path {
                    method: m1,
                    segments: s1,
                },
                RoutePattern::Path {
                    method: m2,
                    segments: s2,
                },
            ) => {
                for i in 0..s1.len().max(s2.len()) {
                    let by_shape = match (s1.get(i), s2.get(i)) {
                        (Some(a), Some(b)) => a.rank().cmp(&b.rank()).then_with(|| match (a, b) {
                            (Segment::Literal(x), Segment::Literal(y)) => x.cmp(y),
                            _ => Ordering::Equal,
                        }),
                        // a longer path says more; routes that both match a request
                        // never get here
                        (Some(_), None) => Ordering::Less,
                        (None, Some(_)) => Ordering::Greater,
                        (None, None) => Ordering::Equal,
                    };
                    if by_shape != Ordering::Equal {
                        return by_shape;
                    }
                }
                let any = |m: &Method| *m == Method::Any;
                any(m1).cmp(&any(m2)).then_with(|| m1.cmp(m2))
            }
        }
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutePattern::Default => f.write_str("$default"),
            RoutePattern::Path { method, segments } => {
                write!(f, "{method} ")?;
                if segments.is_empty() {
                    return f.write_str("/");
                }
                for s in segments {
                    write!(f, "/{s}")?;
                }
                Ok(())
            }
        }
    }
}

/// Among `routes`, the one that wins for this request (see the module documentation), with
/// its parameters; `None` when no route matches (API Gateway's `404 Not Found`).
pub fn select<'r, T>(
    routes: impl IntoIterator<Item = (&'r RoutePattern, T)>,
    method: &str,
    path: &str,
) -> Option<(T, Params)> {
    let mut best: Option<(&'r RoutePattern, T, Params)> = None;
    for (pattern, item) in routes {
        if let Some(params) = pattern.matches(method, path) {
            let better = best
                .as_ref()
                .is_none_or(|(b, _, _)| pattern.precedence(b) == Ordering::Less);
            if better {
                best = Some((pattern, item, params));
            }
        }
    }
    best.map(|(_, item, params)| (item, params))
}

/// Percent-decodes one segment; a segment with a malformed escape or that does not decode to
/// UTF-8 is returned as sent.
fn decode(segment: &str) -> String {
    if !segment.contains('%') {
        return segment.to_string();
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => return segment.to_string(),
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| segment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> RoutePattern {
        RoutePattern::parse(text).unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_and_displays() {
        for text in [
            "$default",
            "GET /",
            "GET /hello/{name}",
            "ANY /{proxy+}",
            "POST /a/b/{id}/c",
            "DELETE /files/{path+}",
        ] {
            assert_eq!(p(text).to_string(), text);
        }
        assert_eq!(
            p("GET /a/{b}/{rest+}"),
            RoutePattern::Path {
                method: Method::Get,
                segments: vec![
                    Segment::Literal("a".into()),
                    Segment::Param("b".into()),
                    Segment::Greedy("rest".into()),
                ],
            }
        );
    }

    #[test]
    fn refuses_bad_routes_with_offsets() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "route is empty: write `METHOD /path` or `$default`"),
            (
                "$defaults",
                0,
                "unknown route `$defaults`: the only special route is `$default`",
            ),
            (
                "/hello",
                0,
                "route `/hello` has no method: write `GET /hello`, or `ANY /hello` for every method",
            ),
            ("get /x", 0, "method `get` must be uppercase: `GET`"),
            (
                "FETCH /x",
                0,
                "unknown method `FETCH`, expected `GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or `ANY`",
            ),
            ("GET hello", 4, "path `hello` must start with `/`"),
            (
                "GET  /x",
                4,
                "one space only between the method and the path",
            ),
            ("GET /a//b", 7, "path `/a//b` has an empty segment (`//`)"),
            ("GET /a/", 7, "path `/a/` must not end with `/`"),
            (
                "GET /a/{proxy+}/b",
                7,
                "greedy parameter `{proxy+}` must be the last segment",
            ),
            (
                "GET /a/{id}/{id}",
                12,
                "parameter `id` appears twice in the route",
            ),
            (
                "GET /a/{id}/{id+}",
                12,
                "parameter `id` appears twice in the route",
            ),
            (
                "GET /a/x{id}",
                8,
                "parameter in `x{id}` must be a whole segment: `{name}`",
            ),
            (
                "GET /a/{id}x",
                7,
                "parameter `{id}x` must be a whole segment: `{name}`",
            ),
            (
                "GET /a/{}",
                7,
                "parameter name `` must be letters, digits, `_`, `-` or `.`",
            ),
            (
                "GET /a/{a b}",
                7,
                "parameter name `a b` must be letters, digits, `_`, `-` or `.`",
            ),
            (
                "GET /a b",
                6,
                "character ` ` is not allowed in a path: percent-encode it",
            ),
        ];
        for (text, offset, message) in cases {
            let e = RoutePattern::parse(text).unwrap_err();
            assert_eq!(
                (e.offset, e.message.as_str()),
                (*offset, *message),
                "{text}"
            );
        }
    }

    #[test]
    fn matching_params_and_methods() {
        let r = p("GET /hello/{name}");
        assert_eq!(
            r.matches("GET", "/hello/ada"),
            Some(params(&[("name", "ada")]))
        );
        assert_eq!(
            r.matches("GET", "/hello/ada?x=1"),
            Some(params(&[("name", "ada")]))
        );
        assert_eq!(
            r.matches("GET", "/hello/J%C3%BCrgen"),
            Some(params(&[("name", "Jürgen")]))
        );
        assert_eq!(r.matches("POST", "/hello/ada"), None);
        assert_eq!(r.matches("get", "/hello/ada"), None);
        assert_eq!(r.matches("GET", "/hello"), None);
        assert_eq!(r.matches("GET", "/hello/"), None);
        assert_eq!(r.matches("GET", "/hello/ada/x"), None);
        assert_eq!(r.matches("GET", "hello/ada"), None);
        assert_eq!(r.matches("GET", "/Hello/ada"), None);

        let any = p("ANY /x");
        assert_eq!(any.matches("DELETE", "/x"), Some(Params::new()));
        assert_eq!(any.matches("PROPFIND", "/x"), Some(Params::new()));

        let root = p("GET /");
        assert_eq!(root.matches("GET", "/"), Some(Params::new()));
        assert_eq!(root.matches("GET", "/a"), None);

        assert_eq!(
            p("$default").matches("PUT", "/any/thing"),
            Some(Params::new())
        );
    }

    #[test]
    fn greedy_takes_one_or_more_segments() {
        let r = p("GET /files/{path+}");
        assert_eq!(r.matches("GET", "/files/a"), Some(params(&[("path", "a")])));
        assert_eq!(
            r.matches("GET", "/files/a/b%20c/d"),
            Some(params(&[("path", "a/b c/d")]))
        );
        assert_eq!(
            r.matches("GET", "/files/a/"),
            Some(params(&[("path", "a/")]))
        );
        assert_eq!(r.matches("GET", "/files"), None);
        assert_eq!(r.matches("GET", "/files/"), None);
        let all = p("ANY /{proxy+}");
        assert_eq!(all.matches("GET", "/"), None);
        assert_eq!(
            all.matches("GET", "/x/y"),
            Some(params(&[("proxy", "x/y")]))
        );
    }

    #[test]
    fn encoded_literals_and_bad_escapes() {
        let r = p("GET /a%20b/{x}");
        assert_eq!(r.matches("GET", "/a%20b/1"), Some(params(&[("x", "1")])));
        assert_eq!(
            r.matches("GET", "/a%20b/%zz"),
            Some(params(&[("x", "%zz")]))
        );
        assert_eq!(
            r.matches("GET", "/a%20b/%FF"),
            Some(params(&[("x", "%FF")]))
        );
    }

    #[test]
    fn same_route_ignores_parameter_names() {
        assert!(p("GET /a/{x}").same_route(&p("GET /a/{y}")));
        assert!(p("GET /a/{x+}").same_route(&p("GET /a/{y+}")));
        assert!(p("$default").same_route(&p("$default")));
        assert!(!p("GET /a/{x}").same_route(&p("GET /a/{x+}")));
        assert!(!p("GET /a/{x}").same_route(&p("ANY /a/{x}")));
        assert!(!p("GET /a/b").same_route(&p("GET /a/{b}")));
        assert!(!p("GET /a").same_route(&p("GET /a/b")));
    }

    fn winner(routes: &[&str], method: &str, path: &str) -> Option<(String, Params)> {
        let patterns: Vec<RoutePattern> = routes.iter().map(|r| p(r)).collect();
        select(patterns.iter().map(|r| (r, r.to_string())), method, path)
    }

    #[test]
    fn most_specific_route_wins_in_any_order() {
        let routes = [
            "GET /pets/dog/1",
            "GET /pets/dog/{id}",
            "GET /pets/{proxy+}",
            "ANY /{proxy+}",
            "ANY /pets/dog",
            "GET /pets/{kind}",
            "POST /pets/{kind}",
            "$default",
        ];
        let cases = [
            ("GET", "/pets/dog/1", "GET /pets/dog/1", params(&[])),
            (
                "GET",
                "/pets/dog/2",
                "GET /pets/dog/{id}",
                params(&[("id", "2")]),
            ),
            (
                "GET",
                "/pets/cat/1",
                "GET /pets/{proxy+}",
                params(&[("proxy", "cat/1")]),
            ),
            (
                "POST",
                "/pets/cat/1",
                "ANY /{proxy+}",
                params(&[("proxy", "pets/cat/1")]),
            ),
            ("GET", "/pets/dog", "ANY /pets/dog", params(&[])),
            (
                "GET",
                "/pets/cat",
                "GET /pets/{kind}",
                params(&[("kind", "cat")]),
            ),
            (
                "POST",
                "/pets/cat",
                "POST /pets/{kind}",
                params(&[("kind", "cat")]),
            ),
            (
                "DELETE",
                "/pets/cat",
                "ANY /{proxy+}",
                params(&[("proxy", "pets/cat")]),
            ),
            ("GET", "/", "$default", params(&[])),
            ("GET", "nothing", "$default", params(&[])),
        ];
        // every rotation of the route list gives the same answers
        for shift in 0..routes.len() {
            let mut rotated = routes.to_vec();
            rotated.rotate_left(shift);
            for (method, path, expected, expected_params) in &cases {
                assert_eq!(
                    winner(&rotated, method, path),
                    Some((expected.to_string(), expected_params.clone())),
                    "{method} {path} with shift {shift}"
                );
            }
        }
    }

    #[test]
    fn named_method_beats_any_on_the_same_path() {
        let routes = ["ANY /items/{id}", "GET /items/{id}"];
        assert_eq!(
            winner(&routes, "GET", "/items/7").unwrap().0,
            "GET /items/{id}"
        );
        assert_eq!(
            winner(&routes, "PUT", "/items/7").unwrap().0,
            "ANY /items/{id}"
        );
    }

    #[test]
    fn no_match_without_default() {
        let routes = ["GET /a", "POST /b/{x}"];
        assert_eq!(winner(&routes, "GET", "/b/1"), None);
        assert_eq!(winner(&routes, "GET", "/c"), None);
    }

    #[test]
    fn precedence_is_an_order() {
        let all: Vec<RoutePattern> = [
            "$default",
            "GET /",
            "ANY /",
            "GET /a",
            "GET /{x}",
            "GET /{x+}",
            "ANY /{x+}",
            "GET /a/b",
            "GET /a/{x}",
            "POST /a/{x}",
            "GET /b",
        ]
        .iter()
        .map(|r| p(r))
        .collect();
        for a in &all {
            assert_eq!(a.precedence(a), Ordering::Equal);
            for b in &all {
                assert_eq!(a.precedence(b), b.precedence(a).reverse(), "{a} vs {b}");
                if a.precedence(b) == Ordering::Equal {
                    assert!(a.same_route(b), "{a} vs {b}");
                }
                for c in &all {
                    if a.precedence(b) == Ordering::Less && b.precedence(c) == Ordering::Less {
                        assert_eq!(a.precedence(c), Ordering::Less, "{a} < {b} < {c}");
                    }
                }
            }
        }
    }
}
