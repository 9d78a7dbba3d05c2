//! What a caller hands to the log, and the bounds applied to it.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// Longest principal, action, resource or deciding statement, in bytes (IAM ARNs are at most
/// 2048 characters).
pub const MAX_FIELD_BYTES: usize = 2048;
/// Longest decision, source IP or request id, in bytes.
pub const MAX_SHORT_FIELD_BYTES: usize = 128;
/// Largest `detail`, as compact JSON text, in bytes.
pub const MAX_DETAIL_BYTES: usize = 4096;

/// Room kept at the end of a truncated field for its marker, `…[+N bytes]`.
const MARKER_ROOM: usize = 32;

/// The outcome being recorded. Stored and hashed as its name; [`Decision::Other`] carries any
/// other short name (over [`MAX_SHORT_FIELD_BYTES`] it is truncated like any field).
#[derive(Debug, Clone)]
pub enum Decision {
    /// The policy engine allowed the request.
    Allow,
    /// A statement denied the request.
    ExplicitDeny,
    /// No statement allowed the request.
    ImplicitDeny,
    /// The caller could not be authenticated (bad signature, unknown or expired key).
    AuthFailed,
    /// The platform changed state (a function deployed, a role or secret created, ...).
    Mutation,
    /// Anything else.
    Other(String),
}

impl Decision {
    /// The name stored in the log.
    pub fn as_str(&self) -> &str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
            Decision::AuthFailed => "AuthFailed",
            Decision::Mutation => "Mutation",
            Decision::Other(s) => s,
        }
    }
}

impl From<&str> for Decision {
    /// The named variant for a known name, else [`Decision::Other`].
    fn from(s: &str) -> Decision {
        match s {
            "Allow" => Decision::Allow,
            "ExplicitDeny" => Decision::ExplicitDeny,
            "ImplicitDeny" => Decision::ImplicitDeny,
            "AuthFailed" => Decision::AuthFailed,
            "Mutation" => Decision::Mutation,
            other => Decision::Other(other.to_owned()),
        }
    }
}

impl From<String> for Decision {
    fn from(s: String) -> Decision {
        match Decision::from(s.as_str()) {
            Decision::Other(_) => Decision::Other(s),
            known => known,
        }
    }
}

/// Decisions compare by name, so `Other("Allow")` equals `Allow`.
impl PartialEq for Decision {
    fn eq(&self, other: &Decision) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Decision {}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One event to record: who did what to which resource, and what was decided.
///
/// **No secret values, ever.** Every field holds a name, an ARN or an identifier; callers pass
/// the ARN of a secret, never its value, and never put request bodies, tokens, keys or passwords
/// in [`Record::detail`]. The type has no field meant for values on purpose.
///
/// The log assigns `seq`, `time`, `prev_hash` and `hash`. Fields over their limits are truncated
/// (see [the limits](crate#limits)) rather than refused, so an oversized value from a request
/// never turns into an unaudited request.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Who: the caller's ARN (`arn:aws:sts::111122223333:assumed-role/app/s1`), or for an
    /// authentication failure the access key id or user name that was claimed.
    pub principal: String,
    /// What: the action (`secretsmanager:GetSecretValue`, `mudroom:DeployFunction`).
    pub action: String,
    /// To which resource: its ARN, or `*`.
    pub resource: String,
    /// The outcome.
    pub decision: Decision,
    /// The statement that decided, as `policy-name#Sid` (or `policy-name#3` without a Sid).
    pub statement: Option<String>,
    /// The caller's IP address as text, or empty when the event did not come over the network.
    pub source_ip: String,
    /// The request id that the caller was given, to join the log with other logs.
    pub request_id: String,
    /// A small JSON object of extra names (say `{"reason": "SignatureDoesNotMatch"}`), at most
    /// [`MAX_DETAIL_BYTES`] as compact JSON. Never values of secrets or request payloads.
    pub detail: Option<Map<String, Value>>,
}

impl Record {
    /// A record with the required fields; the optional ones start empty.
    pub fn new(
        principal: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
        decision: impl Into<Decision>,
    ) -> Record {
        Record {
            principal: principal.into(),
            action: action.into(),
            resource: resource.into(),
            decision: decision.into(),
            statement: None,
            source_ip: String::new(),
            request_id: String::new(),
            detail: None,
        }
    }

    /// Sets the deciding statement (`policy-name#Sid`).
    #[must_use]
    pub fn statement(mut self, statement: impl Into<String>) -> Record {
        self.statement = Some(statement.into());
        self
    }

    /// Sets the source IP address.
    #[must_use]
    pub fn source_ip(mut self, ip: impl Into<String>) -> Record {
        self.source_ip = ip.into();
        self
    }

    /// Sets the request id.
    #[must_use]
    pub fn request_id(mut self, id: impl Into<String>) -> Record {
        self.request_id = id.into();
        self
    }

    /// Sets the detail object.
    #[must_use]
    pub fn detail(mut self, detail: Map<String, Value>) -> Record {
        self.detail = Some(detail);
        self
    }

    /// The record with every limit applied and `detail` rendered to its stored text.
    pub(crate) fn bounded(self) -> Bounded {
        let decision = match self.decision {
            Decision::Other(s) => truncate(s, MAX_SHORT_FIELD_BYTES),
            known => known.as_str().to_owned(),
        };
        Bounded {
            principal: truncate(self.principal, MAX_FIELD_BYTES),
            action: truncate(self.action, MAX_FIELD_BYTES),
            resource: truncate(self.resource, MAX_FIELD_BYTES),
            decision,
            statement: self.statement.map(|s| truncate(s, MAX_FIELD_BYTES)),
            source_ip: truncate(self.source_ip, MAX_SHORT_FIELD_BYTES),
            request_id: truncate(self.request_id, MAX_SHORT_FIELD_BYTES),
            detail: self.detail.map(|d| detail_text(&d)),
        }
    }
}

/// A record ready to store: every field within its limit.
#[derive(Debug)]
pub(crate) struct Bounded {
    pub principal: String,
    pub action: String,
    pub resource: String,
    pub decision: String,
    pub statement: Option<String>,
    pub source_ip: String,
    pub request_id: String,
    pub detail: Option<String>,
}

/// `s` if it fits in `limit` bytes, else its longest prefix (at a character boundary) that leaves
/// room for the marker `…[+N bytes]`, where N counts the bytes cut. The result fits in `limit`.
pub(crate) fn truncate(s: String, limit: usize) -> String {
    if s.len() <= limit {
        return s;
    }
    let mut cut = limit.saturating_sub(MARKER_ROOM);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let dropped = s.len() - cut;
    let mut out = s;
    out.truncate(cut);
    out.push_str(&format!("…[+{dropped} bytes]"));
    out
}

/// The stored text of a detail object: compact JSON, or when that is over [`MAX_DETAIL_BYTES`],
/// the marker object `{"truncated":true,"bytes":N}` (N the size of the refused text).
fn detail_text(detail: &Map<String, Value>) -> String {
    let text: Cow<'_, str> = match serde_json::to_string(detail) {
        Ok(t) => Cow::Owned(t),
        // A map of JSON values always serializes; keep the record rather than lose it.
        Err(_) => Cow::Borrowed(r#"{"truncated":true}"#),
    };
    if text.len() <= MAX_DETAIL_BYTES {
        text.into_owned()
    } else {
        format!(r#"{{"truncated":true,"bytes":{}}}"#, text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_fields_are_kept() {
        assert_eq!(truncate("abc".to_owned(), 64), "abc");
        let exact = "x".repeat(64);
        assert_eq!(truncate(exact.clone(), 64), exact);
    }

    #[test]
    fn long_fields_are_cut_with_a_marker_within_the_limit() {
        let long = "a".repeat(5000);
        let out = truncate(long, MAX_FIELD_BYTES);
        assert!(out.len() <= MAX_FIELD_BYTES, "{}", out.len());
        let cut = MAX_FIELD_BYTES - MARKER_ROOM;
        assert!(out.ends_with(&format!("…[+{} bytes]", 5000 - cut)), "{out}");
        assert!(out.starts_with(&"a".repeat(cut)));
    }

    #[test]
    fn cuts_land_on_character_boundaries() {
        // Three-byte characters put every possible cut inside a character at some offset.
        for pad in 0..3 {
            let s = format!("{}{}", "x".repeat(pad), "€".repeat(100));
            let out = truncate(s, 64);
            assert!(out.len() <= 64);
            assert!(out.contains("…[+"), "{out}");
        }
    }

    #[test]
    fn oversized_detail_becomes_a_marker() {
        let mut big = Map::new();
        big.insert("k".to_owned(), Value::String("v".repeat(MAX_DETAIL_BYTES)));
        let text = detail_text(&big);
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["truncated"], Value::Bool(true));
        assert_eq!(parsed["bytes"], serde_json::json!(MAX_DETAIL_BYTES + 8));
        let mut small = Map::new();
        small.insert("reason".to_owned(), Value::String("expired".to_owned()));
        assert_eq!(detail_text(&small), r#"{"reason":"expired"}"#);
    }

    #[test]
    fn decisions_compare_by_name() {
        assert_eq!(Decision::from("Allow"), Decision::Allow);
        assert_eq!(Decision::Other("Allow".to_owned()), Decision::Allow);
        assert_eq!(
            Decision::from("Throttled".to_owned()),
            Decision::Other("Throttled".to_owned())
        );
        assert_ne!(Decision::ExplicitDeny, Decision::ImplicitDeny);
        let long = Record::new("p", "a", "r", "x".repeat(500)).bounded();
        assert!(long.decision.len() <= MAX_SHORT_FIELD_BYTES);
    }
}
