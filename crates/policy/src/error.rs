//! Errors of the policy language: every refusal names the JSON path it points at.

use std::fmt;

/// A policy document that could not be accepted: where it is wrong and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// JSON path of the offending element, like `Statement[2].Condition.StringEquals`;
    /// empty for the document itself.
    pub path: String,
    /// What is wrong, lowercase and without a final period.
    pub message: String,
}

impl PolicyError {
    /// A refusal at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}
