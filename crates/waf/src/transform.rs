//! WAFv2 text transformations, applied in priority order before a statement inspects a field.
//!
//! Every transformation is linear in its input and never grows it by more than a small constant
//! factor; [`apply_all`] truncates the result to a fixed bound.

use base64::Engine as _;

use crate::request::{hex_val, percent_decode};

/// The most bytes a transformation chain may produce.
pub const MAX_TRANSFORMED: usize = 256 * 1024;

/// A WAFv2 text transformation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// `NONE`
    None,
    /// `COMPRESS_WHITE_SPACE`
    CompressWhiteSpace,
    /// `HTML_ENTITY_DECODE`
    HtmlEntityDecode,
    /// `LOWERCASE`
    Lowercase,
    /// `CMD_LINE`
    CmdLine,
    /// `URL_DECODE`
    UrlDecode,
    /// `URL_DECODE_UNI`
    UrlDecodeUni,
    /// `BASE64_DECODE`
    Base64Decode,
    /// `BASE64_DECODE_EXT`
    Base64DecodeExt,
    /// `HEX_DECODE`
    HexDecode,
    /// `JS_DECODE`
    JsDecode,
    /// `CSS_DECODE`
    CssDecode,
    /// `REMOVE_NULLS`
    RemoveNulls,
    /// `REPLACE_NULLS`
    ReplaceNulls,
    /// `NORMALIZE_PATH`
    NormalizePath,
    /// `NORMALIZE_PATH_WIN`
    NormalizePathWin,
    /// `ESCAPE_SEQ_DECODE`
    EscapeSeqDecode,
    /// `SQL_HEX_DECODE`
    SqlHexDecode,
    /// `UTF8_TO_UNICODE`
    Utf8ToUnicode,
    /// `REPLACE_COMMENTS`
    ReplaceComments,
}

impl Transform {
    /// The transformation named `name` (its WAFv2 `Type`), or the reason it is refused.
    ///
    /// # Errors
    /// A reason when the name is unknown or unsupported (`MD5`).
    pub fn from_name(name: &str) -> Result<Transform, String> {
        Ok(match name {
            "NONE" => Transform::None,
            "COMPRESS_WHITE_SPACE" => Transform::CompressWhiteSpace,
            "HTML_ENTITY_DECODE" => Transform::HtmlEntityDecode,
            "LOWERCASE" => Transform::Lowercase,
            "CMD_LINE" => Transform::CmdLine,
            "URL_DECODE" => Transform::UrlDecode,
            "URL_DECODE_UNI" => Transform::UrlDecodeUni,
            "BASE64_DECODE" => Transform::Base64Decode,
            "BASE64_DECODE_EXT" => Transform::Base64DecodeExt,
            "HEX_DECODE" => Transform::HexDecode,
            "JS_DECODE" => Transform::JsDecode,
            "CSS_DECODE" => Transform::CssDecode,
            "REMOVE_NULLS" => Transform::RemoveNulls,
            "REPLACE_NULLS" => Transform::ReplaceNulls,
            "NORMALIZE_PATH" => Transform::NormalizePath,
            "NORMALIZE_PATH_WIN" => Transform::NormalizePathWin,
            "ESCAPE_SEQ_DECODE" => Transform::EscapeSeqDecode,
            "SQL_HEX_DECODE" => Transform::SqlHexDecode,
            "UTF8_TO_UNICODE" => Transform::Utf8ToUnicode,
            "REPLACE_COMMENTS" => Transform::ReplaceComments,
            "MD5" => return Err("text transformation `MD5` is not supported".to_owned()),
            other => return Err(format!("unknown text transformation `{other}`")),
        })
    }

    /// Applies the transformation.
    pub fn apply(self, s: &[u8]) -> Vec<u8> {
        match self {
            Transform::None => s.to_vec(),
            Transform::CompressWhiteSpace => compress_ws(s),
            Transform::HtmlEntityDecode => html_entity_decode(s),
            Transform::Lowercase => s.to_ascii_lowercase(),
            Transform::CmdLine => cmd_line(s),
            Transform::UrlDecode => percent_decode(s),
            Transform::UrlDecodeUni => url_decode_uni(s),
            Transform::Base64Decode => base64_decode(s, false),
            Transform::Base64DecodeExt => base64_decode(s, true),
            Transform::HexDecode => hex_decode(s),
            Transform::JsDecode => js_decode(s),
            Transform::CssDecode => css_decode(s),
            Transform::RemoveNulls => s.iter().copied().filter(|&b| b != 0).collect(),
            Transform::ReplaceNulls => s.iter().map(|&b| if b == 0 { b' ' } else { b }).collect(),
            Transform::NormalizePath => normalize_path(s),
            Transform::NormalizePathWin => {
                let s: Vec<u8> = s
                    .iter()
                    .map(|&b| if b == b'\\' { b'/' } else { b })
                    .collect();
                normalize_path(&s)
            }
            Transform::EscapeSeqDecode => escape_seq_decode(s),
            Transform::SqlHexDecode => sql_hex_decode(s),
            Transform::Utf8ToUnicode => utf8_to_unicode(s),
            Transform::ReplaceComments => replace_comments(s),
        }
    }
}

impl Transform {
    /// Whether the transformation can change `s`: a cheap scan that spares an allocation
    /// when it cannot.
    fn may_change(self, s: &[u8]) -> bool {
        let has = |c: u8| s.contains(&c);
        match self {
            Transform::None => false,
            Transform::Lowercase => s.iter().any(u8::is_ascii_uppercase),
            Transform::UrlDecode | Transform::UrlDecodeUni => has(b'%') || has(b'+'),
            Transform::HtmlEntityDecode => has(b'&'),
            Transform::JsDecode | Transform::CssDecode | Transform::EscapeSeqDecode => has(b'\\'),
            Transform::RemoveNulls | Transform::ReplaceNulls => has(0),
            Transform::ReplaceComments => s.windows(2).any(|w| w == b"/*"),
            Transform::SqlHexDecode => has(b'0'),
            Transform::Utf8ToUnicode => s.iter().any(|b| !b.is_ascii()),
            Transform::CompressWhiteSpace => {
                s.iter().any(|&b| is_ws(b) && b != b' ') || s.windows(2).any(|w| w == b"  ")
            }
            _ => true,
        }
    }
}

/// Applies `chain` in order to `s`, truncating every step to [`MAX_TRANSFORMED`] bytes.
pub fn apply_all(chain: &[Transform], s: &[u8]) -> Vec<u8> {
    let mut cur = s.get(..s.len().min(MAX_TRANSFORMED)).unwrap_or(s).to_vec();
    for t in chain {
        if !t.may_change(&cur) {
            continue;
        }
        cur = t.apply(&cur);
        cur.truncate(MAX_TRANSFORMED);
    }
    cur
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0)
}

fn compress_ws(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut in_ws = false;
    for &b in s {
        if is_ws(b) {
            if !in_ws {
                out.push(b' ');
            }
            in_ws = true;
        } else {
            out.push(b);
            in_ws = false;
        }
    }
    out
}

fn push_char(out: &mut Vec<u8>, c: u32) {
    match char::from_u32(c) {
        Some(ch) if c < 0x80 => out.push(ch as u8),
        Some(ch) => {
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        None => out.push(b'?'),
    }
}

fn html_entity_decode(s: &[u8]) -> Vec<u8> {
    const NAMED: &[(&[u8], u8)] = &[
        (b"quot", b'"'),
        (b"amp", b'&'),
        (b"lt", b'<'),
        (b"gt", b'>'),
        (b"nbsp", 0xa0),
        (b"apos", b'\''),
        (b"colon", b':'),
        (b"lpar", b'('),
        (b"rpar", b')'),
        (b"tab", b'\t'),
        (b"newline", b'\n'),
        (b"sol", b'/'),
        (b"bsol", b'\\'),
        (b"semi", b';'),
        (b"equals", b'='),
        (b"grave", b'`'),
        (b"period", b'.'),
        (b"comma", b','),
    ];
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b != b'&' {
            out.push(b);
            i += 1;
            continue;
        }
        let rest = s.get(i + 1..).unwrap_or(&[]);
        if let Some(num) = rest.strip_prefix(b"#") {
            let (hex, digits) = match num.first() {
                Some(b'x' | b'X') => (true, num.get(1..).unwrap_or(&[])),
                _ => (false, num),
            };
            let n = digits
                .iter()
                .take_while(|d| {
                    if hex {
                        d.is_ascii_hexdigit()
                    } else {
                        d.is_ascii_digit()
                    }
                })
                .count()
                .min(8);
            if n > 0 {
                let text = std::str::from_utf8(digits.get(..n).unwrap_or(&[])).unwrap_or("0");
                let v = u32::from_str_radix(text, if hex { 16 } else { 10 }).unwrap_or(0xfffd);
                push_char(&mut out, v);
                let mut consumed = 1 + 1 + usize::from(hex) + n;
                if s.get(i + consumed) == Some(&b';') {
                    consumed += 1;
                }
                i += consumed;
                continue;
            }
        } else {
            let name_len = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
            let name = rest.get(..name_len).unwrap_or(&[]).to_ascii_lowercase();
            if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == name.as_slice()) {
                out.push(*c);
                i += 1 + name_len;
                if s.get(i) == Some(&b';') {
                    i += 1;
                }
                continue;
            }
        }
        out.push(b'&');
        i += 1;
    }
    out
}

fn cmd_line(s: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut in_ws = false;
    for &b in s {
        match b {
            b'\\' | b'"' | b'\'' | b'^' => {}
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b';' => {
                if !in_ws {
                    out.push(b' ');
                }
                in_ws = true;
            }
            b'/' | b'(' => {
                while out.last() == Some(&b' ') {
                    out.pop();
                }
                out.push(b);
                in_ws = false;
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                in_ws = false;
            }
        }
    }
    out
}

fn url_decode_uni(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' && matches!(s.get(i + 1), Some(b'u' | b'U')) {
            let hex = s.get(i + 2..i + 6).unwrap_or(&[]);
            if hex.len() == 4 && hex.iter().all(u8::is_ascii_hexdigit) {
                let v = hex
                    .iter()
                    .fold(0u32, |a, &h| a << 4 | u32::from(hex_val(h).unwrap_or(0)));
                // Full-width ASCII maps to ASCII, as IIS does.
                let v = if (0xff01..=0xff5e).contains(&v) {
                    v - 0xfee0
                } else {
                    v
                };
                if v < 0x100 {
                    out.push(v as u8);
                } else {
                    out.push((v & 0xff) as u8);
                }
                i += 6;
                continue;
            }
        }
        if b == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).and_then(|&c| hex_val(c)),
                s.get(i + 2).and_then(|&c| hex_val(c)),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

fn base64_decode(s: &[u8], ext: bool) -> Vec<u8> {
    let cleaned: Vec<u8> = s
        .iter()
        .copied()
        .filter(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'/' | b'-' | b'_')
                || (!ext && *b == b'=')
        })
        .map(|b| match b {
            b'-' => b'+',
            b'_' => b'/',
            other => other,
        })
        .filter(|&b| b != b'=')
        .collect();
    let usable = cleaned.len() - cleaned.len() % 4
        + if cleaned.len() % 4 >= 2 {
            cleaned.len() % 4
        } else {
            0
        };
    let cleaned = cleaned.get(..usable).unwrap_or(&cleaned);
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cleaned)
        .unwrap_or_else(|_| s.to_vec())
}

fn hex_decode(s: &[u8]) -> Vec<u8> {
    if !s.len().is_multiple_of(2) || !s.iter().all(u8::is_ascii_hexdigit) {
        return s.to_vec();
    }
    s.chunks(2)
        .map(|c| match c {
            [h, l] => hex_val(*h).unwrap_or(0) << 4 | hex_val(*l).unwrap_or(0),
            _ => 0,
        })
        .collect()
}

fn hex_run(s: &[u8], from: usize, max: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut n = 0;
    while n < max {
        match s.get(from + n).and_then(|&c| hex_val(c)) {
            Some(d) => {
                v = v << 4 | u32::from(d);
                n += 1;
            }
            None => break,
        }
    }
    (v, n)
}

fn js_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        match s.get(i + 1) {
            Some(b'x') => {
                let (v, n) = hex_run(s, i + 2, 2);
                if n == 2 {
                    push_char(&mut out, v);
                    i += 4;
                } else {
                    out.push(b'x');
                    i += 2;
                }
            }
            Some(b'u') => {
                let (v, n) = hex_run(s, i + 2, 4);
                if n == 4 {
                    let v = if (0xff01..=0xff5e).contains(&v) {
                        v - 0xfee0
                    } else {
                        v
                    };
                    push_char(&mut out, v);
                    i += 6;
                } else {
                    out.push(b'u');
                    i += 2;
                }
            }
            Some(c @ b'0'..=b'7') => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 {
                    match s.get(i + 1 + n) {
                        Some(d @ b'0'..=b'7') if v * 8 + u32::from(d - b'0') < 256 => {
                            v = v * 8 + u32::from(d - b'0');
                            n += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
                i += 1 + n;
            }
            Some(c) => {
                out.push(match c {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'v' => 0x0b,
                    other => *other,
                });
                i += 2;
            }
            None => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    out
}

fn css_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let (v, n) = hex_run(s, i + 1, 6);
        if n > 0 {
            push_char(&mut out, if v == 0 { 0xfffd } else { v });
            i += 1 + n;
            if s.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
        } else {
            match s.get(i + 1) {
                Some(b'\n') => i += 2,
                Some(&c) => {
                    out.push(c);
                    i += 2;
                }
                None => i += 1,
            }
        }
    }
    out
}

fn normalize_path(s: &[u8]) -> Vec<u8> {
    let absolute = s.first() == Some(&b'/');
    let trailing = s.last() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for seg in s.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|p| *p != b"..") {
                    parts.pop();
                } else if !absolute {
                    parts.push(seg);
                }
            }
            _ => parts.push(seg),
        }
    }
    let mut out = Vec::with_capacity(s.len());
    if absolute {
        out.push(b'/');
    }
    out.extend_from_slice(&parts.join(&b'/'));
    if trailing && out.last() != Some(&b'/') {
        out.push(b'/');
    }
    out
}

fn escape_seq_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        match s.get(i + 1) {
            Some(b'x' | b'X') => {
                let (v, n) = hex_run(s, i + 2, 2);
                if n > 0 {
                    out.push(v as u8);
                    i += 2 + n;
                } else {
                    out.extend_from_slice(s.get(i..i + 2).unwrap_or(&[]));
                    i += 2;
                }
            }
            Some(c @ b'0'..=b'7') => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 {
                    match s.get(i + 1 + n) {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            n += 1;
                        }
                        _ => break,
                    }
                }
                out.push((v & 0xff) as u8);
                i += 1 + n;
            }
            Some(&c) => {
                let d = match c {
                    b'a' => Some(0x07),
                    b'b' => Some(0x08),
                    b'f' => Some(0x0c),
                    b'n' => Some(b'\n'),
                    b'r' => Some(b'\r'),
                    b't' => Some(b'\t'),
                    b'v' => Some(0x0b),
                    b'\\' | b'?' | b'\'' | b'"' => Some(c),
                    _ => None,
                };
                match d {
                    Some(d) => out.push(d),
                    None => {
                        out.push(b'\\');
                        out.push(c);
                    }
                }
                i += 2;
            }
            None => {
                out.push(b'\\');
                i += 1;
            }
        }
    }
    out
}

fn sql_hex_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'0' && matches!(s.get(i + 1), Some(b'x' | b'X')) {
            let digits = s
                .get(i + 2..)
                .unwrap_or(&[])
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if digits >= 2 && digits.is_multiple_of(2) {
                let hex = s.get(i + 2..i + 2 + digits).unwrap_or(&[]);
                out.extend(hex_decode(hex));
                i += 2 + digits;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn utf8_to_unicode(s: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(s);
    let mut out = Vec::with_capacity(s.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c as u8);
        } else {
            out.extend_from_slice(format!("%u{:04x}", u32::from(c)).as_bytes());
        }
    }
    out
}

fn replace_comments(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'/' && s.get(i + 1) == Some(&b'*') {
            out.push(b' ');
            match s
                .get(i + 2..)
                .and_then(|r| r.windows(2).position(|w| w == b"*/"))
            {
                Some(p) => i += 2 + p + 2,
                None => return out,
            }
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, input: &str) -> String {
        String::from_utf8_lossy(&Transform::from_name(name).unwrap().apply(input.as_bytes()))
            .into_owned()
    }

    #[test]
    fn each_transformation() {
        assert_eq!(t("NONE", "A b"), "A b");
        assert_eq!(t("COMPRESS_WHITE_SPACE", "a \t\n b"), "a b");
        assert_eq!(
            t("HTML_ENTITY_DECODE", "&lt;a&#x3e;&#60&quot;&bogus;"),
            "<a><\"&bogus;"
        );
        assert_eq!(t("LOWERCASE", "SeLeCT"), "select");
        assert_eq!(
            t("CMD_LINE", "C^at \"/etc\"/passwd ,;ls"),
            "cat/etc/passwd ls"
        );
        assert_eq!(t("URL_DECODE", "%3Cscript%3e+x%zz"), "<script> x%zz");
        assert_eq!(t("URL_DECODE_UNI", "%u003c%uFF1C%41"), "<<A");
        assert_eq!(t("BASE64_DECODE", "PHNjcmlwdD4="), "<script>");
        assert_eq!(t("BASE64_DECODE_EXT", "PHNjc mlwdD4"), "<script>");
        assert_eq!(t("HEX_DECODE", "3c62"), "<b");
        assert_eq!(t("HEX_DECODE", "3c6"), "3c6");
        assert_eq!(t("JS_DECODE", r"\x3c\u0061\101\n"), "<aA\n");
        assert_eq!(t("CSS_DECODE", r"\6a \61vascript"), "javascript");
        assert_eq!(t("REMOVE_NULLS", "a\0b"), "ab");
        assert_eq!(t("REPLACE_NULLS", "a\0b"), "a b");
        assert_eq!(t("NORMALIZE_PATH", "/a//b/./c/../d/"), "/a/b/d/");
        assert_eq!(t("NORMALIZE_PATH", "/../../etc/passwd"), "/etc/passwd");
        assert_eq!(t("NORMALIZE_PATH_WIN", r"\a\..\b"), "/b");
        assert_eq!(t("ESCAPE_SEQ_DECODE", r"\x41\101\n\q"), "AA\n\\q");
        assert_eq!(t("SQL_HEX_DECODE", "select 0x414243"), "select ABC");
        assert_eq!(t("UTF8_TO_UNICODE", "aé"), "a%u00e9");
        assert_eq!(t("REPLACE_COMMENTS", "un/**/ion/* x"), "un ion ");
    }

    #[test]
    fn md5_and_unknown_are_refused() {
        assert!(
            Transform::from_name("MD5")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            Transform::from_name("ROT13")
                .unwrap_err()
                .contains("unknown")
        );
    }

    #[test]
    fn chains_apply_in_order() {
        let chain = [
            Transform::UrlDecode,
            Transform::HtmlEntityDecode,
            Transform::Lowercase,
        ];
        assert_eq!(apply_all(&chain, b"%26lt%3BSCRIPT"), b"<script");
    }
}
