//! The operations: read the request, authorize, act through [`Secrets`], audit, answer.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::data::{
    CURRENT, Change, DAY_MS, MAX_STAGES_PER_VERSION, MAX_TAGS, NewSecret, NewVersion, SecretRow,
    SecretValue, SecretsError, VersionRow, check_name, invalid_parameter, invalid_request,
    marked_for_deletion, new_version_id, not_found,
};
use super::input::{Filter, Input, check_tag_key};
use super::password::{self, Spec};
use super::policy::{self, MAX_POLICY_CHARS};
use super::{Cx, Keys, describe, key, request_tag_keys, secs};
use crate::error::ServiceError;

type Answer = Result<Value, ServiceError>;

fn internal(e: SecretsError) -> ServiceError {
    e.into_service()
}

/// `ClientRequestToken`: 32 to 64 visible ASCII characters.
fn token(input: &Input) -> Result<Option<&str>, ServiceError> {
    let t = input.bounded("ClientRequestToken", 32, 64)?;
    if let Some(t) = t
        && !t.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(invalid_parameter(
            "`ClientRequestToken` must be visible ASCII characters",
        ));
    }
    Ok(t)
}

fn check_tag_count(tags: &[(String, String)]) -> Result<(), ServiceError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_parameter(format!(
            "a secret can have at most {MAX_TAGS} tags, not {}",
            tags.len()
        )));
    }
    Ok(())
}

fn value_json(m: &mut Map<String, Value>, value: &SecretValue) {
    match value {
        SecretValue::Text(t) => {
            m.insert("SecretString".into(), t.as_str().into());
        }
        SecretValue::Binary(b) => {
            m.insert(
                "SecretBinary".into(),
                base64::engine::general_purpose::STANDARD
                    .encode(b.as_slice())
                    .into(),
            );
        }
    }
}

fn arn_name(row: &SecretRow) -> Value {
    json!({"ARN": row.arn, "Name": row.name})
}

pub(super) fn create_secret(cx: &Cx<'_>, mut input: Input) -> Answer {
    let value = input.take_value()?;
    let name = input.required("Name")?;
    check_name(name)?;
    let description = input.bounded("Description", 0, super::MAX_DESCRIPTION_CHARS)?;
    let kms_key_id = input.bounded("KmsKeyId", 0, 2048)?;
    let tags = input.tags("Tags")?.unwrap_or_default();
    check_tag_count(&tags)?;
    let token = token(&input)?;
    if input.get_present("AddReplicaRegions") {
        return Err(invalid_request(
            "replicating secrets to other regions is not supported",
        ));
    }
    let mut keys: Keys = vec![key("secretsmanager:Name", name)];
    if let Some(d) = description {
        keys.push(key("secretsmanager:Description", d));
    }
    if let Some(k) = kms_key_id {
        keys.push(key("secretsmanager:KmsKeyId", k));
    }
    if !tags.is_empty() {
        keys.extend(request_tag_keys(&tags));
    }
    if let Some(row) = cx
        .data
        .resolve(name)
        .map_err(internal)?
        .filter(|r| r.name == name)
    {
        cx.authorize_row("CreateSecret", &row, keys)?;
        if row.is_deleted() {
            return Err(invalid_request(
                "You can't create this secret because a secret with this name is already scheduled for deletion.",
            ));
        }
        // A retry of the same request (same token, same value) answers as the first did.
        if let (Some(t), Some(v)) = (token, &value)
            && cx.data.version(&row.arn, t).map_err(internal)?.is_some()
            && cx.data.value(&row.arn, t).map_err(internal)?.same_as(v)
        {
            return Ok(json!({"ARN": row.arn, "Name": row.name, "VersionId": t}));
        }
        return Err(ServiceError::client(
            "ResourceExistsException",
            format!("The operation failed because the secret {name} already exists."),
        ));
    }
    let arn = cx.data.new_arn(name)?;
    cx.authorize_arn("CreateSecret", &arn, keys)?;
    if !tags.is_empty() {
        cx.authorize_arn("TagResource", &arn, request_tag_keys(&tags))?;
    }
    let version_id = match (&value, token) {
        (None, _) => None,
        (Some(_), Some(t)) => Some(t.to_string()),
        (Some(_), None) => Some(new_version_id()?),
    };
    let first = match (&version_id, &value) {
        (Some(id), Some(v)) => Some((id.as_str(), v)),
        _ => None,
    };
    cx.data
        .create(
            &NewSecret {
                arn: &arn,
                name,
                description,
                kms_key_id,
                tags: &tags,
                value: first,
            },
            cx.now,
        )
        .map_err(internal)?;
    cx.mutated("CreateSecret", &arn)?;
    let mut out = json!({"ARN": arn, "Name": name});
    if let (Some(id), Some(m)) = (version_id, out.as_object_mut()) {
        m.insert("VersionId".into(), id.into());
    }
    Ok(out)
}

/// The version a read asks for: by id (and then the stage must be on it), else by stage
/// (AWSCURRENT by default).
fn select_version(
    cx: &Cx<'_>,
    row: &SecretRow,
    version_id: Option<&str>,
    stage: Option<&str>,
) -> Result<VersionRow, ServiceError> {
    let versions = cx.data.versions(&row.arn).map_err(internal)?;
    let missing = |m: String| ServiceError::client("ResourceNotFoundException", m);
    match version_id {
        Some(id) => {
            let v = versions
                .into_iter()
                .find(|v| v.version_id == id)
                .ok_or_else(|| {
                    missing(format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id}"
                    ))
                })?;
            if let Some(st) = stage
                && !v.stages.iter().any(|s| s == st)
            {
                return Err(missing(
                    "You provided a VersionStage that is not associated to the provided VersionId."
                        .to_string(),
                ));
            }
            Ok(v)
        }
        None => {
            let st = stage.unwrap_or(CURRENT);
            versions
                .into_iter()
                .find(|v| v.stages.iter().any(|s| s == st))
                .ok_or_else(|| {
                    missing(format!(
                        "Secrets Manager can't find the specified secret value for staging label: {st}"
                    ))
                })
        }
    }
}

/// A version's value in GetSecretValue's shape; records the access.
fn read_value(cx: &Cx<'_>, row: &SecretRow, v: &VersionRow) -> Answer {
    let value = cx.data.value(&row.arn, &v.version_id).map_err(internal)?;
    if let Err(e) = cx.data.touch(row, &v.version_id, cx.now) {
        // The read itself succeeded; only the access date is behind.
        eprintln!(
            "secretsmanager: cannot record the access to `{}`: {e}",
            row.arn
        );
    }
    let mut m = Map::new();
    m.insert("ARN".into(), row.arn.clone().into());
    m.insert("Name".into(), row.name.clone().into());
    m.insert("VersionId".into(), v.version_id.clone().into());
    value_json(&mut m, &value);
    m.insert("VersionStages".into(), json!(v.stages));
    m.insert("CreatedDate".into(), secs(v.created_ms));
    Ok(Value::Object(m))
}

pub(super) fn get_secret_value(cx: &Cx<'_>, input: &Input) -> Answer {
    let version_id = input.bounded("VersionId", 32, 64)?;
    let stage = input.bounded("VersionStage", 1, 256)?;
    let mut keys = Keys::new();
    if let Some(v) = version_id {
        keys.push(key("secretsmanager:VersionId", v));
    }
    if let Some(s) = stage {
        keys.push(key("secretsmanager:VersionStage", s));
    }
    let row = cx.target("GetSecretValue", input, keys, false)?;
    let v = select_version(cx, &row, version_id, stage)?;
    read_value(cx, &row, &v)
}

/// `VersionStages`: 1 to 20 labels of 1 to 256 characters, default AWSCURRENT.
fn stages(input: &Input) -> Result<Vec<String>, ServiceError> {
    let Some(list) = input.strings("VersionStages")? else {
        return Ok(vec![CURRENT.to_string()]);
    };
    if list.is_empty() || list.len() > MAX_STAGES_PER_VERSION {
        return Err(invalid_parameter(format!(
            "`VersionStages` must have 1 to {MAX_STAGES_PER_VERSION} labels"
        )));
    }
    for (i, s) in list.iter().enumerate() {
        let n = s.chars().count();
        if n == 0 || n > 256 {
            return Err(invalid_parameter(
                "a staging label must have 1 to 256 characters",
            ));
        }
        if list.iter().skip(i + 1).any(|o| o == s) {
            return Err(invalid_parameter(format!(
                "staging label `{s}` is given twice"
            )));
        }
    }
    Ok(list)
}

pub(super) fn put_secret_value(cx: &Cx<'_>, mut input: Input) -> Answer {
    let value = input.take_value()?.ok_or_else(|| {
        invalid_parameter("You must provide either SecretString or SecretBinary.")
    })?;
    let token = token(&input)?;
    let labels = stages(&input)?;
    let row = cx.target("PutSecretValue", &input, Keys::new(), false)?;
    let version_id = match token {
        Some(t) => t.to_string(),
        None => new_version_id()?,
    };
    let out = cx
        .data
        .update(
            &row.arn,
            Change::default(),
            Some(&NewVersion {
                version_id: &version_id,
                value: &value,
                stages: &labels,
            }),
            cx.now,
        )
        .map_err(internal)?
        .ok_or_else(|| ServiceError::internal("the version was not stored"))?;
    if out.created {
        cx.mutated("PutSecretValue", &row.arn)?;
    }
    Ok(json!({
        "ARN": row.arn,
        "Name": row.name,
        "VersionId": out.version_id,
        "VersionStages": out.stages,
    }))
}

pub(super) fn update_secret(cx: &Cx<'_>, mut input: Input) -> Answer {
    let value = input.take_value()?;
    let description = input.bounded("Description", 0, super::MAX_DESCRIPTION_CHARS)?;
    let kms_key_id = input.bounded("KmsKeyId", 0, 2048)?;
    let token = token(&input)?;
    let mut keys = Keys::new();
    if let Some(d) = description {
        keys.push(key("secretsmanager:Description", d));
    }
    if let Some(k) = kms_key_id {
        keys.push(key("secretsmanager:KmsKeyId", k));
    }
    let row = cx.target("UpdateSecret", &input, keys, false)?;
    let current = [CURRENT.to_string()];
    let version_id = match (&value, token) {
        (None, _) => None,
        (Some(_), Some(t)) => Some(t.to_string()),
        (Some(_), None) => Some(new_version_id()?),
    };
    let version = match (&version_id, &value) {
        (Some(id), Some(v)) => Some(NewVersion {
            version_id: id,
            value: v,
            stages: &current,
        }),
        _ => None,
    };
    let change = Change {
        description,
        kms_key_id,
    };
    let out = cx
        .data
        .update(&row.arn, change, version.as_ref(), cx.now)
        .map_err(internal)?;
    if description.is_some() || kms_key_id.is_some() || out.as_ref().is_some_and(|o| o.created) {
        cx.mutated("UpdateSecret", &row.arn)?;
    }
    let mut answer = arn_name(&row);
    if let (Some(o), Some(m)) = (out, answer.as_object_mut()) {
        m.insert("VersionId".into(), o.version_id.into());
    }
    Ok(answer)
}

pub(super) fn describe_secret(cx: &Cx<'_>, input: &Input) -> Answer {
    let row = cx.target("DescribeSecret", input, Keys::new(), true)?;
    Ok(describe(&row, "VersionIdsToStages"))
}

/// Words of an attribute, for the `all` filter.
fn words(text: &str) -> impl Iterator<Item = &str> {
    std::iter::once(text).chain(
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty()),
    )
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.to_lowercase().starts_with(&prefix.to_lowercase())
}

fn filter_value_matches(row: &SecretRow, key: &str, v: &str) -> bool {
    match key {
        "name" => row.name.starts_with(v),
        "description" => row
            .description
            .as_deref()
            .is_some_and(|d| starts_with_ci(d, v)),
        "tag-key" => row.tags.iter().any(|(k, _)| k.starts_with(v)),
        "tag-value" => row.tags.iter().any(|(_, t)| t.starts_with(v)),
        "all" => {
            let mut attributes: Vec<&str> = vec![row.name.as_str()];
            attributes.extend(row.description.as_deref());
            for (k, t) in &row.tags {
                attributes.push(k);
                attributes.push(t);
            }
            v.split_whitespace().all(|word| {
                attributes
                    .iter()
                    .any(|a| words(a).any(|w| starts_with_ci(w, word)))
            })
        }
        // No secret here is a replica or owned by another service.
        _ => false,
    }
}

/// Filters are ANDed; a filter's values are ORed, and a value starting with `!` must not match.
fn matches(row: &SecretRow, filters: &[Filter]) -> bool {
    filters.iter().all(|f| {
        let mut positive = false;
        let mut hit = false;
        for v in &f.values {
            match v.strip_prefix('!') {
                Some(neg) => {
                    if filter_value_matches(row, &f.key, neg) {
                        return false;
                    }
                }
                None => {
                    positive = true;
                    hit |= filter_value_matches(row, &f.key, v);
                }
            }
        }
        !positive || hit
    })
}

fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("mudroom-page:{offset}"))
}

fn decode_token(input: &Input) -> Result<usize, ServiceError> {
    let Some(t) = input.string("NextToken")? else {
        return Ok(0);
    };
    let bad = || {
        ServiceError::client(
            "InvalidNextTokenException",
            "the NextToken was not issued by this operation",
        )
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .map_err(|_| bad())?;
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| s.strip_prefix("mudroom-page:"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)
}

/// One page of `items` and the token of the next.
fn page<T>(items: Vec<T>, offset: usize, max: usize) -> (Vec<T>, Option<String>) {
    let total = items.len();
    let end = offset.saturating_add(max);
    let page: Vec<T> = items.into_iter().skip(offset).take(max).collect();
    (page, (end < total).then(|| encode_token(end)))
}

fn max_results(input: &Input, max: i64, default: usize) -> Result<usize, ServiceError> {
    Ok(input
        .integer_in("MaxResults", 1, max)?
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(default))
}

/// Live secrets (and, with `include_deleted`, those scheduled for deletion) that pass the
/// filters, in creation order.
fn filtered(
    cx: &Cx<'_>,
    filters: &[Filter],
    include_deleted: bool,
) -> Result<Vec<SecretRow>, ServiceError> {
    Ok(cx
        .data
        .list_all()
        .map_err(internal)?
        .into_iter()
        .filter(|r| include_deleted || !r.is_deleted())
        .filter(|r| matches(r, filters))
        .collect())
}

pub(super) fn list_secrets(cx: &Cx<'_>, input: &Input) -> Answer {
    let include_deleted = input.boolean("IncludePlannedDeletion")?.unwrap_or(false);
    let max = max_results(input, 100, 100)?;
    let offset = decode_token(input)?;
    let filters = input.filters()?;
    let sort_by = input.string("SortBy")?.unwrap_or("created-date");
    let descending = match input.string("SortOrder")?.unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(invalid_parameter(format!(
                "`SortOrder` must be `asc` or `desc`, not `{other}`"
            )));
        }
    };
    if ![
        "created-date",
        "last-accessed-date",
        "last-changed-date",
        "name",
    ]
    .contains(&sort_by)
    {
        return Err(invalid_parameter(format!(
            "`SortBy` must be created-date, last-accessed-date, last-changed-date or name, not `{sort_by}`"
        )));
    }
    cx.authorize_any("ListSecrets")?;
    let mut rows = filtered(cx, &filters, include_deleted)?;
    // Stable: ties keep creation order.
    rows.sort_by(|a, b| {
        let order = match sort_by {
            "name" => a.name.cmp(&b.name),
            "last-accessed-date" => a.accessed_ms.cmp(&b.accessed_ms),
            "last-changed-date" => a.changed_ms.cmp(&b.changed_ms),
            _ => a.created_ms.cmp(&b.created_ms),
        };
        if descending { order.reverse() } else { order }
    });
    let (rows, next) = page(rows, offset, max);
    let mut out = json!({
        "SecretList": rows.iter().map(|r| describe(r, "SecretVersionsToStages")).collect::<Vec<_>>(),
    });
    if let (Some(n), Some(m)) = (next, out.as_object_mut()) {
        m.insert("NextToken".into(), n.into());
    }
    Ok(out)
}

pub(super) fn delete_secret(cx: &Cx<'_>, input: &Input) -> Answer {
    let window = input.integer("RecoveryWindowInDays")?;
    let force = input
        .boolean("ForceDeleteWithoutRecovery")?
        .unwrap_or(false);
    if force && window.is_some() {
        return Err(invalid_parameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        ));
    }
    let days = window.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(invalid_parameter(
            "RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
        ));
    }
    let mut keys: Keys = vec![key(
        "secretsmanager:ForceDeleteWithoutRecovery",
        force.to_string(),
    )];
    if window.is_some() {
        keys.push(key("secretsmanager:RecoveryWindowInDays", days.to_string()));
    }
    let id = input.required("SecretId")?;
    let Some(row) = cx.lookup("DeleteSecret", id, keys)? else {
        // AWS answers a forced delete of a missing secret without an error.
        if force {
            return Ok(json!({
                "ARN": cx.data.guess_arn(id),
                "Name": id,
                "DeletionDate": secs(cx.now),
            }));
        }
        return Err(not_found());
    };
    if force {
        cx.data.purge(&row.arn).map_err(internal)?;
        cx.mutated("DeleteSecret", &row.arn)?;
        return Ok(json!({"ARN": row.arn, "Name": row.name, "DeletionDate": secs(cx.now)}));
    }
    if row.is_deleted() {
        return Err(marked_for_deletion());
    }
    let purge_ms = cx.now.saturating_add(days.saturating_mul(DAY_MS));
    cx.data
        .schedule_deletion(&row.arn, purge_ms, cx.now)
        .map_err(internal)?;
    cx.mutated("DeleteSecret", &row.arn)?;
    Ok(json!({"ARN": row.arn, "Name": row.name, "DeletionDate": secs(purge_ms)}))
}

pub(super) fn restore_secret(cx: &Cx<'_>, input: &Input) -> Answer {
    let row = cx.target("RestoreSecret", input, Keys::new(), true)?;
    if row.is_deleted() {
        cx.data.restore(&row.arn, cx.now).map_err(internal)?;
        cx.mutated("RestoreSecret", &row.arn)?;
    }
    Ok(arn_name(&row))
}

pub(super) fn update_secret_version_stage(cx: &Cx<'_>, input: &Input) -> Answer {
    let stage = input
        .bounded("VersionStage", 1, 256)?
        .ok_or_else(|| invalid_parameter("`VersionStage` is required"))?;
    let remove_from = input.bounded("RemoveFromVersionId", 32, 64)?;
    let move_to = input.bounded("MoveToVersionId", 32, 64)?;
    let keys = vec![key("secretsmanager:VersionStage", stage)];
    let row = cx.target("UpdateSecretVersionStage", input, keys, false)?;
    cx.data
        .update_stage(&row.arn, stage, remove_from, move_to, cx.now)
        .map_err(internal)?;
    cx.mutated("UpdateSecretVersionStage", &row.arn)?;
    Ok(arn_name(&row))
}

pub(super) fn list_secret_version_ids(cx: &Cx<'_>, input: &Input) -> Answer {
    let include_deprecated = input.boolean("IncludeDeprecated")?.unwrap_or(false);
    let max = max_results(input, 100, 100)?;
    let offset = decode_token(input)?;
    let row = cx.target("ListSecretVersionIds", input, Keys::new(), true)?;
    let versions: Vec<VersionRow> = cx
        .data
        .versions(&row.arn)
        .map_err(internal)?
        .into_iter()
        .filter(|v| include_deprecated || !v.stages.is_empty())
        .collect();
    let (versions, next) = page(versions, offset, max);
    let entries: Vec<Value> = versions
        .iter()
        .map(|v| {
            let mut m = Map::new();
            m.insert("VersionId".into(), v.version_id.clone().into());
            if !v.stages.is_empty() {
                m.insert("VersionStages".into(), json!(v.stages));
            }
            if let Some(a) = v.accessed_ms {
                m.insert("LastAccessedDate".into(), secs(a));
            }
            m.insert("CreatedDate".into(), secs(v.created_ms));
            Value::Object(m)
        })
        .collect();
    let mut out = json!({"Versions": entries, "ARN": row.arn, "Name": row.name});
    if let (Some(n), Some(m)) = (next, out.as_object_mut()) {
        m.insert("NextToken".into(), n.into());
    }
    Ok(out)
}

pub(super) fn tag_resource(cx: &Cx<'_>, input: &Input) -> Answer {
    let tags = input
        .tags("Tags")?
        .ok_or_else(|| invalid_parameter("`Tags` is required"))?;
    check_tag_count(&tags)?;
    let row = cx.target("TagResource", input, request_tag_keys(&tags), false)?;
    cx.data
        .tag(&row.arn, &tags, &[], cx.now)
        .map_err(internal)?;
    cx.mutated("TagResource", &row.arn)?;
    Ok(json!({}))
}

pub(super) fn untag_resource(cx: &Cx<'_>, input: &Input) -> Answer {
    let keys = input
        .strings("TagKeys")?
        .ok_or_else(|| invalid_parameter("`TagKeys` is required"))?;
    for k in &keys {
        check_tag_key(k)?;
    }
    let context = vec![("aws:TagKeys".to_string(), keys.clone())];
    let row = cx.target("UntagResource", input, context, false)?;
    cx.data
        .tag(&row.arn, &[], &keys, cx.now)
        .map_err(internal)?;
    cx.mutated("UntagResource", &row.arn)?;
    Ok(json!({}))
}

fn policy_text(input: &Input) -> Result<&str, ServiceError> {
    input
        .bounded("ResourcePolicy", 1, MAX_POLICY_CHARS)?
        .ok_or_else(|| invalid_parameter("`ResourcePolicy` is required"))
}

pub(super) fn put_resource_policy(cx: &Cx<'_>, input: &Input) -> Answer {
    let text = policy_text(input)?;
    let block = input.boolean("BlockPublicPolicy")?.unwrap_or(false);
    let keys = vec![key("secretsmanager:BlockPublicPolicy", block.to_string())];
    let row = cx.target("PutResourcePolicy", input, keys, false)?;
    let parsed = policy::validate(text)?;
    if block {
        let public = policy::public_statements(&parsed);
        if !public.is_empty() {
            return Err(policy::public_error(&public));
        }
    }
    cx.data
        .set_policy(&row.arn, Some(text), cx.now)
        .map_err(internal)?;
    cx.mutated("PutResourcePolicy", &row.arn)?;
    Ok(arn_name(&row))
}

pub(super) fn get_resource_policy(cx: &Cx<'_>, input: &Input) -> Answer {
    let row = cx.target("GetResourcePolicy", input, Keys::new(), false)?;
    let mut out = arn_name(&row);
    if let (Some(p), Some(m)) = (&row.policy, out.as_object_mut()) {
        m.insert("ResourcePolicy".into(), p.clone().into());
    }
    Ok(out)
}

pub(super) fn delete_resource_policy(cx: &Cx<'_>, input: &Input) -> Answer {
    let row = cx.target("DeleteResourcePolicy", input, Keys::new(), false)?;
    cx.data
        .set_policy(&row.arn, None, cx.now)
        .map_err(internal)?;
    cx.mutated("DeleteResourcePolicy", &row.arn)?;
    Ok(arn_name(&row))
}

pub(super) fn validate_resource_policy(cx: &Cx<'_>, input: &Input) -> Answer {
    let text = policy_text(input)?;
    if input.string("SecretId")?.is_some() {
        cx.target("ValidateResourcePolicy", input, Keys::new(), false)?;
    } else {
        cx.authorize_any("ValidateResourcePolicy")?;
    }
    policy::validation_report(text)
}

pub(super) fn get_random_password(cx: &Cx<'_>, input: &Input) -> Answer {
    let defaults = Spec::default();
    let length = input
        .integer("PasswordLength")?
        .map_or(Ok(defaults.length), |n| {
            usize::try_from(n).map_err(|_| {
                invalid_parameter(format!(
                    "`PasswordLength` must be between 1 and 4096, not {n}"
                ))
            })
        })?;
    let flag = |k: &str, default: bool| -> Result<bool, ServiceError> {
        Ok(input.boolean(k)?.unwrap_or(default))
    };
    let spec = Spec {
        length,
        exclude: input
            .bounded("ExcludeCharacters", 0, 4096)?
            .unwrap_or_default()
            .to_string(),
        exclude_numbers: flag("ExcludeNumbers", false)?,
        exclude_punctuation: flag("ExcludePunctuation", false)?,
        exclude_uppercase: flag("ExcludeUppercase", false)?,
        exclude_lowercase: flag("ExcludeLowercase", false)?,
        include_space: flag("IncludeSpace", false)?,
        require_each: flag("RequireEachIncludedType", true)?,
    };
    cx.authorize_any("GetRandomPassword")?;
    let password = password::generate(&spec)?;
    Ok(json!({"RandomPassword": password.as_str()}))
}

/// The AWSCURRENT value of one secret for BatchGetSecretValue, authorized as GetSecretValue.
fn batch_entry(cx: &Cx<'_>, id: &str) -> Answer {
    let row = cx
        .lookup("GetSecretValue", id, Keys::new())?
        .ok_or_else(not_found)?;
    if row.is_deleted() {
        return Err(marked_for_deletion());
    }
    let v = select_version(cx, &row, None, None)?;
    read_value(cx, &row, &v)
}

fn batch_error(id: &str, e: &ServiceError) -> Value {
    json!({"SecretId": id, "ErrorCode": e.code, "Message": e.message})
}

pub(super) fn batch_get_secret_value(cx: &Cx<'_>, input: &Input) -> Answer {
    let ids = input.strings("SecretIdList")?;
    let has_filters = input.get_present("Filters");
    let filters = input.filters()?;
    let max = input.integer_in("MaxResults", 1, 20)?;
    let offset = decode_token(input)?;
    let mut values = Vec::new();
    let mut errors = Vec::new();
    let mut next = None;
    match (ids, has_filters) {
        (Some(_), true) => {
            return Err(invalid_parameter(
                "give either SecretIdList or Filters, not both",
            ));
        }
        (None, false) => {
            return Err(invalid_parameter("give SecretIdList or Filters"));
        }
        (Some(ids), false) => {
            if ids.is_empty() || ids.len() > 20 {
                return Err(invalid_parameter(
                    "`SecretIdList` must have 1 to 20 secret ids",
                ));
            }
            if max.is_some() {
                return Err(invalid_parameter(
                    "`MaxResults` applies to Filters only, not to SecretIdList",
                ));
            }
            cx.authorize_any("BatchGetSecretValue")?;
            for id in &ids {
                match batch_entry(cx, id) {
                    Ok(v) => values.push(v),
                    Err(e) => errors.push(batch_error(id, &e)),
                }
            }
        }
        (None, true) => {
            cx.authorize_any("BatchGetSecretValue")?;
            cx.authorize_any("ListSecrets")?;
            let rows = filtered(cx, &filters, false)?;
            let max = max.and_then(|n| usize::try_from(n).ok()).unwrap_or(20);
            let (rows, n) = page(rows, offset, max);
            next = n;
            for row in rows {
                match batch_entry(cx, &row.arn) {
                    Ok(v) => values.push(v),
                    Err(e) => errors.push(batch_error(&row.arn, &e)),
                }
            }
        }
    }
    let mut out = json!({"SecretValues": values, "Errors": errors});
    if let (Some(n), Some(m)) = (next, out.as_object_mut()) {
        m.insert("NextToken".into(), n.into());
    }
    Ok(out)
}

pub(super) fn rotation(cx: &Cx<'_>, input: &Input) -> Answer {
    let op = cx.call.operation().to_string();
    cx.target(&op, input, Keys::new(), false)?;
    Err(invalid_request(
        "rotation is not supported yet: mudroom runs no rotation functions; write new versions with PutSecretValue or `mudroom secrets put`",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, description: Option<&str>, tags: &[(&str, &str)]) -> SecretRow {
        SecretRow {
            arn: format!("arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-AbCdEf"),
            name: name.into(),
            description: description.map(Into::into),
            kms_key_id: None,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            policy: None,
            created_ms: 0,
            changed_ms: 0,
            accessed_ms: None,
            deleted_ms: None,
            purge_ms: None,
            stages: Vec::new(),
        }
    }

    fn f(key: &str, values: &[&str]) -> Filter {
        Filter {
            key: key.into(),
            values: values.iter().map(|v| (*v).into()).collect(),
        }
    }

    #[test]
    fn filters() {
        let db = row(
            "app/db",
            Some("Main Postgres"),
            &[("team", "red"), ("env", "prod")],
        );
        let key = row("other/key", None, &[("team", "blue")]);
        let check = |fs: &[Filter]| (matches(&db, fs), matches(&key, fs));
        assert_eq!(check(&[f("name", &["app/"])]), (true, false));
        assert_eq!(
            check(&[f("name", &["App/"])]),
            (false, false),
            "name is case-sensitive"
        );
        assert_eq!(check(&[f("name", &["!app/"])]), (false, true));
        assert_eq!(check(&[f("name", &["app", "other"])]), (true, true));
        assert_eq!(check(&[f("description", &["main"])]), (true, false));
        assert_eq!(check(&[f("tag-key", &["te"])]), (true, true));
        assert_eq!(check(&[f("tag-value", &["bl"])]), (false, true));
        assert_eq!(
            check(&[f("tag-key", &["team"]), f("tag-value", &["prod"])]),
            (true, false)
        );
        assert_eq!(check(&[f("all", &["postgres"])]), (true, false));
        assert_eq!(check(&[f("all", &["KEY"])]), (false, true));
        assert_eq!(check(&[f("all", &["red main"])]), (true, false));
        assert_eq!(check(&[f("primary-region", &["us"])]), (false, false));
        assert_eq!(check(&[]), (true, true));
    }

    #[test]
    fn pages() {
        let (p, next) = page((0..5).collect::<Vec<_>>(), 0, 2);
        assert_eq!(p, vec![0, 1]);
        let t = next.unwrap();
        let input = Input::parse(json!({"NextToken": t})).unwrap();
        let offset = decode_token(&input).unwrap();
        let (p, next) = page((0..5).collect::<Vec<_>>(), offset, 3);
        assert_eq!(p, vec![2, 3, 4]);
        assert!(next.is_none());
        let bad = Input::parse(json!({"NextToken": "garbage!"})).unwrap();
        assert_eq!(
            decode_token(&bad).unwrap_err().code,
            "InvalidNextTokenException"
        );
    }
}
