//! Parameter names, paths, selectors, labels and tags, checked the way Parameter Store checks
//! them.
//!
//! A parameter is keyed by its *path*: its name with exactly one leading `/`. A name outside a
//! hierarchy may be written with or without the slash (`/TestParam1` and `TestParam1` are one
//! parameter, as AWS documents), and both forms have the same ARN,
//! `arn:aws:ssm:REGION:ACCOUNT:parameter/TestParam1`. Names in a hierarchy must be written with
//! the slash.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::ServiceError;

/// The longest `Name` the API reads (AWS's model; it counts an ARN-form name whole).
pub const MAX_NAME_FIELD: usize = 2048;
/// The longest ARN a created parameter may have: AWS counts the ARN prefix in the 1011
/// characters a parameter name may have.
pub const MAX_ARN_LEN: usize = 1011;
/// The deepest hierarchy: `/L1/.../L14/name` has fifteen levels.
pub const MAX_LEVELS: usize = 15;
/// Labels per version.
pub const MAX_LABELS_PER_VERSION: usize = 10;
/// Longest label.
pub const MAX_LABEL_LEN: usize = 100;
/// Tags per parameter.
pub const MAX_TAGS: usize = 50;

/// AWS's answer to a name with characters outside `a-zA-Z0-9_.-/` or a path that is not fully
/// qualified (it words both this way).
pub const BAD_NAME: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). \
     If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can \
     be formed as a mix of letters, numbers and the following 3 symbols .-_";

/// AWS's answer to a path (`GetParametersByPath`, a `Path` filter) that is not well formed.
pub const BAD_PATH: &str = "The parameter doesn't meet the parameter name requirements. The \
     parameter name must begin with a forward slash \"/\". It can't be prefixed with \\\"aws\\\" \
     or \\\"ssm\\\" (case-insensitive). It must use only letters, numbers, or the following \
     symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All \
     sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: \
     /get/parameters2-/by1./path0_.";

/// `ValidationException`.
pub fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationException", message)
}

/// AWS's wording for one failed constraint on a request member.
pub fn constraint(value: &str, member: &str, rule: &str) -> ServiceError {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    ))
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')
}

/// A version or label after `name:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `name:3`.
    Version(i64),
    /// `name:prod`.
    Label(String),
}

impl Selector {
    /// The selector as AWS echoes it (`:3`, `:prod`).
    pub fn render(&self) -> String {
        match self {
            Selector::Version(v) => format!(":{v}"),
            Selector::Label(l) => format!(":{l}"),
        }
    }
}

/// A parameter named in a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRef {
    /// The name as the caller wrote it (without ARN prefix and selector).
    pub name: String,
    /// The key: the name with one leading `/`.
    pub path: String,
    /// `name:version` or `name:label`.
    pub selector: Option<Selector>,
}

/// Where the parameters of one account and region live.
#[derive(Debug, Clone)]
pub struct Scope {
    /// `arn:aws:ssm:REGION:ACCOUNT:parameter`.
    pub arn_prefix: String,
}

impl Scope {
    /// The scope of `region` and `account`.
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            arn_prefix: format!("arn:aws:ssm:{region}:{account}:parameter"),
        }
    }

    /// The ARN of the parameter (or path) keyed `path` (which starts with `/`).
    pub fn arn(&self, path: &str) -> String {
        format!("{}{path}", self.arn_prefix)
    }

    /// Reads a `Name` of a request that refers to an existing parameter: a name or an ARN of
    /// this account and region, with a `:version` or `:label` selector when `selectors`.
    pub fn reference(&self, raw: &str, selectors: bool) -> Result<NameRef, ServiceError> {
        check_field_len(raw, "name")?;
        let bare = match raw.strip_prefix("arn:") {
            Some(_) => raw
                .strip_prefix(&self.arn_prefix)
                .filter(|rest| rest.starts_with('/'))
                .ok_or_else(|| {
                    validation(format!(
                        "parameter ARN `{raw}` does not name a parameter of this account and region"
                    ))
                })?,
            None => raw,
        };
        let (name, selector) = match bare.split_once(':') {
            Some((name, sel)) if selectors => (name, Some(parse_selector(sel)?)),
            _ => (bare, None),
        };
        check_syntax(name)?;
        Ok(NameRef {
            name: name.to_string(),
            path: path_of(name),
            selector,
        })
    }

    /// Reads the `Name` of a parameter to create or overwrite: no ARN, no selector, not
    /// reserved, at most fifteen levels, an ARN of at most 1011 characters.
    pub fn creation(&self, raw: &str) -> Result<NameRef, ServiceError> {
        check_field_len(raw, "name")?;
        check_syntax(raw)?;
        let bare = raw.strip_prefix('/').unwrap_or(raw);
        let lower = bare.to_ascii_lowercase();
        if lower.starts_with("aws") || lower.starts_with("ssm") {
            let in_hierarchy = raw.matches('/').count() > 1;
            if !in_hierarchy {
                return Err(validation(
                    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).",
                ));
            }
            if lower.starts_with("aws") {
                return Err(crate::platform::access_denied(
                    crate::protocol::Protocol::Json {
                        target_prefix: "AmazonSSM",
                    },
                    format!("No access to reserved parameter name: {raw}."),
                ));
            }
            return Err(validation(BAD_NAME));
        }
        let levels = raw.matches('/').count();
        if levels > MAX_LEVELS {
            return Err(ServiceError::client(
                "HierarchyLevelLimitExceededException",
                format!(
                    "A hierarchy can have a maximum of {MAX_LEVELS} levels. `{raw}` has {levels}."
                ),
            ));
        }
        let path = path_of(raw);
        let arn_len = self.arn_prefix.len() + path.len();
        if arn_len > MAX_ARN_LEN {
            return Err(validation(format!(
                "Parameter name: can't be longer than {MAX_ARN_LEN} characters including the ARN \
                 prefix `{}/` ({arn_len} given).",
                self.arn_prefix
            )));
        }
        Ok(NameRef {
            name: raw.to_string(),
            path,
            selector: None,
        })
    }
}

fn check_field_len(raw: &str, member: &str) -> Result<(), ServiceError> {
    if raw.is_empty() {
        return Err(constraint(
            raw,
            member,
            "Member must have length greater than or equal to 1",
        ));
    }
    if raw.chars().count() > MAX_NAME_FIELD {
        return Err(validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
             Member must have length less than or equal to {MAX_NAME_FIELD}"
        )));
    }
    Ok(())
}

/// Characters, and the slash rules: a name with a `/` starts with one, has no empty level and
/// does not end with one.
fn check_syntax(name: &str) -> Result<(), ServiceError> {
    let chars_ok = !name.is_empty() && name.chars().all(name_char);
    let slashes_ok = !name.contains('/')
        || (name.starts_with('/')
            && name.len() > 1
            && !name.ends_with('/')
            && !name.contains("//"));
    if chars_ok && slashes_ok {
        Ok(())
    } else {
        Err(validation(BAD_NAME))
    }
}

fn parse_selector(sel: &str) -> Result<Selector, ServiceError> {
    if sel.is_empty() || sel.contains(':') {
        return Err(validation(BAD_NAME));
    }
    if sel.bytes().all(|b| b.is_ascii_digit()) {
        return sel
            .parse()
            .map(Selector::Version)
            .map_err(|_| validation(format!("version `{sel}` is out of range")));
    }
    Ok(Selector::Label(sel.to_string()))
}

/// The key of a well-formed name: the name with one leading `/`.
pub fn path_of(name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    }
}

/// A path of `GetParametersByPath` or a `Path` filter, without its trailing `/` (`/` stays
/// `/`).
pub fn query_path(raw: &str) -> Result<String, ServiceError> {
    check_field_len(raw, "path")?;
    let ok = raw.starts_with('/') && raw.chars().all(name_char) && !raw.contains("//");
    if !ok {
        return Err(validation(BAD_PATH));
    }
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    if trimmed.is_empty() {
        return Ok("/".to_string());
    }
    if trimmed.matches('/').count() > MAX_LEVELS {
        return Err(ServiceError::client(
            "HierarchyLevelLimitExceededException",
            format!("A hierarchy can have a maximum of {MAX_LEVELS} levels."),
        ));
    }
    Ok(trimmed.to_string())
}

/// Whether the parameter keyed `path` lies under `query` (from [`query_path`]): anywhere below
/// when `recursive`, else one level below.
pub fn under(path: &str, query: &str, recursive: bool) -> bool {
    let rest = if query == "/" {
        path.strip_prefix('/')
    } else {
        path.strip_prefix(query).and_then(|r| r.strip_prefix('/'))
    };
    match rest {
        Some(rest) if !rest.is_empty() => recursive || !rest.contains('/'),
        _ => false,
    }
}

/// Whether a label is one Parameter Store attaches: letters, digits, `.`, `-`, `_`; not
/// starting with a digit, `aws` or `ssm`. (Length is checked before, as a validation error.)
pub fn label_ok(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
}

static TAG_TEXT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").ok());

/// Checks a tag key and value against AWS's model: a key of 1–128 and a value of 0–256
/// characters of letters, separators, digits and `_.:/=+-@`; keys starting with `aws:` are
/// reserved.
pub fn check_tag(key: &str, value: &str) -> Result<(), ServiceError> {
    let re = TAG_TEXT
        .as_ref()
        .ok_or_else(|| ServiceError::internal("the tag pattern failed to compile"))?;
    let key_len = key.chars().count();
    if !(1..=128).contains(&key_len) || !re.is_match(key) {
        return Err(constraint(
            key,
            "tags.member.key",
            "Member must have length between 1 and 128 and satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(validation(format!(
            "tag key `{key}` is reserved: keys starting with `aws:` are for AWS use"
        )));
    }
    if value.chars().count() > 256 || !re.is_match(value) {
        return Err(constraint(
            value,
            "tags.member.value",
            "Member must have length less than or equal to 256 and satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("us-east-1", "000000000000")
    }

    #[test]
    fn flat_names_with_and_without_slash_are_one_parameter() {
        let s = scope();
        let a = s.creation("TestParam1").unwrap();
        let b = s.creation("/TestParam1").unwrap();
        assert_eq!(a.path, b.path);
        assert_eq!(
            s.arn(&a.path),
            "arn:aws:ssm:us-east-1:000000000000:parameter/TestParam1"
        );
        let h = s.creation("/Dev/db/password").unwrap();
        assert_eq!(
            s.arn(&h.path),
            "arn:aws:ssm:us-east-1:000000000000:parameter/Dev/db/password"
        );
    }

    #[test]
    fn bad_names_are_refused_as_aws_refuses_them() {
        let s = scope();
        for bad in [
            "a b",
            "MyParameter3/L1",
            "/a//b",
            "/a/",
            "/",
            "x:1",
            "é",
            "arn:aws:ssm:us-east-1:000000000000:parameter/x",
        ] {
            let e = s.creation(bad).unwrap_err();
            assert_eq!(e.code, "ValidationException", "{bad}");
            assert_eq!(e.message, BAD_NAME, "{bad}");
        }
        for reserved in ["awsTestParameter", "SSM-testparameter", "/aws", "/Ssm"] {
            let e = s.creation(reserved).unwrap_err();
            assert_eq!(e.code, "ValidationException", "{reserved}");
            assert!(e.message.contains("can't be prefixed"), "{reserved}");
        }
        assert_eq!(
            s.creation("/aws/testparam1").unwrap_err().code,
            "AccessDeniedException"
        );
        assert_eq!(s.creation("").unwrap_err().code, "ValidationException");
        // Reserved prefixes are whole-name prefixes only.
        assert!(s.creation("/app/aws").is_ok());
    }

    #[test]
    fn hierarchy_depth_is_fifteen_levels() {
        let s = scope();
        let fifteen = "/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/parameter-name";
        assert!(s.creation(fifteen).is_ok());
        let seventeen =
            "/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16/parameter-name";
        assert_eq!(
            s.creation(seventeen).unwrap_err().code,
            "HierarchyLevelLimitExceededException"
        );
        let sixteen = "/L1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/name";
        assert_eq!(
            s.creation(sixteen).unwrap_err().code,
            "HierarchyLevelLimitExceededException"
        );
    }

    #[test]
    fn name_length_counts_the_arn_prefix() {
        let s = scope();
        let prefix = "arn:aws:ssm:us-east-1:000000000000:parameter/".len();
        let longest = "a".repeat(MAX_ARN_LEN - prefix);
        assert!(s.creation(&longest).is_ok());
        let e = s.creation(&format!("{longest}b")).unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("1011"));
        let e = s
            .reference(&"a".repeat(MAX_NAME_FIELD + 1), true)
            .unwrap_err();
        assert!(e.message.contains("2048"));
    }

    #[test]
    fn references_take_arns_and_selectors() {
        let s = scope();
        let r = s
            .reference(
                "arn:aws:ssm:us-east-1:000000000000:parameter/app/db:3",
                true,
            )
            .unwrap();
        assert_eq!(r.name, "/app/db");
        assert_eq!(r.selector, Some(Selector::Version(3)));
        let r = s.reference("flat:prod", true).unwrap();
        assert_eq!(r.path, "/flat");
        assert_eq!(r.selector, Some(Selector::Label("prod".into())));
        assert_eq!(r.selector.unwrap().render(), ":prod");
        let r = s
            .reference("arn:aws:ssm:us-east-1:000000000000:parameter/flat", true)
            .unwrap();
        assert_eq!(r.path, "/flat");
        assert!(
            s.reference("arn:aws:ssm:eu-west-1:000000000000:parameter/x", true)
                .is_err()
        );
        assert!(s.reference("x:1:2", true).is_err());
        assert!(s.reference("x:", true).is_err());
        // Without selectors a colon is a bad character.
        assert!(s.reference("x:1", false).is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(query_path("/").unwrap(), "/");
        assert_eq!(query_path("/app/").unwrap(), "/app");
        assert_eq!(query_path("/app").unwrap(), "/app");
        assert_eq!(query_path("app").unwrap_err().message, BAD_PATH);
        assert!(query_path("/a//b").is_err());
        assert!(under("/app/db", "/app", false));
        assert!(!under("/app/db/x", "/app", false));
        assert!(under("/app/db/x", "/app", true));
        assert!(!under("/apple", "/app", true));
        assert!(!under("/app", "/app", true));
        assert!(under("/flat", "/", false));
        assert!(!under("/a/b", "/", false));
        assert!(under("/a/b", "/", true));
    }

    #[test]
    fn labels() {
        for ok in ["prod", "Prod_1", "a.b-c", "x"] {
            assert!(label_ok(ok), "{ok}");
        }
        for bad in ["1st", "awsLabel", "SSMx", "a b", "a/b", "a:b", ""] {
            assert!(!label_ok(bad), "{bad}");
        }
    }

    #[test]
    fn tags() {
        assert!(check_tag("team", "payments").is_ok());
        assert!(check_tag("Größe", "a b:c/d=e+f-g@h").is_ok());
        assert!(check_tag("", "x").is_err());
        assert!(check_tag("a*", "x").is_err());
        assert!(check_tag("aws:x", "y").is_err());
        assert!(check_tag(&"k".repeat(129), "x").is_err());
        assert!(check_tag("k", &"v".repeat(257)).is_err());
        assert!(check_tag("k", "").is_ok());
    }
}
