//! AWS-shaped errors, rendered in each protocol's own form.

use std::borrow::Cow;

use crate::protocol::Protocol;

/// An error answered to an AWS client: the code is AWS's name for it in the request's protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    /// AWS's error code, e.g. `ResourceNotFoundException` or `NoSuchEntity`.
    pub code: Cow<'static, str>,
    /// The message, as AWS words it where it has one.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
    /// True when the client is at fault (`Sender`), false for `Receiver` faults.
    pub sender_fault: bool,
}

impl ServiceError {
    /// A client error (400).
    pub fn client(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status: 400,
            sender_fault: true,
        }
    }

    /// A client error with another status (403 for authentication failures, 404, 409...).
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// A server-side failure (500): the message must not reveal internals or secrets.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: Cow::Borrowed("InternalFailure"),
            message: message.into(),
            status: 500,
            sender_fault: false,
        }
    }

    /// The body, content type and extra headers of this error in `protocol`.
    pub fn render(&self, protocol: Protocol, request_id: &str) -> Rendered {
        match protocol {
            Protocol::Json { .. } => Rendered {
                status: self.status,
                content_type: "application/x-amz-json-1.1",
                body: serde_json::json!({"__type": self.code, "message": self.message})
                    .to_string()
                    .into_bytes(),
                error_type: Some(self.code.to_string()),
            },
            Protocol::RestJson => Rendered {
                status: self.status,
                content_type: "application/json",
                body: serde_json::json!({
                    "Type": if self.sender_fault { "User" } else { "Service" },
                    "message": self.message,
                })
                .to_string()
                .into_bytes(),
                error_type: Some(self.code.to_string()),
            },
            Protocol::Query { xmlns } => {
                let body = format!(
                    "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
                    if self.sender_fault {
                        "Sender"
                    } else {
                        "Receiver"
                    },
                    xml_escape(&self.code),
                    xml_escape(&self.message),
                    xml_escape(request_id),
                );
                Rendered {
                    status: self.status,
                    content_type: "text/xml",
                    body: body.into_bytes(),
                    error_type: None,
                }
            }
        }
    }
}

/// An error ready to send.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// HTTP status.
    pub status: u16,
    /// Content type.
    pub content_type: &'static str,
    /// Body bytes.
    pub body: Vec<u8>,
    /// The `x-amzn-ErrorType` header, for JSON protocols.
    pub error_type: Option<String>,
}

/// Escapes text for XML element content and attribute values.
pub fn xml_escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['<', '>', '&', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let e = ServiceError::client(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
        );
        let json = e.render(
            Protocol::Json {
                target_prefix: "secretsmanager",
            },
            "r1",
        );
        let v: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
        assert_eq!(v["__type"], "ResourceNotFoundException");
        assert_eq!(
            json.error_type.as_deref(),
            Some("ResourceNotFoundException")
        );
        let q = ServiceError::client("NoSuchEntity", "The role with name <x> cannot be found.")
            .with_status(404)
            .render(
                Protocol::Query {
                    xmlns: "https://iam.amazonaws.com/doc/2010-05-08/",
                },
                "r2",
            );
        let body = String::from_utf8(q.body).unwrap();
        assert!(body.contains("<Code>NoSuchEntity</Code>"));
        assert!(body.contains("&lt;x&gt;"));
        assert!(body.contains("<RequestId>r2</RequestId>"));
        assert_eq!(q.status, 404);
    }
}
