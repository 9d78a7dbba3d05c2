//! The parser's refusals, each with the JSON path it names, and the valid forms it accepts.

#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use mudroom_policy::{
    Block, Effect, MAX_DOCUMENT_BYTES, ParseOptions, PolicyError, PolicyKind, Principals, Version,
    parse_policy, policy_from_value,
};
use serde_json::{Value, json};

use PolicyKind::{Boundary, Identity, Rcp, Resource, Scp, Session, Trust};

fn refuse(kind: PolicyKind, policy: &Value) -> PolicyError {
    policy_from_value(policy, ParseOptions::new(kind)).unwrap_err()
}

/// Checks that `policy` is refused at `path` with a message containing `fragment`.
fn check(kind: PolicyKind, policy: Value, path: &str, fragment: &str) {
    let e = refuse(kind, &policy);
    assert_eq!(e.path, path, "{policy}: {e}");
    assert!(
        e.message.contains(fragment),
        "{policy}: `{}` lacks `{fragment}`",
        e.message
    );
    // Messages are lowercase and end without a period.
    assert!(!e.message.ends_with('.'), "{}", e.message);
}

/// A one-statement identity policy built from `statement`.
fn statement(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

fn allow_s3() -> Value {
    json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

#[test]
fn document_level_refusals() {
    check(
        Identity,
        json!([]),
        "",
        "must be a JSON object, not an array",
    );
    check(Identity, json!("x"), "", "not a string");
    check(
        Identity,
        json!({"Version": "2012-10-17", "Statement": [], "Extra": 1}),
        "Extra",
        "unknown element `Extra`",
    );
    check(
        Identity,
        json!({"Version": "2012-10-18", "Statement": [allow_s3()]}),
        "Version",
        "unknown version `2012-10-18`",
    );
    check(
        Identity,
        json!({"Version": 2012, "Statement": [allow_s3()]}),
        "Version",
        "must be a string, not a number",
    );
    check(
        Identity,
        json!({"Version": "2012-10-17", "Id": 7, "Statement": [allow_s3()]}),
        "Id",
        "must be a string, not a number",
    );
    check(
        Identity,
        json!({"Version": "2012-10-17"}),
        "",
        "missing element `Statement`",
    );
    check(
        Identity,
        json!({"Version": "2012-10-17", "Statement": "x"}),
        "Statement",
        "must be an object or an array, not a string",
    );
    check(
        Identity,
        json!({"Version": "2012-10-17", "Statement": [allow_s3(), 3]}),
        "Statement[1]",
        "a statement must be an object, not a number",
    );
}

#[test]
fn text_level_refusals() {
    let e = parse_policy("{\"Version\": ", ParseOptions::new(Identity)).unwrap_err();
    assert_eq!(e.path, "");
    assert!(e.message.starts_with("not valid JSON"), "{e}");
    assert!(e.message.contains("line 1"), "{e}");
    let huge = format!(
        "{{\"Statement\": [], \"Id\": \"{}\"}}",
        "x".repeat(MAX_DOCUMENT_BYTES)
    );
    let e = parse_policy(&huge, ParseOptions::unlimited(Identity)).unwrap_err();
    assert_eq!(e.path, "");
    assert!(e.message.contains("larger than"), "{e}");
}

#[test]
fn statement_element_refusals() {
    check(
        Identity,
        statement(with(allow_s3(), "Actions", json!("s3:*"))),
        "Statement[0].Actions",
        "unknown element `Actions`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Sid", json!(1))),
        "Statement[0].Sid",
        "must be a string, not a number",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Effect", json!("allow"))),
        "Statement[0].Effect",
        "must be `Allow` or `Deny`, not `allow`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Effect", json!(true))),
        "Statement[0].Effect",
        "must be a string, not a boolean",
    );
    check(
        Identity,
        statement(json!({"Action": "s3:*", "Resource": "*"})),
        "Statement[0]",
        "missing element `Effect`",
    );
    // A statement given as a lone object is named `Statement`.
    check(
        Identity,
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}}),
        "Statement",
        "missing element `Action` or `NotAction`",
    );
}

#[test]
fn duplicate_sids() {
    let a = with(allow_s3(), "Sid", json!("Same"));
    check(
        Identity,
        json!({"Version": "2012-10-17", "Statement": [a.clone(), allow_s3(), a]}),
        "Statement[2].Sid",
        "duplicate Sid `Same`",
    );
}

#[test]
fn action_refusals() {
    check(
        Identity,
        statement(with(allow_s3(), "NotAction", json!("s3:PutObject"))),
        "Statement[0]",
        "cannot have both `Action` and `NotAction`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!([]))),
        "Statement[0].Action",
        "must not be an empty array",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!(""))),
        "Statement[0].Action",
        "must not be empty",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!(["s3:GetObject", ""]))),
        "Statement[0].Action[1]",
        "must not be empty",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!(["s3:GetObject", 5]))),
        "Statement[0].Action[1]",
        "must be a string, not a number",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!({"s3": "x"}))),
        "Statement[0].Action",
        "must be a string or an array of strings, not an object",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!("GetObject"))),
        "Statement[0].Action",
        "must be `service:Action` or `*`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!(["s3:Get", "s 3:Get"]))),
        "Statement[0].Action[1]",
        "invalid service prefix `s 3`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!("s3:Get/Object"))),
        "Statement[0].Action",
        "invalid action name `Get/Object`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Action", json!("s3:"))),
        "Statement[0].Action",
        "invalid action name ``",
    );
    check(
        Identity,
        statement(json!({"Effect": "Allow", "NotAction": [], "Resource": "*"})),
        "Statement[0].NotAction",
        "must not be an empty array",
    );
}

#[test]
fn resource_refusals() {
    check(
        Identity,
        statement(with(allow_s3(), "NotResource", json!("*"))),
        "Statement[0]",
        "cannot have both `Resource` and `NotResource`",
    );
    check(
        Identity,
        statement(json!({"Effect": "Allow", "Action": "s3:*"})),
        "Statement[0]",
        "missing element `Resource` or `NotResource`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Resource", json!(["*", "bucket"]))),
        "Statement[0].Resource[1]",
        "resource `bucket` must be an ARN or `*`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Resource", json!("arn:aws:s3"))),
        "Statement[0].Resource",
        "must be an ARN or `*`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Resource", json!("arn::s3:::b"))),
        "Statement[0].Resource",
        "has an empty partition",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Resource", json!("arn:aws::::b"))),
        "Statement[0].Resource",
        "has an empty service",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Resource", json!("urn:aws:s3:::b"))),
        "Statement[0].Resource",
        "must be an ARN or `*`",
    );
    check(
        Identity,
        statement(with(allow_s3(), "Resource", json!([]))),
        "Statement[0].Resource",
        "must not be an empty array",
    );
    check(
        Boundary,
        statement(json!({"Effect": "Allow", "Action": "s3:*"})),
        "Statement[0]",
        "missing element `Resource` or `NotResource`",
    );
    check(
        Session,
        statement(json!({"Effect": "Allow", "Action": "s3:*"})),
        "Statement[0]",
        "missing element `Resource` or `NotResource`",
    );
}

#[test]
fn malformed_variables() {
    let cases = [
        ("arn:aws:s3:::b/${aws:username", "is not closed"),
        ("arn:aws:s3:::b/${}", "malformed policy variable `${}`"),
        ("arn:aws:s3:::b/${username}", "malformed policy variable"),
        (
            "arn:aws:s3:::b/${aws:x, default}",
            "malformed policy variable",
        ),
        (
            "arn:aws:s3:::b/${aws:x, 'a'b'}",
            "malformed policy variable",
        ),
        ("arn:aws:s3:::b/${aws:x!}", "malformed policy variable"),
    ];
    for (resource, fragment) in cases {
        check(
            Identity,
            statement(with(allow_s3(), "Resource", json!(resource))),
            "Statement[0].Resource",
            fragment,
        );
    }
    check(
        Identity,
        statement(with(
            allow_s3(),
            "Condition",
            json!({"StringLike": {"s3:prefix": ["ok", "${aws:username/"]}}),
        )),
        "Statement[0].Condition.StringLike.s3:prefix",
        "is not closed",
    );
    check(
        Identity,
        statement(with(
            allow_s3(),
            "Condition",
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:${}"}}),
        )),
        "Statement[0].Condition.ArnLike.aws:SourceArn",
        "malformed policy variable",
    );
}

#[test]
fn principal_slot_rules() {
    let with_principal = with(allow_s3(), "Principal", json!({"AWS": "111122223333"}));
    for kind in [Identity, Boundary, Session, Scp] {
        check(
            kind,
            statement(with_principal.clone()),
            "Statement[0].Principal",
            &format!("a {} cannot name a principal", kind.name()),
        );
        check(
            kind,
            statement(with(
                allow_s3(),
                "NotPrincipal",
                json!({"AWS": "111122223333"}),
            )),
            "Statement[0].NotPrincipal",
            "cannot name a principal",
        );
    }
    check(
        Resource,
        statement(allow_s3()),
        "Statement[0]",
        "a resource policy needs `Principal` or `NotPrincipal`",
    );
    check(
        Trust,
        statement(json!({"Effect": "Allow", "Action": "sts:AssumeRole"})),
        "Statement[0]",
        "a trust policy needs `Principal` or `NotPrincipal`",
    );
    check(
        Rcp,
        statement(with_principal.clone()),
        "Statement[0].Principal",
        "must have `\"Principal\": \"*\"`",
    );
    check(
        Rcp,
        statement(with(allow_s3(), "NotPrincipal", json!("*"))),
        "Statement[0].Principal",
        "must have `\"Principal\": \"*\"`",
    );
    check(
        Resource,
        statement(with(with_principal, "NotPrincipal", json!("*"))),
        "Statement[0]",
        "cannot have both `Principal` and `NotPrincipal`",
    );
}

// reference_policies_elements_notprincipal.html: "You cannot use the NotPrincipal element in an
// IAM identity-based policy or in an IAM role trust policy." Regression: trust policies with
// `NotPrincipal` were accepted.
#[test]
fn not_principal_refused_in_trust_policy() {
    check(
        Trust,
        statement(
            json!({"Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"},
            "Action": "sts:AssumeRole"}),
        ),
        "Statement[0].NotPrincipal",
        "a trust policy cannot use `NotPrincipal`",
    );
}

#[test]
fn trust_policy_has_no_resource() {
    let trust = json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"});
    check(
        Trust,
        statement(with(trust.clone(), "Resource", json!("*"))),
        "Statement[0].Resource",
        "a trust policy has no `Resource`",
    );
    check(
        Trust,
        statement(with(trust, "NotResource", json!("*"))),
        "Statement[0].NotResource",
        "a trust policy has no `Resource`",
    );
}

#[test]
fn principal_value_refusals() {
    let p = |principal: Value| statement(with(allow_s3(), "Principal", principal));
    check(
        Resource,
        p(json!("111122223333")),
        "Statement[0].Principal",
        "is not a principal",
    );
    check(
        Resource,
        p(json!(["*"])),
        "Statement[0].Principal",
        "must be `\"*\"` or an object, not an array",
    );
    check(
        Resource,
        p(json!({})),
        "Statement[0].Principal",
        "must name at least one principal",
    );
    check(
        Resource,
        p(json!({"Aws": "111122223333"})),
        "Statement[0].Principal.Aws",
        "unknown principal type `Aws`",
    );
    check(
        Resource,
        p(json!({"AWS": []})),
        "Statement[0].Principal.AWS",
        "must not be an empty array",
    );
    let bad_aws = [
        "11112222333",
        "arn:aws:iam::111122223333:user/*",
        "arn:aws:iam::111122223333:group/admins",
        "arn:aws:iam::1111:root",
        "arn:aws:s3:::bucket",
        "arn:aws:sts::111122223333:assumed-role/",
        "arn:aws:iam::111122223333:role/ops?",
        "bob",
    ];
    for value in bad_aws {
        check(
            Resource,
            p(json!({"AWS": ["111122223333", value]})),
            "Statement[0].Principal.AWS[1]",
            value,
        );
    }
    check(
        Resource,
        p(json!({"Service": "lambda"})),
        "Statement[0].Principal.Service",
        "is not a service principal",
    );
    check(
        Resource,
        p(json!({"Federated": "my idp"})),
        "Statement[0].Principal.Federated",
        "is not a federated principal",
    );
    check(
        Resource,
        p(json!({"CanonicalUser": "abc"})),
        "Statement[0].Principal.CanonicalUser",
        "is not a canonical user id",
    );
    check(
        Resource,
        p(json!({"AWS": {"x": 1}})),
        "Statement[0].Principal.AWS",
        "must be a string or an array of strings, not an object",
    );
}

#[test]
fn condition_refusals() {
    let c = |condition: Value| statement(with(allow_s3(), "Condition", condition));
    check(
        Identity,
        c(json!([])),
        "Statement[0].Condition",
        "must be an object, not an array",
    );
    check(
        Identity,
        c(json!({"StringEqualz": {"k:k": "v"}})),
        "Statement[0].Condition.StringEqualz",
        "unknown condition operator `StringEqualz`",
    );
    // Operator names are case-sensitive, `IfExists` is a suffix and `Null` cannot take it.
    for op in [
        "stringequals",
        "IfExistsStringEquals",
        "NullIfExists",
        "ForAllValues:",
        "ForSomeValues:StringEquals",
        "ForAnyValue:ForAllValues:StringEquals",
    ] {
        check(
            Identity,
            c(json!({op: {"k:k": "v"}})),
            &format!("Statement[0].Condition.{op}"),
            "unknown condition operator",
        );
    }
    check(
        Identity,
        c(json!({"StringEquals": "v"})),
        "Statement[0].Condition.StringEquals",
        "must be an object of condition keys, not a string",
    );
    check(
        Identity,
        c(json!({"StringEquals": {}})),
        "Statement[0].Condition.StringEquals",
        "must hold at least one condition key",
    );
    check(
        Identity,
        c(json!({"StringEquals": {"": "v"}})),
        "Statement[0].Condition.StringEquals.",
        "invalid condition key ``",
    );
    check(
        Identity,
        c(json!({"StringEquals": {"aws:user name": "v"}})),
        "Statement[0].Condition.StringEquals.aws:user name",
        "invalid condition key",
    );
    check(
        Identity,
        c(json!({"StringEquals": {"k:k": []}})),
        "Statement[0].Condition.StringEquals.k:k",
        "must not be an empty array",
    );
    check(
        Identity,
        c(json!({"StringEquals": {"k:k": ["a", null]}})),
        "Statement[0].Condition.StringEquals.k:k[1]",
        "must be a string, number or boolean, not null",
    );
    check(
        Identity,
        c(json!({"StringEquals": {"k:k": {"a": 1}}})),
        "Statement[0].Condition.StringEquals.k:k",
        "not an object",
    );
    let bad_values = [
        ("NumericEquals", "ten", "`ten` is not a number"),
        ("NumericLessThan", "NaN", "`NaN` is not a number"),
        ("DateLessThan", "yesterday", "`yesterday` is not a date"),
        ("DateEquals", "2024-13-01", "is not a date"),
        ("Bool", "yes", "`yes` is not `true` or `false`"),
        ("Null", "1", "`1` is not `true` or `false`"),
        ("BinaryEquals", "not base64!", "is not base64"),
        (
            "IpAddress",
            "203.0.113.0/33",
            "is not an IP address or CIDR range",
        ),
        (
            "NotIpAddress",
            "example.com",
            "is not an IP address or CIDR range",
        ),
    ];
    for (op, value, fragment) in bad_values {
        check(
            Identity,
            c(json!({op: {"k:k": value}})),
            &format!("Statement[0].Condition.{op}.k:k"),
            fragment,
        );
    }
}

/// A policy of `kind` whose size without whitespace is exactly `chars`.
fn sized(kind: PolicyKind, chars: usize) -> String {
    let statement = match kind {
        Trust => {
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}"#
        }
        Resource => {
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}"#
        }
        Rcp => r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
        _ => r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
    };
    let empty = format!(r#"{{"Version":"2012-10-17","Id":"","Statement":[{statement}]}}"#);
    let pad = chars.checked_sub(empty.len()).unwrap();
    // Whitespace does not count: spread some through the document.
    format!(
        "{{ \"Version\": \"2012-10-17\",\n  \"Id\": \"{}\",\n  \"Statement\": [{statement}]\n}}",
        "x".repeat(pad)
    )
}

#[test]
fn size_limits_per_slot() {
    let limits = [
        (Identity, 6_144),
        (Boundary, 6_144),
        (Resource, 20_480),
        (Trust, 2_048),
        (Session, 2_048),
        (Scp, 5_120),
        (Rcp, 5_120),
    ];
    for (kind, limit) in limits {
        assert_eq!(kind.default_limit(), limit, "{}", kind.name());
        let at = sized(kind, limit);
        assert!(
            parse_policy(&at, ParseOptions::new(kind)).is_ok(),
            "{} at its limit",
            kind.name()
        );
        let over = sized(kind, limit + 1);
        let e = parse_policy(&over, ParseOptions::new(kind)).unwrap_err();
        assert_eq!(e.path, "");
        assert_eq!(
            e.message,
            format!(
                "{} is {} characters without whitespace, over the limit of {limit}",
                kind.name(),
                limit + 1
            )
        );
        // The same document read as JSON value is measured the same way.
        let value: Value = serde_json::from_str(&over).unwrap();
        assert_eq!(
            policy_from_value(&value, ParseOptions::new(kind))
                .unwrap_err()
                .path,
            ""
        );
        // Without a limit, only MAX_DOCUMENT_BYTES bounds the document.
        let big = sized(kind, limit * 10);
        assert!(parse_policy(&big, ParseOptions::unlimited(kind)).is_ok());
        let custom = ParseOptions {
            kind,
            max_chars: Some(limit * 10 - 1),
        };
        assert!(parse_policy(&big, custom).is_err());
    }
}

#[test]
fn accepts_string_or_array_and_single_statement() {
    let one = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "A", "Effect": "Allow",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#,
        ParseOptions::new(Identity),
    )
    .unwrap();
    let many = parse_policy(
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow",
            "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}"#,
        ParseOptions::new(Identity),
    )
    .unwrap();
    for p in [&one, &many] {
        assert_eq!(p.version, Version::V2012);
        assert_eq!(p.statements.len(), 1);
        let s = &p.statements[0];
        assert_eq!(s.effect, Effect::Allow);
        assert_eq!(s.label(), "A");
        assert!(
            matches!(&s.action, Some(Block::Is(list)) if list == &["s3:GetObject".to_string()]),
            "{:?}",
            s.action
        );
    }
}

#[test]
fn accepts_2008_and_missing_version_with_literal_dollar_braces() {
    for text in [
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/${aws:username"}]}"#,
        r#"{"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/${}", "Condition": {"StringEquals": {"k:k": "${"}}}]}"#,
    ] {
        let p = parse_policy(text, ParseOptions::new(Identity)).unwrap();
        assert_eq!(p.version, Version::V2008);
    }
}

#[test]
fn accepts_valid_principals() {
    let p = policy_from_value(
        &json!({"Version": "2012-10-17", "Id": "key-policy", "Statement": [
            {"Sid": "", "Effect": "Allow", "Principal": {
                "AWS": ["111122223333", "arn:aws:iam::111122223333:root",
                        "arn:aws:iam::111122223333:user/path/bob",
                        "arn:aws:iam::111122223333:role/ops",
                        "arn:aws:sts::111122223333:assumed-role/ops/s1",
                        "arn:aws:sts::111122223333:federated-user/ana",
                        "arn:aws-cn:iam::111122223333:root",
                        "AIDAJQABLZS4A3QDU576Q", "*"],
                "Service": ["lambda.amazonaws.com", "*"],
                "Federated": "cognito-identity.amazonaws.com",
                "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "", "Effect": "Deny", "Principal": "*", "Action": "kms:Delete*",
             "Resource": "*"},
            {"Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "Action": "kms:*",
             "Resource": "*"}]}),
        ParseOptions::new(Resource),
    )
    .unwrap();
    assert_eq!(p.id.as_deref(), Some("key-policy"));
    assert_eq!(p.statements.len(), 3);
    assert!(matches!(
        p.statements[1].principal,
        Some(Block::Is(Principals::Any))
    ));
    assert!(p.statements[2].principal.as_ref().unwrap().is_not());
    // Empty Sids may repeat; the label falls back to the position.
    assert_eq!(p.statements[1].label(), "Statement[1]");
}

#[test]
fn accepts_condition_value_forms() {
    let p = policy_from_value(
        &statement(with(
            allow_s3(),
            "Condition",
            json!({
                "NumericLessThanEquals": {"s3:max-keys": 10},
                "Bool": {"aws:SecureTransport": true},
                "DateGreaterThan": {"aws:CurrentTime": ["2020-01-01", "2020-01-01T00:00:00Z",
                                                       "2020-01-01T00:00:00.5+02:00", 1577836800]},
                "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8::/32", "192.0.2.1"]},
                "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*", "${aws:username}"]},
                "Null": {"aws:TokenIssueTime": "TRUE"},
                "BinaryEquals": {"k:k": "QmluYXJ5"},
                "ArnLike": {"aws:SourceArn": ["arn:aws:sns:*:*:t", "*"]}
            }),
        )),
        ParseOptions::new(Identity),
    )
    .unwrap();
    let conditions = &p.statements[0].conditions;
    assert_eq!(conditions.len(), 8);
    let numeric = conditions
        .iter()
        .find(|c| c.operator_text == "NumericLessThanEquals")
        .unwrap();
    assert_eq!(numeric.values, ["10"]);
    let bool_ = conditions
        .iter()
        .find(|c| c.operator_text == "Bool")
        .unwrap();
    assert_eq!(bool_.values, ["true"]);
}

#[test]
fn accepts_not_elements_and_wildcard_actions() {
    let p = policy_from_value(
        &statement(
            json!({"Effect": "Deny", "NotAction": ["iam:*", "sts:Get*", "s3:?etObject"],
            "NotResource": ["arn:aws:s3:::b", "arn:aws:s3:::b/${aws:username}/*"]}),
        ),
        ParseOptions::new(Identity),
    )
    .unwrap();
    let s = &p.statements[0];
    assert!(s.action.as_ref().unwrap().is_not());
    assert_eq!(s.resource.as_ref().unwrap().inner().len(), 2);
    // `*` alone, and wildcard service prefixes.
    for action in ["*", "*:*", "s3*:Get*", "ec2:Describe*"] {
        assert!(
            policy_from_value(
                &statement(with(allow_s3(), "Action", json!(action))),
                ParseOptions::new(Identity)
            )
            .is_ok(),
            "{action}"
        );
    }
}

#[test]
fn accepts_trust_and_rcp_forms() {
    let trust = policy_from_value(
        &statement(
            json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}),
        ),
        ParseOptions::new(Trust),
    )
    .unwrap();
    assert!(trust.statements[0].resource.is_none());
    for principal in [json!("*"), json!({"AWS": "*"})] {
        assert!(
            policy_from_value(
                &statement(with(allow_s3(), "Principal", principal)),
                ParseOptions::new(Rcp)
            )
            .is_ok()
        );
    }
    // SCPs may leave out `Resource`.
    assert!(
        policy_from_value(
            &statement(json!({"Effect": "Allow", "Action": "*"})),
            ParseOptions::new(Scp)
        )
        .is_ok()
    );
}
