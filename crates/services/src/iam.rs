//! IAM in the query protocol: roles, users, access keys, inline and customer managed policies,
//! permissions boundaries, and the policy simulator (answered by the policy engine). Answers
//! are shaped as AWS's, policy documents URL-encoded as AWS returns them. Every operation asks
//! the policy engine for `iam:<Operation>` on the entity it touches before acting, and records
//! each change in the audit log.

use mudroom_policy::{
    Caller, CompiledPolicy, Context, Decision, Effect, ParseOptions, Policy, PolicyKind, PolicySet,
    Request, decide, explain, parse_policy,
};

use crate::error::{ServiceError, xml_escape};
use crate::identity::{
    Identities, IdentityError, OwnerKind, PolicyRow, RoleRow, UserRow, validate_document,
};
use crate::platform::{Authz, Call, Service};
use crate::protocol::Protocol;
use crate::server::Output;
use crate::sts::{iso8601, tag_members};

/// The IAM service.
#[derive(Debug, Default)]
pub struct Iam;

/// The most items a list answer holds when `MaxItems` is not given.
const DEFAULT_MAX_ITEMS: usize = 100;

impl Service for Iam {
    fn name(&self) -> &'static str {
        "iam"
    }

    fn call(&self, call: &Call<'_>) -> Result<Output, ServiceError> {
        let op = call.operation();
        match op {
            "CreateRole" => create_role(call),
            "GetRole" => get_role(call),
            "ListRoles" => list_roles(call),
            "DeleteRole" => delete_role(call),
            "UpdateAssumeRolePolicy" => update_assume_role_policy(call),
            "UpdateRole" => update_role(call),
            "TagRole" | "TagUser" => tag(call, owner_kind(op)),
            "UntagRole" | "UntagUser" => untag(call, owner_kind(op)),
            "ListRoleTags" | "ListUserTags" => list_tags(call, owner_kind(op)),
            "PutRolePolicy" | "PutUserPolicy" => put_inline(call, owner_kind(op)),
            "GetRolePolicy" | "GetUserPolicy" => get_inline(call, owner_kind(op)),
            "DeleteRolePolicy" | "DeleteUserPolicy" => delete_inline(call, owner_kind(op)),
            "ListRolePolicies" | "ListUserPolicies" => list_inline(call, owner_kind(op)),
            "AttachRolePolicy" | "AttachUserPolicy" => attach(call, owner_kind(op), true),
            "DetachRolePolicy" | "DetachUserPolicy" => attach(call, owner_kind(op), false),
            "ListAttachedRolePolicies" | "ListAttachedUserPolicies" => {
                list_attached(call, owner_kind(op))
            }
            "PutRolePermissionsBoundary" | "PutUserPermissionsBoundary" => {
                put_boundary(call, owner_kind(op))
            }
            "DeleteRolePermissionsBoundary" | "DeleteUserPermissionsBoundary" => {
                delete_boundary(call, owner_kind(op))
            }
            "CreatePolicy" => create_policy(call),
            "GetPolicy" => get_policy(call),
            "ListPolicies" => list_policies(call),
            "DeletePolicy" => delete_policy(call),
            "CreatePolicyVersion" => create_policy_version(call),
            "GetPolicyVersion" => get_policy_version(call),
            "ListPolicyVersions" => list_policy_versions(call),
            "DeletePolicyVersion" => delete_policy_version(call),
            "SetDefaultPolicyVersion" => set_default_policy_version(call),
            "CreateUser" => create_user(call),
            "GetUser" => get_user(call),
            "ListUsers" => list_users(call),
            "DeleteUser" => delete_user(call),
            "CreateAccessKey" => create_access_key(call),
            "ListAccessKeys" => list_access_keys(call),
            "UpdateAccessKey" => update_access_key(call),
            "DeleteAccessKey" => delete_access_key(call),
            "SimulatePrincipalPolicy" => simulate_principal_policy(call),
            "SimulateCustomPolicy" => simulate_custom_policy(call),
            other => Err(ServiceError::client(
                "InvalidAction",
                format!("Could not find operation {other} for version 2010-05-08"),
            )),
        }
    }
}

/// Users for `...User...` operations, roles otherwise.
fn owner_kind(op: &str) -> OwnerKind {
    if op.contains("User") {
        OwnerKind::User
    } else {
        OwnerKind::Role
    }
}

// ---- request parameters ---------------------------------------------------------------------

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::client("ValidationError", message)
}

fn invalid_input(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidInput", message)
}

fn svc(e: IdentityError) -> ServiceError {
    e.into_service()
}

/// `RoleName` -> `roleName`, as AWS names members in validation messages.
fn member_name(param: &str) -> String {
    let mut chars = param.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

/// A required parameter, refused as AWS does when absent.
fn required<'c>(call: &'c Call<'_>, name: &str) -> Result<&'c str, ServiceError> {
    call.request.param(name).ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            member_name(name)
        ))
    })
}

/// `Prefix.member.N` parameters, in order of N.
fn list_param(call: &Call<'_>, prefix: &str) -> Vec<String> {
    let mut out: Vec<(usize, String)> = call
        .request
        .params
        .iter()
        .filter_map(|(k, v)| {
            let n = k.strip_prefix(prefix)?.strip_prefix(".member.")?;
            Some((n.parse().ok()?, v.clone()))
        })
        .collect();
    out.sort_by_key(|(n, _)| *n);
    out.into_iter().map(|(_, v)| v).collect()
}

fn int_param(call: &Call<'_>, name: &str) -> Result<Option<i64>, ServiceError> {
    call.request
        .param(name)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                validation(format!(
                    "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must be a number",
                    member_name(name)
                ))
            })
        })
        .transpose()
}

fn bool_param(call: &Call<'_>, name: &str) -> Result<bool, ServiceError> {
    match call.request.param(name) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(validation(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: Member must be a boolean",
            member_name(name)
        ))),
    }
}

/// `Tags.member.N.Key/Value`, checked as IAM checks tags.
fn tags_param(call: &Call<'_>) -> Result<Vec<(String, String)>, ServiceError> {
    let tags = tag_members(call, "Tags");
    if tags.len() > 50 {
        return Err(ServiceError::client(
            "LimitExceeded",
            "The number of tags has reached the maximum limit.",
        )
        .with_status(409));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        check_tag_key(k)?;
        if v.chars().count() > 256 {
            return Err(validation(format!(
                "1 validation error detected: Value at 'tags.{}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
                i + 1
            )));
        }
        if tags
            .iter()
            .skip(i + 1)
            .any(|(other, _)| other.eq_ignore_ascii_case(k))
        {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(tags)
}

fn check_tag_key(key: &str) -> Result<(), ServiceError> {
    let len = key.chars().count();
    let ok = (1..=128).contains(&len)
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c));
    if !ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{key}' at 'tagKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]+ and have length between 1 and 128"
        )));
    }
    if key.len() >= 4 && key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(invalid_input(
            "User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS tag keys.",
        ));
    }
    Ok(())
}

fn description_param<'c>(call: &'c Call<'_>) -> Result<Option<&'c str>, ServiceError> {
    let d = call.request.param("Description");
    if let Some(d) = d
        && d.chars().count() > 1000
    {
        return Err(validation(
            "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000",
        ));
    }
    Ok(d)
}

// ---- pagination -----------------------------------------------------------------------------

/// One page of `items` (already in order) after `Marker`, at most `MaxItems` long, and the
/// marker of the next page. Markers are the position of the next item.
fn page<T>(call: &Call<'_>, items: Vec<T>) -> Result<(Vec<T>, Option<String>), ServiceError> {
    let max = match int_param(call, "MaxItems")? {
        None => DEFAULT_MAX_ITEMS,
        Some(n) if (1..=1000).contains(&n) => usize::try_from(n).unwrap_or(DEFAULT_MAX_ITEMS),
        Some(n) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
            )));
        }
    };
    let start = match call.request.param("Marker") {
        None => 0,
        Some(m) => decode_marker(m).ok_or_else(|| invalid_input("Invalid Marker."))?,
    };
    let total = items.len();
    let end = start.saturating_add(max).min(total);
    let page: Vec<T> = items.into_iter().skip(start).take(max).collect();
    let next = (end < total).then(|| encode_marker(end));
    Ok((page, next))
}

fn encode_marker(position: usize) -> String {
    crate::random::base64(format!("mudroom:{position}").as_bytes())
}

fn decode_marker(marker: &str) -> Option<usize> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(marker)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("mudroom:")?
        .parse()
        .ok()
}

fn page_xml(out: &mut String, next: Option<&str>) {
    match next {
        Some(m) => {
            out.push_str("<IsTruncated>true</IsTruncated>");
            el(out, "Marker", m);
        }
        None => out.push_str("<IsTruncated>false</IsTruncated>"),
    }
}

// ---- XML ------------------------------------------------------------------------------------

fn el(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&xml_escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// A policy document as IAM returns it: URL-encoded (RFC 3986; spaces as `%20`).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(
                HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
            ));
            out.push(char::from(
                HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn tags_xml(out: &mut String, tags: &[(String, String)]) {
    out.push_str("<Tags>");
    for (k, v) in tags {
        out.push_str("<member>");
        el(out, "Key", k);
        el(out, "Value", v);
        out.push_str("</member>");
    }
    out.push_str("</Tags>");
}

fn boundary_xml(out: &mut String, arn: Option<&str>) {
    if let Some(arn) = arn {
        out.push_str(
            "<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType>",
        );
        el(out, "PermissionsBoundaryArn", arn);
        out.push_str("</PermissionsBoundary>");
    }
}

/// A role: `full` adds what `GetRole` and `CreateRole` answer beyond `ListRoles`.
fn role_xml(out: &mut String, role: &RoleRow, full: bool) {
    el(out, "Path", &role.path);
    el(out, "RoleName", &role.name);
    el(out, "RoleId", &role.role_id);
    el(out, "Arn", &role.arn);
    el(out, "CreateDate", &iso8601(role.created));
    el(
        out,
        "AssumeRolePolicyDocument",
        &url_encode(&role.trust_policy),
    );
    if !role.description.is_empty() {
        el(out, "Description", &role.description);
    }
    el(out, "MaxSessionDuration", &role.max_session.to_string());
    if full {
        boundary_xml(out, role.boundary_arn.as_deref());
        if !role.tags.is_empty() {
            tags_xml(out, &role.tags);
        }
        out.push_str("<RoleLastUsed/>");
    }
}

fn user_xml(out: &mut String, user: &UserRow, full: bool) {
    el(out, "Path", &user.path);
    el(out, "UserName", &user.name);
    el(out, "UserId", &user.user_id);
    el(out, "Arn", &user.arn);
    el(out, "CreateDate", &iso8601(user.created));
    if full {
        boundary_xml(out, user.boundary_arn.as_deref());
        if !user.tags.is_empty() {
            tags_xml(out, &user.tags);
        }
    }
}

fn policy_xml(out: &mut String, p: &PolicyRow, full: bool) {
    el(out, "PolicyName", &p.name);
    el(out, "DefaultVersionId", &p.default_version);
    el(out, "PolicyId", &p.policy_id);
    el(out, "Path", &p.path);
    el(out, "Arn", &p.arn);
    el(out, "AttachmentCount", &p.attachments.to_string());
    el(
        out,
        "PermissionsBoundaryUsageCount",
        &p.boundary_usage.to_string(),
    );
    out.push_str("<IsAttachable>true</IsAttachable>");
    if full && !p.description.is_empty() {
        el(out, "Description", &p.description);
    }
    el(out, "CreateDate", &iso8601(p.created));
    el(out, "UpdateDate", &iso8601(p.updated));
    if full && !p.tags.is_empty() {
        tags_xml(out, &p.tags);
    }
}

fn wrap(name: &str, inner: &str) -> String {
    format!("<{name}>{inner}</{name}>")
}

/// The answer of an operation without output: AWS sends no `<OperationResult>` element.
fn empty(call: &Call<'_>) -> Output {
    let op = call.operation();
    let xmlns = match call.request.route.protocol {
        Protocol::Query { xmlns } => xmlns,
        _ => "",
    };
    let body = format!(
        "<{op}Response xmlns=\"{xmlns}\"><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{op}Response>",
        xml_escape(&call.request.info.request_id)
    );
    Output::Raw {
        status: 200,
        content_type: "text/xml".to_string(),
        headers: Vec::new(),
        body: body.into(),
    }
}

// ---- entities and authorization ---------------------------------------------------------------

/// A user or role named by a request: its ARN (as it would be when it does not exist) and its
/// row when it exists.
struct Target {
    name: String,
    arn: String,
    tags: Vec<(String, String)>,
    boundary: Option<String>,
    exists: bool,
}

fn ids<'a>(call: &'a Call<'_>) -> &'a Identities {
    &call.platform.identities
}

fn target(call: &Call<'_>, kind: OwnerKind, name: &str) -> Result<Target, ServiceError> {
    let ids = ids(call);
    let found = match kind {
        OwnerKind::Role => ids
            .role(name)
            .map_err(svc)?
            .map(|r| (r.name, r.arn, r.tags, r.boundary_arn)),
        OwnerKind::User => ids
            .user(name)
            .map_err(svc)?
            .map(|u| (u.name, u.arn, u.tags, u.boundary_arn)),
    };
    Ok(match found {
        Some((name, arn, tags, boundary)) => Target {
            name,
            arn,
            tags,
            boundary,
            exists: true,
        },
        None => Target {
            arn: format!("arn:aws:iam::{}:{}/{name}", ids.account(), kind.as_str()),
            name: name.to_string(),
            tags: Vec::new(),
            boundary: None,
            exists: false,
        },
    })
}

impl Target {
    fn must_exist(&self, kind: OwnerKind) -> Result<(), ServiceError> {
        if self.exists {
            Ok(())
        } else {
            Err(crate::identity::no_such_entity(kind.as_str(), &self.name))
        }
    }

    /// `aws:ResourceTag/*` and `iam:ResourceTag/*` of the entity.
    fn resource_tags(&self) -> Vec<(String, Vec<String>)> {
        self.tags
            .iter()
            .flat_map(|(k, v)| {
                [
                    (format!("aws:ResourceTag/{k}"), vec![v.clone()]),
                    (format!("iam:ResourceTag/{k}"), vec![v.clone()]),
                ]
            })
            .collect()
    }
}

/// `aws:RequestTag/*` and `aws:TagKeys` of tags in a request.
fn request_tags(tags: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    if tags.is_empty() {
        return Vec::new();
    }
    let mut ctx: Vec<(String, Vec<String>)> = tags
        .iter()
        .map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()]))
        .collect();
    ctx.push((
        "aws:TagKeys".into(),
        tags.iter().map(|(k, _)| k.clone()).collect(),
    ));
    ctx
}

fn authorize(
    call: &Call<'_>,
    resource: &str,
    context: Vec<(String, Vec<String>)>,
) -> Result<(), ServiceError> {
    let action = format!("iam:{}", call.operation());
    call.authorize(
        &action,
        resource,
        Authz {
            context,
            ..Authz::default()
        },
    )
}

fn audit(call: &Call<'_>, resource: &str) -> Result<(), ServiceError> {
    call.audit_mutation(&format!("iam:{}", call.operation()), resource)
}

/// Authorizes the operation on a named user or role, with its tags (and boundary, where IAM
/// gives `iam:PermissionsBoundary`) in the context.
fn authorize_target(
    call: &Call<'_>,
    kind: OwnerKind,
    name: &str,
    mut extra: Vec<(String, Vec<String>)>,
    with_boundary: bool,
) -> Result<Target, ServiceError> {
    let t = target(call, kind, name)?;
    extra.extend(t.resource_tags());
    if with_boundary
        && let Some(b) = &t.boundary
        && !extra.iter().any(|(k, _)| k == "iam:PermissionsBoundary")
    {
        extra.push(("iam:PermissionsBoundary".into(), vec![b.clone()]));
    }
    authorize(call, &t.arn, extra)?;
    Ok(t)
}

fn entity_param(kind: OwnerKind) -> &'static str {
    match kind {
        OwnerKind::User => "UserName",
        OwnerKind::Role => "RoleName",
    }
}

/// The user an access-key or `GetUser` call is about: `UserName`, else the caller.
fn user_or_caller(call: &Call<'_>) -> Result<String, ServiceError> {
    match call.request.param("UserName") {
        Some(u) => Ok(u.to_string()),
        None => call.principal.user_name.clone().ok_or_else(|| {
            validation("Must specify userName when calling with non-User credentials")
        }),
    }
}

/// The policy ARN of a request, refused when it is not an ARN.
fn policy_arn_param<'c>(call: &'c Call<'_>, name: &str) -> Result<&'c str, ServiceError> {
    let arn = required(call, name)?;
    if !arn.starts_with("arn:") || arn.split(':').count() < 6 {
        return Err(invalid_input(format!("ARN {arn} is not valid.")));
    }
    Ok(arn)
}

// ---- roles ----------------------------------------------------------------------------------

fn create_role(call: &Call<'_>) -> Result<Output, ServiceError> {
    let ids = ids(call);
    let name = required(call, "RoleName")?;
    let trust = required(call, "AssumeRolePolicyDocument")?;
    let path = call.request.param("Path").unwrap_or("/");
    let description = description_param(call)?.unwrap_or_default();
    let max_session = int_param(call, "MaxSessionDuration")?.unwrap_or(3600);
    let boundary = call.request.param("PermissionsBoundary");
    let tags = tags_param(call)?;
    let mut ctx = request_tags(&tags);
    if let Some(b) = boundary {
        ctx.push(("iam:PermissionsBoundary".into(), vec![b.to_string()]));
    }
    let arn = format!("arn:aws:iam::{}:role{path}{name}", ids.account());
    authorize(call, &arn, ctx)?;
    if let Some(b) = boundary {
        ids.managed_document(b).map_err(svc)?;
    }
    let mut role = ids
        .create_role(name, path, trust, description, max_session, &tags)
        .map_err(svc)?;
    if let Some(b) = boundary {
        if let Err(e) = ids.set_boundary(OwnerKind::Role, &role.name, Some(b)) {
            let _ = ids.delete_role(&role.name);
            return Err(svc(e));
        }
        role.boundary_arn = Some(b.to_string());
    }
    audit(call, &role.arn)?;
    let mut out = String::new();
    role_xml(&mut out, &role, true);
    Ok(Output::QueryXml(wrap("Role", &out)))
}

fn get_role(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = required(call, "RoleName")?;
    authorize_target(call, OwnerKind::Role, name, Vec::new(), false)?;
    let role = ids(call)
        .role(name)
        .map_err(svc)?
        .ok_or_else(|| crate::identity::no_such_entity("role", name))?;
    let mut out = String::new();
    role_xml(&mut out, &role, true);
    Ok(Output::QueryXml(wrap("Role", &out)))
}

fn path_prefix<'c>(call: &'c Call<'_>) -> &'c str {
    call.request.param("PathPrefix").unwrap_or("/")
}

fn list_roles(call: &Call<'_>) -> Result<Output, ServiceError> {
    authorize(call, "*", Vec::new())?;
    let prefix = path_prefix(call);
    let roles: Vec<RoleRow> = ids(call)
        .roles()
        .map_err(svc)?
        .into_iter()
        .filter(|r| r.path.starts_with(prefix))
        .collect();
    let (roles, next) = page(call, roles)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<Roles>");
    for r in &roles {
        out.push_str("<member>");
        role_xml(&mut out, r, false);
        out.push_str("</member>");
    }
    out.push_str("</Roles>");
    Ok(Output::QueryXml(out))
}

fn delete_role(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = required(call, "RoleName")?;
    let t = authorize_target(call, OwnerKind::Role, name, Vec::new(), false)?;
    ids(call).delete_role(name).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn update_assume_role_policy(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = required(call, "RoleName")?;
    let doc = required(call, "PolicyDocument")?;
    let t = authorize_target(call, OwnerKind::Role, name, Vec::new(), false)?;
    ids(call).update_trust_policy(name, doc).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn update_role(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = required(call, "RoleName")?;
    let description = description_param(call)?;
    let max = int_param(call, "MaxSessionDuration")?;
    let t = authorize_target(call, OwnerKind::Role, name, Vec::new(), false)?;
    ids(call).update_role(name, description, max).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(Output::QueryXml(String::new()))
}

fn tag(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    if call
        .request
        .params
        .iter()
        .all(|(k, _)| !k.starts_with("Tags.member."))
    {
        required(call, "Tags")?;
    }
    let tags = tags_param(call)?;
    let t = authorize_target(call, kind, name, request_tags(&tags), false)?;
    ids(call).tag(kind, name, &tags, &[]).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn untag(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let keys = list_param(call, "TagKeys");
    if keys.is_empty() {
        required(call, "TagKeys")?;
    }
    let ctx = vec![("aws:TagKeys".to_string(), keys.clone())];
    let t = authorize_target(call, kind, name, ctx, false)?;
    ids(call).tag(kind, name, &[], &keys).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn list_tags(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let t = authorize_target(call, kind, name, Vec::new(), false)?;
    t.must_exist(kind)?;
    let (tags, next) = page(call, t.tags)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    tags_xml(&mut out, &tags);
    Ok(Output::QueryXml(out))
}

// ---- inline policies ------------------------------------------------------------------------

fn put_inline(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let policy = required(call, "PolicyName")?;
    let doc = required(call, "PolicyDocument")?;
    let t = authorize_target(call, kind, name, Vec::new(), true)?;
    ids(call)
        .put_inline_policy(kind, name, policy, doc)
        .map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn get_inline(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let policy = required(call, "PolicyName")?;
    let t = authorize_target(call, kind, name, Vec::new(), false)?;
    t.must_exist(kind)?;
    let doc = ids(call)
        .inline_policy(kind, &t.name, policy)
        .map_err(svc)?;
    let mut out = String::new();
    el(&mut out, entity_param(kind), &t.name);
    el(&mut out, "PolicyName", policy);
    el(&mut out, "PolicyDocument", &url_encode(&doc));
    Ok(Output::QueryXml(out))
}

fn delete_inline(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let policy = required(call, "PolicyName")?;
    let t = authorize_target(call, kind, name, Vec::new(), true)?;
    t.must_exist(kind)?;
    ids(call)
        .delete_inline_policy(kind, name, policy)
        .map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn list_inline(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let t = authorize_target(call, kind, name, Vec::new(), false)?;
    t.must_exist(kind)?;
    let names = ids(call).inline_policies(kind, name).map_err(svc)?;
    let (names, next) = page(call, names)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<PolicyNames>");
    for n in &names {
        el(&mut out, "member", n);
    }
    out.push_str("</PolicyNames>");
    Ok(Output::QueryXml(out))
}

// ---- attachments and boundaries ---------------------------------------------------------------

fn attach(call: &Call<'_>, kind: OwnerKind, attach: bool) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let arn = policy_arn_param(call, "PolicyArn")?;
    let ctx = vec![("iam:PolicyARN".to_string(), vec![arn.to_string()])];
    let t = authorize_target(call, kind, name, ctx, true)?;
    ids(call).attach(kind, name, arn, attach).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn list_attached(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let t = authorize_target(call, kind, name, Vec::new(), false)?;
    t.must_exist(kind)?;
    let prefix = path_prefix(call);
    let ids = ids(call);
    let mut attached = Vec::new();
    for (policy, arn) in ids.attached(kind, name).map_err(svc)? {
        let p = ids.policy(&arn).map_err(svc)?;
        if p.path.starts_with(prefix) {
            attached.push((policy, arn));
        }
    }
    let (attached, next) = page(call, attached)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<AttachedPolicies>");
    for (policy, arn) in &attached {
        out.push_str("<member>");
        el(&mut out, "PolicyName", policy);
        el(&mut out, "PolicyArn", arn);
        out.push_str("</member>");
    }
    out.push_str("</AttachedPolicies>");
    Ok(Output::QueryXml(out))
}

fn put_boundary(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let arn = policy_arn_param(call, "PermissionsBoundary")?;
    let ctx = vec![("iam:PermissionsBoundary".to_string(), vec![arn.to_string()])];
    let t = authorize_target(call, kind, name, ctx, false)?;
    t.must_exist(kind)?;
    ids(call).set_boundary(kind, name, Some(arn)).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn delete_boundary(call: &Call<'_>, kind: OwnerKind) -> Result<Output, ServiceError> {
    let name = required(call, entity_param(kind))?;
    let t = authorize_target(call, kind, name, Vec::new(), true)?;
    ids(call).set_boundary(kind, name, None).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

// ---- managed policies -----------------------------------------------------------------------

fn create_policy(call: &Call<'_>) -> Result<Output, ServiceError> {
    let ids = ids(call);
    let name = required(call, "PolicyName")?;
    let doc = required(call, "PolicyDocument")?;
    let path = call.request.param("Path").unwrap_or("/");
    let description = description_param(call)?.unwrap_or_default();
    let tags = tags_param(call)?;
    let arn = format!("arn:aws:iam::{}:policy{path}{name}", ids.account());
    authorize(call, &arn, request_tags(&tags))?;
    let p = ids
        .create_tagged_policy(name, path, doc, description, &tags)
        .map_err(svc)?;
    audit(call, &p.arn)?;
    let mut out = String::new();
    policy_xml(&mut out, &p, true);
    Ok(Output::QueryXml(wrap("Policy", &out)))
}

fn get_policy(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    authorize(call, arn, Vec::new())?;
    let p = ids(call).policy(arn).map_err(svc)?;
    let mut out = String::new();
    policy_xml(&mut out, &p, true);
    Ok(Output::QueryXml(wrap("Policy", &out)))
}

fn list_policies(call: &Call<'_>) -> Result<Output, ServiceError> {
    authorize(call, "*", Vec::new())?;
    let scope = call.request.param("Scope").unwrap_or("All");
    if !["All", "AWS", "Local"].contains(&scope) {
        return Err(validation(format!(
            "1 validation error detected: Value '{scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
        )));
    }
    let only_attached = bool_param(call, "OnlyAttached")?;
    let usage = call.request.param("PolicyUsageFilter");
    if let Some(u) = usage
        && u != "PermissionsPolicy"
        && u != "PermissionsBoundary"
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{u}' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]"
        )));
    }
    let prefix = path_prefix(call);
    // AWS managed policies are not served: `Scope=AWS` lists nothing.
    let policies: Vec<PolicyRow> = if scope == "AWS" {
        Vec::new()
    } else {
        ids(call)
            .policies()
            .map_err(svc)?
            .into_iter()
            .filter(|p| p.path.starts_with(prefix))
            .filter(|p| !only_attached || p.attachments > 0)
            .filter(|p| match usage {
                Some("PermissionsPolicy") => p.attachments > 0,
                Some(_) => p.boundary_usage > 0,
                None => true,
            })
            .collect()
    };
    let (policies, next) = page(call, policies)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<Policies>");
    for p in &policies {
        out.push_str("<member>");
        policy_xml(&mut out, p, false);
        out.push_str("</member>");
    }
    out.push_str("</Policies>");
    Ok(Output::QueryXml(out))
}

fn delete_policy(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    authorize(call, arn, Vec::new())?;
    ids(call).delete_policy(arn).map_err(svc)?;
    audit(call, arn)?;
    Ok(empty(call))
}

fn version_xml(out: &mut String, version: &str, doc: Option<&str>, is_default: bool, created: i64) {
    out.push_str("<PolicyVersion>");
    if let Some(doc) = doc {
        el(out, "Document", &url_encode(doc));
    }
    el(out, "VersionId", version);
    el(
        out,
        "IsDefaultVersion",
        if is_default { "true" } else { "false" },
    );
    el(out, "CreateDate", &iso8601(created));
    out.push_str("</PolicyVersion>");
}

fn create_policy_version(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    let doc = required(call, "PolicyDocument")?;
    let set_default = bool_param(call, "SetAsDefault")?;
    authorize(call, arn, Vec::new())?;
    let ids = ids(call);
    let version = ids
        .create_policy_version(arn, doc, set_default)
        .map_err(svc)?;
    audit(call, arn)?;
    let (_, is_default, created) = ids.policy_version(arn, &version).map_err(svc)?;
    let mut out = String::new();
    version_xml(&mut out, &version, None, is_default, created);
    Ok(Output::QueryXml(out))
}

fn get_policy_version(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    let version = required(call, "VersionId")?;
    authorize(call, arn, Vec::new())?;
    let (doc, is_default, created) = ids(call).policy_version(arn, version).map_err(svc)?;
    let mut out = String::new();
    version_xml(&mut out, version, Some(&doc), is_default, created);
    Ok(Output::QueryXml(out))
}

fn list_policy_versions(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    authorize(call, arn, Vec::new())?;
    let versions = ids(call).policy_versions(arn).map_err(svc)?;
    let (versions, next) = page(call, versions)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<Versions>");
    for v in &versions {
        out.push_str("<member>");
        el(&mut out, "VersionId", &v.version);
        el(
            &mut out,
            "IsDefaultVersion",
            if v.is_default { "true" } else { "false" },
        );
        el(&mut out, "CreateDate", &iso8601(v.created));
        out.push_str("</member>");
    }
    out.push_str("</Versions>");
    Ok(Output::QueryXml(out))
}

fn delete_policy_version(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    let version = required(call, "VersionId")?;
    authorize(call, arn, Vec::new())?;
    ids(call).delete_policy_version(arn, version).map_err(svc)?;
    audit(call, arn)?;
    Ok(empty(call))
}

fn set_default_policy_version(call: &Call<'_>) -> Result<Output, ServiceError> {
    let arn = policy_arn_param(call, "PolicyArn")?;
    let version = required(call, "VersionId")?;
    authorize(call, arn, Vec::new())?;
    ids(call)
        .set_default_policy_version(arn, version)
        .map_err(svc)?;
    audit(call, arn)?;
    Ok(empty(call))
}

// ---- users and access keys ------------------------------------------------------------------

fn create_user(call: &Call<'_>) -> Result<Output, ServiceError> {
    let ids = ids(call);
    let name = required(call, "UserName")?;
    let path = call.request.param("Path").unwrap_or("/");
    let boundary = call.request.param("PermissionsBoundary");
    let tags = tags_param(call)?;
    let mut ctx = request_tags(&tags);
    if let Some(b) = boundary {
        ctx.push(("iam:PermissionsBoundary".into(), vec![b.to_string()]));
    }
    let arn = format!("arn:aws:iam::{}:user{path}{name}", ids.account());
    authorize(call, &arn, ctx)?;
    if let Some(b) = boundary {
        ids.managed_document(b).map_err(svc)?;
    }
    let mut user = ids.create_user(name, path).map_err(svc)?;
    if let Err(e) = finish_user(ids, &user.name, &tags, boundary) {
        let _ = ids.delete_user(&user.name);
        return Err(svc(e));
    }
    user.tags = tags;
    user.boundary_arn = boundary.map(str::to_string);
    audit(call, &user.arn)?;
    let mut out = String::new();
    user_xml(&mut out, &user, true);
    Ok(Output::QueryXml(wrap("User", &out)))
}

/// Tags and the boundary of a user just created.
fn finish_user(
    ids: &Identities,
    name: &str,
    tags: &[(String, String)],
    boundary: Option<&str>,
) -> Result<(), IdentityError> {
    if !tags.is_empty() {
        ids.tag(OwnerKind::User, name, tags, &[])?;
    }
    if let Some(b) = boundary {
        ids.set_boundary(OwnerKind::User, name, Some(b))?;
    }
    Ok(())
}

fn get_user(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = user_or_caller(call)?;
    authorize_target(call, OwnerKind::User, &name, Vec::new(), false)?;
    let user = ids(call)
        .user(&name)
        .map_err(svc)?
        .ok_or_else(|| crate::identity::no_such_entity("user", &name))?;
    let mut out = String::new();
    user_xml(&mut out, &user, true);
    Ok(Output::QueryXml(wrap("User", &out)))
}

fn list_users(call: &Call<'_>) -> Result<Output, ServiceError> {
    authorize(call, "*", Vec::new())?;
    let prefix = path_prefix(call);
    let users: Vec<UserRow> = ids(call)
        .users()
        .map_err(svc)?
        .into_iter()
        .filter(|u| u.path.starts_with(prefix))
        .collect();
    let (users, next) = page(call, users)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<Users>");
    for u in &users {
        out.push_str("<member>");
        user_xml(&mut out, u, false);
        out.push_str("</member>");
    }
    out.push_str("</Users>");
    Ok(Output::QueryXml(out))
}

fn delete_user(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = required(call, "UserName")?;
    let t = authorize_target(call, OwnerKind::User, name, Vec::new(), false)?;
    ids(call).delete_user(name).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn create_access_key(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = user_or_caller(call)?;
    let t = authorize_target(call, OwnerKind::User, &name, Vec::new(), false)?;
    let creds = ids(call).create_access_key(&t.name).map_err(svc)?;
    audit(call, &t.arn)?;
    let mut out = String::from("<AccessKey>");
    el(&mut out, "UserName", &t.name);
    el(&mut out, "AccessKeyId", &creds.access_key_id);
    el(&mut out, "Status", "Active");
    el(&mut out, "SecretAccessKey", &creds.secret_access_key);
    el(
        &mut out,
        "CreateDate",
        &iso8601(call.request.info.received.unix_timestamp()),
    );
    out.push_str("</AccessKey>");
    Ok(Output::QueryXml(out))
}

fn list_access_keys(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = user_or_caller(call)?;
    let t = authorize_target(call, OwnerKind::User, &name, Vec::new(), false)?;
    t.must_exist(OwnerKind::User)?;
    let keys = ids(call).access_keys(&t.name).map_err(svc)?;
    let (keys, next) = page(call, keys)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<AccessKeyMetadata>");
    for (akid, status, created) in &keys {
        out.push_str("<member>");
        el(&mut out, "UserName", &t.name);
        el(&mut out, "AccessKeyId", akid);
        el(&mut out, "Status", status);
        el(&mut out, "CreateDate", &iso8601(*created));
        out.push_str("</member>");
    }
    out.push_str("</AccessKeyMetadata>");
    Ok(Output::QueryXml(out))
}

fn update_access_key(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = user_or_caller(call)?;
    let akid = required(call, "AccessKeyId")?;
    let status = required(call, "Status")?;
    let t = authorize_target(call, OwnerKind::User, &name, Vec::new(), false)?;
    t.must_exist(OwnerKind::User)?;
    ids(call)
        .update_access_key(&t.name, akid, status)
        .map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

fn delete_access_key(call: &Call<'_>) -> Result<Output, ServiceError> {
    let name = user_or_caller(call)?;
    let akid = required(call, "AccessKeyId")?;
    let t = authorize_target(call, OwnerKind::User, &name, Vec::new(), false)?;
    t.must_exist(OwnerKind::User)?;
    ids(call).delete_access_key(&t.name, akid).map_err(svc)?;
    audit(call, &t.arn)?;
    Ok(empty(call))
}

// ---- the policy simulator ---------------------------------------------------------------------

/// One policy in a simulation: where it came from, its text and its parsed form.
struct SimPolicy {
    /// `SourcePolicyId`: the policy's name, or `PolicyInputList.N`.
    id: String,
    /// `SourcePolicyType`, when IAM names one.
    source_type: Option<&'static str>,
    document: String,
    policy: Policy,
}

/// The policies of a simulation by slot, compiled; compiled names index into `sources`.
struct Simulation {
    sources: Vec<SimPolicy>,
    identity: Vec<CompiledPolicy>,
    boundary: Option<CompiledPolicy>,
    /// The boundary again as an identity policy, to tell whether it alone allows.
    boundary_alone: Option<CompiledPolicy>,
    resource: Option<CompiledPolicy>,
}

impl Simulation {
    fn new() -> Self {
        Self {
            sources: Vec::new(),
            identity: Vec::new(),
            boundary: None,
            boundary_alone: None,
            resource: None,
        }
    }

    /// Adds a policy; documents from the request are validated (`InvalidInput` naming the JSON
    /// path), stored ones were validated when written.
    fn add(
        &mut self,
        id: String,
        source_type: Option<&'static str>,
        document: String,
        kind: PolicyKind,
        from_request: bool,
    ) -> Result<(), ServiceError> {
        let parsed = if from_request {
            validate_document(&document, kind)
                .map_err(|e| invalid_input(format!("{id}: {}", e.message)))
        } else {
            parse_policy(&document, ParseOptions::unlimited(kind))
                .map_err(|e| ServiceError::internal(format!("a stored policy does not read: {e}")))
        }?;
        let name = self.sources.len().to_string();
        let compiled = CompiledPolicy::new(name.clone(), kind, &parsed);
        match kind {
            PolicyKind::Boundary => {
                self.boundary_alone =
                    Some(CompiledPolicy::new(name, PolicyKind::Identity, &parsed));
                self.boundary = Some(compiled);
            }
            PolicyKind::Resource => self.resource = Some(compiled),
            _ => self.identity.push(compiled),
        }
        self.sources.push(SimPolicy {
            id,
            source_type,
            document,
            policy: parsed,
        });
        Ok(())
    }
}

/// The line and column (1-based) just after the opening and closing brace of statement
/// `index` of a policy document, as IAM reports statement positions.
pub fn statement_span(document: &str, index: usize) -> Option<((usize, usize), (usize, usize))> {
    let b = document.as_bytes();
    let mut s = JsonScan { b, i: 0 };
    s.ws();
    s.expect(b'{')?;
    loop {
        s.ws();
        if s.peek()? == b'}' {
            return None;
        }
        let key = s.string()?;
        s.ws();
        s.expect(b':')?;
        s.ws();
        if key == b"Statement" {
            return match s.peek()? {
                b'{' if index == 0 => s.span(document),
                b'[' => {
                    s.i += 1;
                    let mut n = 0;
                    loop {
                        s.ws();
                        if s.peek()? == b']' {
                            return None;
                        }
                        if n == index {
                            return s.span(document);
                        }
                        s.value()?;
                        s.ws();
                        if s.peek()? == b',' {
                            s.i += 1;
                        }
                        n += 1;
                    }
                }
                _ => None,
            };
        }
        s.value()?;
        s.ws();
        if s.peek()? == b',' {
            s.i += 1;
        }
    }
}

/// A minimal JSON walker over a document already known to be valid JSON.
struct JsonScan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> JsonScan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string's raw bytes (escapes kept).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            match self.peek()? {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        let b: &'a [u8] = self.b;
        let out = b.get(start..self.i)?;
        self.i += 1;
        Some(out)
    }

    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                loop {
                    self.ws();
                    if self.peek()? == close {
                        self.i += 1;
                        return Some(());
                    }
                    if open == b'{' {
                        self.string()?;
                        self.ws();
                        self.expect(b':')?;
                        self.ws();
                    }
                    self.value()?;
                    self.ws();
                    if self.peek()? == b',' {
                        self.i += 1;
                    }
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                Some(())
            }
        }
    }

    /// The positions just after the value's first and last characters.
    fn span(&mut self, text: &str) -> Option<((usize, usize), (usize, usize))> {
        let start = self.i;
        self.value()?;
        let end = self.i;
        Some((position(text, start + 1)?, position(text, end)?))
    }
}

/// The 1-based line and column of byte offset `at` (columns count characters).
fn position(text: &str, at: usize) -> Option<(usize, usize)> {
    let before = text.get(..at)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..)?.chars().count() + 1;
    Some((line, column))
}

/// `ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M, ContextKeyType}`.
fn context_entries(call: &Call<'_>) -> Result<Vec<(String, Vec<String>)>, ServiceError> {
    const TYPES: [&str; 12] = [
        "string",
        "stringList",
        "numeric",
        "numericList",
        "boolean",
        "booleanList",
        "ip",
        "ipList",
        "binary",
        "binaryList",
        "date",
        "dateList",
    ];
    let mut numbers: Vec<usize> = call
        .request
        .params
        .iter()
        .filter_map(|(k, _)| {
            let rest = k.strip_prefix("ContextEntries.member.")?;
            rest.split('.').next()?.parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut out = Vec::new();
    for n in numbers {
        let prefix = format!("ContextEntries.member.{n}");
        let name = call
            .request
            .param(&format!("{prefix}.ContextKeyName"))
            .ok_or_else(|| invalid_input(format!("{prefix}.ContextKeyName is missing")))?;
        if let Some(t) = call.request.param(&format!("{prefix}.ContextKeyType"))
            && !TYPES.contains(&t)
        {
            return Err(validation(format!(
                "1 validation error detected: Value '{t}' at 'contextEntries.{n}.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                TYPES.join(", ")
            )));
        }
        let values = list_param(call, &format!("{prefix}.ContextKeyValues"));
        out.push((name.to_string(), values));
    }
    Ok(out)
}

/// Runs a simulation: one result per action and resource.
fn simulate(
    call: &Call<'_>,
    sim: &Simulation,
    caller: &Caller,
    principal_tags: &[(String, String)],
    fill_principal: bool,
) -> Result<Output, ServiceError> {
    let actions = list_param(call, "ActionNames");
    if actions.is_empty() {
        required(call, "ActionNames")?;
    }
    let resources = list_param(call, "ResourceArns");
    let specific = !resources.is_empty();
    let resources = if specific {
        resources
    } else {
        vec!["*".to_string()]
    };
    let owner = call.request.param("ResourceOwner");
    let mut ctx = Context::new();
    for (k, v) in context_entries(call)? {
        ctx.insert(&k, v);
    }
    if fill_principal {
        caller.fill_context(
            &mut ctx,
            principal_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
    }
    let set = PolicySet {
        identity: &sim.identity,
        resource: sim.resource.as_ref(),
        boundary: sim.boundary.as_ref(),
        ..PolicySet::default()
    };
    let mut results = Vec::new();
    for action in &actions {
        for resource in &resources {
            let req = Request {
                caller,
                action,
                resource,
                resource_account: owner,
                context: &ctx,
            };
            let ex = explain(&req, &set);
            let mut result = String::new();
            el(&mut result, "EvalActionName", action);
            el(&mut result, "EvalResourceName", resource);
            el(&mut result, "EvalDecision", decision_name(ex.decision));
            let statements = matched_xml(sim, &ex.matched);
            let missing = missing_xml(sim, &ex, &ctx);
            result.push_str(&statements);
            result.push_str(&missing);
            if let Some(alone) = &sim.boundary_alone {
                let allowed = decide(
                    &req,
                    &PolicySet {
                        identity: std::slice::from_ref(alone),
                        ..PolicySet::default()
                    },
                ) != Decision::ImplicitDeny;
                result.push_str(&format!(
                    "<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>{allowed}</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>"
                ));
            }
            if specific {
                result.push_str("<ResourceSpecificResults><member>");
                el(&mut result, "EvalResourceName", resource);
                el(
                    &mut result,
                    "EvalResourceDecision",
                    decision_name(ex.decision),
                );
                result.push_str(&statements);
                result.push_str(&missing);
                result.push_str("</member></ResourceSpecificResults>");
            }
            results.push(result);
        }
    }
    let (results, next) = page(call, results)?;
    let mut out = String::new();
    page_xml(&mut out, next.as_deref());
    out.push_str("<EvaluationResults>");
    for r in &results {
        out.push_str("<member>");
        out.push_str(r);
        out.push_str("</member>");
    }
    out.push_str("</EvaluationResults>");
    Ok(Output::QueryXml(out))
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "explicitDeny",
        Decision::ImplicitDeny => "implicitDeny",
    }
}

/// The simulation's source policy and parsed statement of a statement named by the engine.
fn find_statement<'s>(
    sim: &'s Simulation,
    policy: &str,
    label: &str,
) -> Option<(&'s SimPolicy, &'s mudroom_policy::Statement)> {
    let source = sim.sources.get(policy.parse::<usize>().ok()?)?;
    let statement = source
        .policy
        .statements
        .iter()
        .find(|s| s.label() == label)?;
    Some((source, statement))
}

fn matched_xml(sim: &Simulation, matched: &[mudroom_policy::StatementRef]) -> String {
    let mut out = String::from("<MatchedStatements>");
    for m in matched {
        // A boundary's allow does not grant: IAM lists the statements that decide.
        if m.effect == Effect::Allow && sim.boundary.as_ref().is_some_and(|b| b.name() == m.policy)
        {
            continue;
        }
        let Some((source, statement)) = find_statement(sim, &m.policy, &m.statement) else {
            continue;
        };
        out.push_str("<member>");
        el(&mut out, "SourcePolicyId", &source.id);
        if let Some(t) = source.source_type {
            el(&mut out, "SourcePolicyType", t);
        }
        if let Some(((l1, c1), (l2, c2))) = statement_span(&source.document, statement.index) {
            out.push_str(&format!(
                "<StartPosition><Line>{l1}</Line><Column>{c1}</Column></StartPosition><EndPosition><Line>{l2}</Line><Column>{c2}</Column></EndPosition>"
            ));
        }
        out.push_str("</member>");
    }
    out.push_str("</MatchedStatements>");
    out
}

/// Condition keys of the statements that bore on the decision which the request lacks.
fn missing_xml(sim: &Simulation, ex: &mudroom_policy::Explanation, ctx: &Context) -> String {
    let mut keys: Vec<String> = Vec::new();
    let refs = ex
        .matched
        .iter()
        .chain(ex.near_misses.iter().map(|n| &n.statement));
    for r in refs {
        let Some((_, statement)) = find_statement(sim, &r.policy, &r.statement) else {
            continue;
        };
        for c in &statement.conditions {
            if ctx.get(&c.key.to_ascii_lowercase()).is_none()
                && !keys.iter().any(|k| k.eq_ignore_ascii_case(&c.key))
            {
                keys.push(c.key.clone());
            }
        }
    }
    let mut out = String::from("<MissingContextValues>");
    for k in &keys {
        el(&mut out, "member", k);
    }
    out.push_str("</MissingContextValues>");
    out
}

/// Input policies and the boundary override common to both simulations.
fn add_request_policies(call: &Call<'_>, sim: &mut Simulation) -> Result<(), ServiceError> {
    for (i, doc) in list_param(call, "PolicyInputList").into_iter().enumerate() {
        sim.add(
            format!("PolicyInputList.{}", i + 1),
            None,
            doc,
            PolicyKind::Identity,
            true,
        )?;
    }
    let boundaries = list_param(call, "PermissionsBoundaryPolicyInputList");
    if boundaries.len() > 1 {
        return Err(invalid_input(
            "PermissionsBoundaryPolicyInputList holds more than one policy; a principal has one permissions boundary",
        ));
    }
    if let Some(doc) = boundaries.into_iter().next() {
        sim.add(
            "PermissionsBoundaryPolicyInputList.1".into(),
            None,
            doc,
            PolicyKind::Boundary,
            true,
        )?;
    }
    if let Some(doc) = call.request.param("ResourcePolicy") {
        sim.add(
            "ResourcePolicy".into(),
            Some("resource"),
            doc.to_string(),
            PolicyKind::Resource,
            true,
        )?;
    }
    Ok(())
}

fn caller_arn_param(call: &Call<'_>) -> Result<Option<Caller>, ServiceError> {
    call.request
        .param("CallerArn")
        .map(|arn| {
            Caller::from_arn(arn)
                .ok()
                .filter(|c| c.kind() == mudroom_policy::CallerKind::User)
                .ok_or_else(|| {
                    invalid_input(format!("CallerArn {arn} is not the ARN of an IAM user."))
                })
        })
        .transpose()
}

fn simulate_principal_policy(call: &Call<'_>) -> Result<Output, ServiceError> {
    let ids = ids(call);
    let source = required(call, "PolicySourceArn")?;
    authorize(call, source, Vec::new())?;
    let (kind, name) = principal_of(ids, source)?;
    let mut sim = Simulation::new();
    let inline_type = match kind {
        OwnerKind::User => "user",
        OwnerKind::Role => "role",
    };
    for policy in ids.inline_policies(kind, &name).map_err(svc)? {
        let doc = ids.inline_policy(kind, &name, &policy).map_err(svc)?;
        sim.add(policy, Some(inline_type), doc, PolicyKind::Identity, false)?;
    }
    for (policy, arn) in ids.attached(kind, &name).map_err(svc)? {
        let doc = ids.managed_document(&arn).map_err(svc)?;
        sim.add(
            policy,
            Some("user-managed"),
            doc,
            PolicyKind::Identity,
            false,
        )?;
    }
    let (tags, boundary) = match kind {
        OwnerKind::User => ids
            .user(&name)
            .map_err(svc)?
            .map(|u| (u.tags, u.boundary_arn)),
        OwnerKind::Role => ids
            .role(&name)
            .map_err(svc)?
            .map(|r| (r.tags, r.boundary_arn)),
    }
    .unwrap_or_default();
    let overrides = !list_param(call, "PermissionsBoundaryPolicyInputList").is_empty();
    if let (Some(arn), false) = (&boundary, overrides) {
        let doc = ids.managed_document(arn).map_err(svc)?;
        let id = ids.policy(arn).map_err(svc)?.name;
        sim.add(id, Some("user-managed"), doc, PolicyKind::Boundary, false)?;
    }
    add_request_policies(call, &mut sim)?;
    let caller = match caller_arn_param(call)? {
        Some(c) => c,
        None => Caller::from_arn(source).map_err(invalid_input)?,
    };
    simulate(call, &sim, &caller, &tags, true)
}

/// The user or role a `PolicySourceArn` names, which must exist with that exact ARN.
fn principal_of(ids: &Identities, arn: &str) -> Result<(OwnerKind, String), ServiceError> {
    let prefix = format!("arn:aws:iam::{}:", ids.account());
    let not_found = || {
        ServiceError::client(
            "NoSuchEntity",
            format!("The entity with ARN {arn} cannot be found."),
        )
        .with_status(404)
    };
    let rest = arn.strip_prefix(&prefix).ok_or_else(not_found)?;
    let (kind, path) = if let Some(p) = rest.strip_prefix("user/") {
        (OwnerKind::User, p)
    } else if let Some(p) = rest.strip_prefix("role/") {
        (OwnerKind::Role, p)
    } else {
        return Err(invalid_input(format!(
            "PolicySourceArn {arn} names neither an IAM user nor an IAM role"
        )));
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    let stored = match kind {
        OwnerKind::User => ids.user(name).map_err(svc)?.map(|u| u.arn),
        OwnerKind::Role => ids.role(name).map_err(svc)?.map(|r| r.arn),
    };
    match stored {
        Some(stored) if stored == arn => Ok((kind, name.to_string())),
        _ => Err(not_found()),
    }
}

fn simulate_custom_policy(call: &Call<'_>) -> Result<Output, ServiceError> {
    authorize(call, "*", Vec::new())?;
    if list_param(call, "PolicyInputList").is_empty() {
        required(call, "PolicyInputList")?;
    }
    let mut sim = Simulation::new();
    add_request_policies(call, &mut sim)?;
    let given = caller_arn_param(call)?;
    if sim.resource.is_some() && given.is_none() {
        return Err(invalid_input(
            "CallerArn is required when ResourcePolicy is given: the policy's Principal element needs a caller to evaluate",
        ));
    }
    let account = ids(call).account();
    let caller = match &given {
        Some(c) => c.clone(),
        // Without a caller, policy variables about the principal have no value.
        None => Caller::from_arn(&format!("arn:aws:iam::{account}:user/simulated-caller"))
            .map_err(ServiceError::internal)?,
    };
    simulate(call, &sim, &caller, &[], given.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_matches_aws() {
        assert_eq!(
            url_encode(r#"{"Version": "2012-10-17", "Action": "s3:*"}"#),
            "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Action%22%3A%20%22s3%3A%2A%22%7D"
        );
        assert_eq!(url_encode("a-b_c.d~é"), "a-b_c.d~%C3%A9");
    }

    #[test]
    fn statement_positions_as_iam_reports_them() {
        // The example IAM's documentation gives for SimulateCustomPolicy.
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;
        assert_eq!(statement_span(doc, 0), Some(((1, 38), (1, 167))));
        assert_eq!(statement_span(doc, 1), None);
        let doc = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"a\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Sid\": \"b]\\\"}\",\n      \"Effect\": \"Deny\", \"Action\": [\"s3:Get*\"], \"Resource\": \"*\"\n    }\n  ]\n}";
        assert_eq!(statement_span(doc, 0), Some(((4, 6), (4, 71))));
        assert_eq!(statement_span(doc, 1), Some(((5, 6), (8, 6))));
        assert_eq!(statement_span(doc, 2), None);
    }

    #[test]
    fn markers_round_trip_and_refuse_garbage() {
        assert_eq!(decode_marker(&encode_marker(42)), Some(42));
        assert_eq!(decode_marker("not a marker"), None);
        assert_eq!(decode_marker(&crate::random::base64(b"other:1")), None);
    }

    #[test]
    fn xml_shapes() {
        let role = RoleRow {
            name: "app".into(),
            role_id: "AROAEXAMPLE".into(),
            path: "/svc/".into(),
            arn: "arn:aws:iam::000000000000:role/svc/app".into(),
            trust_policy: r#"{"a":"b c"}"#.into(),
            description: "x < y".into(),
            max_session: 3600,
            created: 0,
            boundary_arn: Some("arn:aws:iam::000000000000:policy/b".into()),
            tags: vec![("team".into(), "blue".into())],
        };
        let mut out = String::new();
        role_xml(&mut out, &role, true);
        assert_eq!(
            out,
            "<Path>/svc/</Path><RoleName>app</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>arn:aws:iam::000000000000:role/svc/app</Arn><CreateDate>1970-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%7B%22a%22%3A%22b%20c%22%7D</AssumeRolePolicyDocument><Description>x &lt; y</Description><MaxSessionDuration>3600</MaxSessionDuration><PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>arn:aws:iam::000000000000:policy/b</PermissionsBoundaryArn></PermissionsBoundary><Tags><member><Key>team</Key><Value>blue</Value></member></Tags><RoleLastUsed/>"
        );
        let mut short = String::new();
        role_xml(&mut short, &role, false);
        assert!(!short.contains("Tags") && !short.contains("PermissionsBoundary"));
        let mut page = String::new();
        page_xml(&mut page, Some("m"));
        assert_eq!(page, "<IsTruncated>true</IsTruncated><Marker>m</Marker>");
    }
}
