//! Random identifiers and secrets from the operating system's random source.

use base64::Engine as _;

use crate::error::ServiceError;

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, ServiceError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|_| ServiceError::internal("the system's random source failed"))?;
    Ok(buf)
}

/// `n` characters drawn uniformly from `alphabet` (rejection sampling: no modulo bias).
fn random_from(alphabet: &[u8], n: usize) -> Result<String, ServiceError> {
    let mut out = String::with_capacity(n);
    // 256 / len rounded down, times len: bytes at or above are redrawn.
    let len = alphabet.len();
    let limit = 256 - 256 % len;
    while out.len() < n {
        for b in random_bytes(n * 2)? {
            if usize::from(b) < limit
                && let Some(c) = alphabet.get(usize::from(b) % len)
            {
                out.push(char::from(*c));
                if out.len() == n {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Upper-case letters and digits, like AWS's key and unique ids.
pub fn random_upper(n: usize) -> Result<String, ServiceError> {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n)
}

/// Letters, digits, `+` and `/`, like AWS's secret access keys.
pub fn random_alnum(n: usize) -> Result<String, ServiceError> {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        n,
    )
}

/// Standard base64.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let a = random_upper(16).unwrap();
        assert_eq!(a.len(), 16);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_ne!(a, random_upper(16).unwrap());
        assert_eq!(random_alnum(40).unwrap().len(), 40);
    }
}
