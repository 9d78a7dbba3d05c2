//! Manifests, good and bad, against an app directory made for each test: every error is
//! asserted with its exact `file:line:column: message`.
#![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mudroom_manifest::{EgressHost, Manifest, ManifestError, Method, Runtime, Segment, Severity};

const GOOD_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "secretsmanager:GetSecretValue",
  "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]}"#;

/// An app directory: `functions/hello/app.py`, `functions/node/index.mjs`,
/// `functions/native/bootstrap` (executable), `functions/native/notexec`,
/// `policies/hello.json` (clean), `policies/unknown-action.json` (a lint error),
/// `policies/broken.json` (not JSON), `policies/wildcard.json` (a lint warning),
/// `policies/boundary.json`, and `outside/` next to the app directory.
struct App {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    outside: PathBuf,
}

impl App {
    fn new() -> App {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("app");
        let outside = tmp.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("secret.json"), GOOD_POLICY).unwrap();
        let write = |rel: &str, text: &str| {
            let path = dir.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "functions/hello/app.py",
            "def handler(event, context):\n    return {}\n",
        );
        write(
            "functions/hello/pkg/__init__.py",
            "def main(event, context):\n    return {}\n",
        );
        write(
            "functions/node/index.mjs",
            "export const handler = async () => ({});\n",
        );
        write("functions/native/bootstrap", "#!/bin/sh\n");
        write("functions/native/notexec", "#!/bin/sh\n");
        fs::set_permissions(
            dir.join("functions/native/bootstrap"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        write("policies/hello.json", GOOD_POLICY);
        write(
            "policies/unknown-action.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "secretsmanager:GetSecretValu",
  "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]}"#,
        );
        write("policies/broken.json", "{\"Version\": ");
        write(
            "policies/wildcard.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "secretsmanager:*", "Resource": "*"}]}"#,
        );
        write(
            "policies/boundary.json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}"#,
        );
        App {
            _tmp: tmp,
            dir,
            outside,
        }
    }

    fn parse(&self, text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, &self.dir)
    }

    /// Every diagnostic of a refused manifest, displayed.
    fn errors(&self, text: &str) -> Vec<String> {
        match self.parse(text) {
            Ok(m) => panic!("accepted: {m:#?}"),
            Err(e) => {
                assert!(e.errors().count() > 0);
                e.diagnostics.iter().map(ToString::to_string).collect()
            }
        }
    }
}

/// A valid manifest, to which tests append or in which they replace.
const BASE: &str = r#"[app]
name = "quickstart"

[functions.hello]
runtime = "python3"
handler = "app.handler"
code = "functions/hello"
role = "hello-role"

[roles.hello-role]
policies = ["policies/hello.json"]

[[routes]]
route = "GET /hello/{name}"
function = "hello"
"#;

fn with(old: &str, new: &str) -> String {
    assert!(BASE.contains(old), "{old}");
    BASE.replacen(old, new, 1)
}

#[test]
fn base_manifest_is_valid_with_defaults() {
    let app = App::new();
    let m = app.parse(BASE).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert_eq!(m.app.name, "quickstart");
    assert_eq!(m.file, app.dir.join("mudroom.toml"));
    assert_eq!(m.dir, app.dir.canonicalize().unwrap());
    let f = &m.functions["hello"];
    assert_eq!(f.runtime, Runtime::Python3);
    assert_eq!(f.handler, "app.handler");
    assert_eq!(
        f.code,
        app.dir.join("functions/hello").canonicalize().unwrap()
    );
    assert!(f.code.is_absolute());
    assert_eq!(f.role, "hello-role");
    assert_eq!(f.timeout, Duration::from_secs(3));
    assert_eq!(f.memory_mib, 128);
    assert_eq!(f.reserved_concurrency, None);
    assert!(f.environment.is_empty() && f.secrets.is_empty() && f.egress.is_empty());
    let role = &m.roles["hello-role"];
    assert_eq!(role.policies.len(), 1);
    assert_eq!(
        role.policies[0].0,
        app.dir.join("policies/hello.json").canonicalize().unwrap()
    );
    assert_eq!(role.policies[0].1, GOOD_POLICY);
    assert_eq!(role.boundary, None);
    assert_eq!(m.routes.len(), 1);
    assert_eq!(m.routes[0].function, "hello");
    assert_eq!(m.routes[0].pattern.method(), Some(Method::Get));
    assert_eq!(
        m.routes[0].pattern.segments(),
        [
            Segment::Literal("hello".into()),
            Segment::Param("name".into())
        ]
    );
}

#[test]
fn every_key_given() {
    let app = App::new();
    let text = r#"[app]
name = "full-app-2"

[functions.hello]
runtime = "python3"
handler = "pkg.main"
code = "./functions/../functions/hello"
role = "hello-role"
timeout = "1m30s"
memory = "2GiB"
reserved_concurrency = 1000
environment = { TABLE = "users", _DEBUG = "", AWS_LAMBDA_EXEC_WRAPPER = "/opt/wrap" }
secrets = ["app/db", "app/api+key=1@x.y-z_"]
egress = ["api.example.com:443", "*.s3.example.net:443", "10.1.2.3:5432", "[2001:db8::5]:8443"]

[functions.node]
runtime = "nodejs"
handler = "index.handler"
code = "functions/node"
role = "hello-role"

[functions.native]
runtime = "provided"
code = "functions/native"
role = "hello-role"

[roles.hello-role]
policies = ["policies/hello.json"]
permissions_boundary = "policies/boundary.json"

[[routes]]
route = "$default"
function = "node"

[[routes]]
route = "ANY /native/{proxy+}"
function = "native"
"#;
    let m = app.parse(text).unwrap();
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let f = &m.functions["hello"];
    assert_eq!(f.handler, "pkg.main");
    assert_eq!(f.timeout, Duration::from_secs(90));
    assert_eq!(f.memory_mib, 2048);
    assert_eq!(f.reserved_concurrency, Some(1000));
    assert_eq!(f.environment["TABLE"], "users");
    assert_eq!(f.environment["_DEBUG"], "");
    assert_eq!(f.secrets, ["app/db", "app/api+key=1@x.y-z_"]);
    let egress: Vec<String> = f.egress.iter().map(ToString::to_string).collect();
    assert_eq!(
        egress,
        [
            "api.example.com:443",
            "*.s3.example.net:443",
            "10.1.2.3:5432",
            "[2001:db8::5]:8443"
        ]
    );
    assert_eq!(
        f.egress[1].host,
        EgressHost::Subdomains("s3.example.net".into())
    );
    assert_eq!(m.functions["node"].runtime, Runtime::Nodejs);
    assert_eq!(m.functions["native"].handler, "bootstrap");
    let boundary = m.roles["hello-role"].boundary.as_ref().unwrap();
    assert!(boundary.0.ends_with("policies/boundary.json"));
    let (route, params) = m.match_route("POST", "/native/a/b").unwrap();
    assert_eq!(route.function, "native");
    assert_eq!(params["proxy"], "a/b");
    assert_eq!(
        m.match_route("GET", "/elsewhere").unwrap().0.function,
        "node"
    );
}

#[test]
fn toml_syntax_errors_all_reported() {
    let app = App::new();
    let text = "[app]\nname = \"x\"\nname = \"y\"\n[functions.a]\nruntime = \"python3\nrole = 1\n";
    assert_eq!(
        app.errors(text),
        [
            "mudroom.toml:3:1: duplicate key `name`",
            "mudroom.toml:5:19: invalid basic string, expected `\"`",
        ]
    );
}

#[test]
fn unknown_keys_with_suggestions() {
    let app = App::new();
    let text = with("[app]\n", "[app]\nnaem = \"x\"\ncolour = 3\n")
        .replace("code =", "runtim = \"python3\"\nmemory_mb = 1\ncode =")
        .replace("policies =", "policy = []\npolicies =")
        .replace(
            "function = \"hello\"",
            "function = \"hello\"\nfn = \"hello\"",
        )
        + "\n[funtions.x]\n";
    assert_eq!(
        app.errors(&text),
        [
            "mudroom.toml:2:1: unknown key `naem` in `[app]`, did you mean `name`?",
            "mudroom.toml:3:1: unknown key `colour` in `[app]`, expected `name` or `waf_acl`",
            "mudroom.toml:9:1: unknown key `runtim` in `[functions.hello]`, did you mean `runtime`?",
            "mudroom.toml:10:1: unknown key `memory_mb` in `[functions.hello]`, did you mean `memory`?",
            "mudroom.toml:15:1: unknown key `policy` in `[roles.hello-role]`, did you mean `policies`?",
            "mudroom.toml:21:1: unknown key `fn` in `[[routes]]`, expected `route`, `function` or `waf`",
            "mudroom.toml:23:2: unknown key `funtions` at the top level, did you mean `functions`?",
        ]
    );
}

#[test]
fn missing_required_keys() {
    let app = App::new();
    let text = "[app]\n\n[functions.hello]\ncode = \"functions/hello\"\n\n[[routes]]\nfunction = \"hello\"\n";
    assert_eq!(
        app.errors(text),
        [
            "mudroom.toml:1:2: missing `name` in `[app]`",
            "mudroom.toml:3:12: missing `runtime` in `[functions.hello]`",
            "mudroom.toml:3:12: missing `handler` in `[functions.hello]`",
            "mudroom.toml:3:12: missing `role` in `[functions.hello]`",
            "mudroom.toml:6:1: missing `route` in `[[routes]]`",
        ]
    );
    assert_eq!(
        app.errors("[functions.hello]\nruntime = \"provided\"\n"),
        [
            "mudroom.toml:1:1: missing `[app]` table",
            "mudroom.toml:1:12: missing `code` in `[functions.hello]`",
            "mudroom.toml:1:12: missing `role` in `[functions.hello]`",
        ]
    );
}

#[test]
fn wrong_types() {
    let app = App::new();
    let text = r#"app = "quickstart"
routes = { route = "GET /" }

[functions]
hello = "app.handler"

[functions.other]
runtime = 3
handler = true
code = ["functions/hello"]
role = 1.5
timeout = 3
memory = 512
reserved_concurrency = "10"
environment = "TABLE=users"
secrets = "app/db"
egress = [443, "api.example.com:443"]

[roles]
r = []
"#;
    assert_eq!(
        app.errors(text),
        [
            "mudroom.toml:1:7: `app` must be a table: write `[app]`, not a string",
            "mudroom.toml:2:10: `routes` must be an array of tables: write `[[routes]]`, not a table",
            "mudroom.toml:5:9: function `hello` must be a table: write `[functions.hello]`, not a string",
            "mudroom.toml:8:11: `runtime` must be a string like `python3`, not an integer",
            "mudroom.toml:9:11: `handler` must be a string, not a boolean",
            "mudroom.toml:10:8: `code` must be a string naming a directory, not an array",
            "mudroom.toml:11:8: `role` must be a string naming a `[roles.NAME]`, not a float",
            "mudroom.toml:12:11: `timeout` must be a string like `3s`, not an integer",
            "mudroom.toml:13:10: `memory` must be a string like `512MiB`, not an integer",
            "mudroom.toml:14:24: `reserved_concurrency` must be an integer from 0 to 1000, not a string",
            "mudroom.toml:15:15: `environment` must be a table like `{ NAME = \"value\" }`, not a string",
            "mudroom.toml:16:11: `secrets` must be an array of strings, not a string",
            "mudroom.toml:17:11: `egress` must hold strings, not an integer",
            "mudroom.toml:20:5: role `r` must be a table: write `[roles.r]`, not an array",
        ]
    );
}

#[test]
fn bad_names() {
    let app = App::new();
    let text = BASE
        .replace("\"quickstart\"", "\"Quick_Start\"")
        .replace("[functions.hello]", "[functions.\"hello.world\"]")
        .replace("function = \"hello\"", "function = \"hello.world\"")
        .replace("[roles.hello-role]", "[roles.\"hello role\"]")
        .replace("role = \"hello-role\"", "role = \"hello role\"");
    assert_eq!(
        app.errors(&text),
        [
            "mudroom.toml:2:8: app name `Quick_Start` must be 1 to 40 characters of `a-z`, `0-9` and `-`",
            "mudroom.toml:4:12: function name `hello.world` must be 1 to 64 letters, digits, `-` and `_`",
            "mudroom.toml:10:8: role name `hello role` must be 1 to 64 letters, digits and `+=,.@_-`",
        ]
    );
    let long = "a".repeat(41);
    assert_eq!(
        app.errors(&with("\"quickstart\"", &format!("\"{long}\""))),
        [format!(
            "mudroom.toml:2:8: app name `{long}` must be 1 to 40 characters of `a-z`, `0-9` and `-`"
        )]
    );
    assert_eq!(
        app.errors(&with("\"quickstart\"", "\"-quick\"")),
        ["mudroom.toml:2:8: app name `-quick` must not start or end with `-`"]
    );
}

#[test]
fn runtimes_and_handlers() {
    let app = App::new();
    let cases: &[(&str, &str, &str)] = &[
        (
            "runtime = \"python3\"",
            "runtime = \"python\"",
            "mudroom.toml:5:11: unknown runtime `python`, did you mean `python3`?",
        ),
        (
            "runtime = \"python3\"",
            "runtime = \"python3.12\"",
            "mudroom.toml:5:11: unknown runtime `python3.12`, did you mean `python3`?",
        ),
        (
            "runtime = \"python3\"",
            "runtime = \"ruby\"",
            "mudroom.toml:5:11: unknown runtime `ruby`, expected `python3`, `nodejs` or `provided`",
        ),
        (
            "handler = \"app.handler\"",
            "handler = \"app\"",
            "mudroom.toml:6:11: handler `app` must be `module.function`, like `app.handler`",
        ),
        (
            "handler = \"app.handler\"",
            "handler = \"my-app.handler\"",
            "mudroom.toml:6:11: handler `my-app.handler`: `my-app` is not a Python module path, like `app.handler`",
        ),
        (
            "handler = \"app.handler\"",
            "handler = \"main.handler\"",
            "mudroom.toml:6:11: handler `main.handler`: code directory `functions/hello` has no `main.py` or `main/__init__.py`",
        ),
    ];
    for (old, new, message) in cases {
        assert_eq!(app.errors(&with(old, new)), [*message], "{new}");
    }
    let node = with("runtime = \"python3\"", "runtime = \"nodejs\"")
        .replace("functions/hello", "functions/node");
    assert_eq!(
        app.errors(&node),
        [
            "mudroom.toml:6:11: handler `app.handler`: code directory `functions/node` has no `app.js`, `app.mjs` or `app.cjs`"
        ]
    );
    assert!(
        app.parse(&node.replace("app.handler", "index.handler"))
            .is_ok()
    );

    let native = with(
        "runtime = \"python3\"\nhandler = \"app.handler\"",
        "runtime = \"provided\"",
    )
    .replace("functions/hello", "functions/native");
    assert!(app.parse(&native).is_ok());
    let cases: &[(&str, &str)] = &[
        (
            "runtime = \"provided\"",
            "mudroom.toml:4:12: handler `bootstrap` is not a file in code directory `functions/hello`",
        ),
        (
            "runtime = \"provided\"\nhandler = \"notexec\"",
            "mudroom.toml:6:11: handler `notexec` is not executable: run `chmod +x functions/hello/notexec`",
        ),
        (
            "runtime = \"provided\"\nhandler = \"../native/bootstrap\"",
            "mudroom.toml:6:11: handler `../native/bootstrap` must be a path inside the code directory, like `bootstrap`",
        ),
    ];
    for (new, message) in cases {
        let text = with("runtime = \"python3\"\nhandler = \"app.handler\"", new);
        let text = if new.contains("notexec") {
            text.replace("functions/hello", "functions/native")
        } else {
            text
        };
        let expected = message.replace(
            "chmod +x functions/hello/notexec",
            "chmod +x functions/native/notexec",
        );
        assert_eq!(app.errors(&text), [expected], "{new}");
    }
}

#[test]
fn code_directories_stay_inside_the_app() {
    let app = App::new();
    symlink(&app.outside, app.dir.join("functions/escape")).unwrap();
    symlink(
        app.dir.join("functions/hello"),
        app.dir.join("functions/inside"),
    )
    .unwrap();
    symlink(
        app.dir.join("nothing-here"),
        app.dir.join("functions/dangling"),
    )
    .unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "../outside",
            "mudroom.toml:7:8: code directory `../outside` is outside the app directory",
        ),
        (
            "functions/../../outside",
            "mudroom.toml:7:8: code directory `functions/../../outside` is outside the app directory",
        ),
        (
            "/etc",
            "mudroom.toml:7:8: code directory `/etc` must be relative to the app directory, not absolute",
        ),
        (
            "",
            "mudroom.toml:7:8: code directory is empty: write a path relative to the app directory",
        ),
        (
            "functions/missing",
            "mudroom.toml:7:8: code directory `functions/missing` does not exist",
        ),
        (
            "functions/escape",
            "mudroom.toml:7:8: code directory `functions/escape` leads outside the app directory through a symlink",
        ),
        (
            "functions/dangling",
            "mudroom.toml:7:8: code directory `functions/dangling` is a symlink to nothing",
        ),
        (
            "functions/hello/app.py",
            "mudroom.toml:7:8: code directory `functions/hello/app.py` is not a directory",
        ),
    ];
    for (code, message) in cases {
        let text = with("code = \"functions/hello\"", &format!("code = \"{code}\""));
        assert_eq!(app.errors(&text), [*message], "{code}");
    }
    // a symlink that stays inside is fine
    let inside = with("code = \"functions/hello\"", "code = \"functions/inside\"");
    let m = app.parse(&inside).unwrap();
    assert_eq!(
        m.functions["hello"].code,
        app.dir.join("functions/hello").canonicalize().unwrap()
    );
}

#[test]
fn symlinks_inside_code_that_lead_out_are_refused() {
    let app = App::new();
    let code = app.dir.join("functions/hello");
    fs::create_dir_all(code.join("lib/deep")).unwrap();
    symlink(
        app.outside.join("secret.json"),
        code.join("lib/deep/creds.json"),
    )
    .unwrap();
    symlink(code.join("missing"), code.join("broken")).unwrap();
    symlink("../app.py", code.join("lib/again.py")).unwrap();
    assert_eq!(
        app.errors(BASE),
        [
            "mudroom.toml:7:8: code directory `functions/hello`: `functions/hello/broken` is a symlink to nothing",
            "mudroom.toml:7:8: code directory `functions/hello`: `functions/hello/lib/deep/creds.json` is a symlink that leads outside the app directory",
        ]
    );
}

#[test]
fn roles_must_exist_and_unused_roles_warn() {
    let app = App::new();
    assert_eq!(
        app.errors(&with("role = \"hello-role\"", "role = \"helo-role\"")),
        [
            "mudroom.toml:8:8: role `helo-role` is not defined, did you mean `hello-role`?",
            "mudroom.toml:10:8: warning: role `hello-role` is not the role of any function",
        ]
    );
    assert_eq!(
        app.errors(&with("role = \"hello-role\"", "role = \"admin\"")),
        [
            "mudroom.toml:8:8: role `admin` is not defined: add `[roles.admin]`",
            "mudroom.toml:10:8: warning: role `hello-role` is not the role of any function",
        ]
    );
    let m = app.parse(&format!("{BASE}\n[roles.spare]\n")).unwrap();
    let warnings: Vec<String> = m.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["mudroom.toml:17:8: warning: role `spare` is not the role of any function"]
    );
    assert!(m.roles["spare"].policies.is_empty());
}

#[test]
fn durations_memory_and_concurrency() {
    let app = App::new();
    let cases: &[(&str, &str)] = &[
        (
            "timeout = \"50ms\"",
            "mudroom.toml:9:11: timeout `50ms` is less than 100ms",
        ),
        (
            "timeout = \"901s\"",
            "mudroom.toml:9:11: timeout `901s` is more than 900s, the longest a function may run",
        ),
        (
            "timeout = \"16m\"",
            "mudroom.toml:9:11: timeout `16m` is more than 900s, the longest a function may run",
        ),
        (
            "timeout = \"3 seconds\"",
            "mudroom.toml:9:11: `3 seconds` is not a duration: write whole numbers with units `ms`, `s` or `m`, like `3s`, `500ms` or `1m30s`",
        ),
        (
            "timeout = \"1h\"",
            "mudroom.toml:9:11: unknown unit `h` in `1h`: write whole numbers with units `ms`, `s` or `m`, like `3s`, `500ms` or `1m30s`",
        ),
        (
            "memory = \"512MB\"",
            "mudroom.toml:9:10: memory `512MB`: write the unit as `MiB`, like `512MiB`",
        ),
        (
            "memory = \"64MiB\"",
            "mudroom.toml:9:10: memory `64MiB` is less than 128MiB",
        ),
        (
            "memory = \"20GiB\"",
            "mudroom.toml:9:10: memory `20GiB` is more than 10240MiB",
        ),
        (
            "reserved_concurrency = 1001",
            "mudroom.toml:9:24: `reserved_concurrency` is `1001`, not from 0 to 1000",
        ),
        (
            "reserved_concurrency = -1",
            "mudroom.toml:9:24: `reserved_concurrency` is `-1`, not from 0 to 1000",
        ),
        (
            "reserved_concurrency = 0x7fffffffffffffff",
            "mudroom.toml:9:24: `reserved_concurrency` is `0x7fffffffffffffff`, not from 0 to 1000",
        ),
    ];
    for (line, message) in cases {
        let text = with(
            "role = \"hello-role\"\n",
            &format!("role = \"hello-role\"\n{line}\n"),
        );
        assert_eq!(app.errors(&text), [*message], "{line}");
    }
    for (line, expected) in [
        ("timeout = \"100ms\"", 100),
        ("timeout = \"900s\"", 900_000),
        ("timeout = \"15m\"", 900_000),
    ] {
        let text = with(
            "role = \"hello-role\"\n",
            &format!("role = \"hello-role\"\n{line}\n"),
        );
        assert_eq!(
            app.parse(&text).unwrap().functions["hello"].timeout,
            Duration::from_millis(expected)
        );
    }
    let zero = with(
        "role = \"hello-role\"\n",
        "role = \"hello-role\"\nreserved_concurrency = 0\n",
    );
    let m = app.parse(&zero).unwrap();
    assert_eq!(m.functions["hello"].reserved_concurrency, Some(0));
    assert_eq!(
        m.warnings[0].to_string(),
        "mudroom.toml:9:24: warning: `reserved_concurrency = 0` refuses every invocation of `hello`"
    );
}

#[test]
fn environment_variables() {
    let app = App::new();
    let text = with(
        "role = \"hello-role\"\n",
        "role = \"hello-role\"\n[functions.hello.environment]\nTABLE = \"users\"\nAWS_REGION = \"eu-west-1\"\n\"1ST\" = \"x\"\n\"A-B\" = \"x\"\nAWS_ENDPOINT_URL_S3 = \"http://evil\"\nCOUNT = 3\nDB_PASSWORD = \"hunter2\"\n",
    );
    // tables sort their keys: diagnostics come out in file order all the same
    assert_eq!(
        app.errors(&text),
        [
            "mudroom.toml:11:1: environment variable `AWS_REGION` is reserved: the platform sets it",
            "mudroom.toml:12:1: environment variable name `1ST` must be letters, digits and `_`, not starting with a digit",
            "mudroom.toml:13:1: environment variable name `A-B` must be letters, digits and `_`, not starting with a digit",
            "mudroom.toml:14:1: environment variable `AWS_ENDPOINT_URL_S3` is reserved: the platform sets it",
            "mudroom.toml:15:9: environment variable `COUNT` must be a string, not an integer",
            "mudroom.toml:16:1: warning: environment variable `DB_PASSWORD` looks like a secret: store it in the vault and list it in `secrets`",
        ]
    );
    let env = |x: usize| {
        let value = "x".repeat(x);
        with(
            "role = \"hello-role\"\n",
            &format!("role = \"hello-role\"\nenvironment = {{ A = \"{value}\", B = \"y\" }}\n"),
        )
    };
    // names count: A, B and y are 3 bytes
    let m = app.parse(&env(4093)).unwrap();
    assert_eq!(m.functions["hello"].environment["A"].len(), 4093);
    assert_eq!(
        app.errors(&env(4094)),
        [
            "mudroom.toml:9:15: the environment of `hello` is 4097 bytes, more than 4096 (names and values together)"
        ]
    );
}

#[test]
fn secrets_and_egress() {
    let app = App::new();
    let text = with(
        "role = \"hello-role\"\n",
        r#"role = "hello-role"
secrets = ["app/db", "app/*", "app/db", "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db", ""]
egress = [
  "api.example.com:443",
  "https://api.example.com",
  "api.example.com",
  "API.example.com:443",
  "169.254.169.254:80",
  "*.com:443",
  "db.internal:99999",
]
"#,
    );
    assert_eq!(
        app.errors(&text),
        [
            "mudroom.toml:9:22: secret `app/*`: wildcards are not allowed: name each secret",
            "mudroom.toml:9:31: secret `app/db` is listed twice",
            "mudroom.toml:9:41: secret `arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db`: write the secret's name, not its ARN",
            "mudroom.toml:9:104: secret name `` must be 1 to 512 characters",
            "mudroom.toml:12:3: egress `https://api.example.com` must be `host:port`, not a URL: like `api.example.com:443`",
            "mudroom.toml:13:3: egress `api.example.com` has no port: write `api.example.com:443` (or the port it uses)",
            "mudroom.toml:14:3: egress `API.example.com:443` is listed twice",
            "mudroom.toml:15:3: egress `169.254.169.254:80`: loopback, link-local (the metadata address among them), unspecified, broadcast and multicast addresses are never reachable",
            "mudroom.toml:16:3: egress `*.com:443` allows too much: a wildcard needs a domain with a dot, like `*.example.com:443`",
            "mudroom.toml:17:3: port `99999` in egress `db.internal:99999` must be a number from 1 to 65535",
        ]
    );
}

#[test]
fn routes_are_checked() {
    let app = App::new();
    let routes = r#"
[[routes]]
route = "get /hello"
function = "hello"

[[routes]]
route = "GET /hello/{name}/{name}"
function = "hello"

[[routes]]
route = "GET /files/{path+}/raw"
function = "hello"

[[routes]]
route = "GET /hello/{who}"
function = "helo"

[[routes]]
route = "GET /hello/{person}"
function = "hello"

[[routes]]
route = "POST /hello/{name}"
function = "goodbye"

[[routes]]
route = "GET /hello/{name}"
function = "hello"

[[routes]]
route = "$default"
function = "hello"

[[routes]]
route = "$default"
function = "hello"

[[routes]]
route = "GET /hello//x"
function = "hello"

[[routes]]
route = "/hello"
function = "hello"

[[routes]]
route = "GET /a b"
function = "hello"

[[routes]]
route = """GET /multi/{x}/{x}"""
function = "hello"

[[routes]]
route = "GET /esc\u0061ped/{x}/{x}"
function = "hello"

routes = 1
"#;
    let text = format!("{BASE}{routes}").replace("\nroutes = 1\n", "\n");
    assert_eq!(
        app.errors(&text),
        [
            "mudroom.toml:18:10: method `get` must be uppercase: `GET`",
            "mudroom.toml:22:28: parameter `name` appears twice in the route",
            "mudroom.toml:26:21: greedy parameter `{path+}` must be the last segment",
            "mudroom.toml:30:9: duplicate route `GET /hello/{who}`: `GET /hello/{name}` at line 14 has the same method and path",
            "mudroom.toml:31:12: function `helo` is not defined, did you mean `hello`?",
            "mudroom.toml:34:9: duplicate route `GET /hello/{person}`: `GET /hello/{name}` at line 14 has the same method and path",
            "mudroom.toml:39:12: function `goodbye` is not defined: add `[functions.goodbye]`",
            "mudroom.toml:42:9: duplicate route `GET /hello/{name}`: it is also at line 14",
            "mudroom.toml:50:9: duplicate route `$default`: it is also at line 46",
            "mudroom.toml:54:21: path `/hello//x` has an empty segment (`//`)",
            "mudroom.toml:58:10: route `/hello` has no method: write `GET /hello`, or `ANY /hello` for every method",
            "mudroom.toml:62:16: character ` ` is not allowed in a path: percent-encode it",
            "mudroom.toml:66:27: parameter `x` appears twice in the route",
            "mudroom.toml:70:9: parameter `x` appears twice in the route",
        ]
    );
    assert_eq!(
        app.errors(&format!(
            "{BASE}\n[[routes]]\nroute = \"GET /x\"\nfunction = \"hello\"\nwaf = \"off\"\n"
        )),
        ["mudroom.toml:20:1: `waf` is not supported yet: web ACLs come with the perimeter"]
    );
    assert_eq!(
        app.errors(&with(
            "name = \"quickstart\"\n",
            "name = \"quickstart\"\nwaf_acl = \"default\"\n"
        )),
        ["mudroom.toml:3:1: `waf_acl` is not supported yet: web ACLs come with the perimeter"]
    );
    assert_eq!(
        app.errors(&format!("{BASE}\n[[routes]]\nfunction = \"hello\"\n")),
        ["mudroom.toml:17:1: missing `route` in `[[routes]]`"]
    );
    assert_eq!(
        app.errors(&format!("routes = [\"GET /\"]\n{BASE}").replace(
            "[[routes]]\nroute = \"GET /hello/{name}\"\nfunction = \"hello\"\n",
            ""
        )),
        [
            "mudroom.toml:1:11: each route must be a table like `{ route = \"GET /\", function = \"hello\" }`, not a string"
        ]
    );
}

#[test]
fn a_function_without_a_route_is_fine() {
    let app = App::new();
    let text = BASE.replace(
        "[[routes]]\nroute = \"GET /hello/{name}\"\nfunction = \"hello\"\n",
        "",
    );
    let m = app.parse(&text).unwrap();
    assert!(m.routes.is_empty());
    assert!(m.warnings.is_empty());
    assert!(m.match_route("GET", "/hello/x").is_none());
}

#[test]
fn no_functions_is_a_warning() {
    let app = App::new();
    let m = app.parse("[app]\nname = \"empty\"\n").unwrap();
    let warnings: Vec<String> = m.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["mudroom.toml:1:1: warning: the app has no functions: add one as `[functions.NAME]`"]
    );
}

#[test]
fn policy_files_are_read_and_linted() {
    let app = App::new();
    symlink(
        app.outside.join("secret.json"),
        app.dir.join("policies/linked.json"),
    )
    .unwrap();
    let text = with(
        "policies = [\"policies/hello.json\"]",
        r#"policies = [
  "policies/unknown-action.json",
  "policies/broken.json",
  "policies/missing.json",
  "../outside/secret.json",
  "policies/linked.json",
  "policies",
  "policies/hello.json",
  "policies/hello.json",
]
permissions_boundary = "policies/unknown-action.json""#,
    );
    let e = app.parse(&text).unwrap_err();
    let shown: Vec<String> = e.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "mudroom.toml:12:3: policies/unknown-action.json: Statement[0].Action: `secretsmanager` has no action `GetSecretValu`: did you mean `secretsmanager:GetSecretValue`?",
            "mudroom.toml:13:3: policies/broken.json: not valid JSON: EOF while parsing a value at line 1 column 12",
            "mudroom.toml:14:3: policy file `policies/missing.json` does not exist",
            "mudroom.toml:15:3: policy file `../outside/secret.json` is outside the app directory",
            "mudroom.toml:16:3: policy file `policies/linked.json` leads outside the app directory through a symlink",
            "mudroom.toml:17:3: policy file `policies` is not a file",
            "mudroom.toml:19:3: policy file `policies/hello.json` is listed twice",
            "mudroom.toml:21:24: policies/unknown-action.json: Statement[0].Action: `secretsmanager` has no action `GetSecretValu`: did you mean `secretsmanager:GetSecretValue`?",
        ]
    );
    let first = &e.diagnostics[0];
    assert_eq!(first.severity, Severity::Error);
    let source = first.policy.as_ref().unwrap();
    assert_eq!(source.file, "policies/unknown-action.json");
    assert_eq!(source.path, "Statement[0].Action");
    assert_eq!(source.code, "unknown-action");
    assert!(e.diagnostics[2].policy.is_none());
}

#[test]
fn policy_warnings_are_kept() {
    let app = App::new();
    let text = with("policies/hello.json", "policies/wildcard.json");
    let m = app.parse(&text).unwrap();
    assert!(!m.warnings.is_empty());
    for w in &m.warnings {
        assert_ne!(w.severity, Severity::Error);
        assert!(
            w.to_string()
                .starts_with("mudroom.toml:11:13: warning: policies/wildcard.json: Statement[0]")
                || w.to_string()
                    .starts_with("mudroom.toml:11:13: suggestion: policies/wildcard.json: "),
            "{w}"
        );
        assert_eq!(w.policy.as_ref().unwrap().file, "policies/wildcard.json");
    }
    assert_eq!(
        m.roles["hello-role"].policies[0].1,
        fs::read_to_string(app.dir.join("policies/wildcard.json")).unwrap()
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let app = App::new();
    let text = r#"[app]
name = "Bad App"

[functions.hello]
runtime = "go"
handler = "app.handler"
code = "../elsewhere"
role = "nobody"
timeout = "2h"
memory = "1TB"

[roles.hello-role]
policies = ["policies/broken.json"]

[[routes]]
route = "GET /hello/{name}/{name}"
function = "hi"
"#;
    let errors = app.errors(text);
    assert_eq!(
        errors,
        [
            "mudroom.toml:2:8: app name `Bad App` must be 1 to 40 characters of `a-z`, `0-9` and `-`",
            "mudroom.toml:5:11: unknown runtime `go`, expected `python3`, `nodejs` or `provided`",
            "mudroom.toml:7:8: code directory `../elsewhere` is outside the app directory",
            "mudroom.toml:8:8: role `nobody` is not defined: add `[roles.nobody]`",
            "mudroom.toml:9:11: unknown unit `h` in `2h`: write whole numbers with units `ms`, `s` or `m`, like `3s`, `500ms` or `1m30s`",
            "mudroom.toml:10:10: `1TB` is not a memory size: write a whole number and `MiB` or `GiB`, like `512MiB` or `2GiB`",
            "mudroom.toml:12:8: warning: role `hello-role` is not the role of any function",
            "mudroom.toml:13:13: policies/broken.json: not valid JSON: EOF while parsing a value at line 1 column 12",
            "mudroom.toml:16:28: parameter `name` appears twice in the route",
            "mudroom.toml:17:12: function `hi` is not defined: add `[functions.hi]`",
        ]
    );
}

#[test]
fn load_reads_from_disk_and_names_the_file() {
    let app = App::new();
    let path = app.dir.join("mudroom.toml");
    fs::write(&path, BASE).unwrap();
    let m = Manifest::load(&path).unwrap();
    assert_eq!(m.file, path);
    assert_eq!(m.functions["hello"].role, "hello-role");

    fs::write(
        &path,
        with("runtime = \"python3\"", "runtime = \"pyhton3\""),
    )
    .unwrap();
    let e = Manifest::load(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:5:11: unknown runtime `pyhton3`, did you mean `python3`?",
            path.display()
        )
    );

    let missing = app.dir.join("nope.toml");
    let e = Manifest::load(&missing).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{0}: cannot read manifest `{0}`: it does not exist",
            missing.display()
        )
    );
    assert_eq!(e.diagnostics[0].location, None);

    fs::write(&path, [0xff, 0xfe, b'\n']).unwrap();
    let e = Manifest::load(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{0}: manifest `{0}` is not UTF-8 text", path.display())
    );
}

#[test]
fn a_missing_app_directory_is_reported() {
    let app = App::new();
    let dir: &Path = &app.dir.join("not-here");
    let e = Manifest::parse(BASE, dir).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "mudroom.toml: cannot read the app directory `{}`: it does not exist",
            dir.display()
        )
    );
}
