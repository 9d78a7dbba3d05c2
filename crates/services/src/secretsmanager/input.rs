//! Reading a JSON request's members with their types and AWS's limits. Messages name members,
//! never echo a secret value.

use base64::Engine as _;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::data::{SecretValue, invalid_parameter};
use crate::error::ServiceError;

/// The members of a request body.
pub(super) struct Input(Map<String, Value>);

/// One `Filters` entry of ListSecrets or BatchGetSecretValue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Filter {
    /// `name`, `description`, `tag-key`, `tag-value`, `primary-region`, `owning-service`, `all`.
    pub key: String,
    /// Values, a leading `!` negating.
    pub values: Vec<String>,
}

const FILTER_KEYS: [&str; 7] = [
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
];

impl Input {
    /// The body of a call; must be a JSON object.
    pub fn parse(body: Value) -> Result<Self, ServiceError> {
        match body {
            Value::Object(map) => Ok(Self(map)),
            _ => Err(ServiceError::client(
                "SerializationException",
                "the request body must be a JSON object",
            )),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// Whether member `key` is given (and not null).
    pub fn get_present(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// An optional string member.
    pub fn string(&self, key: &str) -> Result<Option<&str>, ServiceError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid_parameter(format!("`{key}` must be a string"))),
        }
    }

    /// An optional string member of `min..=max` characters.
    pub fn bounded(&self, key: &str, min: usize, max: usize) -> Result<Option<&str>, ServiceError> {
        let s = self.string(key)?;
        if let Some(s) = s {
            let n = s.chars().count();
            if n < min || n > max {
                return Err(invalid_parameter(format!(
                    "`{key}` must have {min} to {max} characters, not {n}"
                )));
            }
        }
        Ok(s)
    }

    /// A required string member.
    pub fn required(&self, key: &str) -> Result<&str, ServiceError> {
        self.string(key)?
            .ok_or_else(|| invalid_parameter(format!("`{key}` is required")))
    }

    /// An optional boolean member.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ServiceError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid_parameter(format!("`{key}` must be a boolean"))),
        }
    }

    /// An optional integer member.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, ServiceError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalid_parameter(format!("`{key}` must be an integer"))),
        }
    }

    /// An optional integer member within `min..=max`.
    pub fn integer_in(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ServiceError> {
        let n = self.integer(key)?;
        if let Some(n) = n
            && !(min..=max).contains(&n)
        {
            return Err(invalid_parameter(format!(
                "`{key}` must be between {min} and {max}, not {n}"
            )));
        }
        Ok(n)
    }

    /// An optional list of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ServiceError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        invalid_parameter(format!("`{key}` must be a list of strings"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(invalid_parameter(format!(
                "`{key}` must be a list of strings"
            ))),
        }
    }

    /// An optional list of `{"Key": ..., "Value": ...}` tags, checked: keys of 1 to 128 and
    /// values of up to 256 characters, no `aws:` keys, no key twice.
    pub fn tags(&self, key: &str) -> Result<Option<Vec<(String, String)>>, ServiceError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let bad = || invalid_parameter(format!("`{key}` must be a list of {{Key, Value}} objects"));
        let items = v.as_array().ok_or_else(bad)?;
        let mut tags: Vec<(String, String)> = Vec::with_capacity(items.len());
        for item in items {
            let k = item.get("Key").and_then(Value::as_str).ok_or_else(bad)?;
            let v = match item.get("Value") {
                None | Some(Value::Null) => "",
                Some(v) => v.as_str().ok_or_else(bad)?,
            };
            check_tag_key(k)?;
            if v.chars().count() > 256 || !v.chars().all(tag_char) {
                return Err(invalid_parameter(format!(
                    "the value of tag `{k}` must have at most 256 letters, digits, spaces or _.:/=+-@"
                )));
            }
            if tags.iter().any(|(t, _)| t == k) {
                return Err(invalid_parameter(format!("tag key `{k}` is given twice")));
            }
            tags.push((k.to_string(), v.to_string()));
        }
        Ok(Some(tags))
    }

    /// `Filters`: at most 10, each with 1 to 10 values of up to 512 characters.
    pub fn filters(&self) -> Result<Vec<Filter>, ServiceError> {
        let Some(v) = self.get("Filters") else {
            return Ok(Vec::new());
        };
        let bad = || invalid_parameter("`Filters` must be a list of {Key, Values} objects");
        let items = v.as_array().ok_or_else(bad)?;
        if items.len() > 10 {
            return Err(invalid_parameter("give at most 10 filters"));
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let key = item.get("Key").and_then(Value::as_str).ok_or_else(bad)?;
            if !FILTER_KEYS.contains(&key) {
                return Err(invalid_parameter(format!(
                    "unknown filter key `{key}`; use one of {}",
                    FILTER_KEYS.join(", ")
                )));
            }
            let values = item
                .get("Values")
                .and_then(Value::as_array)
                .ok_or_else(bad)?
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()?;
            if values.is_empty() || values.len() > 10 {
                return Err(invalid_parameter(format!(
                    "filter `{key}` must have 1 to 10 values"
                )));
            }
            if let Some(v) = values.iter().find(|v| v.chars().count() > 512) {
                return Err(invalid_parameter(format!(
                    "filter value `{}...` is longer than 512 characters",
                    v.chars().take(16).collect::<String>()
                )));
            }
            out.push(Filter {
                key: key.to_string(),
                values,
            });
        }
        Ok(out)
    }

    /// Takes `SecretString` or `SecretBinary` (base64) out of the request, so no other copy
    /// stays in it; at most one may be given.
    pub fn take_value(&mut self) -> Result<Option<SecretValue>, ServiceError> {
        let text = self.0.remove("SecretString").filter(|v| !v.is_null());
        let binary = self.0.remove("SecretBinary").filter(|v| !v.is_null());
        let value = match (text, binary) {
            (Some(_), Some(_)) => {
                return Err(invalid_parameter(
                    "You can't specify both a binary secret value and a string secret value in the same secret.",
                ));
            }
            (Some(Value::String(s)), None) => SecretValue::Text(Zeroizing::new(s)),
            (Some(_), None) => return Err(invalid_parameter("`SecretString` must be a string")),
            (None, Some(Value::String(b64))) => {
                let b64 = Zeroizing::new(b64);
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .map_err(|_| invalid_parameter("`SecretBinary` is not valid base64"))?;
                SecretValue::Binary(Zeroizing::new(bytes))
            }
            (None, Some(_)) => {
                return Err(invalid_parameter("`SecretBinary` must be a base64 string"));
            }
            (None, None) => return Ok(None),
        };
        value.check_size()?;
        Ok(Some(value))
    }
}

/// Characters AWS allows in tag keys and values.
fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// A tag key: 1 to 128 allowed characters, not starting with `aws:`.
pub(super) fn check_tag_key(k: &str) -> Result<(), ServiceError> {
    let n = k.chars().count();
    if n == 0 || n > 128 || !k.chars().all(tag_char) {
        return Err(invalid_parameter(format!(
            "tag key `{k}` must have 1 to 128 letters, digits, spaces or _.:/=+-@"
        )));
    }
    if k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(invalid_parameter(format!(
            "tag key `{k}` starts with the reserved prefix `aws:`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_taken_and_checked() {
        let mut i = Input::parse(json!({"SecretString": "s3cr3t", "Name": "n"})).unwrap();
        let v = i.take_value().unwrap().unwrap();
        assert_eq!(v.bytes(), b"s3cr3t");
        assert!(
            i.0.get("SecretString").is_none(),
            "no copy stays in the request"
        );
        let mut i = Input::parse(json!({"SecretBinary": "AAEC"})).unwrap();
        assert_eq!(i.take_value().unwrap().unwrap().bytes(), &[0, 1, 2]);
        let mut both = Input::parse(json!({"SecretBinary": "AAEC", "SecretString": "x"})).unwrap();
        assert!(both.take_value().is_err());
        let mut big = Input::parse(json!({"SecretString": "z".repeat(65_537)})).unwrap();
        let e = big.take_value().unwrap_err();
        assert!(!e.message.contains("zzzz"), "{}", e.message);
        let mut ok = Input::parse(json!({"SecretString": "z".repeat(65_536)})).unwrap();
        assert!(ok.take_value().is_ok());
        let mut empty = Input::parse(json!({"SecretString": ""})).unwrap();
        assert!(empty.take_value().is_err());
        let mut num = Input::parse(json!({"SecretString": 12345})).unwrap();
        assert!(!num.take_value().unwrap_err().message.contains("12345"));
        assert!(Input::parse(json!([1])).is_err());
    }

    #[test]
    fn tags_and_filters() {
        let i = Input::parse(json!({"Tags": [{"Key": "team", "Value": "red"}, {"Key": "env"}]}))
            .unwrap();
        assert_eq!(
            i.tags("Tags").unwrap().unwrap(),
            vec![("team".into(), "red".into()), ("env".into(), String::new())]
        );
        for bad in [
            json!({"Tags": [{"Key": "aws:x", "Value": "1"}]}),
            json!({"Tags": [{"Key": "", "Value": "1"}]}),
            json!({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}),
            json!({"Tags": [{"Key": "k", "Value": "x".repeat(257)}]}),
            json!({"Tags": [{"Key": "bad*char"}]}),
            json!({"Tags": "no"}),
        ] {
            assert!(
                Input::parse(bad.clone()).unwrap().tags("Tags").is_err(),
                "{bad}"
            );
        }
        let i =
            Input::parse(json!({"Filters": [{"Key": "name", "Values": ["app/", "!x"]}]})).unwrap();
        assert_eq!(i.filters().unwrap().len(), 1);
        let i = Input::parse(json!({"Filters": [{"Key": "color", "Values": ["x"]}]})).unwrap();
        assert!(i.filters().is_err());
        let i = Input::parse(json!({"Filters": [{"Key": "name", "Values": []}]})).unwrap();
        assert!(i.filters().is_err());
        let i = Input::parse(json!({"MaxResults": 0, "B": "yes"})).unwrap();
        assert!(i.integer_in("MaxResults", 1, 100).is_err());
        assert!(i.boolean("B").is_err());
    }
}
