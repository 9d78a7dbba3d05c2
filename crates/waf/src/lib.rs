//! mudroom's web application firewall.
//!
//! Web ACLs are written in AWS WAFv2's JSON rule shape, so users can bring their rules; mudroom
//! ships managed rule groups (core rule set, SQL database, known bad inputs) and a default ACL
//! built from them. SQL injection and XSS detection are written in Rust and bounded: no regex
//! that backtracks, caps on decoding depth and on the bytes inspected.
//!
//! The crate is pure: no I/O, no async, no clock.

pub mod request;
pub mod transform;

pub use request::{Limits, ParseError, Request, parse_raw};
pub use transform::Transform;
