//! Replays the shared WAF corpora through the default ACL and prints the block rate per label
//! beside the peer's (nginx + ModSecurity v3 + OWASP CRS v4 at paranoia level 1). The floors
//! and ceilings below sit at or just under what mudroom achieves, so a regression fails.
//!
//! Skips (with a message) when the shared data is absent. Set `MUDROOM_SHARED` to its path when
//! the repository is not checked out beside it.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;

use base64::Engine as _;
use mudroom_waf::{Limits, Request, managed, parse_raw, unparseable_verdict};

fn shared() -> Option<PathBuf> {
    let dir = std::env::var("MUDROOM_SHARED").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    );
    let corpora = dir.join("corpora/waf");
    if corpora.is_dir() {
        Some(corpora)
    } else {
        eprintln!(
            "skipping: WAF corpora not found at `{}` (set MUDROOM_SHARED)",
            corpora.display()
        );
        None
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    blocked: usize,
    peer_blocked: usize,
}

impl Tally {
    fn rate(&self) -> f64 {
        100.0 * self.blocked as f64 / self.total.max(1) as f64
    }
    fn peer_rate(&self) -> f64 {
        100.0 * self.peer_blocked as f64 / self.total.max(1) as f64
    }
}

#[test]
fn crs_v4_regression_requests() {
    let Some(dir) = shared() else { return };
    let acl = managed::default_acl().unwrap();
    let limits = Limits::default();
    let file = std::fs::File::open(dir.join("crs-v4-requests.jsonl.gz")).unwrap();
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for line in reader.lines() {
        let line = line.unwrap();
        let row: serde_json::Value = serde_json::from_str(&line).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(row["request_b64"].as_str().unwrap())
            .unwrap();
        let verdict = match parse_raw(&raw, &limits) {
            Ok(req) => acl.evaluate(&req),
            Err(_) => unparseable_verdict(),
        };
        let t = tallies
            .entry(row["label"].as_str().unwrap().to_owned())
            .or_default();
        t.total += 1;
        t.blocked += usize::from(verdict.action.name() == "BLOCK");
        t.peer_blocked += usize::from(row["peer_status"].as_i64() == Some(403));
    }
    eprintln!("CRS v4 regression corpus: label, mudroom blocked, peer blocked");
    for (label, t) in &tallies {
        eprintln!(
            "  {label:<22} {:>6.1}%  {:>6.1}%  (n = {})",
            t.rate(),
            t.peer_rate(),
            t.total
        );
    }
    assert_eq!(tallies.values().map(|t| t.total).sum::<usize>(), 4914);
    let critical = tallies["attack_pl1_critical"].rate();
    let negative = tallies["negative"].rate();
    assert!(
        critical >= CRS_CRITICAL_FLOOR,
        "attack_pl1_critical blocked {critical:.1}%"
    );
    assert!(
        negative <= CRS_NEGATIVE_CEILING,
        "negative blocked {negative:.1}%"
    );
}

const CRS_CRITICAL_FLOOR: f64 = 90.5;
const CRS_NEGATIVE_CEILING: f64 = 15.0;

/// Splits one CSV record (RFC 4180 quoting).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn httpparams_payloads() {
    let Some(dir) = shared() else { return };
    let acl = managed::default_acl().unwrap();
    let limits = Limits::default();
    let text = std::fs::read_to_string(dir.join("httpparams-payload_full.csv")).unwrap();
    // Records may span lines inside quotes: join until the quotes balance.
    let mut records = Vec::new();
    let mut pending = String::new();
    for line in text.lines().skip(1) {
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if pending.matches('"').count().is_multiple_of(2) {
            records.push(csv_fields(&std::mem::take(&mut pending)));
        }
    }
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for r in &records {
        let (payload, kind) = (&r[0], &r[2]);
        let req = Request::from_parts(
            "GET",
            &format!("/?q={}", url_encode(payload)),
            vec![
                ("Host".to_owned(), "localhost".to_owned()),
                ("User-Agent".to_owned(), "Mozilla/5.0".to_owned()),
            ],
            b"",
            &limits,
        );
        let t = tallies.entry(kind.clone()).or_default();
        t.total += 1;
        t.blocked += usize::from(acl.evaluate(&req).action.name() == "BLOCK");
    }
    eprintln!("HttpParams: attack type, mudroom blocked (peer: README figures)");
    for (kind, t) in &tallies {
        eprintln!("  {kind:<16} {:>7.2}%  (n = {})", t.rate(), t.total);
    }
    assert_eq!(tallies.values().map(|t| t.total).sum::<usize>(), 31067);
    for (kind, floor) in HTTPPARAMS_FLOORS {
        let rate = tallies[*kind].rate();
        assert!(rate >= *floor, "{kind} blocked {rate:.2}%, floor {floor}%");
    }
    let norm = tallies["norm"].rate();
    assert!(norm <= HTTPPARAMS_NORM_CEILING, "norm blocked {norm:.2}%");
}

const HTTPPARAMS_FLOORS: &[(&str, f64)] = &[
    ("sqli", 99.85),
    ("xss", 98.3),
    ("path-traversal", 65.5),
    ("cmdi", 93.0),
];
const HTTPPARAMS_NORM_CEILING: f64 = 0.02;
