//! The example app in `examples/quickstart` parses cleanly, says what its docs say, and its
//! role may read the app's secrets and nothing else.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mudroom_manifest::{Manifest, Method, Runtime};
use mudroom_policy::{
    Caller, CompiledPolicy, Context, Decision, ParseOptions, PolicyKind, PolicySet, Request,
    decide, parse_policy,
};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart")
}

#[test]
fn parses_cleanly() {
    let m = Manifest::load(example().join("mudroom.toml")).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert_eq!(m.app.name, "quickstart");
    assert_eq!(m.dir, example().canonicalize().unwrap());

    let hello = &m.functions["hello"];
    assert_eq!(hello.runtime, Runtime::Python3);
    assert_eq!(hello.handler, "app.handler");
    assert_eq!(
        hello.code,
        example().join("functions/hello").canonicalize().unwrap()
    );
    assert!(hello.code.join("app.py").is_file());
    assert_eq!(hello.role, "hello-role");
    assert_eq!(hello.timeout, Duration::from_secs(3));
    assert_eq!(hello.memory_mib, 128);
    assert_eq!(hello.reserved_concurrency, Some(10));
    assert_eq!(hello.secrets, ["app/db"]);
    assert!(hello.egress.is_empty());

    let role = &m.roles["hello-role"];
    assert_eq!(role.policies.len(), 1);
    assert!(role.policies[0].0.ends_with("policies/hello.json"));
    assert_eq!(role.boundary, None);

    assert_eq!(m.routes.len(), 1);
    assert_eq!(m.routes[0].pattern.to_string(), "GET /hello/{name}");
    assert_eq!(m.routes[0].pattern.method(), Some(Method::Get));
}

#[test]
fn routes_requests() {
    let m = Manifest::load(example().join("mudroom.toml")).unwrap();
    let (route, params) = m.match_route("GET", "/hello/ada").unwrap();
    assert_eq!(route.function, "hello");
    assert_eq!(params["name"], "ada");
    assert!(m.match_route("POST", "/hello/ada").is_none());
    assert!(m.match_route("GET", "/hello").is_none());
    assert!(m.match_route("GET", "/hello/ada/more").is_none());
}

#[test]
fn the_role_reads_app_secrets_only() {
    let m = Manifest::load(example().join("mudroom.toml")).unwrap();
    let text = &m.roles["hello-role"].policies[0].1;
    let policy = parse_policy(text, ParseOptions::new(PolicyKind::Identity)).unwrap();
    let compiled = [CompiledPolicy::new("hello", PolicyKind::Identity, &policy)];
    let caller =
        Caller::from_arn("arn:aws:sts::111122223333:assumed-role/hello-role/hello").unwrap();
    let context = Context::new();
    let set = PolicySet {
        identity: &compiled,
        ..PolicySet::default()
    };
    let ask = |action: &str, secret: &str| {
        let resource =
            format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:{secret}-AbCdEf");
        let request = Request {
            caller: &caller,
            action,
            resource: &resource,
            resource_account: None,
            context: &context,
        };
        decide(&request, &set)
    };
    assert_eq!(
        ask("secretsmanager:GetSecretValue", "app/db"),
        Decision::Allow
    );
    assert_eq!(
        ask("secretsmanager:GetSecretValue", "app/api/key"),
        Decision::Allow
    );
    assert_eq!(
        ask("secretsmanager:GetSecretValue", "admin/db"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        ask("secretsmanager:GetSecretValue", "appx/db"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        ask("secretsmanager:PutSecretValue", "app/db"),
        Decision::ImplicitDeny
    );
    assert_eq!(
        ask("secretsmanager:DeleteSecret", "app/db"),
        Decision::ImplicitDeny
    );
}
