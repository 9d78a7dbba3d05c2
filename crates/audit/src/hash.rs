//! The chain hash and its canonical encoding.
//!
//! `hash = SHA-256(encoding)` where `encoding` is, byte for byte:
//!
//! ```text
//! field("mudroom-audit/v1")      domain separation and version
//! u64be(seq)
//! field(time)                    RFC 3339, UTC, milliseconds: 2025-01-02T03:04:05.678Z
//! field(principal)
//! field(action)
//! field(resource)
//! field(decision)
//! opt(statement)
//! field(source_ip)
//! field(request_id)
//! opt(detail)                    the JSON text exactly as stored
//! prev_hash                      32 raw bytes (zeros for seq 1)
//!
//! field(s) = u32be(byte length of s) || UTF-8 bytes of s
//! opt(None) = 0x00;  opt(Some(s)) = 0x01 || field(s)
//! ```
//!
//! Every variable-length value carries its length, so no two different records encode to the same
//! bytes (no delimiter ambiguity), and `None` differs from `Some("")`.

use std::fmt;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The version tag that starts every encoding.
const DOMAIN: &str = "mudroom-audit/v1";

/// A SHA-256 digest: a record's hash, or the link to the previous one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of the first record.
    pub const GENESIS: Hash = Hash([0; 32]);

    /// Parses 64 hexadecimal digits (either case), as `Display` prints them.
    pub fn from_hex(text: &str) -> Option<Hash> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let [hi, lo] = pair else { return None };
            *slot = (hex_value(*hi)? << 4) | hex_value(*lo)?;
        }
        Some(Hash(out))
    }

    /// Reads a stored hash: exactly 32 bytes.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Hash> {
        <[u8; 32]>::try_from(bytes).ok().map(Hash)
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The fields that a record's hash covers, borrowed.
pub(crate) struct HashInput<'a> {
    pub seq: u64,
    pub time: &'a str,
    pub principal: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    pub decision: &'a str,
    pub statement: Option<&'a str>,
    pub source_ip: &'a str,
    pub request_id: &'a str,
    pub detail: Option<&'a str>,
    pub prev_hash: &'a Hash,
}

impl HashInput<'_> {
    /// The record's hash over the canonical encoding described in the module docs.
    pub fn hash(&self) -> Hash {
        let mut h = Sha256::new();
        field(&mut h, DOMAIN);
        h.update(self.seq.to_be_bytes());
        field(&mut h, self.time);
        field(&mut h, self.principal);
        field(&mut h, self.action);
        field(&mut h, self.resource);
        field(&mut h, self.decision);
        opt(&mut h, self.statement);
        field(&mut h, self.source_ip);
        field(&mut h, self.request_id);
        opt(&mut h, self.detail);
        h.update(self.prev_hash.0);
        Hash(h.finalize().into())
    }
}

fn field(h: &mut Sha256, s: &str) {
    // Fields are bounded far below 4 GiB (see `limits`); saturating keeps this total anyway, and
    // a value that long could not be stored.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(s.as_bytes());
}

fn opt(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            field(h, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(prev: &'a Hash) -> HashInput<'a> {
        HashInput {
            seq: 1,
            time: "2025-01-02T03:04:05.678Z",
            principal: "arn:aws:iam::111122223333:user/alice",
            action: "secretsmanager:GetSecretValue",
            resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db",
            decision: "Allow",
            statement: Some("app-role#ReadAppSecrets"),
            source_ip: "10.0.0.7",
            request_id: "req-1",
            detail: None,
            prev_hash: prev,
        }
    }

    /// Known answers, computed independently from the encoding in `docs/audit.md`, pin the
    /// format: a change here breaks every existing log.
    #[test]
    fn known_answers() {
        let h1 = input(&Hash::GENESIS).hash();
        assert_eq!(
            h1.to_string(),
            "98a78d9a01ed31875ac13726087bb418808456a545a3e0e37c7d64b19222458c"
        );
        let h2 = HashInput {
            seq: 2,
            time: "2025-01-02T03:04:05.679Z",
            principal: "AKIAIOSFODNN7EXAMPLE",
            action: "sts:GetCallerIdentity",
            resource: "*",
            decision: "AuthFailed",
            statement: None,
            source_ip: "",
            request_id: "req-2",
            detail: Some(r#"{"reason":"SignatureDoesNotMatch"}"#),
            prev_hash: &h1,
        }
        .hash();
        assert_eq!(
            h2.to_string(),
            "2d1fe39936a01b872194de7639fb8ff8e28638294412ab53e737278a59fa1a61"
        );
    }

    #[test]
    fn hex_round_trip() {
        let h = input(&Hash::GENESIS).hash();
        let text = h.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(Hash::from_hex(&text), Some(h));
        assert_eq!(Hash::from_hex(&text.to_uppercase()), Some(h));
        assert_eq!(Hash::from_hex(&text[1..]), None);
        assert_eq!(Hash::from_hex(&format!("g{}", &text[1..])), None);
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_hash() {
        let prev = Hash::GENESIS;
        let a = input(&prev);
        let b = HashInput {
            principal: "arn:aws:iam::111122223333:user/alicesecretsmanager:",
            action: "GetSecretValue",
            ..input(&prev)
        };
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn absent_differs_from_empty() {
        let prev = Hash::GENESIS;
        let none = HashInput {
            statement: None,
            ..input(&prev)
        };
        let empty = HashInput {
            statement: Some(""),
            ..input(&prev)
        };
        assert_ne!(none.hash(), empty.hash());
    }

    #[test]
    fn every_field_and_the_link_count() {
        let prev = Hash::GENESIS;
        let other = Hash([7; 32]);
        let base = input(&prev).hash();
        let variants = [
            HashInput {
                seq: 2,
                ..input(&prev)
            },
            HashInput {
                time: "2025-01-02T03:04:05.679Z",
                ..input(&prev)
            },
            HashInput {
                principal: "x",
                ..input(&prev)
            },
            HashInput {
                action: "x",
                ..input(&prev)
            },
            HashInput {
                resource: "x",
                ..input(&prev)
            },
            HashInput {
                decision: "ExplicitDeny",
                ..input(&prev)
            },
            HashInput {
                statement: Some("x"),
                ..input(&prev)
            },
            HashInput {
                source_ip: "10.0.0.8",
                ..input(&prev)
            },
            HashInput {
                request_id: "req-2",
                ..input(&prev)
            },
            HashInput {
                detail: Some("{}"),
                ..input(&prev)
            },
            HashInput {
                prev_hash: &other,
                ..input(&prev)
            },
        ];
        for (i, v) in variants.iter().enumerate() {
            assert_ne!(v.hash(), base, "variant {i} did not change the hash");
        }
    }
}
