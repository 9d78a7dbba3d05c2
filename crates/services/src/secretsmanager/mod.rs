//! Secrets Manager in AWS JSON 1.1 (target prefix `secretsmanager`): secrets with versions and
//! staging labels, tags, resource policies, scheduled deletion and restore, batch reads and
//! random passwords.
//!
//! Values live only in the vault, sealed per version under the secret's ARN and version id; the
//! metadata lives in the store ([`Secrets`]). Every operation is authorized as AWS does it
//! (action `secretsmanager:<Operation>`, the secret's ARN as resource, its resource policy and
//! tags in the evaluation) and every change is audited. Values never appear in errors, logs,
//! audit records or `Debug` output. `docs/secrets.md` describes what differs from AWS.

mod data;
mod input;
mod ops;
mod password;
mod policy;

use std::sync::Arc;

use mudroom_audit::{Decision as AuditDecision, Record};
use mudroom_store::Store;
use mudroom_vault::Vault;
use serde_json::{Map, Value, json};

pub use data::{
    CURRENT, Change, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_TAGS, MAX_VALUE_BYTES,
    MAX_VERSIONS, NewSecret, NewVersion, PREVIOUS, PutOutcome, SecretRow, SecretValue, Secrets,
    SecretsError, Upserted, VersionRow, check_description, check_name, now_ms, unix_ms,
};

use self::data::{marked_for_deletion, not_found};
use self::input::Input;
use crate::error::ServiceError;
use crate::platform::{Authz, Call, Service};
use crate::server::Output;

/// The principal of changes mudroom makes by itself (purging after the recovery window).
pub const SYSTEM_PRINCIPAL: &str = "mudroom:secretsmanager";

/// The Secrets Manager service.
#[derive(Debug)]
pub struct SecretsManager {
    data: Secrets,
}

impl SecretsManager {
    /// Opens the service on the platform's store and vault, applying its migrations.
    pub fn open(
        store: &Store,
        vault: &Arc<Vault>,
        account: &str,
        region: &str,
    ) -> Result<Self, SecretsError> {
        Ok(Self {
            data: Secrets::open(store.clone(), Arc::clone(vault), account, region)?,
        })
    }

    /// The storage layer.
    pub fn secrets(&self) -> &Secrets {
        &self.data
    }
}

impl Service for SecretsManager {
    fn name(&self) -> &'static str {
        "secretsmanager"
    }

    fn call(&self, call: &Call<'_>) -> Result<Output, ServiceError> {
        let now = unix_ms(call.request.info.received);
        let cx = Cx {
            data: &self.data,
            call,
            now,
        };
        cx.purge_expired()?;
        let input = Input::parse(call.request.json()?)?;
        let out = match call.operation() {
            "CreateSecret" => ops::create_secret(&cx, input),
            "GetSecretValue" => ops::get_secret_value(&cx, &input),
            "PutSecretValue" => ops::put_secret_value(&cx, input),
            "UpdateSecret" => ops::update_secret(&cx, input),
            "DescribeSecret" => ops::describe_secret(&cx, &input),
            "ListSecrets" => ops::list_secrets(&cx, &input),
            "DeleteSecret" => ops::delete_secret(&cx, &input),
            "RestoreSecret" => ops::restore_secret(&cx, &input),
            "UpdateSecretVersionStage" => ops::update_secret_version_stage(&cx, &input),
            "ListSecretVersionIds" => ops::list_secret_version_ids(&cx, &input),
            "TagResource" => ops::tag_resource(&cx, &input),
            "UntagResource" => ops::untag_resource(&cx, &input),
            "PutResourcePolicy" => ops::put_resource_policy(&cx, &input),
            "GetResourcePolicy" => ops::get_resource_policy(&cx, &input),
            "DeleteResourcePolicy" => ops::delete_resource_policy(&cx, &input),
            "ValidateResourcePolicy" => ops::validate_resource_policy(&cx, &input),
            "BatchGetSecretValue" => ops::batch_get_secret_value(&cx, &input),
            "GetRandomPassword" => ops::get_random_password(&cx, &input),
            "RotateSecret" | "CancelRotateSecret" => ops::rotation(&cx, &input),
            op @ ("ReplicateSecretToRegions"
            | "RemoveRegionsFromReplication"
            | "StopReplicationToReplica"
            | "AssociateCrossAccountReplica"
            | "DisassociateCrossAccountReplica"
            | "ListResourcePolicies") => Err(data::invalid_request(format!(
                "`{op}` is not supported: mudroom serves one account and region, with one resource policy per secret"
            ))),
            other => Err(ServiceError::client(
                "UnknownOperationException",
                format!("unknown operation `{other}`"),
            )),
        }?;
        Ok(Output::Json(out))
    }
}

/// One call: the storage layer, the authenticated call and its time.
pub(crate) struct Cx<'a> {
    data: &'a Secrets,
    call: &'a Call<'a>,
    now: i64,
}

/// Condition keys, as [`Authz`] takes them.
type Keys = Vec<(String, Vec<String>)>;

fn key(name: &str, value: impl Into<String>) -> (String, Vec<String>) {
    (name.to_string(), vec![value.into()])
}

/// `aws:RequestTag/<k>` for each tag and `aws:TagKeys`.
fn request_tag_keys(tags: &[(String, String)]) -> Keys {
    let mut keys: Keys = tags
        .iter()
        .map(|(k, v)| key(&format!("aws:RequestTag/{k}"), v.clone()))
        .collect();
    keys.push((
        "aws:TagKeys".to_string(),
        tags.iter().map(|(k, _)| k.clone()).collect(),
    ));
    keys
}

impl Cx<'_> {
    fn purge_expired(&self) -> Result<(), ServiceError> {
        let purged = self
            .data
            .purge_expired(self.now)
            .map_err(SecretsError::into_service)?;
        for arn in purged {
            let mut detail = Map::new();
            detail.insert("reason".into(), "recovery window ended".into());
            let record = Record::new(
                SYSTEM_PRINCIPAL,
                "secretsmanager:DeleteSecret",
                arn,
                AuditDecision::Mutation,
            )
            .request_id(self.call.request.info.request_id.clone())
            .detail(detail);
            self.call.platform.audit(record)?;
        }
        Ok(())
    }

    /// Authorizes an operation whose resource is `*`.
    fn authorize_any(&self, op: &str) -> Result<(), ServiceError> {
        self.call
            .authorize(&format!("secretsmanager:{op}"), "*", Authz::default())
    }

    /// Authorizes `op` on an existing secret, with its policy and tags.
    fn authorize_row(&self, op: &str, row: &SecretRow, extra: Keys) -> Result<(), ServiceError> {
        let compiled = row.policy.as_deref().and_then(policy::compile);
        let mut context: Keys = vec![key("secretsmanager:SecretId", row.arn.clone())];
        for (k, v) in &row.tags {
            context.push(key(&format!("secretsmanager:ResourceTag/{k}"), v.clone()));
            context.push(key(&format!("aws:ResourceTag/{k}"), v.clone()));
        }
        context.extend(extra);
        self.call.authorize(
            &format!("secretsmanager:{op}"),
            &row.arn,
            Authz {
                resource_policy: compiled.as_ref(),
                resource_account: Some(self.data.account()),
                context,
            },
        )
    }

    /// Authorizes `op` on a resource that does not exist (yet): the ARN to be, or the ARN a
    /// secret id would have. A caller without permission learns nothing about what exists.
    fn authorize_arn(&self, op: &str, arn: &str, extra: Keys) -> Result<(), ServiceError> {
        let mut context: Keys = vec![key("secretsmanager:SecretId", arn)];
        context.extend(extra);
        self.call.authorize(
            &format!("secretsmanager:{op}"),
            arn,
            Authz {
                resource_policy: None,
                resource_account: Some(self.data.account()),
                context,
            },
        )
    }

    /// Finds secret `id` and authorizes `op` on it; `None` (after authorizing on the ARN it
    /// would have) when there is no such secret.
    fn lookup(&self, op: &str, id: &str, extra: Keys) -> Result<Option<SecretRow>, ServiceError> {
        let n = id.chars().count();
        if n == 0 || n > 2048 {
            return Err(data::invalid_parameter(
                "`SecretId` must have 1 to 2048 characters",
            ));
        }
        match self.data.resolve(id).map_err(SecretsError::into_service)? {
            Some(row) => {
                self.authorize_row(op, &row, extra)?;
                Ok(Some(row))
            }
            None => {
                self.authorize_arn(op, &self.data.guess_arn(id), extra)?;
                Ok(None)
            }
        }
    }

    /// The secret named by `SecretId`, authorized for `op`. Refuses a secret scheduled for
    /// deletion unless `deleted_ok`.
    fn target(
        &self,
        op: &str,
        input: &Input,
        extra: Keys,
        deleted_ok: bool,
    ) -> Result<SecretRow, ServiceError> {
        let id = input.required("SecretId")?;
        let row = self.lookup(op, id, extra)?.ok_or_else(not_found)?;
        if row.is_deleted() && !deleted_ok {
            return Err(marked_for_deletion());
        }
        Ok(row)
    }

    /// Audits a change to `arn`.
    fn mutated(&self, op: &str, arn: &str) -> Result<(), ServiceError> {
        self.call
            .audit_mutation(&format!("secretsmanager:{op}"), arn)
    }
}

/// Unix milliseconds as AWS's epoch seconds with a fraction.
#[expect(
    clippy::cast_precision_loss,
    reason = "millisecond timestamps fit in f64"
)]
fn secs(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// A secret's metadata as DescribeSecret (`VersionIdsToStages`) or ListSecrets
/// (`SecretVersionsToStages`) shows it.
fn describe(row: &SecretRow, stages_key: &str) -> Value {
    let mut m = Map::new();
    m.insert("ARN".into(), row.arn.clone().into());
    m.insert("Name".into(), row.name.clone().into());
    if let Some(d) = &row.description {
        m.insert("Description".into(), d.clone().into());
    }
    if let Some(k) = &row.kms_key_id {
        m.insert("KmsKeyId".into(), k.clone().into());
    }
    m.insert("RotationEnabled".into(), false.into());
    m.insert("LastChangedDate".into(), secs(row.changed_ms));
    if let Some(a) = row.accessed_ms {
        m.insert("LastAccessedDate".into(), secs(a));
    }
    if let Some(d) = row.deleted_ms {
        m.insert("DeletedDate".into(), secs(d));
    }
    if !row.tags.is_empty() {
        m.insert("Tags".into(), tags_json(&row.tags));
    }
    let stages: Map<String, Value> = row
        .stages
        .iter()
        .map(|(v, s)| (v.clone(), json!(s)))
        .collect();
    m.insert(stages_key.into(), Value::Object(stages));
    m.insert("CreatedDate".into(), secs(row.created_ms));
    Value::Object(m)
}

fn tags_json(tags: &[(String, String)]) -> Value {
    tags.iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect::<Vec<_>>()
        .into()
}
