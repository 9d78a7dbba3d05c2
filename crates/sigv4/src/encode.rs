//! SigV4's URI encoding: the canonical URI (path normalization, single or double encoding) and
//! the canonical query string.

use std::borrow::Cow;

use crate::Rules;
use crate::error::{Limit, SigError};

/// RFC 3986 unreserved characters: the only bytes SigV4 leaves unencoded (besides `/` in paths).
pub(crate) const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const fn hex_upper(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + nibble - 10
    }
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends `b` percent-encoded unless it is unreserved.
fn push_encoded(out: &mut Vec<u8>, b: u8) {
    if is_unreserved(b) {
        out.push(b);
    } else {
        out.extend_from_slice(&[b'%', hex_upper(b >> 4), hex_upper(b & 0xf)]);
    }
}

/// The byte a `%XY` escape at the start of `bytes` stands for.
fn escape_at(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [b'%', hi, lo, ..] => Some(hex_value(*hi)? << 4 | hex_value(*lo)?),
        _ => None,
    }
}

/// Appends `bytes` percent-decoded (`%XY` escapes; malformed escapes stay literal; `+` is a space
/// when `plus_is_space`) and then percent-encoded; literal `/` stays when `keep_slash`.
fn push_reencoded(out: &mut Vec<u8>, bytes: &[u8], keep_slash: bool, plus_is_space: bool) {
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if let Some(decoded) = escape_at(rest) {
            push_encoded(out, decoded);
            rest = rest.get(3..).unwrap_or_default();
            continue;
        }
        match b {
            b'/' if keep_slash => out.push(b'/'),
            b'+' if plus_is_space => out.extend_from_slice(b"%20"),
            _ => push_encoded(out, b),
        }
        rest = tail;
    }
}

/// Appends `bytes` percent-encoded as they are (`%` becomes `%25`); `/` stays.
fn push_encoded_path(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == b'/' {
            out.push(b);
        } else {
            push_encoded(out, b);
        }
    }
}

/// Appends one path piece in the mode the rules ask for.
fn push_path_piece(out: &mut Vec<u8>, piece: &[u8], rules: &Rules) {
    if rules.double_encode_path {
        push_encoded_path(out, piece);
    } else {
        // S3 reads a literal `+` in the path as a space, as in a form.
        push_reencoded(out, piece, true, true);
    }
}

/// Whether removing dot segments and empty segments would change `path`.
fn needs_normalizing(path: &[u8]) -> bool {
    let Some(rest) = path.strip_prefix(b"/") else {
        return true;
    };
    let mut segments = rest.split(|&b| b == b'/').peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if segment == b"." || segment == b".." || (segment.is_empty() && !last) {
            return true;
        }
    }
    false
}

/// Appends the canonical URI of `raw_path` (the path as received, percent-encoded).
///
/// With `normalize_path`, `.` and `..` segments and empty segments are removed first, as every
/// service but S3 does (RFC 3986 section 5.2.4 plus collapsing `//`). With `double_encode_path`
/// the received path is encoded once more (`%` becomes `%25`), as every service but S3 does;
/// otherwise it is decoded (a literal `+` being a space, as S3 reads it) and encoded once.
pub(crate) fn push_canonical_path(out: &mut Vec<u8>, raw_path: &str, rules: &Rules) {
    let raw = raw_path.as_bytes();
    if raw.is_empty() {
        out.push(b'/');
        return;
    }
    if !(rules.normalize_path && needs_normalizing(raw)) {
        push_path_piece(out, raw, rules);
        return;
    }
    let mut kept: Vec<&[u8]> = Vec::new();
    for segment in raw.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    let start = out.len();
    if raw.first() == Some(&b'/') {
        out.push(b'/');
    }
    for (i, segment) in kept.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        push_path_piece(out, segment, rules);
    }
    if raw.last() == Some(&b'/') && !kept.is_empty() {
        out.push(b'/');
    }
    if out.len() == start {
        out.push(b'/');
    }
}

/// Whether `s` is already in canonical form: unreserved bytes and uppercase `%XY` escapes of
/// reserved bytes only.
fn is_canonical_component(s: &[u8]) -> bool {
    let mut rest = s;
    while let Some((&b, tail)) = rest.split_first() {
        if is_unreserved(b) {
            rest = tail;
            continue;
        }
        match rest {
            [b'%', hi, lo, ..]
                if is_upper_hex(*hi)
                    && is_upper_hex(*lo)
                    && escape_at(rest).is_some_and(|d| !is_unreserved(d)) =>
            {
                rest = rest.get(3..).unwrap_or_default();
            }
            _ => return false,
        }
    }
    true
}

const fn is_upper_hex(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'A'..=b'F')
}

/// The canonical form of a query key or value: decoded and encoded again. A literal `+` is a plus
/// sign (`%2B`), as AWS's own signers read it; clients send spaces as `%20`.
fn canonical_component(s: &str) -> Cow<'_, str> {
    if is_canonical_component(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len() + 8);
    push_reencoded(&mut out, s.as_bytes(), false, false);
    // Every byte pushed is ASCII.
    Cow::Owned(String::from_utf8(out).unwrap_or_default())
}

/// Appends the canonical query string of `raw_query` (as received, without `?`): pairs split on
/// `&` and the first `=`, empty pairs skipped, keys and values decoded and encoded again, sorted
/// by key and then value. With `skip_signature`, `X-Amz-Signature` is left out (presigned).
pub(crate) fn push_canonical_query(
    out: &mut Vec<u8>,
    raw_query: &str,
    skip_signature: bool,
    max_params: usize,
) -> Result<(), SigError> {
    if raw_query.is_empty() {
        return Ok(());
    }
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        if pairs.len() >= max_params {
            return Err(SigError::LimitExceeded(Limit::QueryParams));
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = canonical_component(key);
        if skip_signature && key == "X-Amz-Signature" {
            continue;
        }
        pairs.push((key, canonical_component(value)));
    }
    pairs.sort_unstable();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
    }
    Ok(())
}

/// `s` percent-encoded as a query key or value (every byte but unreserved ones).
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 16);
    for &b in s.as_bytes() {
        push_encoded(&mut out, b);
    }
    // Every byte pushed is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Percent-decodes a query parameter value (a literal `+` stays a plus); borrows when nothing is
/// escaped.
pub(crate) fn decode_query_value(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if let Some(decoded) = escape_at(rest) {
            out.push(decoded);
            rest = rest.get(3..).unwrap_or_default();
        } else {
            out.push(b);
            rest = tail;
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

const fn hex_lower(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    }
}

/// The lowercase hex of 32 bytes.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = hex_lower(b >> 4);
            *lo = hex_lower(b & 0xf);
        }
    }
    out
}

/// Parses exactly 64 lowercase hex digits.
pub(crate) fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        let digit = |d: u8| match d {
            b'0'..=b'9' => Some(d - b'0'),
            b'a'..=b'f' => Some(d - b'a' + 10),
            _ => None,
        };
        *slot = digit(*hi)? << 4 | digit(*lo)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str, rules: Rules) -> String {
        let mut out = Vec::new();
        push_canonical_path(&mut out, raw, &rules);
        String::from_utf8(out).unwrap()
    }

    fn query(raw: &str, skip: bool) -> String {
        let mut out = Vec::new();
        push_canonical_query(&mut out, raw, skip, 100).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn services_normalize_and_double_encode() {
        let r = Rules::SERVICES;
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/./example", "/example"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/../c/", "/a/c/"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//example//", "/example/"),
            ("/a/./b/.", "/a/b"),
            ("/example%20space/", "/example%2520space/"),
            ("/example space/", "/example%20space/"),
            ("/ሴ", "/%E1%88%B4"),
            (
                "/2015-03-31/functions/arn%3Aaws%3Alambda/invocations",
                "/2015-03-31/functions/arn%253Aaws%253Alambda/invocations",
            ),
            (
                "/test/@connections/JBDvjfGEIAMCERw%3D",
                "/test/%40connections/JBDvjfGEIAMCERw%253D",
            ),
            ("/-._~AZaz09", "/-._~AZaz09"),
            ("/a+b", "/a%2Bb"),
        ] {
            assert_eq!(path(raw, r), want, "{raw}");
        }
    }

    #[test]
    fn s3_keeps_the_path_and_encodes_once() {
        let r = Rules::S3;
        for (raw, want) in [
            ("/", "/"),
            ("//", "//"),
            ("/./", "/./"),
            ("/bucket/a/../b", "/bucket/a/../b"),
            ("/bucket/example%20space", "/bucket/example%20space"),
            ("/bucket/example space", "/bucket/example%20space"),
            ("/bucket/a%2Fb", "/bucket/a%2Fb"),
            ("/bucket/a%2fb", "/bucket/a%2Fb"),
            ("/bucket/a+b", "/bucket/a%20b"),
            ("/bucket/a%2Bb", "/bucket/a%2Bb"),
            ("/libstdc++-docs.rpm", "/libstdc%20%20-docs.rpm"),
            ("/bucket/%7Euser", "/bucket/~user"),
            ("/bucket/100%", "/bucket/100%25"),
            ("/bucket/%zz", "/bucket/%25zz"),
            ("/bucket/ሴ", "/bucket/%E1%88%B4"),
        ] {
            assert_eq!(path(raw, r), want, "{raw}");
        }
    }

    #[test]
    fn canonical_query_sorts_and_reencodes() {
        assert_eq!(query("", false), "");
        assert_eq!(query("b=2&a=1", false), "a=1&b=2");
        assert_eq!(query("a=2&a=1&a=10", false), "a=1&a=10&a=2");
        assert_eq!(
            query("Param2=v&Param1=v&param0=v", false),
            "Param1=v&Param2=v&param0=v"
        );
        assert_eq!(query("k", false), "k=");
        assert_eq!(query("k=", false), "k=");
        assert_eq!(query("a=1&&b=2&", false), "a=1&b=2");
        assert_eq!(query("a=x y", false), "a=x%20y");
        assert_eq!(query("a=x+y", false), "a=x%2By");
        assert_eq!(query("c+d", false), "c%2Bd=");
        assert_eq!(query("a=x%2By", false), "a=x%2By");
        assert_eq!(query("a=x%2by", false), "a=x%2By");
        assert_eq!(query("a=%7E%41", false), "a=~A");
        assert_eq!(query("a=b=c", false), "a=b%3Dc");
        assert_eq!(query("a=%", false), "a=%25");
        assert_eq!(query("ሴ=bar", false), "%E1%88%B4=bar");
        assert_eq!(query("prefix=a/b", false), "prefix=a%2Fb");
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(query("X-Amz-Signature=ab&a=1", true), "a=1");
        assert_eq!(
            query("X-Amz-Signature=ab&a=1", false),
            "X-Amz-Signature=ab&a=1"
        );
    }

    #[test]
    fn canonical_query_is_bounded() {
        let mut out = Vec::new();
        assert_eq!(
            push_canonical_query(&mut out, "a=1&b=2&c=3", false, 2),
            Err(SigError::LimitExceeded(Limit::QueryParams))
        );
    }

    #[test]
    fn already_canonical_components_are_borrowed() {
        assert!(matches!(canonical_component("abc-._~"), Cow::Borrowed(_)));
        assert!(matches!(canonical_component("a%2Fb"), Cow::Borrowed(_)));
        assert!(matches!(canonical_component("a%2fb"), Cow::Owned(_)));
        assert!(matches!(canonical_component("a%41"), Cow::Owned(_)));
        assert!(matches!(canonical_component("a/b"), Cow::Owned(_)));
    }

    #[test]
    fn decodes_query_values() {
        assert_eq!(decode_query_value("host%3Bx-amz-date"), "host;x-amz-date");
        assert_eq!(decode_query_value("a+b%2Bc%20d"), "a+b+c d");
        assert!(matches!(
            decode_query_value("plain"),
            Cow::Borrowed("plain")
        ));
        assert_eq!(decode_query_value("%E1%88%B4"), "ሴ");
        assert_eq!(decode_query_value("%ff"), "\u{fffd}");
    }

    #[test]
    fn hex_round_trip() {
        let bytes: [u8; 32] = std::array::from_fn(|i| (i * 37 % 256) as u8);
        let hex = hex32(&bytes);
        let text = std::str::from_utf8(&hex).unwrap();
        assert_eq!(parse_hex32(text), Some(bytes));
        assert_eq!(parse_hex32(&text.to_uppercase()), None);
        assert_eq!(parse_hex32(&text[1..]), None);
    }
}
