//! mudroom's web application firewall.
//!
//! Web ACLs are written in AWS WAFv2's JSON rule shape, so users can bring their rules; mudroom
//! ships managed rule groups (core rule set, SQL database, known bad inputs) and a default ACL
//! built from them. SQL injection and XSS detection are written in Rust and bounded: no regex
//! that backtracks, caps on decoding depth and on the bytes inspected.
//!
//! The crate is pure: no I/O, no async, no clock.
//!
//! ```
//! use mudroom_waf::{Limits, managed, parse_raw};
//!
//! let acl = managed::default_acl()?;
//! let req = parse_raw(b"GET /?id=1%27%20or%20%271%27%3D%271 HTTP/1.1\r\nHost: x\r\n\r\n", &Limits::default())?;
//! let verdict = acl.evaluate(&req);
//! assert_eq!(verdict.action.name(), "BLOCK");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod acl;
pub mod managed;
pub mod request;
pub mod sqli;
pub mod transform;
pub mod xss;

pub use acl::{AclError, Action, CustomResponse, RuleGroup, Verdict, WebAcl};
pub use request::{Limits, ParseError, Request, parse_raw};
pub use transform::Transform;

/// The rule named for requests that cannot be parsed or exceed the limits.
pub const UNPARSEABLE_RULE: &str = "AWSManagedRulesCommonRuleSet/ProtocolViolation_UNPARSEABLE";
/// The label added to such requests.
pub const UNPARSEABLE_LABEL: &str = "mudroom:managed:core-rule-set:ProtocolViolation_UNPARSEABLE";

/// The verdict for a request that cannot be parsed: blocked by the protocol-violation rules.
pub fn unparseable_verdict() -> Verdict {
    Verdict {
        action: Action::Block(None),
        rule: Some(UNPARSEABLE_RULE.to_owned()),
        labels: vec![UNPARSEABLE_LABEL.to_owned()],
        counted: Vec::new(),
    }
}
