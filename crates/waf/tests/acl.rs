//! Web ACL behaviour: each statement, field, action, label and managed-group option, and the
//! errors a bad ACL gets.
#![expect(clippy::unwrap_used, reason = "tests")]

use mudroom_waf::{Action, Limits, Request, WebAcl, managed, parse_raw};
use serde_json::{Value, json};

fn acl(rules: Value) -> WebAcl {
    acl_full(json!({ "Name": "t", "DefaultAction": { "Allow": {} }, "Rules": rules }))
}

fn acl_full(v: Value) -> WebAcl {
    managed::acl_from_json(&v.to_string()).unwrap()
}

fn rule(name: &str, prio: i64, statement: Value, action: &str) -> Value {
    json!({ "Name": name, "Priority": prio, "Statement": statement, "Action": { action: {} },
            "VisibilityConfig": {} })
}

fn req(raw: &str) -> Request {
    parse_raw(raw.as_bytes(), &Limits::default()).unwrap()
}

fn get(uri: &str) -> Request {
    req(&format!(
        "GET {uri} HTTP/1.1\r\nHost: h\r\nUser-Agent: ua\r\nCookie: sid=abc; theme=dark\r\n\r\n"
    ))
}

fn blocks(a: &WebAcl, r: &Request) -> bool {
    matches!(a.evaluate(r).action, Action::Block(_))
}

fn byte(field: Value, search: &str, pos: &str, tt: &[&str]) -> Value {
    let tt: Vec<Value> = tt
        .iter()
        .enumerate()
        .map(|(i, t)| json!({ "Priority": i, "Type": t }))
        .collect();
    json!({ "ByteMatchStatement": { "SearchString": search, "PositionalConstraint": pos,
            "FieldToMatch": field, "TextTransformations": tt } })
}

#[test]
fn byte_match_positions() {
    let f = json!({ "UriPath": {} });
    let cases = [
        ("EXACTLY", "/admin", "/admin", true),
        ("EXACTLY", "/admin", "/admin/x", false),
        ("STARTS_WITH", "/adm", "/admin", true),
        ("ENDS_WITH", "min", "/admin", true),
        ("ENDS_WITH", "adm", "/admin", false),
        ("CONTAINS", "dmi", "/admin", true),
        ("CONTAINS_WORD", "admin", "/x/admin/y", true),
        ("CONTAINS_WORD", "admin", "/administrator", false),
    ];
    for (pos, search, path, want) in cases {
        let a = acl(json!([rule(
            "r",
            0,
            byte(f.clone(), search, pos, &["NONE"]),
            "Block"
        )]));
        assert_eq!(blocks(&a, &get(path)), want, "{pos} {search} {path}");
    }
}

#[test]
fn fields_to_match() {
    let cases = [
        (json!({ "QueryString": {} }), "a=1&b=evil", true),
        (
            json!({ "SingleQueryArgument": { "Name": "b" } }),
            "evil",
            true,
        ),
        (
            json!({ "SingleQueryArgument": { "Name": "a" } }),
            "evil",
            false,
        ),
        (json!({ "AllQueryArguments": {} }), "evil", true),
        (json!({ "Method": {} }), "GET", true),
        (
            json!({ "SingleHeader": { "Name": "USER-AGENT" } }),
            "ua",
            true,
        ),
        (
            json!({ "Headers": { "MatchPattern": { "IncludedHeaders": ["cookie"] }, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE" } }),
            "sid=abc; theme=dark",
            true,
        ),
        (
            json!({ "Headers": { "MatchPattern": { "ExcludedHeaders": ["cookie"] }, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE" } }),
            "sid=abc; theme=dark",
            false,
        ),
        (
            json!({ "Headers": { "MatchPattern": { "All": {} }, "MatchScope": "KEY", "OversizeHandling": "CONTINUE" } }),
            "User-Agent",
            true,
        ),
        (
            json!({ "Cookies": { "MatchPattern": { "IncludedCookies": ["theme"] }, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE" } }),
            "dark",
            true,
        ),
        (
            json!({ "Cookies": { "MatchPattern": { "All": {} }, "MatchScope": "KEY", "OversizeHandling": "CONTINUE" } }),
            "sid",
            true,
        ),
        (
            json!({ "Cookies": { "MatchPattern": { "All": {} }, "MatchScope": "KEY", "OversizeHandling": "CONTINUE" } }),
            "abc",
            false,
        ),
    ];
    for (field, search, want) in cases {
        let a = acl(json!([rule(
            "r",
            0,
            byte(field.clone(), search, "EXACTLY", &[]),
            "Block"
        )]));
        assert_eq!(blocks(&a, &get("/p?a=1&b=evil")), want, "{field} {search}");
    }
}

#[test]
fn body_json_body_and_oversize_handling() {
    let post = |body: &str| {
        req(&format!(
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    };
    let json_field = json!({ "JsonBody": { "MatchPattern": { "IncludedPaths": ["/user/name"] }, "MatchScope": "VALUE", "InvalidFallbackBehavior": "EVALUATE_AS_STRING" } });
    let a = acl(json!([rule(
        "r",
        0,
        byte(json_field, "root", "EXACTLY", &[]),
        "Block"
    )]));
    assert!(blocks(&a, &post(r#"{"user":{"name":"root"}}"#)));
    assert!(!blocks(&a, &post(r#"{"user":{"nick":"root"}}"#)));
    let body = json!({ "Body": { "OversizeHandling": "CONTINUE" } });
    let a = acl(json!([rule(
        "r",
        0,
        byte(body, "root", "CONTAINS", &[]),
        "Block"
    )]));
    assert!(blocks(&a, &post(r#"{"user":"root"}"#)));
    // A body larger than what is inspected: MATCH matches whatever it holds.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    let over = json!({ "Body": { "OversizeHandling": "MATCH" } });
    let a = acl(json!([rule(
        "r",
        0,
        byte(over, "never", "CONTAINS", &[]),
        "Block"
    )]));
    assert!(blocks(&a, &post(&big)));
    assert!(!blocks(&a, &post("{}")));
    let under = json!({ "Body": { "OversizeHandling": "NO_MATCH" } });
    let a = acl(json!([rule(
        "r",
        0,
        byte(under, "x", "CONTAINS", &[]),
        "Block"
    )]));
    assert!(!blocks(&a, &post(&big)));
}

#[test]
fn transformations_apply_in_priority_order() {
    let f = json!({ "SingleQueryArgument": { "Name": "q" } });
    // q arrives decoded once (`%253C` -> `%3C`); URL_DECODE then LOWERCASE gives `<script`.
    let st = json!({ "ByteMatchStatement": { "SearchString": "<script", "PositionalConstraint": "EXACTLY",
        "FieldToMatch": f, "TextTransformations": [
            { "Priority": 2, "Type": "LOWERCASE" }, { "Priority": 1, "Type": "URL_DECODE" } ] } });
    let a = acl(json!([rule("r", 0, st, "Block")]));
    assert!(blocks(&a, &get("/?q=%253CSCRIPT")));
    assert!(!blocks(&a, &get("/?q=script")));
}

#[test]
fn regex_sqli_xss_and_size() {
    let q = json!({ "AllQueryArguments": {} });
    let tt = json!([{ "Priority": 0, "Type": "NONE" }]);
    let re = json!({ "RegexMatchStatement": { "RegexString": "^a+b$", "FieldToMatch": q, "TextTransformations": tt } });
    let a = acl(json!([rule("r", 0, re, "Block")]));
    assert!(blocks(&a, &get("/?x=aaab")));
    assert!(!blocks(&a, &get("/?x=aaabc")));
    let sq = json!({ "SqliMatchStatement": { "FieldToMatch": q, "TextTransformations": tt, "SensitivityLevel": "LOW" } });
    let a = acl(json!([rule("r", 0, sq, "Block")]));
    assert!(blocks(&a, &get("/?id=1%27%20or%20%271%27%3D%271")));
    assert!(!blocks(&a, &get("/?id=42")));
    let xs = json!({ "XssMatchStatement": { "FieldToMatch": q, "TextTransformations": tt } });
    let a = acl(json!([rule("r", 0, xs, "Block")]));
    assert!(blocks(
        &a,
        &get("/?c=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    ));
    assert!(!blocks(&a, &get("/?c=hello")));
    for (op, n, want) in [
        ("GT", 3, true),
        ("GT", 4, false),
        ("EQ", 4, true),
        ("NE", 4, false),
        ("LT", 5, true),
        ("LE", 3, false),
        ("GE", 4, true),
    ] {
        let sz = json!({ "SizeConstraintStatement": { "FieldToMatch": { "SingleQueryArgument": { "Name": "q" } },
            "ComparisonOperator": op, "Size": n, "TextTransformations": tt } });
        let a = acl(json!([rule("r", 0, sz, "Block")]));
        assert_eq!(blocks(&a, &get("/?q=abcd")), want, "{op} {n}");
    }
}

#[test]
fn ip_sets_v4_v6_and_forwarded_ip() {
    let v = json!({ "Name": "t", "DefaultAction": { "Allow": {} },
        "IPSets": [{ "Name": "bad", "ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/bad/x", "Addresses": ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"] }],
        "Rules": [
          rule("sock", 0, json!({ "IPSetReferenceStatement": { "ARN": "bad" } }), "Block"),
          rule("xff", 1, json!({ "IPSetReferenceStatement": { "ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/bad/x",
              "IPSetForwardedIPConfig": { "HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH", "Position": "FIRST" } } }), "Count"),
        ] });
    let a = acl_full(v);
    let mut r = get("/");
    for (ip, want) in [
        ("192.0.2.9", true),
        ("192.0.3.1", false),
        ("2001:db8::1", true),
        ("2001:db9::1", false),
        ("198.51.100.7", true),
    ] {
        r.client_ip = Some(ip.parse().unwrap());
        assert_eq!(blocks(&a, &r), want, "{ip}");
    }
    r.client_ip = None;
    let v = a.evaluate(&r);
    assert_eq!(
        v.counted,
        vec!["xff".to_owned()],
        "no X-Forwarded-For: fallback MATCH"
    );
    let mut r = req("GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.1, 192.0.2.1\r\n\r\n");
    r.client_ip = None;
    assert!(a.evaluate(&r).counted.is_empty());
}

#[test]
fn and_or_not_labels_and_count() {
    let path = |s: &str| byte(json!({ "UriPath": {} }), s, "CONTAINS", &[]);
    let mut tagger = rule("tag", 0, path("/api"), "Count");
    tagger["RuleLabels"] = json!([{ "Name": "api" }]);
    let gate = rule(
        "gate",
        1,
        json!({ "AndStatement": { "Statements": [
        { "LabelMatchStatement": { "Scope": "LABEL", "Key": "api" } },
        { "NotStatement": { "Statement": path("/public") } } ] } }),
        "Block",
    );
    let allow = rule(
        "allow",
        2,
        json!({ "OrStatement": { "Statements": [path("/b"), path("/c")] } }),
        "Allow",
    );
    let a = acl_full(
        json!({ "Name": "t", "DefaultAction": { "Block": {} }, "Rules": [tagger, gate, allow] }),
    );
    let v = a.evaluate(&get("/api/x"));
    assert_eq!(v.action.name(), "BLOCK");
    assert_eq!(v.rule.as_deref(), Some("gate"));
    assert_eq!(v.labels, vec!["mudroom:webacl:t:api".to_owned()]);
    assert_eq!(v.counted, vec!["tag".to_owned()]);
    let v = a.evaluate(&get("/api/public"));
    assert_eq!(v.action.name(), "BLOCK", "default action after a Count");
    assert_eq!(v.rule, None);
    assert_eq!(a.evaluate(&get("/b")).action, Action::Allow);
    let ns = rule(
        "ns",
        0,
        json!({ "LabelMatchStatement": { "Scope": "NAMESPACE", "Key": "mudroom:protocol:" } }),
        "Block",
    );
    let a = acl(json!([ns]));
    assert!(
        blocks(&a, &req("GET / HTTP/1.1\r\n\r\n")),
        "missing Host is a protocol label"
    );
    assert!(!blocks(&a, &get("/")));
}

#[test]
fn custom_block_response() {
    let v = json!({ "Name": "t", "DefaultAction": { "Allow": {} },
        "CustomResponseBodies": { "nope": { "ContentType": "APPLICATION_JSON", "Content": "{\"error\":\"nope\"}" } },
        "Rules": [{ "Name": "r", "Priority": 0, "Statement": byte(json!({ "UriPath": {} }), "/x", "EXACTLY", &[]),
          "Action": { "Block": { "CustomResponse": { "ResponseCode": 429, "CustomResponseBodyKey": "nope",
            "ResponseHeaders": [{ "Name": "Retry-After", "Value": "5" }] } } } }] });
    let a = acl_full(v);
    let Action::Block(Some(cr)) = a.evaluate(&get("/x")).action else {
        panic!("not a custom block")
    };
    assert_eq!(cr.status, 429);
    assert_eq!(cr.headers, vec![("Retry-After".to_owned(), "5".to_owned())]);
    assert_eq!(cr.body.unwrap().1, "{\"error\":\"nope\"}");
}

fn group_rule(extra: Value, override_action: &str) -> Value {
    let mut g = json!({ "VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet" });
    if let (Some(o), Some(e)) = (g.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    json!({ "Name": "core", "Priority": 0, "OverrideAction": { override_action: {} },
            "Statement": { "ManagedRuleGroupStatement": g } })
}

#[test]
fn managed_groups_exclusions_and_overrides() {
    let attack = get("/?q=%3Cscript%3Ealert(1)%3C/script%3E");
    let a = acl(json!([group_rule(json!({}), "None")]));
    let v = a.evaluate(&attack);
    assert_eq!(v.action.name(), "BLOCK");
    let rule = v.rule.unwrap();
    assert!(rule.starts_with("core/CrossSiteScripting"), "{rule}");
    let name = rule.trim_start_matches("core/").to_owned();
    assert!(
        v.labels
            .contains(&format!("mudroom:managed:core-rule-set:{name}"))
    );
    // OverrideAction Count: nothing in the group terminates.
    let a = acl(json!([group_rule(json!({}), "Count")]));
    let v = a.evaluate(&attack);
    assert_eq!(v.action, Action::Allow);
    assert!(v.counted.iter().any(|c| c == &format!("core/{name}")));
    // Excluded rules count; a rule action override can allow.
    let a = acl(json!([group_rule(
        json!({ "ExcludedRules": [{ "Name": name }] }),
        "None"
    )]));
    assert_ne!(a.evaluate(&attack).rule, Some(format!("core/{name}")));
    let a = acl(json!([group_rule(
        json!({ "RuleActionOverrides": [{ "Name": name, "ActionToUse": { "Allow": {} } }] }),
        "None"
    )]));
    assert_eq!(a.evaluate(&attack).action, Action::Allow);
    // A scope-down statement limits what the group sees.
    let scope = json!({ "ScopeDownStatement": byte(json!({ "UriPath": {} }), "/only", "STARTS_WITH", &[]) });
    let a = acl(json!([group_rule(scope, "None")]));
    assert_eq!(a.evaluate(&attack).action, Action::Allow);
}

#[test]
fn shipped_groups_document_every_rule() {
    for g in managed::groups().unwrap() {
        let mut n = 0;
        for (name, label, purpose) in g.rules() {
            assert!(
                !name.is_empty() && label.ends_with(name) && purpose.len() > 20,
                "{name}"
            );
            n += 1;
        }
        assert!(n >= 2, "{}", g.name());
    }
    let a = managed::default_acl().unwrap();
    assert_eq!(a.evaluate(&get("/hello?name=world")).action, Action::Allow);
    for attack in [
        "/?x=%24%7Bjndi%3Aldap%3A%2F%2Fevil%2Fa%7D",
        "/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x",
        "/?file=..%2F..%2F..%2Fetc%2Fpasswd",
        "/?cmd=%3Bcat%20%2Fetc%2Fshadow",
        "/?id=1%20union%20select%20password%20from%20users",
    ] {
        assert_eq!(a.evaluate(&get(attack)).action.name(), "BLOCK", "{attack}");
    }
}

fn error_of(v: Value) -> String {
    managed::acl_from_json(&v.to_string())
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_acls_get_a_json_path_and_a_reason() {
    let base =
        |rules: Value| json!({ "Name": "t", "DefaultAction": { "Allow": {} }, "Rules": rules });
    let cases = [
        (json!({ "Rules": [] }), "$: missing `DefaultAction`"),
        (
            base(json!([rule(
                "r",
                0,
                json!({ "FooStatement": {} }),
                "Block"
            )])),
            "$.Rules[0].Statement: unknown statement `FooStatement`",
        ),
        (
            base(json!([rule(
                "r",
                0,
                byte(json!({ "UriPath": {} }), "x", "NEAR", &[]),
                "Block"
            )])),
            "$.Rules[0].Statement.ByteMatchStatement.PositionalConstraint: unknown positional constraint `NEAR`",
        ),
        (
            base(json!([rule(
                "r",
                0,
                byte(json!({ "UriPath": {} }), "x", "CONTAINS", &["MD5"]),
                "Block"
            )])),
            "$.Rules[0].Statement.ByteMatchStatement.TextTransformations[0].Type: text transformation `MD5` is not supported",
        ),
        (
            base(json!([rule(
                "r",
                0,
                json!({ "RegexMatchStatement": { "RegexString": "(", "FieldToMatch": { "UriPath": {} }, "TextTransformations": [] } }),
                "Block"
            )])),
            "$.Rules[0].Statement.RegexMatchStatement.RegexString: invalid regex",
        ),
        (
            base(json!([
                rule(
                    "a",
                    0,
                    byte(json!({ "UriPath": {} }), "x", "CONTAINS", &[]),
                    "Block"
                ),
                rule(
                    "b",
                    0,
                    byte(json!({ "UriPath": {} }), "x", "CONTAINS", &[]),
                    "Block"
                )
            ])),
            "$.Rules[1].Priority: duplicate rule priority 0",
        ),
        (
            base(json!([rule(
                "r",
                0,
                json!({ "IPSetReferenceStatement": { "ARN": "nope" } }),
                "Block"
            )])),
            "$.Rules[0].Statement.IPSetReferenceStatement.ARN: no IP set `nope`",
        ),
        (
            base(json!([group_rule(
                json!({ "ExcludedRules": [{ "Name": "Nope" }] }),
                "None"
            )])),
            "$.Rules[0].Statement.ManagedRuleGroupStatement.ExcludedRules[0].Name: no rule `Nope`",
        ),
        (
            base(json!([rule(
                "r",
                0,
                json!({ "AndStatement": { "Statements": [byte(json!({ "Uri": {} }), "x", "CONTAINS", &[]), byte(json!({ "UriPath": {} }), "x", "CONTAINS", &[])] } }),
                "Block"
            )])),
            "$.Rules[0].Statement.AndStatement.Statements[0].ByteMatchStatement.FieldToMatch: unknown field to match `Uri`",
        ),
        (
            base(json!([rule(
                "r",
                0,
                byte(json!({ "UriPath": {} }), "x", "CONTAINS", &[]),
                "Captcha"
            )])),
            "$.Rules[0].Action.Captcha: action `Captcha` is not supported",
        ),
    ];
    for (v, want) in cases {
        let got = error_of(v);
        assert!(got.starts_with(want), "got `{got}`, want `{want}`");
    }
}

#[test]
fn from_parts_requests_are_inspected_like_raw_ones() {
    let bare = Request::from_parts(
        "GET",
        "/hello?name=world",
        Vec::new(),
        b"",
        &Limits::default(),
    );
    assert_eq!(
        managed::default_acl().unwrap().evaluate(&bare).action,
        Action::Allow
    );
    let a = managed::default_acl().unwrap();
    let r = Request::from_parts(
        "POST",
        "/login",
        vec![
            ("Host".to_owned(), "h".to_owned()),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("Content-Length".to_owned(), "27".to_owned()),
        ],
        b"user=admin'--&password=abc",
        &Limits::default(),
    );
    assert_eq!(a.evaluate(&r).action.name(), "BLOCK");
}
