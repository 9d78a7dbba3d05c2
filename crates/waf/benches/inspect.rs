//! One inspection with the default ACL: parse a raw request and evaluate it. Uses the CRS v4
//! corpus from the shared data when present (`MUDROOM_SHARED` or `../shared`), else a small
//! built-in mix of benign requests and attacks.
#![expect(
    clippy::expect_used,
    reason = "a benchmark with a broken fixture must stop"
)]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::hint::black_box;
use std::io::BufRead as _;
use std::path::PathBuf;

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use mudroom_waf::{Limits, managed, parse_raw};

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::env::var("MUDROOM_SHARED").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    let path = dir.join("corpora/waf/crs-v4-requests.jsonl.gz");
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "CRS corpus not found at `{}`: using built-in requests",
            path.display()
        );
        return vec![
            b"GET /api/items?page=2&sort=name HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: application/json\r\n\r\n".to_vec(),
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\nuser=admin'--&password=abc".to_vec(),
            b"GET /?q=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ];
    };
    std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l.expect("read")).expect("json");
            base64::engine::general_purpose::STANDARD
                .decode(
                    v.get("request_b64")
                        .and_then(serde_json::Value::as_str)
                        .expect("request_b64"),
                )
                .expect("base64")
        })
        .collect()
}

fn inspect(c: &mut Criterion) {
    let acl = managed::default_acl().expect("default ACL");
    let limits = Limits::default();
    let requests = corpus();
    let benign = b"GET /api/items?page=2&sort=name HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: application/json\r\nCookie: session=abc123; theme=dark\r\n\r\n";
    c.bench_function("default_acl_benign_request", |b| {
        b.iter(|| {
            let req = parse_raw(black_box(benign), &limits).expect("parse");
            black_box(acl.evaluate(&req))
        });
    });
    let mut i = 0;
    c.bench_function("default_acl_crs_corpus_request", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            let raw = requests.get(i).map_or(&[][..], Vec::as_slice);
            match parse_raw(black_box(raw), &limits) {
                Ok(req) => Some(black_box(acl.evaluate(&req))),
                Err(_) => None,
            }
        });
    });
}

criterion_group!(benches, inspect);
criterion_main!(benches);
