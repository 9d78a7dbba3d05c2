//! Any bytes as a request file: reading never panics, and what reads evaluates with the same
//! decision on the fast path and the explaining path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mudroom_policy::request::RequestFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = RequestFile::parse(text) {
        assert_eq!(file.decide(), file.explain().decision);
    }
});
