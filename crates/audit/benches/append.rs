//! Appends per second with 1, 8 and 32 concurrent appenders, each append waiting until its
//! record is durable. The fsync of each commit dominates; group commit lets concurrent appenders
//! share it, so throughput grows with the number of appenders.
#![expect(clippy::panic, reason = "a benchmark that cannot set up must stop")]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mudroom_audit::{AuditLog, Decision, Record};

fn record(i: u64) -> Record {
    Record::new(
        "arn:aws:sts::111122223333:assumed-role/app-role/session-1",
        "secretsmanager:GetSecretValue",
        format!(
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-{}",
            i % 100
        ),
        Decision::Allow,
    )
    .statement("app-role#ReadAppSecrets")
    .source_ip("10.0.0.7")
    .request_id(format!("req-{i}"))
}

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for appenders in [1u64, 8, 32] {
        let dir = tempfile::Builder::new()
            .prefix("audit-bench-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let log = AuditLog::open(dir.path()).unwrap_or_else(|e| panic!("cannot open the log: {e}"));
        let counter = AtomicU64::new(0);
        group.bench_with_input(
            BenchmarkId::new("appenders", appenders),
            &appenders,
            |b, &appenders| {
                b.iter_custom(|iters| {
                    // `iters` appends in all, shared by `appenders` threads.
                    let left = AtomicU64::new(iters);
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..appenders {
                            s.spawn(|| {
                                while left
                                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                                        n.checked_sub(1)
                                    })
                                    .is_ok()
                                {
                                    let i = counter.fetch_add(1, Ordering::Relaxed);
                                    if let Err(e) = log.append(record(i)) {
                                        panic!("append failed: {e}");
                                    }
                                }
                            });
                        }
                    });
                    start.elapsed()
                });
            },
        );
        let stats = log.stats();
        let per_commit = stats.records as f64 / stats.commits.max(1) as f64;
        println!(
            "append/appenders/{appenders}: {} records in {} commits ({per_commit:.1} per commit, largest batch {})",
            stats.records, stats.commits, stats.largest_batch
        );
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
