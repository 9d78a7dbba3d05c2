//! The request file of `mudroom policy eval`: a principal, an action, a resource, a context and
//! the policies of each slot, in one JSON document.

use serde_json::{Map, Value};

use crate::arn::Arn;
use crate::compile::CompiledPolicy;
use crate::context::Context;
use crate::error::PolicyError;
use crate::eval::{Caller, Decision, PolicySet, Request, decide};
use crate::explain::{Explanation, explain};
use crate::parse::{ParseOptions, PolicyKind, policy_from_value};

/// A parsed request file, with its policies compiled.
#[derive(Debug, Clone)]
pub struct RequestFile {
    caller: Caller,
    action: String,
    resource: String,
    resource_account: Option<String>,
    context: Context,
    identity: Vec<CompiledPolicy>,
    resource_policy: Option<CompiledPolicy>,
    boundary: Option<CompiledPolicy>,
    session: Vec<CompiledPolicy>,
    scps: Vec<CompiledPolicy>,
    rcps: Vec<CompiledPolicy>,
}

const KEYS: [&str; 11] = [
    "principal",
    "action",
    "resource",
    "resource_account",
    "context",
    "identity_policies",
    "resource_policy",
    "permissions_boundary",
    "session_policies",
    "service_control_policies",
    "resource_control_policies",
];

fn err(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError::new(path, message)
}

fn string<'a>(doc: &'a Map<String, Value>, key: &str) -> Result<&'a str, PolicyError> {
    match doc.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(err(key, "must not be empty")),
        Some(_) => Err(err(key, "must be a string")),
        None => Err(err("", format!("missing `{key}`"))),
    }
}

fn policy_list(
    doc: &Map<String, Value>,
    key: &str,
    kind: PolicyKind,
) -> Result<Vec<CompiledPolicy>, PolicyError> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| one_policy(v, &format!("{key}[{i}]"), kind))
            .collect(),
        Some(_) => Err(err(key, "must be an array of policies")),
    }
}

fn one_policy(v: &Value, path: &str, kind: PolicyKind) -> Result<CompiledPolicy, PolicyError> {
    let policy = policy_from_value(v, ParseOptions::new(kind)).map_err(|e| {
        let inner = if e.path.is_empty() {
            path.to_string()
        } else {
            format!("{path}.{}", e.path)
        };
        err(inner, e.message)
    })?;
    Ok(CompiledPolicy::new(path, kind, &policy))
}

fn optional_policy(
    doc: &Map<String, Value>,
    key: &str,
    kind: PolicyKind,
) -> Result<Option<CompiledPolicy>, PolicyError> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => one_policy(v, key, kind).map(Some),
    }
}

fn context_values(v: &Value, path: &str) -> Result<Vec<String>, PolicyError> {
    let scalar = |v: &Value, path: &str| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(err(path, "must be a string or an array of strings")),
    };
    match v {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, item)| scalar(item, &format!("{path}[{i}]")))
            .collect(),
        other => Ok(vec![scalar(other, path)?]),
    }
}

impl RequestFile {
    /// Reads a request file from JSON text.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            err(
                "",
                format!(
                    "not valid JSON: line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        Self::from_value(&value)
    }

    /// Reads a request file already read as JSON.
    pub fn from_value(value: &Value) -> Result<Self, PolicyError> {
        let Value::Object(doc) = value else {
            return Err(err("", "a request must be a JSON object"));
        };
        if let Some(key) = doc.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(err(key.clone(), format!("unknown key `{key}`")));
        }
        let Some(Value::Object(principal)) = doc.get("principal") else {
            return Err(err("principal", "must be an object with `arn`"));
        };
        if let Some(key) = principal.keys().find(|k| *k != "arn" && *k != "tags") {
            return Err(err(
                format!("principal.{key}"),
                format!("unknown key `{key}`"),
            ));
        }
        let arn = string(principal, "arn").map_err(|e| err("principal.arn", e.message))?;
        let caller = Caller::from_arn(arn).map_err(|m| err("principal.arn", m))?;
        let mut tags = Vec::new();
        match principal.get("tags") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    let Value::String(v) = v else {
                        return Err(err(format!("principal.tags.{k}"), "must be a string"));
                    };
                    tags.push((k.as_str(), v.as_str()));
                }
            }
            Some(_) => return Err(err("principal.tags", "must be an object of strings")),
        }
        let action = string(doc, "action")?;
        if action != "*" && !action.contains(':') {
            return Err(err(
                "action",
                format!("`{action}` must be `service:Action`"),
            ));
        }
        let resource = string(doc, "resource")?;
        let resource_account = match doc.get("resource_account") {
            None | Some(Value::Null) => Arn::parse(resource)
                .map(|a| a.account.to_string())
                .filter(|a| !a.is_empty()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(err("resource_account", "must be a string")),
        };
        let mut context = Context::new();
        match doc.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    context.insert(k, context_values(v, &format!("context.{k}"))?);
                }
            }
            Some(_) => return Err(err("context", "must be an object")),
        }
        caller.fill_context(&mut context, tags);
        let lower = action.to_ascii_lowercase();
        let resource_kind = if lower.starts_with("sts:assumerole") {
            PolicyKind::Trust
        } else {
            PolicyKind::Resource
        };
        Ok(Self {
            identity: policy_list(doc, "identity_policies", PolicyKind::Identity)?,
            resource_policy: optional_policy(doc, "resource_policy", resource_kind)?,
            boundary: optional_policy(doc, "permissions_boundary", PolicyKind::Boundary)?,
            session: policy_list(doc, "session_policies", PolicyKind::Session)?,
            scps: policy_list(doc, "service_control_policies", PolicyKind::Scp)?,
            rcps: policy_list(doc, "resource_control_policies", PolicyKind::Rcp)?,
            caller,
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account,
            context,
        })
    }

    /// The request to evaluate.
    pub fn request(&self) -> Request<'_> {
        Request {
            caller: &self.caller,
            action: &self.action,
            resource: &self.resource,
            resource_account: self.resource_account.as_deref(),
            context: &self.context,
        }
    }

    /// The policies, by slot.
    pub fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            resource: self.resource_policy.as_ref(),
            boundary: self.boundary.as_ref(),
            session: &self.session,
            scps: &self.scps,
            rcps: &self.rcps,
        }
    }

    /// The decision alone.
    pub fn decide(&self) -> Decision {
        decide(&self.request(), &self.policy_set())
    }

    /// The decision with its explanation.
    pub fn explain(&self) -> Explanation {
        explain(&self.request(), &self.policy_set())
    }
}
