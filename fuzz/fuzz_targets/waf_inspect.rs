//! Any bytes as a raw HTTP request: parsing never panics, and a parsed request goes through the
//! default web ACL without panicking; the SQL injection and XSS detectors and every text
//! transformation take the bytes as a value without panicking either.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mudroom_waf::{Limits, Transform, WebAcl, managed, parse_raw, sqli, xss};

fn acl() -> &'static WebAcl {
    static ACL: OnceLock<WebAcl> = OnceLock::new();
    ACL.get_or_init(|| managed::default_acl().expect("the default ACL parses"))
}

const TRANSFORMS: &[&str] = &[
    "COMPRESS_WHITE_SPACE", "HTML_ENTITY_DECODE", "LOWERCASE", "CMD_LINE", "URL_DECODE",
    "URL_DECODE_UNI", "BASE64_DECODE", "BASE64_DECODE_EXT", "HEX_DECODE", "JS_DECODE",
    "CSS_DECODE", "REMOVE_NULLS", "REPLACE_NULLS", "NORMALIZE_PATH", "NORMALIZE_PATH_WIN",
    "ESCAPE_SEQ_DECODE", "SQL_HEX_DECODE", "UTF8_TO_UNICODE", "REPLACE_COMMENTS",
];

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = parse_raw(data, &Limits::default()) {
        let verdict = acl().evaluate(&req);
        assert!(matches!(verdict.action.name(), "ALLOW" | "BLOCK" | "COUNT"));
    }
    let _ = sqli::is_sqli(data, true);
    let _ = xss::is_xss(data);
    for name in TRANSFORMS {
        if let Ok(t) = Transform::from_name(name) {
            let out = t.apply(data);
            assert!(out.len() <= data.len() * 8 + 16, "{name} grew its input too much");
        }
    }
});
