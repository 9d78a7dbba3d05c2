//! GetRandomPassword: passwords drawn from the operating system's random source, with every
//! one of AWS's parameters.

use zeroize::Zeroizing;

use super::data::invalid_parameter;
use crate::error::ServiceError;
use crate::random::random_bytes;

/// AWS's punctuation set.
pub(super) const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

/// What the password may and must contain.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    /// 1 to 4096 characters (default 32).
    pub length: usize,
    /// Characters never used.
    pub exclude: String,
    /// No digits.
    pub exclude_numbers: bool,
    /// No punctuation.
    pub exclude_punctuation: bool,
    /// No upper-case letters.
    pub exclude_uppercase: bool,
    /// No lower-case letters.
    pub exclude_lowercase: bool,
    /// The space may be used.
    pub include_space: bool,
    /// At least one character of each included class (letters, digits, punctuation).
    pub require_each: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            length: 32,
            exclude: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each: true,
        }
    }
}

/// A uniformly drawn index below `n` (rejection sampling: no modulo bias).
fn index_below(n: usize) -> Result<usize, ServiceError> {
    let n64 = u64::try_from(n).unwrap_or(u64::MAX).max(1);
    let zone = u64::MAX - (u64::MAX % n64 + 1) % n64;
    loop {
        let bytes: [u8; 8] = random_bytes(8)?
            .try_into()
            .map_err(|_| ServiceError::internal("the system's random source failed"))?;
        let x = u64::from_le_bytes(bytes);
        if x <= zone {
            return usize::try_from(x % n64)
                .map_err(|_| ServiceError::internal("random index out of range"));
        }
    }
}

fn pick(chars: &[char]) -> Result<char, ServiceError> {
    chars
        .get(index_below(chars.len())?)
        .copied()
        .ok_or_else(|| ServiceError::internal("empty character class"))
}

/// Draws a password.
pub(super) fn generate(spec: &Spec) -> Result<Zeroizing<String>, ServiceError> {
    if !(1..=4096).contains(&spec.length) {
        return Err(invalid_parameter(format!(
            "`PasswordLength` must be between 1 and 4096, not {}",
            spec.length
        )));
    }
    let keep = |set: &str, off: bool| -> Vec<char> {
        if off {
            Vec::new()
        } else {
            set.chars().filter(|c| !spec.exclude.contains(*c)).collect()
        }
    };
    let classes: Vec<Vec<char>> = [
        keep(LOWER, spec.exclude_lowercase),
        keep(UPPER, spec.exclude_uppercase),
        keep(DIGITS, spec.exclude_numbers),
        keep(PUNCTUATION, spec.exclude_punctuation),
    ]
    .into_iter()
    .filter(|c| !c.is_empty())
    .collect();
    let mut alphabet: Vec<char> = classes.iter().flatten().copied().collect();
    if spec.include_space && !spec.exclude.contains(' ') {
        alphabet.push(' ');
    }
    if alphabet.is_empty() {
        return Err(invalid_parameter(
            "the parameters exclude every character: no password can be made",
        ));
    }
    let required: &[Vec<char>] = if spec.require_each { &classes } else { &[] };
    if required.len() > spec.length {
        return Err(invalid_parameter(format!(
            "a password of {} characters cannot hold one character of each of the {} included types",
            spec.length,
            required.len()
        )));
    }
    let mut chars: Zeroizing<Vec<char>> = Zeroizing::new(Vec::with_capacity(spec.length));
    for class in required {
        chars.push(pick(class)?);
    }
    while chars.len() < spec.length {
        chars.push(pick(&alphabet)?);
    }
    // Fisher-Yates, so the required characters are not always first.
    for i in (1..chars.len()).rev() {
        let j = index_below(i + 1)?;
        chars.swap(i, j);
    }
    Ok(Zeroizing::new(chars.iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_classes() {
        let p = generate(&Spec::default()).unwrap();
        assert_eq!(p.chars().count(), 32);
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
        assert!(!p.contains(' '));
        assert_ne!(*p, *generate(&Spec::default()).unwrap());
    }

    #[test]
    fn exclusions_and_requirements() {
        let spec = Spec {
            length: 200,
            exclude: "abcXYZ0".into(),
            exclude_punctuation: true,
            include_space: true,
            ..Spec::default()
        };
        let p = generate(&spec).unwrap();
        assert_eq!(p.chars().count(), 200);
        assert!(
            !p.chars()
                .any(|c| "abcXYZ0".contains(c) || PUNCTUATION.contains(c))
        );
        let digits_only = Spec {
            length: 4096,
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_punctuation: true,
            ..Spec::default()
        };
        assert!(
            generate(&digits_only)
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_digit())
        );
        // Four classes cannot fit in three characters; without the requirement they can.
        let short = Spec {
            length: 3,
            ..Spec::default()
        };
        assert!(generate(&short).is_err());
        let relaxed = Spec {
            require_each: false,
            ..short
        };
        assert_eq!(generate(&relaxed).unwrap().chars().count(), 3);
        // Each type in a 4-character password, every time.
        for _ in 0..50 {
            let p = generate(&Spec {
                length: 4,
                ..Spec::default()
            })
            .unwrap();
            assert!(p.chars().any(|c| c.is_ascii_digit()), "{}", p.len());
        }
        let nothing = Spec {
            exclude_lowercase: true,
            exclude_uppercase: true,
            exclude_numbers: true,
            exclude_punctuation: true,
            ..Spec::default()
        };
        assert!(generate(&nothing).is_err());
        assert!(
            generate(&Spec {
                length: 0,
                ..Spec::default()
            })
            .is_err()
        );
        assert!(
            generate(&Spec {
                length: 4097,
                ..Spec::default()
            })
            .is_err()
        );
    }

    #[test]
    fn indexes_are_in_range_and_spread() {
        let mut seen = [0u32; 7];
        for _ in 0..700 {
            let i = index_below(7).unwrap();
            *seen.get_mut(i).unwrap() += 1;
        }
        assert!(seen.iter().all(|&n| n > 40), "{seen:?}");
        assert_eq!(index_below(1).unwrap(), 0);
    }
}
