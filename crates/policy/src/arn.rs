//! ARNs: parsing, and matching element by element the way AWS does.

use crate::pattern::{Matched, Pattern, Resolve, Syntax};

/// The six elements of an ARN: `arn`, partition, service, region, account, resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: &'a str,
    /// The service prefix, like `s3`.
    pub service: &'a str,
    /// The region, possibly empty.
    pub region: &'a str,
    /// The account id, possibly empty.
    pub account: &'a str,
    /// The resource part, colons included.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` into its elements; `None` when it is not an ARN.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let arn = Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        };
        (!arn.partition.is_empty() && !arn.service.is_empty()).then_some(arn)
    }

    fn elements(&self) -> [&'a str; 5] {
        [
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource,
        ]
    }
}

/// Splits policy text at its first five colons, skipping colons inside `${...}`.
fn split_policy_arn(text: &str) -> Option<[&str; 6]> {
    let mut out = [""; 6];
    let mut start = 0;
    let mut n = 0;
    let mut depth = false;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && n < 5 {
        match bytes.get(i) {
            Some(b'$') if bytes.get(i + 1) == Some(&b'{') => depth = true,
            Some(b'}') => depth = false,
            Some(b':') if !depth => {
                *out.get_mut(n)? = text.get(start..i)?;
                n += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if n < 5 {
        return None;
    }
    *out.get_mut(5)? = text.get(start..)?;
    Some(out)
}

/// A resource (or ARN condition value) pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnPattern {
    /// Not ARN-shaped (`*`, or text with fewer elements): matched as one string.
    Whole(Pattern),
    /// Partition, service, region, account and resource patterns.
    Parts(Box<[Pattern; 5]>),
}

impl ArnPattern {
    /// Reads a resource pattern.
    pub fn parse(text: &str, syntax: Syntax) -> Result<Self, String> {
        match split_policy_arn(text) {
            Some(["arn", p, s, r, a, res]) => Ok(ArnPattern::Parts(Box::new([
                Pattern::parse(p, syntax)?,
                Pattern::parse(s, syntax)?,
                Pattern::parse(r, syntax)?,
                Pattern::parse(a, syntax)?,
                Pattern::parse(res, syntax)?,
            ]))),
            _ => Ok(ArnPattern::Whole(Pattern::parse(text, syntax)?)),
        }
    }

    /// Reads a `Resource` or `NotResource` pattern: policy variables count only in the resource
    /// part, after the fifth colon; before it `${...}` is literal text (and its colons count). AWS: "You can use a
    /// policy variable in the `Resource` element, but only in the resource portion of the ARN
    /// [...] You can't use a variable to replace parts of the ARN before the fifth colon, such as
    /// the service or account."
    pub fn parse_resource(text: &str, syntax: Syntax) -> Result<Self, String> {
        let literal = Syntax {
            variables: false,
            ..syntax
        };
        let mut parts = text.splitn(6, ':');
        match [(); 6].map(|()| parts.next()) {
            [Some("arn"), Some(p), Some(s), Some(r), Some(a), Some(res)] => {
                Ok(ArnPattern::Parts(Box::new([
                    Pattern::parse(p, literal)?,
                    Pattern::parse(s, literal)?,
                    Pattern::parse(r, literal)?,
                    Pattern::parse(a, literal)?,
                    Pattern::parse(res, syntax)?,
                ])))
            }
            _ => Ok(ArnPattern::Whole(Pattern::parse(text, syntax)?)),
        }
    }

    /// True for a lone `*`.
    pub fn is_star(&self) -> bool {
        matches!(self, ArnPattern::Whole(p) if p.is_star())
    }

    /// True when some element holds a policy variable.
    pub fn has_variables(&self) -> bool {
        match self {
            ArnPattern::Whole(p) => p.has_variables(),
            ArnPattern::Parts(parts) => parts.iter().any(Pattern::has_variables),
        }
    }

    /// The service element, when it is literal.
    pub fn service(&self) -> Option<&str> {
        match self {
            ArnPattern::Parts(parts) => match parts.get(1)?.tokens() {
                [crate::pattern::Token::Lit(s)] => Some(s),
                _ => None,
            },
            ArnPattern::Whole(_) => None,
        }
    }

    /// Matches `text` (case-sensitively).
    pub fn matches(&self, text: &str, vars: &dyn Resolve) -> Matched {
        match self {
            ArnPattern::Whole(p) => p.matches(text, false, vars),
            ArnPattern::Parts(parts) => {
                let Some(arn) = Arn::parse(text) else {
                    // Still report unresolvable variables as such.
                    return match parts
                        .iter()
                        .map(|p| p.matches("", false, vars))
                        .find(|m| *m == Matched::Unresolved)
                    {
                        Some(m) => m,
                        None => Matched::No,
                    };
                };
                let mut result = Matched::Yes;
                for (p, element) in parts.iter().zip(arn.elements()) {
                    match p.matches(element, false, vars) {
                        Matched::Yes => {}
                        Matched::No => result = Matched::No,
                        Matched::Unresolved => return Matched::Unresolved,
                    }
                }
                result
            }
        }
    }
}

/// Checks that policy text is an ARN or `*` (or an ARN-shaped pattern); the error says why not.
pub fn check_resource_text(text: &str) -> Result<(), String> {
    if text == "*" {
        return Ok(());
    }
    let Some([head, partition, service, ..]) = split_policy_arn(text) else {
        return Err(format!("resource `{text}` must be an ARN or `*`"));
    };
    if head != "arn" && head != "arn*" {
        return Err(format!("resource `{text}` must be an ARN or `*`"));
    }
    if partition.is_empty() {
        return Err(format!("resource `{text}` has an empty partition"));
    }
    if service.is_empty() {
        return Err(format!("resource `{text}` has an empty service"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::NoVars;

    fn m(p: &str, t: &str) -> bool {
        let syntax = Syntax {
            wildcards: true,
            variables: true,
        };
        ArnPattern::parse(p, syntax).unwrap().matches(t, &NoVars) == Matched::Yes
    }

    #[test]
    fn element_wise() {
        assert!(m("*", "arn:aws:s3:::b"));
        assert!(m("arn:aws:s3:::*", "arn:aws:s3:::b/k:with:colons"));
        assert!(!m("arn:aws:s3:::*", "arn:aws:s3:us-east-1::b"));
        assert!(m(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/x"
        ));
        assert!(!m(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:user/x"
        ));
        assert!(!m("arn:aws:s3:::B", "arn:aws:s3:::b"));
        assert!(m("arn:aws:*:*:*:*", "arn:aws:kms:us-east-1:1:key/x"));
        assert!(m("arn:aws:s3:*", "arn:aws:s3:::b"));
        assert!(m("arn:aws:s3:::${aws:username, 'x'}/*", "arn:aws:s3:::x/y"));
    }

    #[test]
    fn resource_text() {
        assert!(check_resource_text("*").is_ok());
        assert!(check_resource_text("arn:aws:s3:::b").is_ok());
        assert!(check_resource_text("bucket").is_err());
        assert!(check_resource_text("arn:aws:s3").is_err());
    }
}
