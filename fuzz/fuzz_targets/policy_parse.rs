//! Any bytes: parsing never panics, and what parses compiles, lints and round-trips its
//! verdict through JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mudroom_policy::{CompiledPolicy, ParseOptions, PolicyKind, parse_policy, policy_from_value};

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Boundary,
    PolicyKind::Session,
    PolicyKind::Scp,
    PolicyKind::Rcp,
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = KINDS[usize::from(first) % KINDS.len()];
    let options = ParseOptions::unlimited(kind);
    let parsed = parse_policy(text, options);
    let _ = mudroom_policy::lint::lint_text(text, options);
    if let Ok(policy) = parsed {
        let _ = CompiledPolicy::new("fuzz", kind, &policy);
        // The same document read as a JSON value gets the same verdict.
        let value: serde_json::Value = serde_json::from_str(text).expect("parsed once already");
        assert!(policy_from_value(&value, options).is_ok());
    }
});
