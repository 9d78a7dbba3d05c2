//! Any text as a manifest: validation never panics, every diagnostic has a location inside the
//! text, and every route that parses displays as text that parses to the same route and
//! matches requests without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mudroom_manifest::{Manifest, RoutePattern};

fuzz_target!(|text: &str| {
    // an app directory that does not exist: no file is read, paths are reported unreadable
    if let Err(e) = Manifest::parse(text, "/nonexistent/mudroom-fuzz-app") {
        let lines = text.split('\n').count();
        for d in &e.diagnostics {
            if let Some(at) = d.location {
                assert!(at.line >= 1 && at.line <= lines && at.column >= 1, "{d}");
            }
        }
    }
    for line in text.lines() {
        if let Ok(route) = RoutePattern::parse(line) {
            let again = RoutePattern::parse(&route.to_string()).expect("displayed route parses");
            assert_eq!(again, route);
            let path = line.split_once(' ').map_or(line, |(_, p)| p);
            let _ = route.matches("GET", path);
            let _ = route.precedence(&again);
        }
    }
});
