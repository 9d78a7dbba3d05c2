#![cfg(test)]
//! Secret rules, family by family: what they find, where, and what they must leave alone
//! (references, placeholders, header names). Secret-shaped values are generated at run time so
//! that this file itself holds none.

use mudroom_gate::secrets::{RuleSet, SecretFinding, SecretScanner, redact, shannon_entropy};

/// Deterministic pseudo-random characters from `alphabet`.
fn rand_chars(seed: u64, n: usize, alphabet: &[u8]) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = usize::try_from(x % alphabet.len() as u64).unwrap();
            char::from(alphabet[i])
        })
        .collect()
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PASSWORDISH: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!%^&*";

fn scanner() -> &'static SecretScanner {
    static SCANNER: std::sync::OnceLock<SecretScanner> = std::sync::OnceLock::new();
    SCANNER.get_or_init(|| SecretScanner::builtin().unwrap())
}

fn scan(path: &str, text: &str) -> Vec<SecretFinding> {
    scanner().scan(path, text.as_bytes())
}

fn rule_ids(findings: &[SecretFinding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule_id.as_str()).collect()
}

/// Asserts that `text` yields exactly one finding, of `rule`, whose secret starts with the
/// redacted prefix of `secret`.
#[track_caller]
fn assert_finds(path: &str, text: &str, rule: &str, secret: &str) {
    let found = scan(path, text);
    assert_eq!(rule_ids(&found), [rule], "in {text:?}: {found:?}");
    assert_eq!(found[0].redacted, redact(secret), "{found:?}");
}

#[track_caller]
fn assert_clean(path: &str, text: &str) {
    let found = scan(path, text);
    assert!(found.is_empty(), "in {text:?}: {found:?}");
}

fn aws_key_id(seed: u64) -> String {
    format!("AKIA{}", rand_chars(seed, 16, BASE32))
}

#[test]
fn aws_access_key_ids_and_secret_keys() {
    let id = aws_key_id(1);
    assert_finds(
        "config.py",
        &format!("AWS_ACCESS_KEY_ID = \"{id}\"\n"),
        "aws-access-key-id",
        &id,
    );
    let sts = format!("ASIA{}", rand_chars(2, 16, BASE32));
    assert_finds(
        "a.json",
        &format!("{{\"AccessKeyId\": \"{sts}\"}}"),
        "aws-access-key-id",
        &sts,
    );

    let secret = rand_chars(3, 40, BASE64);
    for text in [
        format!("[default]\naws_secret_access_key = {secret}\n"),
        format!("AWS_SECRET_ACCESS_KEY=\"{secret}\"\n"),
        format!("{{\"SecretAccessKey\": \"{secret}\"}}\n"),
        format!("const awsSecret = '{secret}';\n"),
    ] {
        assert_finds("creds", &text, "aws-secret-access-key", &secret);
    }
    // Both in one credentials file: two findings, in file order.
    let both = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let found = scan("credentials", &both);
    assert_eq!(
        rule_ids(&found),
        ["aws-access-key-id", "aws-secret-access-key"]
    );
    assert_eq!((found[0].line, found[1].line), (2, 3));
}

#[test]
fn aws_references_and_documentation_keys_are_not_secrets() {
    assert_clean("app.py", "key = os.environ[\"AWS_SECRET_ACCESS_KEY\"]\n");
    assert_clean("app.py", "secret = os.getenv('AWS_SECRET_ACCESS_KEY')\n");
    assert_clean(
        "app.js",
        "const secret = process.env.AWS_SECRET_ACCESS_KEY;\n",
    );
    assert_clean(
        "ci.yml",
        "AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n",
    );
    assert_clean(
        "deploy.sh",
        "export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}\n",
    );
    // The documentation's example pair.
    assert_clean(
        "README.md",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    // The wrong alphabet or length is not a key id.
    assert_clean("a.txt", "AKIA1111111111111111\n");
    assert_clean("a.txt", &format!("AKIA{}\n", rand_chars(4, 12, BASE32)));
}

fn pem_body(seed: u64, lines: usize) -> String {
    (0..lines)
        .map(|i| rand_chars(seed + i as u64, 64, BASE64))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn private_keys_in_pem_blocks() {
    let body = pem_body(10, 12);
    for kind in [
        "RSA PRIVATE KEY",
        "PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ] {
        let text = format!("# key\n-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n");
        let found = scan("deploy/key.pem", &text);
        assert_eq!(rule_ids(&found), ["private-key"], "{kind}");
        assert_eq!((found[0].line, found[0].column), (3, 1));
        assert_eq!(found[0].end_line, 14);
        assert_eq!(found[0].redacted, redact(&body));
    }
    // A service-account JSON: the key is one string with escaped line breaks.
    let escaped = body.replace('\n', "\\n");
    let json = format!(
        "{{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{escaped}\\n-----END PRIVATE KEY-----\\n\"}}"
    );
    let found = scan("sa.json", &json);
    assert_eq!(rule_ids(&found), ["private-key"], "{found:?}");
    assert_eq!(found[0].redacted, redact(&body));
}

#[test]
fn public_keys_and_elided_private_keys_are_not_secrets() {
    let body = pem_body(20, 6);
    assert_clean(
        "pub.pem",
        &format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"),
    );
    assert_clean(
        "cert.pem",
        &format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"),
    );
    assert_clean(
        "README.md",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
    );
    assert_clean(
        "README.md",
        "-----BEGIN PRIVATE KEY-----\n<your private key here, as generated by openssl genpkey>\n-----END PRIVATE KEY-----\n",
    );
    // The same placeholder inside a string literal, line breaks escaped.
    assert_clean(
        "docs.rs",
        r#"let k = "-----BEGIN PRIVATE KEY-----\n<your private key here, as generated by openssl genpkey>\n-----END PRIVATE KEY-----\n";"#,
    );
    let xs = "x".repeat(64);
    assert_clean(
        "doc.md",
        &format!("-----BEGIN PRIVATE KEY-----\n{xs}\n{xs}\n-----END PRIVATE KEY-----\n"),
    );
}

#[test]
fn forge_and_registry_tokens() {
    let cases = [
        ("github-token", format!("ghp_{}", rand_chars(30, 36, ALNUM))),
        ("github-token", format!("ghs_{}", rand_chars(31, 36, ALNUM))),
        (
            "github-fine-grained-pat",
            format!("github_pat_{}", rand_chars(32, 82, ALNUM)),
        ),
        (
            "gitlab-token",
            format!("glpat-{}", rand_chars(33, 20, B64URL)),
        ),
        (
            "npm-access-token",
            format!("npm_{}", rand_chars(34, 36, ALNUM)),
        ),
        (
            "pypi-token",
            format!("pypi-AgEIcHlwaS5vcmc{}", rand_chars(35, 70, B64URL)),
        ),
        (
            "stripe-secret-key",
            format!("sk_live_{}", rand_chars(36, 24, ALNUM)),
        ),
        (
            "stripe-secret-key",
            format!("rk_test_{}", rand_chars(37, 24, ALNUM)),
        ),
        (
            "google-api-key",
            format!("AIza{}", rand_chars(38, 35, B64URL)),
        ),
    ];
    for (rule, token) in &cases {
        // As a bare value in a config, so only the specific rule can see it.
        assert_finds("settings.txt", &format!("value {token}\n"), rule, token);
        // Inside an assignment the specific rule wins over the generic one.
        assert_finds(
            "settings.py",
            &format!("TOKEN = \"{token}\"\n"),
            rule,
            token,
        );
    }
    let npmrc_token = rand_chars(39, 36, b"0123456789abcdef-");
    assert_finds(
        ".npmrc",
        &format!("//registry.npmjs.org/:_authToken={npmrc_token}\n"),
        "npmrc-auth-token",
        &npmrc_token,
    );
    assert_clean(".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
}

#[test]
fn chat_tokens_and_webhooks() {
    let bot = format!(
        "xoxb-{}-{}-{}",
        rand_chars(44, 12, b"0123456789"),
        rand_chars(45, 13, b"0123456789"),
        rand_chars(40, 24, ALNUM)
    );
    assert_finds(
        "bot.js",
        &format!("const slack = new WebClient('{bot}');\n"),
        "slack-token",
        &bot,
    );
    let hook_path = format!(
        "T{}/B{}/{}",
        rand_chars(41, 8, BASE32),
        rand_chars(42, 8, BASE32),
        rand_chars(43, 24, ALNUM)
    );
    assert_finds(
        "notify.py",
        &format!("requests.post(\"https://hooks.slack.com/services/{hook_path}\", json=msg)\n"),
        "slack-webhook-url",
        &hook_path,
    );
}

#[test]
fn placeholder_tokens_are_not_secrets() {
    for text in [
        "token = \"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n",
        "STRIPE_KEY=sk_live_XXXXXXXXXXXXXXXXXXXXXXXX\n",
        "GITHUB_TOKEN=ghp_0000000000000000000000000000000000000\n",
        "slack: xoxb-000000000000-0000000000000-xxxxxxxxxxxxxxxxxxxxxxxx\n",
        "api_key = \"AIzaSyEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAM\"\n",
        "NPM_TOKEN=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    ] {
        assert_clean("README.md", text);
    }
}

fn jwt(seed: u64) -> String {
    // The header is the ubiquitous {"alg":"HS256","typ":"JWT"}; payload and signature are noise.
    format!(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{}.{}",
        rand_chars(seed, 40, B64URL),
        rand_chars(seed + 1, 43, B64URL)
    )
}

#[test]
fn json_web_tokens() {
    let token = jwt(50);
    assert_finds(
        "test.http",
        &format!("Authorization: Bearer {token}\n"),
        "jwt",
        &token,
    );
    // The sample token of the JWT documentation.
    assert_clean(
        "README.md",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
    );
    // Two segments are not a token.
    assert_clean(
        "a.txt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0\n",
    );
}

#[test]
fn generic_assignments_with_high_entropy() {
    let pw = rand_chars(60, 18, PASSWORDISH);
    let key = rand_chars(61, 32, ALNUM);
    let cases = [
        ("app.py", format!("password = \"{pw}\"\n"), &pw),
        ("app.py", format!("    db_password='{pw}'\n"), &pw),
        (
            "config.json",
            format!("{{\"apiKey\": \"{key}\", \"debug\": true}}\n"),
            &key,
        ),
        (
            "config.yaml",
            format!("stripe:\n  api_key: \"{key}\"\n"),
            &key,
        ),
        (
            "settings.js",
            format!("module.exports = {{ clientSecret: `{key}` }};\n"),
            &key,
        ),
        ("main.go", format!("const authToken := \"{key}\"\n"), &key),
        (".env", format!("DB_PASSWORD={pw}\n"), &pw),
        (".env", format!("export SECRET_KEY={key}\n"), &key),
        (
            "app.properties",
            format!("spring.datasource.password={pw}\n"),
            &pw,
        ),
        ("config.yaml", format!("database:\n  password: {pw}\n"), &pw),
    ];
    for (path, text, secret) in &cases {
        let found = scan(path, text);
        assert_eq!(found.len(), 1, "{text:?}: {found:?}");
        assert!(found[0].rule_id.starts_with("generic-"), "{found:?}");
        assert_eq!(found[0].redacted, redact(secret));
    }
    // A key setting with a more specific name is still a secret.
    assert_eq!(
        rule_ids(&scan("app.py", &format!("secret_key = \"{key}\"\n"))),
        ["generic-secret-assignment"]
    );
    // Encrypted PEM keys carry headers before the body.
    let body = pem_body(61, 8);
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,5A0C8B1E2F3D4C5B6A7988776655443F\n\n{body}\n-----END RSA PRIVATE KEY-----\n"
    );
    assert_eq!(rule_ids(&scan("id_rsa", &pem)), ["private-key"]);
    // Human-chosen seasonal passwords in a .env file are caught too (entropy 3.0 there).
    assert_eq!(
        rule_ids(&scan(".env", "ADMIN_PASSWORD=Summer2024!\n")),
        ["generic-env-assignment"]
    );
}

#[test]
fn references_placeholders_and_names_are_not_generic_secrets() {
    for text in [
        // References to the environment, settings and secret stores.
        "password = os.environ[\"DB_PASSWORD\"]\n",
        "api_key = os.environ.get('API_KEY')\n",
        "const apiKey = process.env.API_KEY;\n",
        "apiKey = process.env.API_KEY_VALUE\n",
        "api_key = settings.STRIPE_API_KEY\n",
        "secret = secrets.token_hex(32)\n",
        "token = request.headers.get(\"Authorization\")\n",
        "password: ${DB_PASSWORD}\n",
        "password: \"{{ vault_db_password }}\"\n",
        "API_TOKEN=$API_TOKEN\n",
        "client_secret: \"${CLIENT_SECRET}\"\n",
        "SECRET_KEY = get_secret(\"django-secret-key\")\n",
        "password = password_from_vault_lookup\n",
        // Placeholders.
        "password = \"<your-password>\"\n",
        "api_key: \"YOUR_API_KEY_HERE\"\n",
        "api_key = \"changeme-before-deploying\"\n",
        "DB_PASSWORD=changeme\n",
        "SECRET_KEY=replace_me_with_a_long_random_string\n",
        "token = \"xxxxxxxxxxxxxxxxxxxxxxxx\"\n",
        "password = \"********\"\n",
        "apiKey: 'dummy-key-for-tests-1234'\n",
        // Header names, URLs, paths, words.
        "API_KEY_HEADER = \"X-Api-Key\"\n",
        "AUTH_HEADER=Authorization\n",
        "headers = {\"Proxy-Authorization\": proxy_auth}\n",
        "TOKEN_URL = \"https://oauth2.googleapis.com/token\"\n",
        "KEY_FILE = \"/etc/ssl/private/server.key\"\n",
        "tokenizer: \"bert-base-uncased\"\n",
        "auth_method = \"client_credentials\"\n",
        "author_email = \"maintainer@mudroom.dev\"\n",
        "authorization_endpoint: \"https://accounts.mudroom.dev/oauth/authorize\"\n",
        // Map entries named just `key` (object keys, condition keys).
        "cond = {\"BinaryEquals\": {\"key\": \"QmluYXJ5VmFsdWVJbkJhc2U2NA==\"}}\n",
        "params = {\"Bucket\": \"bucket\", \"Key\": \"upload/2024/report-7f3a.bin\"}\n",
        // Struct fields from other values.
        "            security_token: claims.security_token,\n",
        // Attributes, nested template markers, header names in any case.
        "        self.key = '_threading_local._localimpl.' + str(id(self))\n",
        "KEYPRESS_VIRTUAL_EVENT_NAME = \"<<autocompletewindow-keypress>>\"\n",
        "    auth_header = 'Proxy-authorization'\n",
        // Identifiers, ARNs, host names, hashes, templates: what the generic rule meets in
        // real code and API documentation.
        "dest_key='Ec2SubnetIds',\n",
        "terminate_key = 'terminateBlueInstancesOnDeploymentSuccess'\n",
        "'CopySourceSSECustomerKeyMD5': 'SSECustomerKeyMD5',\n",
        "\"result_key\": \"appAuthorizationSummaryList\",\n",
        "\"accessRole\": \"arn:aws:iam::111122223333:role/service-role/AccessAnalyzerMonitorServiceRole\",\n",
        "ALPHA_API = \"client.authentication.k8s.io/v1alpha1\"\n",
        "\"ApiGatewayDomainName\": \"d-id.execute-api.us-west-2.amazonaws.com\",\n",
        "\"AWS::ApiGateway::UsagePlanKey\": \"309b26469128fd0a\",\n",
        "\"ApiKeySelectionExpression\": \"$request.header.x-api-key\",\n",
        "_SAR_APP_KEY = \"serverlessrepo:applicationId\"\n",
        "LOCALS_KEY_KI_PROTECTION_ENABLED = \"@TRIO_KI_PROTECTION_ENABLED\"\n",
        "Token.Prompt: '#ansibrightblue',\n",
        "ClientRequestToken='{self.client_request_token}'\n",
        "const authTokenKey = `${regKey}:_authToken`\n",
        "\"keytype\": \"ecdsa-sha2-nistp256\",\n",
        "\"NextToken\": \"9f4d9f69-275a-41fe-b58e-2b837bd9ba48\"\n",
        "\"accessAssociationSource\": \"vpce-abcd1234efg\",\n",
        // Low entropy.
        "password = \"aaaaaaaaaaaa\"\n",
        "password = \"password1234\"\n",
        "PASSWORD=hunter2hunter2\n",
        "token_ttl = 3600\n",
        "api_version: \"2023-10-16\"\n",
    ] {
        assert_clean("app.py", text);
    }
}

#[test]
fn unquoted_values_in_source_code_are_expressions() {
    // In code, an unquoted value is a variable; the same line in a config file is a value.
    for line in [
        "                    self.token = nextchar\n",
        "        self.credentials = credentials\n",
        "    AuthenticationError = AuthenticationError\n",
    ] {
        assert_clean("lib/module.py", line);
        assert_clean("src/main.rs", line);
    }
    let v = rand_chars(62, 20, ALNUM);
    assert_eq!(
        rule_ids(&scan("config/app.ini", &format!("token = {v}\n"))),
        ["generic-env-assignment"]
    );
    assert!(scan("src/app.ts", &format!("token = {v}\n")).is_empty());
}

#[test]
fn url_credentials() {
    let pw = rand_chars(70, 16, ALNUM);
    let text = format!("DATABASE_URL=postgres://app:{pw}@db.internal:5432/app\n");
    let found = scan(".env", &text);
    assert_eq!(rule_ids(&found), ["url-credentials"], "{found:?}");
    assert_eq!(found[0].column, "DATABASE_URL=postgres://app:".len() + 1);
    assert_clean(
        ".env",
        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app\n",
    );
    assert_clean("README.md", "postgres://user:password@localhost:5432/db\n");
    assert_clean("README.md", "redis://:<password>@localhost:6379\n");
}

#[test]
fn pkcs12_files_by_name() {
    let found = scanner().scan("certs/client.p12", b"\x30\x82binary");
    assert_eq!(rule_ids(&found), ["pkcs12-file"]);
    assert!(
        scanner()
            .scan("certs/client.pem.txt", b"nothing")
            .is_empty()
    );
}

#[test]
fn dependency_and_lockfile_paths_are_skipped() {
    let token = format!("ghp_{}", rand_chars(80, 36, ALNUM));
    let text = format!("t = \"{token}\"\n");
    assert_eq!(scan("src/app.js", &text).len(), 1);
    for path in [
        "node_modules/left-pad/test.js",
        "web/node_modules/@scope/pkg/index.js",
        ".venv/lib/python3.12/site-packages/requests/x.py",
        "package-lock.json",
        "sub/poetry.lock",
        "vendor/github.com/x/y.go",
    ] {
        assert!(scanner().path_allowed(path), "{path}");
        assert_clean(path, &text);
    }
}

#[test]
fn positions_count_characters_and_lines() {
    let token = format!("ghp_{}", rand_chars(90, 36, ALNUM));
    // Two lines before; a multi-byte prefix on the secret's line; CRLF line ends.
    let text = format!("first\r\nsecond\r\nnote «ünïcode» {token} end\r\n");
    let found = scan("notes.txt", &text);
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.line, 3);
    assert_eq!(f.column, "note «ünïcode» ".chars().count() + 1);
    assert_eq!(f.end_line, 3);
    assert_eq!(f.end_column, f.column + token.len());
}

#[test]
fn findings_never_show_the_secret() {
    let token = format!("ghp_{}", rand_chars(91, 36, ALNUM));
    let pw = rand_chars(92, 20, PASSWORDISH);
    let text = format!("a = \"{token}\"\npassword = \"{pw}\"\n");
    let found = scan("x.py", &text);
    assert_eq!(found.len(), 2);
    let debug = format!("{found:?}");
    let json = serde_json::to_string(&found).unwrap();
    for secret in [&token, &pw] {
        for shown in [&debug, &json] {
            assert!(!shown.contains(secret.as_str()), "{shown}");
            // Not even most of it.
            assert!(!shown.contains(&secret[..8]), "{shown}");
        }
    }
    assert_eq!(found[0].redacted, format!("{}…", &token[..4]));
}

#[test]
fn redaction_and_entropy() {
    assert_eq!(redact("abcdefghijklmnopqrstuvwxyz"), "abcd…");
    assert_eq!(redact("abcdefgh"), "ab…");
    assert_eq!(redact("abc"), "…");
    assert_eq!(redact("ééééééééééééééééé"), "éééé…");
    assert!(shannon_entropy(b"aaaaaaaa").abs() < 1e-9);
    assert!((shannon_entropy(b"abcdabcd") - 2.0).abs() < 1e-9);
    assert!((shannon_entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    assert!(shannon_entropy(b"").abs() < 1e-9);
}

#[test]
fn keywords_gate_the_regex_case_insensitively() {
    // The regex would match, but without its keyword in the file the rule does not run.
    let set = RuleSet::from_toml(
        r#"
[[rules]]
id = "word"
regex = '''tok_[a-z]{6}'''
keywords = ["PREFIX"]
"#,
        "t.toml",
    )
    .unwrap();
    let s = SecretScanner::new(set).unwrap();
    assert!(s.scan("a", b"tok_abcdef").is_empty());
    assert_eq!(s.scan("a", b"prefix tok_abcdef").len(), 1);
    assert_eq!(s.scan("a", b"PrEfIx tok_abcdef").len(), 1);
    // Only from the keyword's line on: a match on an earlier line is outside the window.
    assert!(s.scan("a", b"tok_abcdef\nprefix").is_empty());
}

#[test]
fn custom_rules_secret_group_entropy_allowlists() {
    let set = RuleSet::from_toml(
        r#"
title = "custom"

[allowlist]
stopwords = ["sandbox"]

[[rules]]
id = "internal"
description = "internal token"
regex = '''(itk)_([a-z0-9]{12})'''
secretGroup = 2
keywords = ["itk_"]
entropy = 2.5
[rules.allowlist]
regexTarget = "line"
regexes = ['''#\s*fixture''']

[[rules]]
id = "anywhere"
regex = '''zz[0-9]{4}'''
[[rules.allowlists]]
condition = "AND"
paths = ['''^test/''']
regexes = ['''^zz0000$''']
"#,
        "custom.toml",
    )
    .unwrap();
    let s = SecretScanner::new(set).unwrap();
    let f = s.scan("a.txt", b"x = itk_a1b2c3d4e5f6\n");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].redacted, "a1b…");
    assert_eq!(f[0].column, 9, "the secret group starts after the prefix");
    // Entropy below 2.5.
    assert!(s.scan("a.txt", b"itk_aaaaaaaaaaab").is_empty());
    // Line allowlist.
    assert!(
        s.scan("a.txt", b"x = itk_a1b2c3d4e5f6 # fixture\n")
            .is_empty()
    );
    // Global stopword.
    assert!(s.scan("a.txt", b"itk_sandboxa1b2c").is_empty());
    // A rule without keywords runs everywhere; AND needs both the path and the value.
    assert_eq!(s.scan("src/x", b"zz0000").len(), 1);
    assert_eq!(s.scan("test/x", b"zz1234").len(), 1);
    assert!(s.scan("test/x", b"zz0000").is_empty());
}

#[test]
fn path_rules_limit_where_a_rule_applies() {
    let set = RuleSet::from_toml(
        r#"
[[rules]]
id = "tf-only"
regex = '''secret_[0-9]{8}'''
path = '''\.tf$'''
keywords = ["secret_"]
"#,
        "p.toml",
    )
    .unwrap();
    let s = SecretScanner::new(set).unwrap();
    assert_eq!(s.scan("main.tf", b"secret_12345678").len(), 1);
    assert!(s.scan("main.py", b"secret_12345678").is_empty());
}

#[test]
fn one_finding_per_secret_across_rules() {
    // A GitHub token assigned to a password-named setting: both the specific and the generic
    // rule match; the specific one (earlier in the file) is reported alone.
    let token = format!("ghp_{}", rand_chars(95, 36, ALNUM));
    let found = scan(".env", &format!("GITHUB_PASSWORD={token}\n"));
    assert_eq!(rule_ids(&found), ["github-token"]);
}

#[test]
fn many_secrets_in_one_file_are_all_found_in_order() {
    let mut text = String::new();
    let mut tokens = Vec::new();
    for i in 0..50u64 {
        let t = format!("ghp_{}", rand_chars(100 + i, 36, ALNUM));
        text.push_str(&format!("// line {i}\nconst t{i} = fetch(\"{t}\");\n"));
        tokens.push(t);
    }
    let found = scan("many.js", &text);
    assert_eq!(found.len(), 50);
    for (i, (f, t)) in found.iter().zip(&tokens).enumerate() {
        assert_eq!(f.line, 2 * i + 2);
        assert_eq!(f.redacted, redact(t));
    }
}

#[test]
fn allowlists_do_not_swallow_random_secrets() {
    // The generic rule's allowlists recognize identifiers, hashes and names; random keys of
    // usual lengths (above the rule's entropy floor of 3.5) must almost never look like one:
    // at most 1 in 200 of 32 characters or more, 1 in 100 of 24, and 2 in 100 of 16 (short
    // mixed-case strings are more often shaped like camelCase words: `TgtCadwzufzzLsdP`).
    let s = scanner();
    for (alphabet, len, per_mille) in [
        (ALNUM, 40, 995),
        (ALNUM, 32, 995),
        (ALNUM, 24, 990),
        (PASSWORDISH, 16, 980),
        (B64URL, 40, 995),
    ] {
        let values: Vec<String> = (0..1000u64)
            .map(|i| rand_chars(10_000 + i, len, alphabet))
            .filter(|v| shannon_entropy(v.as_bytes()) >= 3.5)
            .collect();
        let found = values
            .iter()
            .filter(|v| {
                !s.scan("app.py", format!("api_key = \"{v}\"\n").as_bytes())
                    .is_empty()
            })
            .count();
        assert!(values.len() > 900, "{len}: {}", values.len());
        assert!(
            found * 1000 >= values.len() * per_mille,
            "{len} characters: {found} of {} found ({per_mille}‰ needed)",
            values.len()
        );
    }
}
