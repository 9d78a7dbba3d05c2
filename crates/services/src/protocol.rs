//! Which service and operation a request is for, and in which wire protocol, read the way AWS
//! SDKs send it: `X-Amz-Target` for JSON protocols, `Action` for query protocols, the path for
//! REST protocols, and the SigV4 credential scope's service.

/// A wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS JSON 1.0/1.1: `X-Amz-Target: Prefix.Operation`, JSON body.
    Json {
        /// The target prefix, e.g. `secretsmanager` or `AmazonSSM`.
        target_prefix: &'static str,
    },
    /// The query protocol: form-encoded `Action=...`, XML answers.
    Query {
        /// The XML namespace of answers.
        xmlns: &'static str,
    },
    /// REST with JSON bodies (Lambda).
    RestJson,
}

/// JSON-protocol services: target prefix and signing name.
const JSON_TARGETS: [(&str, &str); 2] =
    [("secretsmanager", "secretsmanager"), ("AmazonSSM", "ssm")];

/// Query-protocol services: signing name and XML namespace.
const QUERY_SERVICES: [(&str, &str); 2] = [
    ("sts", "https://sts.amazonaws.com/doc/2011-06-15/"),
    ("iam", "https://iam.amazonaws.com/doc/2010-05-08/"),
];

/// The service (by its SigV4 signing name), operation and protocol of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The signing name, e.g. `secretsmanager`, `ssm`, `sts`, `iam`, `lambda`.
    pub service: &'static str,
    /// The operation, e.g. `GetSecretValue`; for REST, filled by the service from the path.
    pub operation: String,
    /// The protocol answers are rendered in.
    pub protocol: Protocol,
}

/// The service named in a SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/...`),
/// from the `Authorization` header or the `X-Amz-Credential` query parameter.
pub fn scope_service<'a>(authorization: Option<&'a str>, query: &'a str) -> Option<&'a str> {
    let credential = match authorization {
        Some(auth) => auth
            .split([',', ' '])
            .find_map(|part| part.trim().strip_prefix("Credential="))?,
        None => query
            .split('&')
            .find_map(|kv| kv.strip_prefix("X-Amz-Credential="))?,
    };
    // Percent-encoded slashes in the query form.
    let mut parts: Vec<&str> = if credential.contains("%2F") {
        credential.split("%2F").collect()
    } else {
        credential.split('/').collect()
    };
    if parts.len() < 5 {
        return None;
    }
    parts.truncate(4);
    parts.pop()
}

/// Reads the route of a request.
pub fn route(
    target: Option<&str>,
    content_type: Option<&str>,
    path: &str,
    scope: Option<&str>,
    form_action: Option<&str>,
) -> Option<Route> {
    if let Some(target) = target {
        let (prefix, op) = target.split_once('.')?;
        let (target_prefix, service) = JSON_TARGETS.iter().find(|(p, _)| *p == prefix)?;
        return Some(Route {
            service,
            operation: op.to_string(),
            protocol: Protocol::Json { target_prefix },
        });
    }
    if path.starts_with("/2015-03-31/functions")
        || path.starts_with("/2015-03-31/event-source-mappings")
    {
        return Some(Route {
            service: "lambda",
            operation: String::new(),
            protocol: Protocol::RestJson,
        });
    }
    let is_form = content_type.is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if let (Some(action), true) = (form_action, is_form) {
        let (service, xmlns) = QUERY_SERVICES.iter().find(|(s, _)| Some(*s) == scope)?;
        return Some(Route {
            service,
            operation: action.to_string(),
            protocol: Protocol::Query { xmlns },
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = route(Some("secretsmanager.GetSecretValue"), None, "/", None, None).unwrap();
        assert_eq!(
            (r.service, r.operation.as_str()),
            ("secretsmanager", "GetSecretValue")
        );
        let r = route(Some("AmazonSSM.GetParameter"), None, "/", None, None).unwrap();
        assert_eq!(r.service, "ssm");
        let r = route(
            None,
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            "/",
            Some("sts"),
            Some("GetCallerIdentity"),
        )
        .unwrap();
        assert_eq!(r.service, "sts");
        assert!(matches!(r.protocol, Protocol::Query { .. }));
        let r = route(
            None,
            None,
            "/2015-03-31/functions/f/invocations",
            Some("lambda"),
            None,
        )
        .unwrap();
        assert_eq!(r.protocol, Protocol::RestJson);
        assert!(route(Some("Nope.X"), None, "/", None, None).is_none());
        assert!(route(None, None, "/", Some("s3"), Some("X")).is_none());
    }

    #[test]
    fn scopes() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(scope_service(Some(auth), ""), Some("iam"));
        let q = "Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=1";
        assert_eq!(scope_service(None, q), Some("sts"));
        assert_eq!(scope_service(None, "a=b"), None);
    }
}
