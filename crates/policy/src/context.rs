//! The request context: condition keys and their values.

use crate::pattern::Resolve;

/// Condition keys of one request. Key names compare case-insensitively; a key holds one value
/// or several (multi-valued keys like `aws:TagKeys`).
#[derive(Debug, Clone, Default)]
pub struct Context {
    entries: Vec<(Box<str>, Vec<String>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `values`, replacing what it held.
    pub fn insert(&mut self, key: &str, values: Vec<String>) {
        let key = key.to_ascii_lowercase();
        match self.entries.binary_search_by(|(k, _)| (**k).cmp(&key)) {
            Ok(i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.1 = values;
                }
            }
            Err(i) => self.entries.insert(i, (key.into(), values)),
        }
    }

    /// Sets `key` to one value.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.insert(key, vec![value.into()]);
    }

    /// Sets `key` to one value unless the context already holds it.
    pub fn set_default(&mut self, key: &str, value: impl Into<String>) {
        if self.get(&key.to_ascii_lowercase()).is_none() {
            self.set(key, value);
        }
    }

    /// The values of `key`, which must be lowercase.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v.as_slice())
    }

    /// Every key (lowercase) with its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (&**k, v.as_slice()))
    }
}

impl Resolve for Context {
    fn resolve(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            [one] => Some(one),
            _ => None,
        }
    }
}
