//! No input makes the parser, the transformations or the detectors panic.

use std::sync::OnceLock;

use mudroom_waf::{Limits, Transform, WebAcl, managed, parse_raw, sqli, xss};
use proptest::prelude::*;

const ALL: &[&str] = &[
    "COMPRESS_WHITE_SPACE",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
    "CMD_LINE",
    "URL_DECODE",
    "URL_DECODE_UNI",
    "BASE64_DECODE",
    "BASE64_DECODE_EXT",
    "HEX_DECODE",
    "JS_DECODE",
    "CSS_DECODE",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "ESCAPE_SEQ_DECODE",
    "SQL_HEX_DECODE",
    "UTF8_TO_UNICODE",
    "REPLACE_COMMENTS",
];

fn default_acl() -> Option<&'static WebAcl> {
    static ACL: OnceLock<Option<WebAcl>> = OnceLock::new();
    ACL.get_or_init(|| managed::default_acl().ok()).as_ref()
}

fn interesting() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "GET ",
        "POST ",
        "/",
        "?",
        "&",
        "=",
        "%",
        "%2",
        "%u00",
        "\\x",
        "\\u",
        "\\",
        "&#x",
        "&#",
        "&lt;",
        "<",
        ">",
        "'",
        "\"",
        "`",
        "/*",
        "*/",
        "--",
        "#",
        ";",
        "(",
        ")",
        "union",
        "select",
        "or",
        "1",
        " ",
        "\r\n",
        "\n",
        "Host: h",
        "Content-Length: 5",
        "Transfer-Encoding: chunked",
        "\r\n\r\n",
        "0x",
        "script",
        "onerror=",
        "javascript:",
        "../",
        "${",
        "}",
        "\0",
        "\u{e9}",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn transformations_and_detectors_never_panic(input in prop::collection::vec(any::<u8>(), 0..300), structured in interesting()) {
        for data in [&input, &structured] {
            for name in ALL {
                if let Ok(t) = Transform::from_name(name) {
                    let _ = t.apply(data);
                }
            }
            let _ = sqli::is_sqli(data, true);
            let _ = xss::is_xss(data);
        }
    }

    #[test]
    fn parser_and_default_acl_never_panic(raw in interesting(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let acl = default_acl();
        prop_assert!(acl.is_some());
        if let Some(acl) = acl {
            for data in [&raw, &bytes] {
                if let Ok(req) = parse_raw(data, &Limits::default()) {
                    let _ = acl.evaluate(&req);
                }
            }
        }
    }
}
