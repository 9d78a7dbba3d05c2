//! STS: `GetCallerIdentity`, `AssumeRole` (the role's trust policy evaluated by the policy
//! engine) and `GetSessionToken`, in the query protocol.

use mudroom_policy::{CompiledPolicy, PolicyKind};

use crate::error::{ServiceError, xml_escape};
use crate::identity::{Credentials, validate_document};
use crate::platform::{Authz, Call, Service};
use crate::server::Output;

/// The STS service.
#[derive(Debug, Default)]
pub struct Sts;

/// Unix seconds as AWS's ISO 8601 timestamp.
pub fn iso8601(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn credentials_xml(c: &Credentials) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        c.access_key_id,
        xml_escape(&c.secret_access_key),
        xml_escape(c.session_token.as_deref().map_or("", |t| t.as_str())),
        iso8601(c.expires.unwrap_or_default()),
    )
}

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationError", message)
}

/// Session names and source identities: 2–64 characters of `[\w+=,.@-]`.
fn check_session_name(name: &str, field: &str) -> Result<(), ServiceError> {
    let ok = (2..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )))
    }
}

/// `Prefix.member.N.Field` parameters, in order of N.
pub fn members(call: &Call<'_>, prefix: &str, field: &str) -> Vec<String> {
    let mut out: Vec<(usize, String)> = call
        .request
        .params
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(prefix)?.strip_prefix(".member.")?;
            let (n, f) = rest.split_once('.')?;
            (f == field)
                .then(|| (n.parse().ok(), v.clone()))
                .and_then(|(n, v)| Some((n?, v)))
        })
        .collect();
    out.sort_by_key(|(n, _)| *n);
    out.into_iter().map(|(_, v)| v).collect()
}

/// `Tags.member.N.Key` / `.Value` pairs.
pub fn tag_members(call: &Call<'_>, prefix: &str) -> Vec<(String, String)> {
    members(call, prefix, "Key")
        .into_iter()
        .zip(members(call, prefix, "Value"))
        .collect()
}

impl Service for Sts {
    fn name(&self) -> &'static str {
        "sts"
    }

    fn call(&self, call: &Call<'_>) -> Result<Output, ServiceError> {
        match call.operation() {
            "GetCallerIdentity" => {
                // AWS answers this for every authenticated caller, whatever its policies.
                let p = call.principal;
                Ok(Output::QueryXml(format!(
                    "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
                    xml_escape(p.caller.arn()),
                    xml_escape(&p.user_id),
                    call.platform.identities.account()
                )))
            }
            "AssumeRole" => assume_role(call),
            "GetSessionToken" => get_session_token(call),
            other => Err(ServiceError::client(
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
            )),
        }
    }
}

fn assume_role(call: &Call<'_>) -> Result<Output, ServiceError> {
    let r = call.request;
    let ids = &call.platform.identities;
    let role_arn = r.param("RoleArn").ok_or_else(|| validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null"))?;
    let session_name = r.param("RoleSessionName").ok_or_else(|| validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null"))?;
    check_session_name(session_name, "roleSessionName")?;
    let source_identity = r.param("SourceIdentity");
    if let Some(s) = source_identity {
        check_session_name(s, "sourceIdentity")?;
    }
    // The role, by ARN: account and name must match; the path is part of the ARN.
    let role_name = role_arn
        .strip_prefix(&format!("arn:aws:iam::{}:role/", ids.account()))
        .map(|rest| rest.rsplit('/').next().unwrap_or(rest))
        .filter(|n| !n.is_empty());
    let role = match role_name {
        Some(name) => ids.role(name).map_err(|e| e.into_service())?,
        None => None,
    }
    .filter(|role| role.arn == role_arn);
    // An unknown role is denied like a role whose trust policy does not allow the caller:
    // AWS does not reveal which roles exist.
    let trust = role
        .as_ref()
        .and_then(|role| validate_document(&role.trust_policy, PolicyKind::Trust).ok())
        .map(|p| CompiledPolicy::new("trust policy", PolicyKind::Trust, &p));
    let tags = tag_members(call, "Tags");
    if tags.len() > 50 {
        return Err(validation("Tags must have at most 50 members"));
    }
    let mut context: Vec<(String, Vec<String>)> =
        vec![("sts:RoleSessionName".into(), vec![session_name.to_string()])];
    if let Some(e) = r.param("ExternalId") {
        context.push(("sts:ExternalId".into(), vec![e.to_string()]));
    }
    if let Some(s) = source_identity {
        context.push(("sts:SourceIdentity".into(), vec![s.to_string()]));
    }
    if !tags.is_empty() {
        context.push((
            "aws:TagKeys".into(),
            tags.iter().map(|(k, _)| k.clone()).collect(),
        ));
        for (k, v) in &tags {
            context.push((format!("aws:RequestTag/{k}"), vec![v.clone()]));
        }
    }
    call.authorize(
        "sts:AssumeRole",
        role_arn,
        Authz {
            resource_policy: Some(trust.as_ref().unwrap_or(&empty_trust())),
            resource_account: Some(ids.account()),
            context,
        },
    )?;
    if !tags.is_empty() {
        call.authorize(
            "sts:TagSession",
            role_arn,
            Authz {
                resource_policy: trust.as_ref(),
                resource_account: Some(ids.account()),
                context: tags
                    .iter()
                    .map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()]))
                    .collect(),
            },
        )?;
    }
    let Some(role) = role else {
        return Err(ServiceError::internal("the role vanished during the call"));
    };
    // Role chaining is limited to one hour, as AWS does.
    let chained = call.principal.role_name.is_some();
    let max = if chained { 3600 } else { role.max_session };
    let duration: i64 = match r.param("DurationSeconds") {
        Some(d) => d
            .parse()
            .map_err(|_| validation(format!("Value '{d}' at 'durationSeconds' is not a number")))?,
        None => 3600.min(max),
    };
    if !(900..=max).contains(&duration) {
        return Err(validation(format!(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({duration} is not in 900..={max})."
        )));
    }
    let mut session_policies = Vec::new();
    if let Some(policy) = r.param("Policy") {
        validate_document(policy, PolicyKind::Session)?;
        session_policies.push(policy.to_string());
    }
    for arn in members(call, "PolicyArns", "arn") {
        let doc = ids.managed_document(&arn).map_err(|e| e.into_service())?;
        session_policies.push(doc);
    }
    let now = r.info.received.unix_timestamp();
    let creds = ids
        .issue_role_session(
            &role,
            session_name,
            duration,
            &session_policies,
            &tags,
            now,
            source_identity,
        )
        .map_err(|e| e.into_service())?;
    let assumed_arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{session_name}",
        ids.account(),
        role.name
    );
    Ok(Output::QueryXml(format!(
        "{}<AssumedRoleUser><AssumedRoleId>{}:{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser><PackedPolicySize>{}</PackedPolicySize>",
        credentials_xml(&creds),
        role.role_id,
        xml_escape(session_name),
        xml_escape(&assumed_arn),
        session_policies.iter().map(String::len).sum::<usize>() * 100 / 2048,
    )))
}

/// A trust policy that allows nothing, for roles that do not exist.
fn empty_trust() -> CompiledPolicy {
    CompiledPolicy::new(
        "trust policy",
        PolicyKind::Trust,
        &mudroom_policy::Policy {
            version: mudroom_policy::Version::V2012,
            id: None,
            statements: Vec::new(),
        },
    )
}

fn get_session_token(call: &Call<'_>) -> Result<Output, ServiceError> {
    let p = call.principal;
    let Some(user) = p.user_name.as_deref() else {
        return Err(ServiceError::client(
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
        )
        .with_status(403));
    };
    let duration: i64 = match call.request.param("DurationSeconds") {
        Some(d) => d
            .parse()
            .map_err(|_| validation(format!("Value '{d}' at 'durationSeconds' is not a number")))?,
        None => 43_200,
    };
    if !(900..=129_600).contains(&duration) {
        return Err(validation("DurationSeconds must be between 900 and 129600"));
    }
    let now = call.request.info.received.unix_timestamp();
    let creds = call
        .platform
        .identities
        .issue_user_session(user, p.caller.arn(), now + duration)
        .map_err(|e| e.into_service())?;
    Ok(Output::QueryXml(credentials_xml(&creds)))
}
