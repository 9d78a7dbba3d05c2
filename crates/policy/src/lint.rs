//! Policy findings. (Validation only; the full linter lands separately.)

use crate::parse::{ParseOptions, parse_policy};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The policy is refused or cannot work.
    Error,
    /// Likely a mistake or a risk.
    Warning,
    /// Could be better.
    Suggestion,
}

impl Severity {
    /// `error`, `warning` or `suggestion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Stable kebab-case code.
    pub code: &'static str,
    /// JSON path.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Validates `text`.
pub fn lint_text(text: &str, options: ParseOptions) -> Vec<Finding> {
    match parse_policy(text, options) {
        Ok(_) => Vec::new(),
        Err(e) => vec![Finding {
            severity: Severity::Error,
            code: "invalid-policy",
            path: e.path,
            message: e.message,
        }],
    }
}
