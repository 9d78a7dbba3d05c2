//! Cross-site scripting detection: an HTML tokenizer that looks at what a browser would run —
//! script-capable tags, event-handler attributes, `javascript:`-style URLs in URL attributes,
//! dangerous attributes — in the three contexts an input can land in (HTML text, inside a
//! quoted attribute, as a URL).
//!
//! Work is linear in the input and capped at [`MAX_INPUT`] bytes.

/// At most this many bytes of one value are inspected.
pub const MAX_INPUT: usize = 32 * 1024;

const SCRIPT_TAGS: &[&str] = &[
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta", "link",
    "style", "svg", "math", "import", "isindex", "xss", "vmlframe", "animate", "set", "handler",
    "listener", "template", "portal", "noscript",
];

const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "lowsrc",
    "dynsrc",
    "codebase",
    "code",
    "classid",
    "from",
    "to",
    "values",
    "by",
    "folder",
    "content",
    "srcset",
    "ping",
    "archive",
    "longdesc",
    "usemap",
    "xmlns",
    "cite",
    "manifest",
    "icon",
];

const BAD_SCHEMES: &[&str] = &[
    "javascript:",
    "vbscript:",
    "livescript:",
    "data:text/html",
    "data:image/svg",
    "data:application",
    "mocha:",
    "jar:",
];

fn lower_clean(s: &[u8]) -> Vec<u8> {
    s.iter()
        .filter(|&&b| b != 0)
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// Whether a URL value (already lowercased) uses a scheme that runs code. Browsers ignore
/// whitespace and control characters inside the scheme.
fn bad_url(v: &[u8]) -> bool {
    let squeezed: Vec<u8> = v
        .iter()
        .copied()
        .skip_while(|&b| b <= b' ' || b == b'"' || b == b'\'' || b == b'`')
        .filter(|&b| b > b' ')
        .take(32)
        .collect();
    BAD_SCHEMES
        .iter()
        .any(|s| squeezed.starts_with(s.as_bytes()))
}

fn is_name_byte(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'>' | b'=' | b'<'
    ) && b != 0
}

/// Whether an attribute (name lowercased, value lowercased) is dangerous.
fn bad_attr(name: &[u8], value: Option<&[u8]>) -> bool {
    let n = String::from_utf8_lossy(name);
    let n = n.trim_start_matches(['"', '\'', '`', '/']);
    if value.is_some()
        && n.len() > 2
        && n.starts_with("on")
        && n.bytes().skip(2).all(|b| b.is_ascii_alphabetic())
    {
        return true;
    }
    if matches!(n, "srcdoc" | "fscommand" | "seeksegmenttime") {
        return true;
    }
    let Some(v) = value else { return false };
    if URL_ATTRS.contains(&n) && bad_url(v) {
        return true;
    }
    if n == "style" || n == "attributename" {
        let vs = String::from_utf8_lossy(v);
        let squeezed: String = vs.chars().filter(|c| !c.is_whitespace()).collect();
        return squeezed.contains("expression(")
            || squeezed.contains("javascript:")
            || squeezed.contains("behavior:")
            || squeezed.contains("-moz-binding")
            || squeezed.contains("@import")
            || vs.contains("onload")
            || vs.contains("href");
    }
    false
}

/// Parses attributes from `s` (just after a tag name) until `>` or the end; true when one is
/// dangerous.
fn attrs_bad(s: &[u8]) -> bool {
    let mut i = 0;
    let mut seen = 0;
    while i < s.len() && seen < 256 {
        seen += 1;
        while s
            .get(i)
            .is_some_and(|&b| b <= b' ' || b == b'/' || b == b'"' || b == b'\'')
        {
            i += 1;
        }
        match s.get(i) {
            None | Some(b'>') => return false,
            _ => {}
        }
        let start = i;
        while s.get(i).is_some_and(|&b| is_name_byte(b)) {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let name = s.get(start..i).unwrap_or(&[]);
        let mut j = i;
        while s.get(j).is_some_and(|&b| b <= b' ') {
            j += 1;
        }
        let value = if s.get(j) == Some(&b'=') {
            j += 1;
            while s.get(j).is_some_and(|&b| b <= b' ') {
                j += 1;
            }
            let (v, end) = match s.get(j) {
                Some(&q @ (b'"' | b'\'' | b'`')) => {
                    let rest = s.get(j + 1..).unwrap_or(&[]);
                    let e = rest.iter().position(|&b| b == q).unwrap_or(rest.len());
                    (rest.get(..e).unwrap_or(&[]), j + 1 + e + 1)
                }
                _ => {
                    let rest = s.get(j..).unwrap_or(&[]);
                    let e = rest
                        .iter()
                        .position(|&b| b <= b' ' || b == b'>')
                        .unwrap_or(rest.len());
                    (rest.get(..e).unwrap_or(&[]), j + e)
                }
            };
            i = end;
            Some(v)
        } else {
            None
        };
        if bad_attr(name, value) {
            return true;
        }
    }
    false
}

/// Whether `input` looks like XSS.
pub fn is_xss(input: &[u8]) -> bool {
    let input = input.get(..input.len().min(MAX_INPUT)).unwrap_or(input);
    let s = lower_clean(input);
    // URL context: the whole value is a link.
    if bad_url(&s) {
        return true;
    }
    // Attribute context: `" onmouseover=...` or `' style=...` breaks out of a quoted value.
    for (i, &b) in s.iter().enumerate() {
        if matches!(b, b'"' | b'\'' | b'`') && attrs_bad(s.get(i + 1..).unwrap_or(&[])) {
            return true;
        }
    }
    // HTML context: tags.
    let mut i = 0;
    while let Some(p) = s.get(i..).and_then(|r| r.iter().position(|&b| b == b'<')) {
        let at = i + p + 1;
        let rest = s.get(at..).unwrap_or(&[]);
        let mut k = 0;
        if rest.first() == Some(&b'/') {
            k = 1;
        }
        if rest.get(k..k + 3) == Some(b"!--") || rest.get(k..k + 8) == Some(b"![cdata[") {
            // Comments and CDATA hide tags from filters; IE's conditional comments run them.
            if rest
                .get(k + 3..)
                .is_some_and(|r| r.starts_with(b"[if") || r.starts_with(b">"))
            {
                return true;
            }
        }
        let name_len = rest
            .get(k..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b':' || b == b'-' || b == b'_')
            .count();
        if name_len > 0 && rest.get(k).is_some_and(u8::is_ascii_alphabetic) {
            let name = String::from_utf8_lossy(rest.get(k..k + name_len).unwrap_or(&[]));
            let local = name.rsplit(':').next().unwrap_or("");
            if SCRIPT_TAGS.contains(&local) && k == 0 {
                return true;
            }
            // IE data islands: `<xml src=...>` loads markup that data bindings render.
            let tag_end = rest.iter().position(|&b| b == b'>').unwrap_or(rest.len());
            let inside = rest.get(..tag_end).unwrap_or(&[]);
            if local == "xml" && k == 0 && inside.windows(4).any(|w| w == b"src=") {
                return true;
            }
            if attrs_bad(rest.get(k + name_len..).unwrap_or(&[])) {
                return true;
            }
        }
        i = at;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_vectors() {
        for s in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<IMG SRC=\"jav\tascript:alert('XSS');\">",
            "<a href='javascript:alert(1)'>x</a>",
            "\" onmouseover=\"alert(1)",
            "' autofocus onfocus=alert(1) x='",
            "<svg/onload=alert(1)>",
            "javascript:alert(document.cookie)",
            "<iframe src=//evil>",
            "<div style=\"width: expression(alert(1))\">",
            "<body onload=alert(1)>",
            "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">",
            "<ScRiPt>",
            "<details open ontoggle=alert(1)>",
        ] {
            assert!(is_xss(s.as_bytes()), "missed `{s}`");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "hello <b>world</b>",
            "a < b and c > d",
            "<a href=\"https://example.com\">link</a>",
            "the onion router",
            "x=1&y=2",
            "<p class=\"note\">ok</p>",
            "it's \"quoted\" text",
            "",
        ] {
            assert!(!is_xss(s.as_bytes()), "false positive on `{s}`");
        }
    }
}
