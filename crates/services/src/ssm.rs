//! Systems Manager Parameter Store (AWS JSON 1.1, target prefix `AmazonSSM`, signing name
//! `ssm`).
//!
//! Every version's value, whatever its type, is sealed in the vault under the parameter's ARN
//! and the version number, so no value is plaintext at rest; names, versions, labels, tags and
//! other metadata are rows of the store (component `ssm`). Each operation authorizes
//! `ssm:<Operation>` on the parameter's ARN (a path's ARN for `GetParametersByPath`, `*` for
//! `DescribeParameters`) with the parameter's tags as `ssm:ResourceTag/<key>` and
//! `aws:ResourceTag/<key>`, before it reads or changes anything. Values never appear in errors,
//! audit records or `Debug` output. See `docs/ssm.md`.

mod db;
mod names;

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mudroom_store::{Store, StoreError, rusqlite};
use mudroom_vault::{Vault, VaultError};
use regex::{Regex, RegexBuilder};
use serde_json::{Value, json};

use crate::error::ServiceError;
use crate::platform::{Authz, Call, Service};
use crate::server::Output;

use self::db::{Param, Version};
use self::names::{MAX_LABEL_LEN, MAX_LABELS_PER_VERSION, MAX_TAGS, NameRef, Scope, Selector};
use self::names::{constraint, validation};

/// Versions kept per parameter; writing the 101st drops the oldest.
pub const MAX_VERSIONS: i64 = 100;
/// Largest value of a standard parameter, in bytes.
pub const STANDARD_VALUE_LIMIT: usize = 4096;
/// Largest value of an advanced parameter, in bytes.
pub const ADVANCED_VALUE_LIMIT: usize = 8192;
/// Standard parameters per account and region.
pub const MAX_STANDARD_PARAMETERS: i64 = 10_000;
/// Advanced parameters per account and region.
pub const MAX_ADVANCED_PARAMETERS: i64 = 100_000;
/// The key `SecureString` values are said to be encrypted with (the vault's master key
/// stands behind it).
pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";

const TYPES: [&str; 3] = ["String", "StringList", "SecureString"];
const TIERS: [&str; 3] = ["Standard", "Advanced", "Intelligent-Tiering"];

/// The Parameter Store service.
pub struct Ssm {
    store: Store,
    vault: Arc<Vault>,
}

impl std::fmt::Debug for Ssm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ssm").finish_non_exhaustive()
    }
}

impl Ssm {
    /// Opens the service on `store` (applying its migrations), sealing values in `vault`,
    /// which must keep its data in the same store.
    pub fn open(store: Store, vault: Arc<Vault>) -> Result<Self, StoreError> {
        store.migrate("ssm", db::MIGRATIONS)?;
        Ok(Self { store, vault })
    }
}

impl Service for Ssm {
    fn name(&self) -> &'static str {
        "ssm"
    }

    fn call(&self, call: &Call<'_>) -> Result<Output, ServiceError> {
        let input = call.request.json()?;
        let ids = &call.platform.identities;
        let op = Op {
            ssm: self,
            call,
            input: Input(&input),
            scope: Scope::new(ids.region(), ids.account()),
        };
        let result = match call.operation() {
            "PutParameter" => op.put_parameter(),
            "GetParameter" => op.get_parameter(),
            "GetParameters" => op.get_parameters(),
            "GetParametersByPath" => op.get_parameters_by_path(),
            "DeleteParameter" => op.delete_parameter(),
            "DeleteParameters" => op.delete_parameters(),
            "DescribeParameters" => op.describe_parameters(),
            "GetParameterHistory" => op.get_parameter_history(),
            "LabelParameterVersion" => op.label_parameter_version(),
            "UnlabelParameterVersion" => op.unlabel_parameter_version(),
            "AddTagsToResource" => op.add_tags(),
            "RemoveTagsFromResource" => op.remove_tags(),
            "ListTagsForResource" => op.list_tags(),
            other => Err(ServiceError::client(
                "UnknownOperationException",
                format!("operation `{other}` is not served by mudroom's Parameter Store"),
            )
            .into()),
        };
        result.map(Output::Json).map_err(Fail::into_service)
    }
}

/// An operation's failure: a refusal for the client, or an internal error that is not
/// described to it.
#[derive(Debug)]
enum Fail {
    Client(ServiceError),
    Store(StoreError),
    Db(rusqlite::Error),
    Vault(VaultError),
    /// Stored state that does not hold together (a value missing from the vault).
    Inconsistent,
}

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail::Client(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<VaultError> for Fail {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Store(e) => Fail::Store(e),
            e => Fail::Vault(e),
        }
    }
}

impl Fail {
    fn into_service(self) -> ServiceError {
        let cause = match self {
            Fail::Client(e) => return e,
            Fail::Store(e) => e.to_string(),
            Fail::Db(e) => e.to_string(),
            Fail::Vault(e) => e.to_string(),
            Fail::Inconsistent => "a stored value is missing or unreadable".to_string(),
        };
        // For the operator: causes name parameters (ARNs) and versions, never values.
        eprintln!("mudroom: parameter store: internal error: {cause}");
        ServiceError::internal("the parameter store could not complete the request")
    }
}

type R<T> = Result<T, Fail>;

fn not_found() -> Fail {
    ServiceError::client("ParameterNotFound", "").into()
}

fn version_not_found(version: i64, name: &str) -> Fail {
    ServiceError::client(
        "ParameterVersionNotFound",
        format!(
            "Systems Manager could not find version {version} of {name}. Verify the version and try again."
        ),
    )
    .into()
}

fn invalid_resource_id() -> Fail {
    ServiceError::client("InvalidResourceId", "").into()
}

fn bad_token() -> ServiceError {
    ServiceError::client("InvalidNextToken", "The specified token isn't valid.")
}

fn serialization(field: &str, expected: &str) -> ServiceError {
    ServiceError::client(
        "SerializationException",
        format!("`{field}` must be {expected}"),
    )
}

fn not_null(member: &str) -> ServiceError {
    validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// The JSON body of a request. Never printed: it holds values.
struct Input<'a>(&'a Value);

impl<'a> Input<'a> {
    fn field(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn str(&self, name: &str) -> Result<Option<&'a str>, ServiceError> {
        match self.field(name) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| serialization(name, "a string")),
        }
    }

    fn required_str(&self, name: &str, member: &str) -> Result<&'a str, ServiceError> {
        self.str(name)?.ok_or_else(|| not_null(member))
    }

    fn bool(&self, name: &str) -> Result<bool, ServiceError> {
        match self.field(name) {
            None => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| serialization(name, "a boolean")),
        }
    }

    fn int(&self, name: &str) -> Result<Option<i64>, ServiceError> {
        match self.field(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| serialization(name, "an integer")),
        }
    }

    fn strings(&self, name: &str) -> Result<Option<Vec<&'a str>>, ServiceError> {
        match self.field(name) {
            None => Ok(None),
            Some(v) => v
                .as_array()
                .ok_or_else(|| serialization(name, "a list of strings"))?
                .iter()
                .map(|s| {
                    s.as_str()
                        .ok_or_else(|| serialization(name, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    fn tags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, ServiceError> {
        let Some(v) = self.field(name) else {
            return Ok(None);
        };
        let items = v
            .as_array()
            .ok_or_else(|| serialization(name, "a list of tags"))?;
        if items.len() > 1000 {
            return Err(validation(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must have length less than or equal to 1000",
                name.to_ascii_lowercase()
            )));
        }
        let mut tags: Vec<(String, String)> = Vec::with_capacity(items.len());
        for item in items {
            let key = item
                .get("Key")
                .and_then(Value::as_str)
                .ok_or_else(|| not_null("tags.member.key"))?;
            let value = item
                .get("Value")
                .and_then(Value::as_str)
                .ok_or_else(|| not_null("tags.member.value"))?;
            names::check_tag(key, value)?;
            if tags.iter().any(|(k, _)| k == key) {
                return Err(validation(format!(
                    "tag key `{key}` appears more than once in the request"
                )));
            }
            tags.push((key.to_string(), value.to_string()));
        }
        Ok(Some(tags))
    }

    /// `MaxResults`: `default` when absent, refused outside `1..=max`.
    fn max_results(&self, default: i64, max: i64) -> Result<usize, ServiceError> {
        let n = self.int("MaxResults")?.unwrap_or(default);
        if !(1..=max).contains(&n) {
            return Err(constraint(
                &n.to_string(),
                "maxResults",
                &format!("Member must have value between 1 and {max}"),
            ));
        }
        usize::try_from(n).map_err(|_| constraint(&n.to_string(), "maxResults", "out of range"))
    }

    /// A list of 1–10 names.
    fn names(&self) -> Result<Vec<&'a str>, ServiceError> {
        let names = self.strings("Names")?.ok_or_else(|| not_null("names"))?;
        if names.is_empty() || names.len() > 10 {
            return Err(validation(format!(
                "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10 ({} given)",
                names.len()
            )));
        }
        let mut seen = HashSet::new();
        Ok(names.into_iter().filter(|n| seen.insert(*n)).collect())
    }
}

fn millis_to_json(ms: i64) -> Value {
    #[expect(clippy::cast_precision_loss, reason = "timestamps fit an f64")]
    let secs = ms as f64 / 1000.0;
    json!(secs)
}

fn resource_tag_context(tags: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    tags.iter()
        .flat_map(|(k, v)| {
            [
                (format!("ssm:ResourceTag/{k}"), vec![v.clone()]),
                (format!("aws:ResourceTag/{k}"), vec![v.clone()]),
            ]
        })
        .collect()
}

fn request_tag_context(tags: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut ctx: Vec<(String, Vec<String>)> = tags
        .iter()
        .map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()]))
        .collect();
    ctx.push((
        "aws:TagKeys".to_string(),
        tags.iter().map(|(k, _)| k.clone()).collect(),
    ));
    ctx
}

fn encode_token(kind: &str, position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}\n{position}"))
}

fn decode_token(kind: &str, token: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad_token())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_token())?;
    let (k, position) = text.split_once('\n').ok_or_else(bad_token)?;
    if k != kind {
        return Err(bad_token());
    }
    Ok(Some(position.to_string()))
}

/// Compiles an allowed pattern to match whole values. The pattern is compiled alone first, so
/// a pattern like `a)|(b` cannot escape the anchors; the regex engine runs in linear time, so
/// no pattern can stall a request.
fn compile_pattern(pattern: &str) -> Result<Regex, ServiceError> {
    let build = |p: &str| {
        RegexBuilder::new(p)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
    };
    build(pattern)
        .and_then(|_| build(&format!("^(?:{pattern})$")))
        .map_err(|_| {
            ServiceError::client(
                "InvalidAllowedPatternException",
                format!(
                    "The request doesn't meet the regular expression requirement: `{pattern}` is not a regular expression mudroom can use."
                ),
            )
        })
}

/// A parameter filter of `GetParametersByPath` or `DescribeParameters`.
#[derive(Debug)]
struct Filter {
    key: String,
    option: String,
    values: Vec<String>,
}

impl Filter {
    fn matches(&self, p: &Param, v: &Version, tags: &[(String, String)]) -> bool {
        let values = &self.values;
        let eq_or_begins = |what: &str| match self.option.as_str() {
            "BeginsWith" => values.iter().any(|x| what.starts_with(x.as_str())),
            _ => values.iter().any(|x| x == what),
        };
        match self.key.as_str() {
            "Name" => {
                let norm = |x: &str| names::path_of(x.strip_prefix('/').unwrap_or(x));
                match self.option.as_str() {
                    "Contains" => values.iter().any(|x| p.path.contains(x.as_str())),
                    "BeginsWith" => values.iter().any(|x| p.path.starts_with(&norm(x))),
                    _ => values.iter().any(|x| p.path == norm(x)),
                }
            }
            "Type" => eq_or_begins(&v.ty),
            "KeyId" => v.key_id.as_deref().is_some_and(eq_or_begins),
            "Tier" => eq_or_begins(&v.tier),
            "DataType" => eq_or_begins(&v.data_type),
            "Path" => {
                let recursive = self.option == "Recursive";
                values.iter().any(|q| names::under(&p.path, q, recursive))
            }
            // Label filters pick versions; see `Op::get_parameters_by_path`.
            "Label" => true,
            key => {
                let Some(tag) = key.strip_prefix("tag:") else {
                    return false;
                };
                tags.iter()
                    .filter(|(k, _)| k == tag)
                    .any(|(_, value)| values.is_empty() || eq_or_begins(value))
            }
        }
    }
}

/// One call being answered.
struct Op<'a, 'c> {
    ssm: &'a Ssm,
    call: &'a Call<'c>,
    input: Input<'a>,
    scope: Scope,
}

impl Op<'_, '_> {
    fn read<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> R<T>) -> R<T> {
        self.ssm.store.read(f)
    }

    fn authorize(
        &self,
        operation: &str,
        resource: &str,
        context: Vec<(String, Vec<String>)>,
    ) -> R<()> {
        self.call.authorize(
            &format!("ssm:{operation}"),
            resource,
            Authz {
                context,
                ..Authz::default()
            },
        )?;
        Ok(())
    }

    /// Authorizes `operation` on the parameter keyed `path`, with its tags in the context.
    fn authorize_on(&self, operation: &str, path: &str) -> R<String> {
        let arn = self.scope.arn(path);
        let tags = self.read(|c| Ok(db::tags(c, path)?))?;
        self.authorize(operation, &arn, resource_tag_context(&tags))?;
        Ok(arn)
    }

    fn audit(&self, operation: &str, arn: &str) -> R<()> {
        self.call
            .audit_mutation(&format!("ssm:{operation}"), arn)
            .map_err(Fail::from)
    }

    fn now_ms(&self) -> i64 {
        let nanos = self.call.request.info.received.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(nanos).unwrap_or(i64::MAX)
    }

    /// The value of one version: plaintext, or for a `SecureString` read without decryption,
    /// the base64 of its sealed form (nonce and AES-GCM ciphertext), which is what AWS's
    /// ciphertext is to a caller that cannot decrypt it.
    fn value(&self, p: &Param, v: &Version, decrypt: bool) -> R<String> {
        let version = v.version.to_string();
        if v.ty == "SecureString" && !decrypt {
            let sealed = self
                .ssm
                .vault
                .get_sealed(&p.arn, &version)?
                .ok_or(Fail::Inconsistent)?;
            let mut blob = sealed.nonce.to_vec();
            blob.extend_from_slice(&sealed.ciphertext);
            return Ok(STANDARD.encode(blob));
        }
        let plain = self
            .ssm
            .vault
            .get_version(&p.arn, &version)?
            .ok_or(Fail::Inconsistent)?;
        String::from_utf8(plain.expose().to_vec()).map_err(|_| Fail::Inconsistent)
    }

    fn parameter_json(
        &self,
        p: &Param,
        v: &Version,
        selector: Option<&Selector>,
        decrypt: bool,
    ) -> R<Value> {
        let mut out = json!({
            "Name": p.name,
            "Type": v.ty,
            "Value": self.value(p, v, decrypt)?,
            "Version": v.version,
            "LastModifiedDate": millis_to_json(v.modified_ms),
            "ARN": p.arn,
            "DataType": v.data_type,
        });
        if let (Some(sel), Some(obj)) = (selector, out.as_object_mut()) {
            obj.insert("Selector".into(), json!(sel.render()));
        }
        Ok(out)
    }

    fn metadata_json(p: &Param, v: &Version) -> Value {
        let mut out = json!({
            "Name": p.name,
            "ARN": p.arn,
            "Type": v.ty,
            "LastModifiedDate": millis_to_json(v.modified_ms),
            "LastModifiedUser": v.modified_user,
            "Version": v.version,
            "Tier": v.tier,
            "Policies": [],
            "DataType": v.data_type,
        });
        if let Some(obj) = out.as_object_mut() {
            if let Some(k) = &v.key_id {
                obj.insert("KeyId".into(), json!(k));
            }
            if let Some(d) = &v.description {
                obj.insert("Description".into(), json!(d));
            }
            if let Some(a) = &v.allowed_pattern {
                obj.insert("AllowedPattern".into(), json!(a));
            }
        }
        out
    }

    /// The parameter and version a reference selects.
    fn resolve(&self, r: &NameRef) -> R<(Param, Version)> {
        self.read(|c| {
            let p = db::param(c, &r.path)?.ok_or_else(not_found)?;
            let version = match &r.selector {
                None => p.latest,
                Some(Selector::Version(n)) => *n,
                Some(Selector::Label(l)) => {
                    db::label_version(c, &r.path, l)?.ok_or_else(not_found)?
                }
            };
            let v = db::version(c, &r.path, version)?
                .ok_or_else(|| version_not_found(version, &r.name))?;
            Ok((p, v))
        })
    }

    // ---- PutParameter --------------------------------------------------------------------

    fn put_parameter(&self) -> R<Value> {
        let i = &self.input;
        let r = self.scope.creation(i.required_str("Name", "name")?)?;
        let value = i.required_str("Value", "value")?;
        if value.is_empty() {
            return Err(constraint(
                "",
                "value",
                "Member must have length greater than or equal to 1.",
            )
            .into());
        }
        let ty = i.str("Type")?;
        if let Some(t) = ty
            && !TYPES.contains(&t)
        {
            return Err(constraint(
                t,
                "type",
                "Member must satisfy enum value set: [SecureString, StringList, String]",
            )
            .into());
        }
        let tier = i.str("Tier")?;
        if let Some(t) = tier
            && !TIERS.contains(&t)
        {
            return Err(constraint(
                t,
                "tier",
                "Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]",
            )
            .into());
        }
        let overwrite = i.bool("Overwrite")?;
        let description = i.str("Description")?;
        if description.is_some_and(|d| d.chars().count() > 1024) {
            return Err(validation(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024",
            )
            .into());
        }
        let pattern = i.str("AllowedPattern")?;
        if pattern.is_some_and(|p| p.chars().count() > 1024) {
            return Err(validation(
                "1 validation error detected: Value at 'allowedPattern' failed to satisfy constraint: Member must have length less than or equal to 1024",
            )
            .into());
        }
        if let Some(p) = pattern {
            compile_pattern(p)?;
        }
        let key_id = i.str("KeyId")?.map(|k| self.key_id(k)).transpose()?;
        if let Some(dt) = i.str("DataType")?
            && dt != "text"
        {
            return Err(validation(format!(
                "The following data type is not supported: {dt} (Data type names are all lowercase.) mudroom supports `text` only."
            ))
            .into());
        }
        if i.field("Policies").is_some() {
            return Err(ServiceError::client(
                "InvalidPolicyTypeException",
                "parameter policies are not supported by mudroom's Parameter Store",
            )
            .into());
        }
        let tags = i.tags("Tags")?.unwrap_or_default();
        if overwrite && !tags.is_empty() {
            return Err(validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            )
            .into());
        }
        if tags.len() > MAX_TAGS {
            return Err(too_many_tags());
        }

        let arn = self.scope.arn(&r.path);
        let existing_tags = self.read(|c| Ok(db::tags(c, &r.path)?))?;
        let mut ctx = resource_tag_context(&existing_tags);
        ctx.push(("ssm:Overwrite".into(), vec![overwrite.to_string()]));
        if !tags.is_empty() {
            ctx.extend(request_tag_context(&tags));
        }
        self.authorize("PutParameter", &arn, ctx)?;
        if !tags.is_empty() {
            // Creating a parameter with tags tags it, which needs its own permission.
            let mut ctx = request_tag_context(&tags);
            ctx.extend(resource_tag_context(&existing_tags));
            self.authorize("AddTagsToResource", &arn, ctx)?;
        }

        let req = PutRequest {
            r: &r,
            arn: &arn,
            value,
            ty,
            tier,
            overwrite,
            description,
            pattern,
            key_id,
            tags: &tags,
        };
        let (version, tier) = self.ssm.store.with_tx(|tx| self.put_in(tx, &req))?;
        self.audit("PutParameter", &arn)?;
        if !tags.is_empty() {
            self.audit("AddTagsToResource", &arn)?;
        }
        Ok(json!({"Version": version, "Tier": tier}))
    }

    /// `KeyId`: only the default key, by alias or alias ARN.
    fn key_id(&self, key: &str) -> Result<String, ServiceError> {
        let alias_arn = format!(
            "arn:aws:kms:{}:{}:{DEFAULT_KEY_ID}",
            self.call.platform.identities.region(),
            self.call.platform.identities.account()
        );
        if key == DEFAULT_KEY_ID || key == alias_arn {
            Ok(DEFAULT_KEY_ID.to_string())
        } else {
            Err(ServiceError::client(
                "InvalidKeyId",
                format!(
                    "key `{key}` is not available: mudroom seals parameter values with its vault; omit KeyId or give `{DEFAULT_KEY_ID}`"
                ),
            ))
        }
    }

    fn put_in(&self, tx: &rusqlite::Connection, q: &PutRequest<'_>) -> R<(i64, String)> {
        let path = &q.r.path;
        let existing = db::param(tx, path)?;
        let prev = match &existing {
            Some(p) => Some(db::version(tx, path, p.latest)?.ok_or(Fail::Inconsistent)?),
            None => None,
        };
        if existing.is_some() && !q.overwrite {
            return Err(ServiceError::client(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            )
            .into());
        }
        let ty = match (q.ty, &prev) {
            (Some(t), _) => t.to_string(),
            (None, Some(p)) => p.ty.clone(),
            (None, None) => {
                return Err(validation(
                    "A parameter type is required when you create a parameter.",
                )
                .into());
            }
        };
        if let Some(p) = &prev
            && p.ty != ty
            && path.matches('/').count() > 1
        {
            return Err(ServiceError::client(
                "HierarchyTypeMismatchException",
                format!(
                    "Parameter Store does not support changing a parameter type in a hierarchy: `{}` is a {}. Delete it and create it again as a {ty}.",
                    q.r.name, p.ty
                ),
            )
            .into());
        }
        let key_id = if ty == "SecureString" {
            Some(
                q.key_id
                    .clone()
                    .unwrap_or_else(|| DEFAULT_KEY_ID.to_string()),
            )
        } else if q.key_id.is_some() {
            return Err(validation("KeyId can be given only for SecureString parameters.").into());
        } else {
            None
        };
        let description = q
            .description
            .map(str::to_string)
            .or_else(|| prev.as_ref().and_then(|p| p.description.clone()));
        let pattern = q
            .pattern
            .map(str::to_string)
            .or_else(|| prev.as_ref().and_then(|p| p.allowed_pattern.clone()));
        if let Some(p) = &pattern
            && !compile_pattern(p)?.is_match(q.value)
        {
            return Err(ServiceError::client(
                "ParameterPatternMismatchException",
                format!("Parameter value, cannot be validated against allowedPattern: {p}"),
            )
            .into());
        }
        let tier = self.tier(q, prev.as_ref())?;

        let version = match &existing {
            Some(p) => {
                let (oldest, count) = db::oldest(tx, path)?;
                if count >= MAX_VERSIONS {
                    if !db::version_labels(tx, path, oldest)?.is_empty() {
                        return Err(ServiceError::client(
                            "ParameterMaxVersionLimitExceeded",
                            format!(
                                "You attempted to create a new version of {} by calling the PutParameter API with the overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
                                q.r.name
                            ),
                        )
                        .into());
                    }
                    db::delete_version(tx, p, oldest)?;
                }
                let version = p.latest + 1;
                db::set_latest(tx, path, version, &tier)?;
                version
            }
            None => {
                let (limit, count) = if tier == "Advanced" {
                    (MAX_ADVANCED_PARAMETERS, db::count_tier(tx, "Advanced")?)
                } else {
                    (MAX_STANDARD_PARAMETERS, db::count_tier(tx, "Standard")?)
                };
                if count >= limit {
                    return Err(ServiceError::client(
                        "ParameterLimitExceeded",
                        format!(
                            "You have exceeded the number of {} parameters for this account ({limit}). Delete unused parameters and try again.",
                            tier.to_ascii_lowercase()
                        ),
                    )
                    .into());
                }
                db::insert_param(
                    tx,
                    &Param {
                        path: path.clone(),
                        name: q.r.name.clone(),
                        arn: q.arn.to_string(),
                        latest: 1,
                    },
                    &tier,
                )?;
                1
            }
        };
        db::insert_version(
            tx,
            path,
            &Version {
                version,
                ty,
                data_type: prev
                    .as_ref()
                    .map_or_else(|| "text".to_string(), |p| p.data_type.clone()),
                tier: tier.clone(),
                description,
                allowed_pattern: pattern,
                key_id,
                modified_ms: self.now_ms(),
                modified_user: self.call.principal.caller.arn().to_string(),
            },
        )?;
        self.ssm
            .vault
            .put_version_in(tx, q.arn, &version.to_string(), q.value.as_bytes())?;
        if !q.tags.is_empty() {
            db::put_tags(tx, path, q.tags)?;
        }
        Ok((version, tier))
    }

    /// The tier a write lands in, refusing values too large for it and downgrades.
    fn tier(&self, q: &PutRequest<'_>, prev: Option<&Version>) -> R<String> {
        let size = q.value.len();
        let was_advanced = prev.is_some_and(|p| p.tier == "Advanced");
        let tier = match q.tier {
            Some("Intelligent-Tiering") if was_advanced || size > STANDARD_VALUE_LIMIT => {
                "Advanced"
            }
            Some("Intelligent-Tiering") => "Standard",
            Some(t) => t,
            None if was_advanced => "Advanced",
            None => "Standard",
        };
        if tier == "Standard" && was_advanced {
            return Err(validation(
                "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
            )
            .into());
        }
        if tier == "Standard" && size > STANDARD_VALUE_LIMIT {
            return Err(validation(format!(
                "Standard tier parameters support a maximum parameter value of {STANDARD_VALUE_LIMIT} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier."
            ))
            .into());
        }
        if size > ADVANCED_VALUE_LIMIT {
            return Err(validation(format!(
                "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to {ADVANCED_VALUE_LIMIT}"
            ))
            .into());
        }
        Ok(tier.to_string())
    }

    // ---- reads ---------------------------------------------------------------------------

    fn get_parameter(&self) -> R<Value> {
        let r = self
            .scope
            .reference(self.input.required_str("Name", "name")?, true)?;
        let decrypt = self.input.bool("WithDecryption")?;
        self.authorize_on("GetParameter", &r.path)?;
        let (p, v) = self.resolve(&r)?;
        Ok(json!({"Parameter": self.parameter_json(&p, &v, r.selector.as_ref(), decrypt)?}))
    }

    fn get_parameters(&self) -> R<Value> {
        let raw = self.input.names()?;
        let decrypt = self.input.bool("WithDecryption")?;
        let refs: Vec<(&str, Option<NameRef>)> = raw
            .iter()
            .map(|n| (*n, self.scope.reference(n, true).ok()))
            .collect();
        for (_, r) in &refs {
            if let Some(r) = r {
                self.authorize_on("GetParameters", &r.path)?;
            }
        }
        let mut found = Vec::new();
        let mut invalid = Vec::new();
        for (name, r) in &refs {
            let resolved = match r {
                Some(r) => match self.resolve(r) {
                    Ok(pv) => Some((r, pv)),
                    Err(Fail::Client(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            match resolved {
                Some((r, (p, v))) => {
                    found.push(self.parameter_json(&p, &v, r.selector.as_ref(), decrypt)?);
                }
                None => invalid.push(json!(name)),
            }
        }
        Ok(json!({"Parameters": found, "InvalidParameters": invalid}))
    }

    fn get_parameters_by_path(&self) -> R<Value> {
        let i = &self.input;
        let path = names::query_path(i.required_str("Path", "path")?)?;
        let recursive = i.bool("Recursive")?;
        let decrypt = i.bool("WithDecryption")?;
        let filters = self.filters("ParameterFilters", true)?;
        let max = i.max_results(10, 10)?;
        let after = decode_token("path", i.str("NextToken")?)?;
        let arn = self.scope.arn(if path == "/" { "/" } else { &path });
        self.authorize(
            "GetParametersByPath",
            &arn,
            vec![("ssm:Recursive".into(), vec![recursive.to_string()])],
        )?;
        let labels: Option<&Filter> = filters.iter().find(|f| f.key == "Label");
        let (from, to) = if path == "/" {
            (None, None)
        } else {
            (Some(format!("{path}/")), Some(format!("{path}0")))
        };
        let (page, more) = self.read(|c| {
            let mut page: Vec<(Param, Version, Option<Selector>)> = Vec::new();
            let mut more = false;
            for (p, latest) in db::list(c, from.as_deref(), to.as_deref(), after.as_deref())? {
                if !names::under(&p.path, &path, recursive) {
                    continue;
                }
                let tags = db::tags(c, &p.path)?;
                if !filters.iter().all(|f| f.matches(&p, &latest, &tags)) {
                    continue;
                }
                // A label filter selects the version carrying one of its labels.
                let (v, sel) = match labels {
                    None => (latest, None),
                    Some(f) => {
                        let mut hit = None;
                        for l in &f.values {
                            if let Some(n) = db::label_version(c, &p.path, l)? {
                                hit = Some((n, l.clone()));
                                break;
                            }
                        }
                        let Some((n, l)) = hit else {
                            continue;
                        };
                        let v = db::version(c, &p.path, n)?.ok_or(Fail::Inconsistent)?;
                        (v, Some(Selector::Label(l)))
                    }
                };
                if page.len() == max {
                    more = true;
                    break;
                }
                page.push((p, v, sel));
            }
            Ok((page, more))
        })?;
        let next = if more {
            page.last().map(|(p, _, _)| encode_token("path", &p.path))
        } else {
            None
        };
        let params = page
            .iter()
            .map(|(p, v, sel)| self.parameter_json(p, v, sel.as_ref(), decrypt))
            .collect::<R<Vec<_>>>()?;
        let mut out = json!({"Parameters": params});
        if let (Some(t), Some(obj)) = (next, out.as_object_mut()) {
            obj.insert("NextToken".into(), json!(t));
        }
        Ok(out)
    }

    /// Reads and checks `ParameterFilters` (`by_path`: for `GetParametersByPath`).
    fn filters(&self, field: &str, by_path: bool) -> R<Vec<Filter>> {
        let Some(raw) = self.input.field(field) else {
            return Ok(Vec::new());
        };
        let items = raw
            .as_array()
            .ok_or_else(|| serialization(field, "a list of filters"))?;
        let key_re = Regex::new(r"^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$")
            .map_err(|_| ServiceError::internal("the filter pattern failed to compile"))?;
        let mut out: Vec<Filter> = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let member = format!("parameterFilters.{}.member", n + 1);
            let key = item
                .get("Key")
                .and_then(Value::as_str)
                .ok_or_else(|| not_null(&format!("{member}.key")))?;
            if key.chars().count() > 132 || !key_re.is_match(key) {
                return Err(constraint(
                    key,
                    &format!("{member}.key"),
                    "Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType",
                )
                .into());
            }
            let invalid_key = |valid: &str| -> Fail {
                ServiceError::client(
                    "InvalidFilterKey",
                    format!(
                        "The following filter key is not valid: {key}. Valid filter keys include: [{valid}]."
                    ),
                )
                .into()
            };
            if by_path && matches!(key, "Name" | "Path" | "Tier") {
                return Err(invalid_key("Type, KeyId, Label, DataType, tag"));
            }
            if !by_path && key == "Label" {
                return Err(invalid_key("Path, Name, Type, KeyId, Tier, DataType, tag"));
            }
            if out.iter().any(|f| f.key == key) {
                return Err(ServiceError::client(
                    "InvalidFilterKey",
                    format!(
                        "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
                    ),
                )
                .into());
            }
            let values: Vec<String> = match item.get("Values").filter(|v| !v.is_null()) {
                None => Vec::new(),
                Some(v) => v
                    .as_array()
                    .ok_or_else(|| serialization("Values", "a list of strings"))?
                    .iter()
                    .map(|s| {
                        s.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| serialization("Values", "a list of strings"))
                    })
                    .collect::<Result<_, _>>()?,
            };
            if values.len() > 50
                || values
                    .iter()
                    .any(|v| v.is_empty() || v.chars().count() > 1024)
            {
                return Err(validation(format!(
                    "1 validation error detected: Value at '{member}.values' failed to satisfy constraint: Member must have between 1 and 50 members, each of length 1 to 1024"
                ))
                .into());
            }
            if values.is_empty() && !key.starts_with("tag:") {
                return Err(ServiceError::client(
                    "InvalidFilterValue",
                    format!("The following filter values are missing : null for filter key {key}."),
                )
                .into());
            }
            let (default, allowed): (&str, &[&str]) = match key {
                "Path" => ("OneLevel", &["OneLevel", "Recursive"]),
                "Name" => ("Equals", &["Equals", "BeginsWith", "Contains"]),
                "KeyId" => ("Equals", &["Equals", "BeginsWith"]),
                k if k.starts_with("tag:") => ("Equals", &["Equals", "BeginsWith"]),
                _ => ("Equals", &["Equals"]),
            };
            let option = match item.get("Option").filter(|v| !v.is_null()) {
                None => default.to_string(),
                Some(o) => o
                    .as_str()
                    .ok_or_else(|| serialization("Option", "a string"))?
                    .to_string(),
            };
            if !allowed.contains(&option.as_str()) {
                return Err(ServiceError::client(
                    "InvalidFilterOption",
                    format!(
                        "The following filter option is not valid: {option}. Valid options include: [{}].",
                        allowed.join(", ")
                    ),
                )
                .into());
            }
            let enum_values: Option<&[&str]> = match key {
                "Type" => Some(&TYPES),
                "Tier" => Some(&TIERS),
                _ => None,
            };
            if let Some(valid) = enum_values
                && let Some(bad) = values.iter().find(|v| !valid.contains(&v.as_str()))
            {
                return Err(ServiceError::client(
                    "InvalidFilterValue",
                    format!(
                        "The following filter value is not valid: {bad}. Valid values include: [{}].",
                        valid.join(", ")
                    ),
                )
                .into());
            }
            let values = if key == "Path" {
                values
                    .iter()
                    .map(|v| names::query_path(v))
                    .collect::<Result<Vec<_>, _>>()?
            } else {
                values
            };
            out.push(Filter {
                key: key.to_string(),
                option,
                values,
            });
        }
        Ok(out)
    }

    fn describe_parameters(&self) -> R<Value> {
        let i = &self.input;
        let old = i.field("Filters");
        if old.is_some() && i.field("ParameterFilters").is_some() {
            return Err(validation(
                "You can use either Filters or ParameterFilters in a single request.",
            )
            .into());
        }
        let mut filters = self.filters("ParameterFilters", false)?;
        if let Some(old) = old {
            filters = Self::old_filters(old)?;
        }
        let max = i.max_results(50, 50)?;
        let after = decode_token("describe", i.str("NextToken")?)?;
        self.authorize("DescribeParameters", "*", Vec::new())?;
        let (page, more) = self.read(|c| {
            let mut page = Vec::new();
            let mut more = false;
            for (p, v) in db::list(c, None, None, after.as_deref())? {
                let tags = db::tags(c, &p.path)?;
                if !filters.iter().all(|f| f.matches(&p, &v, &tags)) {
                    continue;
                }
                if page.len() == max {
                    more = true;
                    break;
                }
                page.push((p, v));
            }
            Ok((page, more))
        })?;
        let mut out = json!({
            "Parameters": page.iter().map(|(p, v)| Self::metadata_json(p, v)).collect::<Vec<_>>(),
        });
        if more && let (Some((p, _)), Some(obj)) = (page.last(), out.as_object_mut()) {
            obj.insert("NextToken".into(), json!(encode_token("describe", &p.path)));
        }
        Ok(out)
    }

    /// The older `Filters` of `DescribeParameters`: `Name` (a prefix), `Type`, `KeyId`.
    fn old_filters(raw: &Value) -> R<Vec<Filter>> {
        let items = raw
            .as_array()
            .ok_or_else(|| serialization("Filters", "a list of filters"))?;
        let mut out = Vec::new();
        for item in items {
            let key = item
                .get("Key")
                .and_then(Value::as_str)
                .ok_or_else(|| not_null("filters.member.key"))?;
            let option = match key {
                "Name" => "BeginsWith",
                "Type" | "KeyId" => "Equals",
                other => {
                    return Err(constraint(
                        other,
                        "filters.member.key",
                        "Member must satisfy enum value set: [Name, Type, KeyId]",
                    )
                    .into());
                }
            };
            let values: Vec<String> = item
                .get("Values")
                .and_then(Value::as_array)
                .ok_or_else(|| not_null("filters.member.values"))?
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if values.is_empty() {
                return Err(not_null("filters.member.values").into());
            }
            out.push(Filter {
                key: key.to_string(),
                option: option.to_string(),
                values,
            });
        }
        Ok(out)
    }

    fn get_parameter_history(&self) -> R<Value> {
        let i = &self.input;
        let r = self
            .scope
            .reference(i.required_str("Name", "name")?, false)?;
        let decrypt = i.bool("WithDecryption")?;
        let max = i.max_results(50, 50)?;
        let after = match decode_token("history", i.str("NextToken")?)? {
            Some(t) => t.parse::<i64>().map_err(|_| bad_token())?,
            None => 0,
        };
        self.authorize_on("GetParameterHistory", &r.path)?;
        let (p, versions, labels) = self.read(|c| {
            let p = db::param(c, &r.path)?.ok_or_else(not_found)?;
            let versions = db::versions(c, &r.path, after)?;
            let labels = db::labels(c, &r.path)?;
            Ok((p, versions, labels))
        })?;
        let more = versions.len() > max;
        let mut out = Vec::new();
        for v in versions.iter().take(max) {
            let mut entry = Self::metadata_json(&p, v);
            if let Some(obj) = entry.as_object_mut() {
                obj.remove("ARN");
                obj.insert("Value".into(), json!(self.value(&p, v, decrypt)?));
                let on: Vec<&String> = labels
                    .iter()
                    .filter(|(_, n)| *n == v.version)
                    .map(|(l, _)| l)
                    .collect();
                obj.insert("Labels".into(), json!(on));
            }
            out.push(entry);
        }
        let mut result = json!({"Parameters": out});
        if more
            && let (Some(last), Some(obj)) =
                (versions.get(max.saturating_sub(1)), result.as_object_mut())
        {
            obj.insert(
                "NextToken".into(),
                json!(encode_token("history", &last.version.to_string())),
            );
        }
        Ok(result)
    }

    // ---- deletes -------------------------------------------------------------------------

    fn delete_parameter(&self) -> R<Value> {
        let r = self
            .scope
            .reference(self.input.required_str("Name", "name")?, false)?;
        let arn = self.authorize_on("DeleteParameter", &r.path)?;
        self.ssm.store.with_tx(|tx| -> R<()> {
            let p = db::param(tx, &r.path)?.ok_or_else(not_found)?;
            db::delete_param(tx, &p)?;
            Ok(())
        })?;
        self.audit("DeleteParameter", &arn)?;
        Ok(json!({}))
    }

    fn delete_parameters(&self) -> R<Value> {
        let raw = self.input.names()?;
        let refs: Vec<(&str, Option<NameRef>)> = raw
            .iter()
            .map(|n| (*n, self.scope.reference(n, false).ok()))
            .collect();
        for r in refs.iter().filter_map(|(_, r)| r.as_ref()) {
            self.authorize_on("DeleteParameters", &r.path)?;
        }
        let outcome = self.ssm.store.with_tx(|tx| -> R<Vec<Option<String>>> {
            let mut outcome = Vec::new();
            for (_, r) in &refs {
                let p = match r {
                    Some(r) => db::param(tx, &r.path)?,
                    None => None,
                };
                if let Some(p) = &p {
                    db::delete_param(tx, p)?;
                }
                outcome.push(p.map(|p| p.arn));
            }
            Ok(outcome)
        })?;
        let mut deleted = Vec::new();
        let mut invalid = Vec::new();
        for ((name, _), arn) in refs.iter().zip(outcome) {
            match arn {
                Some(arn) => {
                    self.audit("DeleteParameters", &arn)?;
                    deleted.push(json!(name));
                }
                None => invalid.push(json!(name)),
            }
        }
        Ok(json!({"DeletedParameters": deleted, "InvalidParameters": invalid}))
    }

    // ---- labels --------------------------------------------------------------------------

    fn labels_input(&self) -> R<Vec<&str>> {
        let labels = self
            .input
            .strings("Labels")?
            .ok_or_else(|| not_null("labels"))?;
        if labels.is_empty() || labels.len() > MAX_LABELS_PER_VERSION {
            return Err(validation(format!(
                "1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length between 1 and {MAX_LABELS_PER_VERSION}"
            ))
            .into());
        }
        if let Some(l) = labels
            .iter()
            .find(|l| l.is_empty() || l.chars().count() > MAX_LABEL_LEN)
        {
            return Err(constraint(
                &format!("[{l}]"),
                "labels",
                "Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]",
            )
            .into());
        }
        let mut seen = HashSet::new();
        Ok(labels.into_iter().filter(|l| seen.insert(*l)).collect())
    }

    fn label_parameter_version(&self) -> R<Value> {
        let r = self
            .scope
            .reference(self.input.required_str("Name", "name")?, false)?;
        let requested = self.input.int("ParameterVersion")?;
        let labels = self.labels_input()?;
        let arn = self.authorize_on("LabelParameterVersion", &r.path)?;
        let (valid, invalid): (Vec<&str>, Vec<&str>) =
            labels.iter().partition(|l| names::label_ok(l));
        let version = self.ssm.store.with_tx(|tx| -> R<i64> {
            let p = db::param(tx, &r.path)?.ok_or_else(not_found)?;
            let version = requested.unwrap_or(p.latest);
            db::version(tx, &r.path, version)?
                .ok_or_else(|| version_not_found(version, &r.name))?;
            let on = db::version_labels(tx, &r.path, version)?;
            let added = valid.iter().filter(|l| !on.iter().any(|o| o == *l)).count();
            if on.len() + added > MAX_LABELS_PER_VERSION {
                return Err(ServiceError::client(
                    "ParameterVersionLabelLimitExceeded",
                    "A parameter version can have maximum 10 labels. Move one or more labels to another version and try again.",
                )
                .into());
            }
            for l in &valid {
                db::set_label(tx, &r.path, l, version)?;
            }
            Ok(version)
        })?;
        if !valid.is_empty() {
            self.audit("LabelParameterVersion", &arn)?;
        }
        Ok(json!({"InvalidLabels": invalid, "ParameterVersion": version}))
    }

    fn unlabel_parameter_version(&self) -> R<Value> {
        let r = self
            .scope
            .reference(self.input.required_str("Name", "name")?, false)?;
        let version = self
            .input
            .int("ParameterVersion")?
            .ok_or_else(|| not_null("parameterVersion"))?;
        let labels = self.labels_input()?;
        let arn = self.authorize_on("UnlabelParameterVersion", &r.path)?;
        let (removed, invalid) = self.ssm.store.with_tx(|tx| -> R<(Vec<&str>, Vec<&str>)> {
            db::param(tx, &r.path)?.ok_or_else(not_found)?;
            db::version(tx, &r.path, version)?
                .ok_or_else(|| version_not_found(version, &r.name))?;
            let mut removed = Vec::new();
            let mut invalid = Vec::new();
            for l in &labels {
                if db::remove_label(tx, &r.path, l, version)? {
                    removed.push(*l);
                } else {
                    invalid.push(*l);
                }
            }
            Ok((removed, invalid))
        })?;
        if !removed.is_empty() {
            self.audit("UnlabelParameterVersion", &arn)?;
        }
        Ok(json!({"RemovedLabels": removed, "InvalidLabels": invalid}))
    }

    // ---- tags ----------------------------------------------------------------------------

    /// `ResourceType` (only `Parameter`) and `ResourceId` (a parameter name or ARN).
    fn tag_target(&self) -> R<NameRef> {
        let ty = self.input.required_str("ResourceType", "resourceType")?;
        if ty != "Parameter" {
            return Err(ServiceError::client(
                "InvalidResourceType",
                format!("resource type `{ty}` is not served: mudroom's Systems Manager tags parameters only"),
            )
            .into());
        }
        let id = self.input.required_str("ResourceId", "resourceId")?;
        self.scope
            .reference(id, false)
            .map_err(|_| invalid_resource_id())
    }

    fn add_tags(&self) -> R<Value> {
        let r = self.tag_target()?;
        let tags = self.input.tags("Tags")?.ok_or_else(|| not_null("tags"))?;
        let arn = self.scope.arn(&r.path);
        let existing = self.read(|c| Ok(db::tags(c, &r.path)?))?;
        let mut ctx = request_tag_context(&tags);
        ctx.extend(resource_tag_context(&existing));
        self.authorize("AddTagsToResource", &arn, ctx)?;
        self.ssm.store.with_tx(|tx| -> R<()> {
            db::param(tx, &r.path)?.ok_or_else(invalid_resource_id)?;
            let current = db::tags(tx, &r.path)?;
            let new_keys = tags
                .iter()
                .filter(|(k, _)| !current.iter().any(|(c, _)| c == k))
                .count();
            if current.len() + new_keys > MAX_TAGS {
                return Err(too_many_tags());
            }
            db::put_tags(tx, &r.path, &tags)?;
            Ok(())
        })?;
        self.audit("AddTagsToResource", &arn)?;
        Ok(json!({}))
    }

    fn remove_tags(&self) -> R<Value> {
        let r = self.tag_target()?;
        let keys: Vec<String> = self
            .input
            .strings("TagKeys")?
            .ok_or_else(|| not_null("tagKeys"))?
            .into_iter()
            .map(str::to_string)
            .collect();
        let arn = self.scope.arn(&r.path);
        let existing = self.read(|c| Ok(db::tags(c, &r.path)?))?;
        let mut ctx = vec![("aws:TagKeys".to_string(), keys.clone())];
        ctx.extend(resource_tag_context(&existing));
        self.authorize("RemoveTagsFromResource", &arn, ctx)?;
        self.ssm.store.with_tx(|tx| -> R<()> {
            db::param(tx, &r.path)?.ok_or_else(invalid_resource_id)?;
            db::remove_tags(tx, &r.path, &keys)?;
            Ok(())
        })?;
        self.audit("RemoveTagsFromResource", &arn)?;
        Ok(json!({}))
    }

    fn list_tags(&self) -> R<Value> {
        let r = self.tag_target()?;
        self.authorize_on("ListTagsForResource", &r.path)?;
        let tags = self.read(|c| {
            db::param(c, &r.path)?.ok_or_else(invalid_resource_id)?;
            Ok(db::tags(c, &r.path)?)
        })?;
        let list: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        Ok(json!({"TagList": list}))
    }
}

fn too_many_tags() -> Fail {
    ServiceError::client(
        "TooManyTagsError",
        format!("A parameter can have at most {MAX_TAGS} tags."),
    )
    .into()
}

/// A checked `PutParameter`. Holds the value: never printed.
struct PutRequest<'a> {
    r: &'a NameRef,
    arn: &'a str,
    value: &'a str,
    ty: Option<&'a str>,
    tier: Option<&'a str>,
    overwrite: bool,
    description: Option<&'a str>,
    pattern: Option<&'a str>,
    key_id: Option<String>,
    tags: &'a [(String, String)],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let t = encode_token("path", "/app/db");
        assert_eq!(
            decode_token("path", Some(&t)).unwrap().as_deref(),
            Some("/app/db")
        );
        assert_eq!(decode_token("path", None).unwrap(), None);
        assert_eq!(
            decode_token("describe", Some(&t)).unwrap_err().code,
            "InvalidNextToken"
        );
        assert_eq!(
            decode_token("path", Some("!!")).unwrap_err().code,
            "InvalidNextToken"
        );
    }

    #[test]
    fn patterns_match_whole_values_and_cannot_escape_anchors() {
        let re = compile_pattern(r"\d+").unwrap();
        assert!(re.is_match("123"));
        assert!(!re.is_match("a123"));
        assert!(!re.is_match("123a"));
        let re = compile_pattern("^[a-z]+$").unwrap();
        assert!(re.is_match("abc"));
        assert!(compile_pattern("a)|(b").is_err());
        assert!(compile_pattern("(").is_err());
        let e = compile_pattern("x{99999}{99999}").unwrap_err();
        assert_eq!(e.code, "InvalidAllowedPatternException");
    }

    fn param(path: &str) -> Param {
        Param {
            path: path.into(),
            name: path.into(),
            arn: format!("arn:aws:ssm:us-east-1:000000000000:parameter{path}"),
            latest: 1,
        }
    }

    fn version(ty: &str) -> Version {
        Version {
            version: 1,
            ty: ty.into(),
            data_type: "text".into(),
            tier: "Standard".into(),
            description: None,
            allowed_pattern: None,
            key_id: None,
            modified_ms: 0,
            modified_user: String::new(),
        }
    }

    #[test]
    fn filters_match() {
        let f = |key: &str, option: &str, values: &[&str]| Filter {
            key: key.into(),
            option: option.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        let p = param("/app/db/password");
        let v = version("SecureString");
        let tags = vec![("team".to_string(), "payments".to_string())];
        assert!(f("Name", "BeginsWith", &["/app/db"]).matches(&p, &v, &tags));
        assert!(f("Name", "BeginsWith", &["app/"]).matches(&p, &v, &tags));
        assert!(!f("Name", "Equals", &["/app/db"]).matches(&p, &v, &tags));
        assert!(f("Name", "Contains", &["db/pass"]).matches(&p, &v, &tags));
        assert!(f("Type", "Equals", &["SecureString"]).matches(&p, &v, &tags));
        assert!(!f("Type", "Equals", &["String"]).matches(&p, &v, &tags));
        assert!(f("Path", "Recursive", &["/app"]).matches(&p, &v, &tags));
        assert!(!f("Path", "OneLevel", &["/app"]).matches(&p, &v, &tags));
        assert!(f("Path", "OneLevel", &["/app/db"]).matches(&p, &v, &tags));
        assert!(f("tag:team", "Equals", &[]).matches(&p, &v, &tags));
        assert!(f("tag:team", "BeginsWith", &["pay"]).matches(&p, &v, &tags));
        assert!(!f("tag:team", "Equals", &["pay"]).matches(&p, &v, &tags));
        assert!(!f("tag:owner", "Equals", &[]).matches(&p, &v, &tags));
        let flat = param("/flat");
        assert!(f("Name", "Equals", &["flat"]).matches(&flat, &v, &tags));
    }
}
