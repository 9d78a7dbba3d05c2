//! Secret resource policies: validated by the policy engine as resource policies, checked for
//! broad (public) access, compiled for authorization.

use mudroom_policy::{
    Block, CompiledPolicy, Effect, ParseOptions, Policy, PolicyKind, PrincipalKind, Principals,
    Severity, lint_text, parse_policy,
};
use serde_json::{Value, json};

use crate::error::ServiceError;

/// Longest resource policy, in characters (AWS's limit for secrets).
pub(super) const MAX_POLICY_CHARS: usize = 20_480;

/// Parses a resource policy; a refusal is `MalformedPolicyDocumentException` naming the JSON
/// path of the problem.
pub(super) fn validate(text: &str) -> Result<Policy, ServiceError> {
    parse_policy(text, ParseOptions::new(PolicyKind::Resource)).map_err(|e| {
        ServiceError::client(
            "MalformedPolicyDocumentException",
            format!("the resource policy is invalid: {e}"),
        )
    })
}

/// A stored policy compiled for evaluation; an unreadable one grants nothing.
pub(super) fn compile(text: &str) -> Option<CompiledPolicy> {
    parse_policy(text, ParseOptions::unlimited(PolicyKind::Resource))
        .ok()
        .map(|p| CompiledPolicy::new("resource policy", PolicyKind::Resource, &p))
}

/// The labels of statements that allow everyone (`*`, `{"AWS": "*"}`, or any `NotPrincipal`)
/// without a condition: what `BlockPublicPolicy` refuses.
pub(super) fn public_statements(policy: &Policy) -> Vec<String> {
    policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow && s.conditions.is_empty())
        .filter(|s| match &s.principal {
            Some(Block::Is(Principals::Any)) | Some(Block::Not(_)) => true,
            Some(Block::Is(Principals::Listed(entries))) => entries
                .iter()
                .any(|(kind, v)| *kind == PrincipalKind::Aws && v == "*"),
            None => false,
        })
        .map(mudroom_policy::Statement::label)
        .collect()
}

/// `PublicPolicyException` for `statements`.
pub(super) fn public_error(statements: &[String]) -> ServiceError {
    ServiceError::client(
        "PublicPolicyException",
        format!(
            "BlockPublicPolicy is set and the resource policy grants access to everyone without a condition in {}",
            statements.join(", ")
        ),
    )
}

/// ValidateResourcePolicy's answer: errors of the policy linter and broad access fail it;
/// warnings do not.
pub(super) fn validation_report(text: &str) -> Result<Value, ServiceError> {
    let policy = validate(text)?;
    let mut errors: Vec<Value> = lint_text(text, ParseOptions::new(PolicyKind::Resource))
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            let at = if f.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", f.path)
            };
            json!({"CheckName": f.code, "ErrorMessage": format!("{at}{}", f.message)})
        })
        .collect();
    let public = public_statements(&policy);
    if !public.is_empty() {
        errors.push(json!({
            "CheckName": "BLOCK_PUBLIC_POLICY",
            "ErrorMessage": public_error(&public).message,
        }));
    }
    Ok(json!({
        "PolicyValidationPassed": errors.is_empty(),
        "ValidationErrors": errors,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(principal: &str, condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"S","Effect":"Allow","Principal":{principal},"Action":"secretsmanager:GetSecretValue","Resource":"*"{condition}}}]}}"#
        )
    }

    #[test]
    fn public_grants_are_found() {
        let no_cond = "";
        let cond = r#","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#;
        for p in [
            r#""*""#,
            r#"{"AWS":"*"}"#,
            r#"{"AWS":["arn:aws:iam::111122223333:root","*"]}"#,
        ] {
            let policy = validate(&doc(p, no_cond)).unwrap();
            assert_eq!(public_statements(&policy), vec!["S".to_string()], "{p}");
            let policy = validate(&doc(p, cond)).unwrap();
            assert!(
                public_statements(&policy).is_empty(),
                "{p} with a condition"
            );
        }
        let role = validate(&doc(
            r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#,
            no_cond,
        ))
        .unwrap();
        assert!(public_statements(&role).is_empty());
    }

    #[test]
    fn validation() {
        let e = validate(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocumentException");
        assert!(validate("not json").is_err());
        let ok =
            validation_report(&doc(r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#, "")).unwrap();
        assert_eq!(ok["PolicyValidationPassed"], true, "{ok}");
        let public = validation_report(&doc(r#""*""#, "")).unwrap();
        assert_eq!(public["PolicyValidationPassed"], false);
        assert_eq!(
            public["ValidationErrors"][0]["CheckName"],
            "BLOCK_PUBLIC_POLICY"
        );
        let unknown = validation_report(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"secretsmanager:GetSecretValu","Resource":"*"}]}"#,
        )
        .unwrap();
        assert_eq!(unknown["PolicyValidationPassed"], false, "{unknown}");
        assert!(compile(&doc(r#""*""#, "")).is_some());
        assert!(compile("{").is_none());
    }
}
