//! Hot paths of the policy engine: one decision against roles of several shapes, and compiling
//! the managed-policy corpus. Goal: a decision against a ~10-statement role in at most 1 µs
//! (median).
#![expect(clippy::panic, reason = "a benchmark with a broken fixture must stop")]
#![expect(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use mudroom_policy::{
    Caller, CompiledPolicy, Context, Decision, ParseOptions, PolicyKind, PolicySet, Request,
    decide, parse_policy,
};
use serde_json::{Value, json};

fn compile(doc: &Value) -> CompiledPolicy {
    let policy = parse_policy(
        &doc.to_string(),
        ParseOptions::unlimited(PolicyKind::Identity),
    )
    .unwrap_or_else(|e| panic!("bench policy is invalid: {e}"));
    CompiledPolicy::new("bench", PolicyKind::Identity, &policy)
}

/// A realistic function role: ten statements over a few services, one deny, some conditions.
fn ten_statement_role() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:*:111122223333:log-group:/mudroom/*"},
        {"Sid": "ReadAppSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/*"},
        {"Sid": "Params", "Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "arn:aws:ssm:us-east-1:111122223333:parameter/app/*"},
        {"Sid": "Table", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/orders"},
        {"Sid": "Bucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app-assets/*"},
        {"Sid": "Kms", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
        {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:111122223333:jobs"},
        {"Sid": "Invoke", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "arn:aws:lambda:us-east-1:111122223333:function:worker"},
        {"Sid": "Tagged", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
        {"Sid": "NoAdmin", "Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:*:*:secret:admin/*"}
    ]})
}

fn statements(n: usize, services: usize) -> Value {
    let list: Vec<Value> = (0..n)
        .map(|i| {
            json!({"Effect": "Allow",
                "Action": [format!("svc{}:Get{i}*", i % services), format!("svc{}:Put{i}", i % services)],
                "Resource": format!("arn:aws:svc{}:us-east-1:111122223333:thing/{i}/*", i % services)})
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": list})
}

fn condition_heavy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {
        "StringEquals": {"aws:PrincipalTag/team": "blue", "s3:ExistingObjectTag/team": "blue"},
        "StringLike": {"aws:userid": "AROA*:*", "s3:prefix": ["home/*", "shared/*"]},
        "StringNotEquals": {"aws:PrincipalTag/status": "suspended"},
        "StringEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"},
        "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"]},
        "NotIpAddress": {"aws:SourceIp": "10.66.0.0/16"},
        "Bool": {"aws:SecureTransport": "true", "aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"s3:max-keys": "100"},
        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        "DateLessThan": {"aws:CurrentTime": "2100-01-01T00:00:00Z"},
        "ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:111122223333:function:*"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env", "owner"]},
        "ForAnyValue:StringLike": {"aws:PrincipalServiceNamesList": ["lambda.*"]},
        "Null": {"aws:TokenIssueTime": "false"},
        "StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}
    }}]})
}

fn heavy_context() -> Context {
    let mut ctx = Context::new();
    for (k, v) in [
        ("aws:PrincipalTag/team", "blue"),
        ("s3:ExistingObjectTag/team", "blue"),
        ("aws:userid", "AROAEXAMPLE:s1"),
        ("s3:prefix", "home/x"),
        ("aws:PrincipalTag/status", "active"),
        ("aws:RequestedRegion", "us-east-1"),
        ("aws:SourceIp", "10.1.2.3"),
        ("aws:SecureTransport", "true"),
        ("aws:MultiFactorAuthPresent", "true"),
        ("s3:max-keys", "10"),
        ("aws:CurrentTime", "2026-11-26T10:00:00Z"),
        (
            "aws:SourceArn",
            "arn:aws:lambda:us-east-1:111122223333:function:f",
        ),
        ("aws:TokenIssueTime", "2026-11-26T09:00:00Z"),
    ] {
        ctx.set(k, v);
    }
    ctx.insert("aws:TagKeys", vec!["team".into(), "env".into()]);
    ctx.insert(
        "aws:PrincipalServiceNamesList",
        vec!["lambda.amazonaws.com".into()],
    );
    ctx
}

fn bench_decide(c: &mut Criterion) {
    let caller = match Caller::from_arn("arn:aws:sts::111122223333:assumed-role/app-role/s1") {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let mut ctx = Context::new();
    caller.fill_context(&mut ctx, [("team", "blue")]);
    ctx.set("aws:ResourceTag/team", "blue");

    let role = [compile(&ten_statement_role())];
    let set = PolicySet {
        identity: &role,
        ..PolicySet::default()
    };
    let cases = [
        (
            "allow",
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf",
            Decision::Allow,
        ),
        (
            "explicit_deny",
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:admin/root-AbCdEf",
            Decision::ExplicitDeny,
        ),
        (
            "implicit_deny",
            "iam:CreateUser",
            "arn:aws:iam::111122223333:user/x",
            Decision::ImplicitDeny,
        ),
    ];
    for (name, action, resource, want) in cases {
        let req = Request {
            caller: &caller,
            action,
            resource,
            resource_account: None,
            context: &ctx,
        };
        assert_eq!(decide(&req, &set), want, "{name}");
        c.bench_function(&format!("decide/role_10_statements/{name}"), |b| {
            b.iter(|| decide(black_box(&req), black_box(&set)))
        });
    }

    for (name, services) in [("50_services", 50), ("one_service", 1)] {
        let big = [compile(&statements(1_000, services))];
        let set = PolicySet {
            identity: &big,
            ..PolicySet::default()
        };
        let req = Request {
            caller: &caller,
            action: "svc0:Get950Thing",
            resource: "arn:aws:svc0:us-east-1:111122223333:thing/950/x",
            resource_account: None,
            context: &ctx,
        };
        assert_eq!(decide(&req, &set), Decision::Allow);
        c.bench_function(&format!("decide/role_1000_statements/{name}"), |b| {
            b.iter(|| decide(black_box(&req), black_box(&set)))
        });
    }

    let heavy = [compile(&condition_heavy())];
    let set = PolicySet {
        identity: &heavy,
        ..PolicySet::default()
    };
    let hctx = heavy_context();
    let req = Request {
        caller: &caller,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::b/home/x",
        resource_account: None,
        context: &hctx,
    };
    assert_eq!(decide(&req, &set), Decision::Allow);
    c.bench_function("decide/condition_heavy_18_conditions", |b| {
        b.iter(|| decide(black_box(&req), black_box(&set)))
    });
}

fn bench_compile_corpus(c: &mut Criterion) {
    let dir = std::env::var_os("MUDROOM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("corpora/iam/managed-policies");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped corpus compile: {} is absent", dir.display());
        return;
    };
    let texts: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.bench_function(format!("managed_policy_corpus_{}", texts.len()), |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                if let Ok(p) = parse_policy(t, ParseOptions::unlimited(PolicyKind::Identity)) {
                    n += CompiledPolicy::new("p", PolicyKind::Identity, &p).len();
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decide, bench_compile_corpus);
criterion_main!(benches);
