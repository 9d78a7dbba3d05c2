//! Secret scanning throughput (MB/s) with the default rules on a generated corpus of
//! source-like text: Python, JavaScript, YAML and `.env` files of 16 KiB, with the keywords
//! that make rules run (`key`, `token`, `password`, URLs) at the rate real code has them, and a
//! few secrets. A second corpus puts a keyword on every line (the prefilter's worst case), a
//! third has none (its best case).
#![expect(clippy::panic, reason = "a benchmark with a broken fixture must stop")]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mudroom_gate::SecretScanner;

const FILE_SIZE: usize = 16 * 1024;
const FILES: usize = 256; // 4 MiB per corpus

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.next() % items.len() as u64).unwrap_or(0);
        items.get(i).copied().unwrap_or("")
    }
    fn word(&mut self, n: usize) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..n)
            .map(|_| {
                let i = usize::try_from(self.next() % A.len() as u64).unwrap_or(0);
                char::from(A.get(i).copied().unwrap_or(b'a'))
            })
            .collect()
    }
}

const IDENTS: &[&str] = &[
    "user", "order", "items", "total", "request", "response", "handler", "config", "result",
    "value", "index", "count", "cache", "session", "client", "payload", "message", "record",
];

/// One line of ordinary code, sometimes with a rule keyword.
fn code_line(r: &mut Rng, dense: bool, none: bool) -> String {
    let a = r.pick(IDENTS);
    let b = r.pick(IDENTS);
    let n = r.next() % 1000;
    let roll = if dense { 100 } else { r.next() % 100 };
    if none {
        return match r.next() % 4 {
            0 => format!("    {a}_{b} = compute_{a}({b}, {n})\n"),
            1 => format!("  const {a}{n} = {b}.map((x) => x * {n});\n"),
            2 => format!("    if {a} is not None and len({b}) > {n}:\n"),
            _ => format!("  {a}: {b}_{n}\n"),
        };
    }
    match roll {
        // Keyword lines: a reference, a dictionary key, an identifier, a URL.
        0..=2 => format!(
            "    api_key = os.environ[\"{}_API_KEY\"]\n",
            a.to_uppercase()
        ),
        3..=4 => format!("  headers[\"Authorization\"] = f\"Bearer {{{a}_token}}\"\n"),
        5..=6 => format!("    cache_key = f\"{a}:{{{b}.id}}:{n}\"\n"),
        7..=8 => format!("  const url = \"https://api.example.com/v1/{a}/{n}\";\n"),
        9 => format!("  password_min_length: {n}\n"),
        10 => format!("    for key, {a} in {b}.items():\n"),
        11 if dense => format!("    token_{a} = secrets.token_hex({n})\n"),
        100 => match r.next() % 4 {
            0 => format!("    {a}_key = get_key({b}, {n})\n"),
            1 => format!("  const {a}Token = await auth.token(\"{b}\");\n"),
            2 => format!("  {a}_password: ${{{}_PASSWORD}}\n", b.to_uppercase()),
            _ => format!("  url: https://{a}.internal:{n}/{b}\n"),
        },
        _ => match r.next() % 4 {
            0 => format!("    {a}_{b} = compute_{a}({b}, {n})\n"),
            1 => format!("  const {a}{n} = {b}.map((x) => x * {n});\n"),
            2 => format!("    if {a} is not None and len({b}) > {n}:\n"),
            _ => format!("  {a}: {b}_{n}\n"),
        },
    }
}

fn corpus(seed: u64, dense: bool, none: bool, secrets: bool) -> Vec<Vec<u8>> {
    let mut r = Rng(seed);
    (0..FILES)
        .map(|f| {
            let mut text = String::with_capacity(FILE_SIZE + 128);
            let mut line = 0;
            while text.len() < FILE_SIZE {
                // One secret in every eighth file.
                if secrets && f % 8 == 0 && line == 40 {
                    text.push_str(&format!("GITHUB_TOKEN = \"ghp_{}\"\n", r.word(36)));
                }
                text.push_str(&code_line(&mut r, dense, none));
                line += 1;
            }
            text.into_bytes()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let scanner = SecretScanner::builtin().unwrap_or_else(|e| panic!("default rules: {e}"));
    let mut group = c.benchmark_group("secret_scan");
    for (name, files, expected) in [
        ("source_like", corpus(7, false, false, true), FILES / 8),
        ("keyword_every_line", corpus(11, true, false, false), 0),
        ("no_keywords", corpus(13, false, true, false), 0),
    ] {
        let bytes: usize = files.iter().map(Vec::len).sum();
        let found: usize = files
            .iter()
            .map(|f| scanner.scan("bench/file.py", f).len())
            .sum();
        if found != expected {
            panic!("{name}: expected {expected} findings, got {found}");
        }
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                for f in &files {
                    n += scanner.scan("bench/file.py", black_box(f)).len();
                }
                n
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
