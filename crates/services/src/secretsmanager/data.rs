//! Where secrets live: metadata (names, descriptions, tags, staging labels, dates, policies) in
//! the store's tables of component `secretsmanager`, values only in the vault, sealed per
//! version under the secret's ARN and the version id. The API and `mudroom secrets put` both
//! go through [`Secrets`].
//!
//! Times are unix milliseconds; every function that needs the time takes it, so tests can run
//! a recovery window out without waiting.

use std::collections::HashMap;
use std::sync::Arc;

use mudroom_store::rusqlite::{self, Connection, OptionalExtension, params};
use mudroom_store::{Store, StoreError};
use mudroom_vault::{SecretBytes, Vault, VaultError};
use zeroize::Zeroizing;

use crate::error::ServiceError;
use crate::random::random_bytes;

const MIGRATIONS: &[&str] = &["
    CREATE TABLE sm_secrets (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        kms_key_id TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        policy TEXT,
        created_ms INTEGER NOT NULL,
        changed_ms INTEGER NOT NULL,
        accessed_ms INTEGER,
        deleted_ms INTEGER,
        purge_ms INTEGER
    ) STRICT;
    CREATE INDEX sm_secrets_purge ON sm_secrets(purge_ms) WHERE purge_ms IS NOT NULL;
    CREATE TABLE sm_versions (
        arn TEXT NOT NULL REFERENCES sm_secrets(arn) ON DELETE CASCADE,
        version_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('string', 'binary')),
        created_ms INTEGER NOT NULL,
        accessed_ms INTEGER,
        PRIMARY KEY (arn, version_id)
    ) STRICT;
    CREATE TABLE sm_stages (
        arn TEXT NOT NULL,
        stage TEXT NOT NULL,
        version_id TEXT NOT NULL,
        PRIMARY KEY (arn, stage),
        FOREIGN KEY (arn, version_id) REFERENCES sm_versions(arn, version_id) ON DELETE CASCADE
    ) STRICT;
"];

/// The staging label of the version callers get by default.
pub const CURRENT: &str = "AWSCURRENT";
/// The staging label AWSCURRENT leaves behind when it moves.
pub const PREVIOUS: &str = "AWSPREVIOUS";
/// Largest secret value, in bytes (string or binary).
pub const MAX_VALUE_BYTES: usize = 65_536;
/// Longest secret name, in characters.
pub const MAX_NAME_CHARS: usize = 512;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_048;
/// Most tags on one secret.
pub const MAX_TAGS: usize = 50;
/// Most versions one secret keeps; older versions without staging labels make room.
pub const MAX_VERSIONS: usize = 100;
/// Most staging labels on one version.
pub const MAX_STAGES_PER_VERSION: usize = 20;
/// A version without labels younger than this is never removed to make room.
const KEEP_DEPRECATED_MS: i64 = 24 * 3_600 * 1_000;
/// One day, for `LastAccessedDate` (AWS keeps only the date).
pub const DAY_MS: i64 = 86_400_000;

/// Errors of the secrets layer, already in AWS's terms where a client caused them.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query failed.
    #[error("secrets database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The client's request was refused.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl SecretsError {
    /// The error to answer the client. Internal failures are written to stderr (they name
    /// ARNs and versions, never values) and answered without detail.
    pub fn into_service(self) -> ServiceError {
        match self {
            SecretsError::Service(e) => e,
            SecretsError::Vault(VaultError::Decrypt { .. }) => {
                eprintln!("secretsmanager: {self}");
                ServiceError::client(
                    "DecryptionFailure",
                    "the secret value could not be decrypted: its sealed data was altered or does not belong to this vault",
                )
            }
            other => {
                eprintln!("secretsmanager: {other}");
                ServiceError::internal("the request could not be completed")
            }
        }
    }
}

/// A secret value: text (`SecretString`) or bytes (`SecretBinary`). Wiped from memory when
/// dropped; `Debug` prints only its kind and length.
pub enum SecretValue {
    /// `SecretString`.
    Text(Zeroizing<String>),
    /// `SecretBinary`.
    Binary(Zeroizing<Vec<u8>>),
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretValue({}, {} bytes)",
            self.kind(),
            self.bytes().len()
        )
    }
}

impl SecretValue {
    /// Text when `bytes` are UTF-8, else binary: how `mudroom secrets put` stores input.
    pub fn from_bytes(bytes: Zeroizing<Vec<u8>>) -> Self {
        match std::str::from_utf8(&bytes) {
            Ok(text) => SecretValue::Text(Zeroizing::new(text.to_owned())),
            Err(_) => SecretValue::Binary(bytes),
        }
    }

    /// `string` or `binary`, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretValue::Text(_) => "string",
            SecretValue::Binary(_) => "binary",
        }
    }

    /// The bytes sealed in the vault.
    pub fn bytes(&self) -> &[u8] {
        match self {
            SecretValue::Text(t) => t.as_bytes(),
            SecretValue::Binary(b) => b,
        }
    }

    fn from_stored(kind: &str, bytes: &SecretBytes) -> Option<Self> {
        match kind {
            "string" => std::str::from_utf8(bytes.expose())
                .ok()
                .map(|t| SecretValue::Text(Zeroizing::new(t.to_owned()))),
            "binary" => Some(SecretValue::Binary(Zeroizing::new(bytes.expose().to_vec()))),
            _ => None,
        }
    }

    /// Same kind and same bytes, compared in constant time.
    pub fn same_as(&self, other: &SecretValue) -> bool {
        use subtle::ConstantTimeEq as _;
        self.kind() == other.kind() && bool::from(self.bytes().ct_eq(other.bytes()))
    }

    /// Checks AWS's size limits: 1 to 65,536 bytes.
    pub fn check_size(&self) -> Result<(), ServiceError> {
        let n = self.bytes().len();
        if n == 0 {
            return Err(invalid_parameter("the secret value must not be empty"));
        }
        if n > MAX_VALUE_BYTES {
            return Err(invalid_parameter(format!(
                "the secret value is {n} bytes; the largest allowed is {MAX_VALUE_BYTES} bytes"
            )));
        }
        Ok(())
    }
}

/// A secret's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRow {
    /// `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`.
    pub arn: String,
    /// The name.
    pub name: String,
    /// The description, when one was given.
    pub description: Option<String>,
    /// The KMS key id given at creation or update (recorded, not used: the vault encrypts).
    pub kms_key_id: Option<String>,
    /// Tags, in the order they were added.
    pub tags: Vec<(String, String)>,
    /// The resource policy document.
    pub policy: Option<String>,
    /// Creation time.
    pub created_ms: i64,
    /// Last change of any kind.
    pub changed_ms: i64,
    /// The day (midnight UTC) a value was last read.
    pub accessed_ms: Option<i64>,
    /// When it was scheduled for deletion.
    pub deleted_ms: Option<i64>,
    /// When it is purged for good.
    pub purge_ms: Option<i64>,
    /// Labeled versions and their labels, by version id.
    pub stages: Vec<(String, Vec<String>)>,
}

impl SecretRow {
    /// Scheduled for deletion.
    pub fn is_deleted(&self) -> bool {
        self.deleted_ms.is_some()
    }

    /// The version that carries `stage`.
    pub fn version_with(&self, stage: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|(_, labels)| labels.iter().any(|l| l == stage))
            .map(|(v, _)| v.as_str())
    }

    /// The labels of `version` (empty for a deprecated or unknown version).
    pub fn stages_of(&self, version: &str) -> Vec<String> {
        self.stages
            .iter()
            .find(|(v, _)| v == version)
            .map(|(_, labels)| labels.clone())
            .unwrap_or_default()
    }
}

const SECRET_COLUMNS: &str = "arn, name, description, kms_key_id, tags, policy, created_ms, changed_ms, accessed_ms, deleted_ms, purge_ms";

fn secret_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SecretRow> {
    Ok(SecretRow {
        arn: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        kms_key_id: r.get(3)?,
        tags: tags_from_json(&r.get::<_, String>(4)?),
        policy: r.get(5)?,
        created_ms: r.get(6)?,
        changed_ms: r.get(7)?,
        accessed_ms: r.get(8)?,
        deleted_ms: r.get(9)?,
        purge_ms: r.get(10)?,
        stages: Vec::new(),
    })
}

fn tags_from_json(text: &str) -> Vec<(String, String)> {
    serde_json::from_str(text).unwrap_or_default()
}

fn tags_to_json(tags: &[(String, String)]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_string())
}

/// One version's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRow {
    /// The version id.
    pub version_id: String,
    /// `string` or `binary`.
    pub kind: String,
    /// Creation time.
    pub created_ms: i64,
    /// The day a value was last read.
    pub accessed_ms: Option<i64>,
    /// Its staging labels (none: deprecated).
    pub stages: Vec<String>,
}

/// A secret to create.
#[derive(Debug)]
pub struct NewSecret<'a> {
    /// Its ARN (see [`Secrets::new_arn`]).
    pub arn: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Description.
    pub description: Option<&'a str>,
    /// KMS key id (recorded only).
    pub kms_key_id: Option<&'a str>,
    /// Tags.
    pub tags: &'a [(String, String)],
    /// The first version: its id and value; it gets AWSCURRENT.
    pub value: Option<(&'a str, &'a SecretValue)>,
}

/// A version to add.
#[derive(Debug)]
pub struct NewVersion<'a> {
    /// The version id (the client request token).
    pub version_id: &'a str,
    /// The value.
    pub value: &'a SecretValue,
    /// Labels to move to it; the first version always gets AWSCURRENT too.
    pub stages: &'a [String],
}

/// A metadata change: `None` leaves a field as it is.
#[derive(Debug, Default, Clone, Copy)]
pub struct Change<'a> {
    /// New description.
    pub description: Option<&'a str>,
    /// New KMS key id.
    pub kms_key_id: Option<&'a str>,
}

/// What adding a version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// The version id.
    pub version_id: String,
    /// Its labels now.
    pub stages: Vec<String>,
    /// False when the version existed with the same value (an idempotent retry).
    pub created: bool,
}

/// What [`Secrets::put_by_name`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upserted {
    /// The secret's ARN.
    pub arn: String,
    /// The new version.
    pub version_id: String,
    /// True when the secret was created, false when a version was added.
    pub created: bool,
}

/// `InvalidParameterException`.
pub fn invalid_parameter(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidParameterException", message)
}

/// `InvalidRequestException`.
pub fn invalid_request(message: impl Into<String>) -> ServiceError {
    ServiceError::client("InvalidRequestException", message)
}

/// AWS's answer for a secret that does not exist.
pub fn not_found() -> ServiceError {
    ServiceError::client(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
    )
}

/// AWS's answer for a secret scheduled for deletion.
pub fn marked_for_deletion() -> ServiceError {
    invalid_request(
        "You can't perform this operation on the secret because it was marked for deletion.",
    )
}

fn exists_error(name: &str) -> ServiceError {
    ServiceError::client(
        "ResourceExistsException",
        format!("The operation failed because the secret {name} already exists."),
    )
}

/// Checks a secret name: 1 to 512 characters of `[A-Za-z0-9/_+=.@-]`.
pub fn check_name(name: &str) -> Result<(), ServiceError> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(invalid_parameter(format!(
            "invalid name `{name}`: a secret name has 1 to {MAX_NAME_CHARS} characters of letters, digits and /_+=.@-"
        )))
    }
}

/// Checks a description's length.
pub fn check_description(description: &str) -> Result<(), ServiceError> {
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid_parameter(format!(
            "the description is longer than {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(())
}

/// Unix milliseconds of `t`.
pub fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    unix_ms(time::OffsetDateTime::now_utc())
}

/// A random version id shaped like AWS's (a UUID v4).
pub fn new_version_id() -> Result<String, ServiceError> {
    let u: [u8; 16] = random_bytes(16)?
        .try_into()
        .map_err(|_| ServiceError::internal("the system's random source failed"))?;
    let [
        b0,
        b1,
        b2,
        b3,
        b4,
        b5,
        b6,
        b7,
        b8,
        b9,
        b10,
        b11,
        b12,
        b13,
        b14,
        b15,
    ] = u;
    Ok(format!(
        "{b0:02x}{b1:02x}{b2:02x}{b3:02x}-{b4:02x}{b5:02x}-{:02x}{b7:02x}-{:02x}{b9:02x}-{b10:02x}{b11:02x}{b12:02x}{b13:02x}{b14:02x}{b15:02x}",
        (b6 & 0x0f) | 0x40,
        (b8 & 0x3f) | 0x80,
    ))
}

/// AWS's 6-character suffix: letters and digits, uniformly drawn.
fn arn_suffix() -> Result<String, ServiceError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(6);
    while out.len() < 6 {
        for b in random_bytes(16)? {
            if usize::from(b) < limit
                && out.len() < 6
                && let Some(c) = ALPHABET.get(usize::from(b) % ALPHABET.len())
            {
                out.push(char::from(*c));
            }
        }
    }
    Ok(out)
}

/// The secrets of one account and region.
#[derive(Clone)]
pub struct Secrets {
    store: Store,
    vault: Arc<Vault>,
    account: String,
    region: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("account", &self.account)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// Opens the secrets layer on `store` (applying its migrations) with `vault` for values.
    pub fn open(
        store: Store,
        vault: Arc<Vault>,
        account: &str,
        region: &str,
    ) -> Result<Self, SecretsError> {
        store.migrate("secretsmanager", MIGRATIONS)?;
        Ok(Self {
            store,
            vault,
            account: account.to_string(),
            region: region.to_string(),
        })
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// `arn:aws:secretsmanager:REGION:ACCOUNT:secret:`.
    pub fn arn_prefix(&self) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:",
            self.region, self.account
        )
    }

    /// A fresh ARN for a secret named `name`, with AWS's random suffix.
    pub fn new_arn(&self, name: &str) -> Result<String, ServiceError> {
        Ok(format!("{}{name}-{}", self.arn_prefix(), arn_suffix()?))
    }

    /// The ARN a policy sees for a secret id that names no secret: the ARN as given, or the
    /// partial ARN of a name.
    pub fn guess_arn(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_string()
        } else {
            format!("{}{id}", self.arn_prefix())
        }
    }

    /// Finds a secret by name, full ARN, or partial ARN (the ARN without its suffix).
    pub fn resolve(&self, id: &str) -> Result<Option<SecretRow>, SecretsError> {
        let prefix = self.arn_prefix();
        self.store.read(|c| -> Result<_, SecretsError> {
            let by = |column: &str, value: &str| {
                c.query_row(
                    &format!("SELECT {SECRET_COLUMNS} FROM sm_secrets WHERE {column} = ?1"),
                    [value],
                    secret_from_row,
                )
                .optional()
            };
            let row = if id.starts_with("arn:") {
                match by("arn", id)? {
                    Some(row) => Some(row),
                    None => match id.strip_prefix(&prefix) {
                        Some(name) if !name.is_empty() => by("name", name)?,
                        _ => None,
                    },
                }
            } else {
                by("name", id)?
            };
            match row {
                Some(mut row) => {
                    row.stages = stages_of(c, &row.arn)?;
                    Ok(Some(row))
                }
                None => Ok(None),
            }
        })
    }

    /// Every secret, scheduled for deletion or not, in creation order.
    pub fn list_all(&self) -> Result<Vec<SecretRow>, SecretsError> {
        self.store.read(|c| -> Result<_, SecretsError> {
            let mut stmt = c.prepare(&format!(
                "SELECT {SECRET_COLUMNS} FROM sm_secrets ORDER BY created_ms, rowid"
            ))?;
            let mut rows = stmt
                .query_map([], secret_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut stmt = c.prepare(
                "SELECT arn, version_id, stage FROM sm_stages ORDER BY arn, version_id, stage",
            )?;
            let mut by_arn: HashMap<String, Vec<(String, Vec<String>)>> = HashMap::new();
            let labels = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for label in labels {
                let (arn, version, stage) = label?;
                push_stage(by_arn.entry(arn).or_default(), version, stage);
            }
            for row in &mut rows {
                row.stages = by_arn.remove(&row.arn).unwrap_or_default();
            }
            Ok(rows)
        })
    }

    /// The versions of a secret, newest first.
    pub fn versions(&self, arn: &str) -> Result<Vec<VersionRow>, SecretsError> {
        self.store.read(|c| -> Result<_, SecretsError> {
            let stages = stages_of(c, arn)?;
            let mut stmt = c.prepare(
                "SELECT version_id, kind, created_ms, accessed_ms FROM sm_versions WHERE arn = ?1 ORDER BY created_ms DESC, version_id",
            )?;
            let rows = stmt
                .query_map([arn], |r| {
                    Ok(VersionRow {
                        version_id: r.get(0)?,
                        kind: r.get(1)?,
                        created_ms: r.get(2)?,
                        accessed_ms: r.get(3)?,
                        stages: Vec::new(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .map(|mut v| {
                    v.stages = stages
                        .iter()
                        .find(|(id, _)| *id == v.version_id)
                        .map(|(_, s)| s.clone())
                        .unwrap_or_default();
                    v
                })
                .collect())
        })
    }

    /// One version's metadata.
    pub fn version(&self, arn: &str, version_id: &str) -> Result<Option<VersionRow>, SecretsError> {
        Ok(self
            .versions(arn)?
            .into_iter()
            .find(|v| v.version_id == version_id))
    }

    /// Decrypts one version's value.
    pub fn value(&self, arn: &str, version_id: &str) -> Result<SecretValue, SecretsError> {
        let kind: Option<String> = self.store.read(|c| -> Result<_, SecretsError> {
            Ok(c.query_row(
                "SELECT kind FROM sm_versions WHERE arn = ?1 AND version_id = ?2",
                [arn, version_id],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        let missing = || {
            SecretsError::Service(ServiceError::internal(
                "a version of the secret has no sealed value",
            ))
        };
        let kind = kind.ok_or_else(missing)?;
        let sealed = self
            .vault
            .get_version(arn, version_id)?
            .ok_or_else(missing)?;
        SecretValue::from_stored(&kind, &sealed).ok_or_else(missing)
    }

    /// Records that `version_id` was read on the day of `now` (one write per secret and day).
    pub fn touch(&self, row: &SecretRow, version_id: &str, now: i64) -> Result<(), SecretsError> {
        let day = now - now.rem_euclid(DAY_MS);
        if row.accessed_ms == Some(day) {
            return Ok(());
        }
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            tx.execute(
                "UPDATE sm_secrets SET accessed_ms = ?2 WHERE arn = ?1",
                params![row.arn, day],
            )?;
            tx.execute(
                "UPDATE sm_versions SET accessed_ms = ?3 WHERE arn = ?1 AND version_id = ?2",
                params![row.arn, version_id, day],
            )?;
            Ok(())
        })
    }

    /// Creates a secret. Refuses a name in use, also by a secret scheduled for deletion.
    pub fn create(&self, new: &NewSecret<'_>, now: i64) -> Result<(), SecretsError> {
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            let existing: Option<Option<i64>> = tx
                .query_row(
                    "SELECT deleted_ms FROM sm_secrets WHERE name = ?1",
                    [new.name],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(Some(_)) => {
                    return Err(invalid_request(
                        "You can't create this secret because a secret with this name is already scheduled for deletion.",
                    )
                    .into());
                }
                Some(None) => return Err(exists_error(new.name).into()),
                None => {}
            }
            tx.execute(
                "INSERT INTO sm_secrets (arn, name, description, kms_key_id, tags, created_ms, changed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    new.arn,
                    new.name,
                    new.description,
                    new.kms_key_id,
                    tags_to_json(new.tags),
                    now
                ],
            )?;
            if let Some((version_id, value)) = new.value {
                self.insert_version(tx, new.arn, version_id, value, now)?;
                move_stage(tx, new.arn, CURRENT, version_id)?;
            }
            Ok(())
        })
    }

    /// Changes metadata and/or adds a version. A version id that exists with the same value is
    /// an idempotent retry; with another value it is refused.
    pub fn update(
        &self,
        arn: &str,
        change: Change<'_>,
        version: Option<&NewVersion<'_>>,
        now: i64,
    ) -> Result<Option<PutOutcome>, SecretsError> {
        self.store.with_tx(|tx| -> Result<_, SecretsError> {
            live(tx, arn)?;
            let mut changed = false;
            let outcome = match version {
                Some(v) => {
                    let outcome = self.put_in(tx, arn, v, now)?;
                    changed |= outcome.created;
                    Some(outcome)
                }
                None => None,
            };
            if let Some(d) = change.description {
                tx.execute(
                    "UPDATE sm_secrets SET description = ?2 WHERE arn = ?1",
                    params![arn, d],
                )?;
                changed = true;
            }
            if let Some(k) = change.kms_key_id {
                tx.execute(
                    "UPDATE sm_secrets SET kms_key_id = ?2 WHERE arn = ?1",
                    params![arn, k],
                )?;
                changed = true;
            }
            if changed {
                set_changed(tx, arn, now)?;
            }
            Ok(outcome)
        })
    }

    fn put_in(
        &self,
        tx: &Connection,
        arn: &str,
        v: &NewVersion<'_>,
        now: i64,
    ) -> Result<PutOutcome, SecretsError> {
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM sm_versions WHERE arn = ?1 AND version_id = ?2)",
            [arn, v.version_id],
            |r| r.get(0),
        )?;
        if exists {
            let stored = self.value(arn, v.version_id)?;
            if !stored.same_as(v.value) {
                return Err(ServiceError::client(
                    "ResourceExistsException",
                    "You can't modify an existing version, you can only create a new version.",
                )
                .into());
            }
            return Ok(PutOutcome {
                version_id: v.version_id.to_string(),
                stages: stages_of(tx, arn)?
                    .into_iter()
                    .find(|(id, _)| id == v.version_id)
                    .map(|(_, s)| s)
                    .unwrap_or_default(),
                created: false,
            });
        }
        make_room(tx, arn, now)?;
        self.insert_version(tx, arn, v.version_id, v.value, now)?;
        let mut stages: Vec<&str> = v.stages.iter().map(String::as_str).collect();
        let has_current: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM sm_stages WHERE arn = ?1 AND stage = ?2)",
            [arn, CURRENT],
            |r| r.get(0),
        )?;
        if !has_current && !stages.contains(&CURRENT) {
            stages.push(CURRENT);
        }
        let explicit_previous = stages.contains(&PREVIOUS);
        for stage in &stages {
            let before = move_stage(tx, arn, stage, v.version_id)?;
            if *stage == CURRENT
                && !explicit_previous
                && let Some(before) = before
            {
                move_stage(tx, arn, PREVIOUS, &before)?;
            }
        }
        check_stage_counts(tx, arn)?;
        let mut labels = stages_of(tx, arn)?
            .into_iter()
            .find(|(id, _)| id == v.version_id)
            .map(|(_, s)| s)
            .unwrap_or_default();
        labels.sort();
        Ok(PutOutcome {
            version_id: v.version_id.to_string(),
            stages: labels,
            created: true,
        })
    }

    fn insert_version(
        &self,
        tx: &Connection,
        arn: &str,
        version_id: &str,
        value: &SecretValue,
        now: i64,
    ) -> Result<(), SecretsError> {
        value.check_size()?;
        tx.execute(
            "INSERT INTO sm_versions (arn, version_id, kind, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![arn, version_id, value.kind(), now],
        )?;
        self.vault
            .put_version_in(tx, arn, version_id, value.bytes())?;
        Ok(())
    }

    /// Moves, adds or removes a staging label (UpdateSecretVersionStage).
    pub fn update_stage(
        &self,
        arn: &str,
        stage: &str,
        remove_from: Option<&str>,
        move_to: Option<&str>,
        now: i64,
    ) -> Result<(), SecretsError> {
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            live(tx, arn)?;
            let holder: Option<String> = tx
                .query_row(
                    "SELECT version_id FROM sm_stages WHERE arn = ?1 AND stage = ?2",
                    [arn, stage],
                    |r| r.get(0),
                )
                .optional()?;
            let version_exists = |v: &str| -> Result<bool, SecretsError> {
                Ok(tx.query_row(
                    "SELECT EXISTS(SELECT 1 FROM sm_versions WHERE arn = ?1 AND version_id = ?2)",
                    [arn, v],
                    |r| r.get(0),
                )?)
            };
            if let Some(r) = remove_from
                && holder.as_deref() != Some(r)
            {
                return Err(invalid_parameter(format!(
                    "the staging label `{stage}` is not attached to version `{r}`"
                ))
                .into());
            }
            match move_to {
                Some(to) => {
                    if !version_exists(to)? {
                        return Err(ServiceError::client(
                            "ResourceNotFoundException",
                            format!("Secrets Manager can't find the specified secret version: {to}"),
                        )
                        .into());
                    }
                    if let Some(h) = &holder
                        && h != to
                        && remove_from.is_none()
                    {
                        return Err(invalid_parameter(format!(
                            "the staging label `{stage}` is attached to version `{h}`: name that version in RemoveFromVersionId to move the label"
                        ))
                        .into());
                    }
                    let before = move_stage(tx, arn, stage, to)?;
                    if stage == CURRENT
                        && let Some(before) = before
                    {
                        move_stage(tx, arn, PREVIOUS, &before)?;
                    }
                    check_stage_counts(tx, arn)?;
                }
                None => {
                    if remove_from.is_none() {
                        return Err(invalid_parameter(
                            "give RemoveFromVersionId, MoveToVersionId or both",
                        )
                        .into());
                    }
                    if stage == CURRENT {
                        return Err(invalid_parameter(
                            "the staging label `AWSCURRENT` cannot be removed, only moved to another version with MoveToVersionId",
                        )
                        .into());
                    }
                    tx.execute(
                        "DELETE FROM sm_stages WHERE arn = ?1 AND stage = ?2",
                        [arn, stage],
                    )?;
                }
            }
            set_changed(tx, arn, now)?;
            Ok(())
        })
    }

    /// Adds tags (replacing the values of keys it has) and removes the keys in `remove`.
    pub fn tag(
        &self,
        arn: &str,
        add: &[(String, String)],
        remove: &[String],
        now: i64,
    ) -> Result<(), SecretsError> {
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            live(tx, arn)?;
            let text: String =
                tx.query_row("SELECT tags FROM sm_secrets WHERE arn = ?1", [arn], |r| {
                    r.get(0)
                })?;
            let mut tags = tags_from_json(&text);
            tags.retain(|(k, _)| !remove.contains(k));
            for (k, v) in add {
                match tags.iter_mut().find(|(t, _)| t == k) {
                    Some(slot) => slot.1.clone_from(v),
                    None => tags.push((k.clone(), v.clone())),
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(invalid_parameter(format!(
                    "a secret can have at most {MAX_TAGS} tags; this change would give it {}",
                    tags.len()
                ))
                .into());
            }
            tx.execute(
                "UPDATE sm_secrets SET tags = ?2, changed_ms = ?3 WHERE arn = ?1",
                params![arn, tags_to_json(&tags), now],
            )?;
            Ok(())
        })
    }

    /// Sets or removes the resource policy (already validated by the caller).
    pub fn set_policy(
        &self,
        arn: &str,
        policy: Option<&str>,
        now: i64,
    ) -> Result<(), SecretsError> {
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            live(tx, arn)?;
            tx.execute(
                "UPDATE sm_secrets SET policy = ?2, changed_ms = ?3 WHERE arn = ?1",
                params![arn, policy, now],
            )?;
            Ok(())
        })
    }

    /// Schedules deletion at `purge_ms`; until then the secret can be restored.
    pub fn schedule_deletion(
        &self,
        arn: &str,
        purge_ms: i64,
        now: i64,
    ) -> Result<(), SecretsError> {
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            live(tx, arn)?;
            tx.execute(
                "UPDATE sm_secrets SET deleted_ms = ?2, purge_ms = ?3, changed_ms = ?2 WHERE arn = ?1",
                params![arn, now, purge_ms],
            )?;
            Ok(())
        })
    }

    /// Cancels a scheduled deletion (a secret not scheduled stays as it is).
    pub fn restore(&self, arn: &str, now: i64) -> Result<(), SecretsError> {
        self.store.with_tx(|tx| -> Result<(), SecretsError> {
            let n = tx.execute(
                "UPDATE sm_secrets SET deleted_ms = NULL, purge_ms = NULL, changed_ms = ?2 WHERE arn = ?1 AND deleted_ms IS NOT NULL",
                params![arn, now],
            )?;
            if n == 0 && !exists(tx, arn)? {
                return Err(not_found().into());
            }
            Ok(())
        })
    }

    /// Deletes a secret, its versions and their sealed values, for good.
    pub fn purge(&self, arn: &str) -> Result<bool, SecretsError> {
        self.store
            .with_tx(|tx| -> Result<bool, SecretsError> { purge_in(tx, arn) })
    }

    /// Purges every secret whose recovery window ended at `now`; returns their ARNs. Reads
    /// first, so calls with nothing to purge do not write.
    pub fn purge_expired(&self, now: i64) -> Result<Vec<String>, SecretsError> {
        let due: bool = self.store.read(|c| -> Result<bool, SecretsError> {
            Ok(c.query_row(
                "SELECT EXISTS(SELECT 1 FROM sm_secrets WHERE purge_ms IS NOT NULL AND purge_ms <= ?1)",
                [now],
                |r| r.get(0),
            )?)
        })?;
        if !due {
            return Ok(Vec::new());
        }
        self.store
            .with_tx(|tx| -> Result<Vec<String>, SecretsError> {
                let arns: Vec<String> = {
                    let mut stmt = tx.prepare(
                        "SELECT arn FROM sm_secrets WHERE purge_ms IS NOT NULL AND purge_ms <= ?1",
                    )?;
                    stmt.query_map([now], |r| r.get(0))?
                        .collect::<Result<Vec<_>, _>>()?
                };
                for arn in &arns {
                    purge_in(tx, arn)?;
                }
                Ok(arns)
            })
    }

    /// Creates secret `name` with `value`, or adds `value` as its new AWSCURRENT version (the
    /// path of `mudroom secrets put`). `description`, when given, is set either way.
    pub fn put_by_name(
        &self,
        name: &str,
        value: &SecretValue,
        description: Option<&str>,
        now: i64,
    ) -> Result<Upserted, SecretsError> {
        check_name(name)?;
        if let Some(d) = description {
            check_description(d)?;
        }
        value.check_size()?;
        let version_id = new_version_id()?;
        let current = [CURRENT.to_string()];
        let add = |row: SecretRow| -> Result<Upserted, SecretsError> {
            if row.is_deleted() {
                return Err(marked_for_deletion().into());
            }
            let change = Change {
                description,
                kms_key_id: None,
            };
            let new = NewVersion {
                version_id: &version_id,
                value,
                stages: &current,
            };
            self.update(&row.arn, change, Some(&new), now)?;
            Ok(Upserted {
                arn: row.arn,
                version_id: version_id.clone(),
                created: false,
            })
        };
        if let Some(row) = self.resolve(name)?.filter(|r| r.name == name) {
            return add(row);
        }
        let arn = self.new_arn(name)?;
        let new = NewSecret {
            arn: &arn,
            name,
            description,
            kms_key_id: None,
            tags: &[],
            value: Some((&version_id, value)),
        };
        match self.create(&new, now) {
            Ok(()) => Ok(Upserted {
                arn,
                version_id,
                created: true,
            }),
            // Created by someone else meanwhile: add the version instead.
            Err(SecretsError::Service(e)) if e.code == "ResourceExistsException" => {
                match self.resolve(name)? {
                    Some(row) => add(row),
                    None => Err(not_found().into()),
                }
            }
            Err(e) => Err(e),
        }
    }
}

fn push_stage(list: &mut Vec<(String, Vec<String>)>, version: String, stage: String) {
    match list.iter_mut().find(|(v, _)| *v == version) {
        Some((_, stages)) => stages.push(stage),
        None => list.push((version, vec![stage])),
    }
}

fn stages_of(c: &Connection, arn: &str) -> rusqlite::Result<Vec<(String, Vec<String>)>> {
    let mut stmt = c.prepare(
        "SELECT version_id, stage FROM sm_stages WHERE arn = ?1 ORDER BY version_id, stage",
    )?;
    let mut out = Vec::new();
    let rows = stmt.query_map([arn], |r| Ok((r.get(0)?, r.get(1)?)))?;
    for row in rows {
        let (version, stage) = row?;
        push_stage(&mut out, version, stage);
    }
    Ok(out)
}

fn exists(tx: &Connection, arn: &str) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM sm_secrets WHERE arn = ?1)",
        [arn],
        |r| r.get(0),
    )
}

/// Fails unless the secret exists and is not scheduled for deletion.
fn live(tx: &Connection, arn: &str) -> Result<(), SecretsError> {
    let deleted: Option<Option<i64>> = tx
        .query_row(
            "SELECT deleted_ms FROM sm_secrets WHERE arn = ?1",
            [arn],
            |r| r.get(0),
        )
        .optional()?;
    match deleted {
        None => Err(not_found().into()),
        Some(Some(_)) => Err(marked_for_deletion().into()),
        Some(None) => Ok(()),
    }
}

fn set_changed(tx: &Connection, arn: &str, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE sm_secrets SET changed_ms = ?2 WHERE arn = ?1",
        params![arn, now],
    )?;
    Ok(())
}

/// Attaches `stage` to `version`; returns the version it left, if another.
fn move_stage(
    tx: &Connection,
    arn: &str,
    stage: &str,
    version: &str,
) -> rusqlite::Result<Option<String>> {
    let before: Option<String> = tx
        .query_row(
            "SELECT version_id FROM sm_stages WHERE arn = ?1 AND stage = ?2",
            [arn, stage],
            |r| r.get(0),
        )
        .optional()?;
    tx.execute(
        "INSERT INTO sm_stages (arn, stage, version_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (arn, stage) DO UPDATE SET version_id = excluded.version_id",
        [arn, stage, version],
    )?;
    Ok(before.filter(|b| b != version))
}

fn check_stage_counts(tx: &Connection, arn: &str) -> Result<(), SecretsError> {
    let most: i64 = tx.query_row(
        "SELECT COALESCE(MAX(n), 0) FROM (SELECT count(*) AS n FROM sm_stages WHERE arn = ?1 GROUP BY version_id)",
        [arn],
        |r| r.get(0),
    )?;
    if usize::try_from(most).unwrap_or(usize::MAX) > MAX_STAGES_PER_VERSION {
        return Err(ServiceError::client(
            "LimitExceededException",
            format!("a version can have at most {MAX_STAGES_PER_VERSION} staging labels"),
        )
        .into());
    }
    Ok(())
}

/// Before a new version: drops the oldest unlabeled versions older than a day while the secret
/// is at its version limit, and refuses when none can go.
fn make_room(tx: &Connection, arn: &str, now: i64) -> Result<(), SecretsError> {
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM sm_versions WHERE arn = ?1",
        [arn],
        |r| r.get(0),
    )?;
    let limit = i64::try_from(MAX_VERSIONS).unwrap_or(i64::MAX);
    if count < limit {
        return Ok(());
    }
    let victims: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT version_id FROM sm_versions v WHERE arn = ?1 AND created_ms < ?2
               AND NOT EXISTS (SELECT 1 FROM sm_stages s WHERE s.arn = v.arn AND s.version_id = v.version_id)
             ORDER BY created_ms, version_id LIMIT ?3",
        )?;
        stmt.query_map(
            params![arn, now - KEEP_DEPRECATED_MS, count - limit + 1],
            |r| r.get(0),
        )?
        .collect::<Result<Vec<_>, _>>()?
    };
    if i64::try_from(victims.len()).unwrap_or(0) < count - limit + 1 {
        return Err(ServiceError::client(
            "LimitExceededException",
            format!(
                "the secret has {count} versions, the most it can keep; versions without staging labels are removed once they are a day old"
            ),
        )
        .into());
    }
    for v in &victims {
        tx.execute(
            "DELETE FROM sm_versions WHERE arn = ?1 AND version_id = ?2",
            [arn, v],
        )?;
        tx.execute(
            "DELETE FROM vault_versions WHERE arn = ?1 AND version_id = ?2",
            [arn, v],
        )?;
    }
    Ok(())
}

fn purge_in(tx: &Connection, arn: &str) -> Result<bool, SecretsError> {
    tx.execute("DELETE FROM vault_versions WHERE arn = ?1", [arn])?;
    tx.execute("DELETE FROM sm_stages WHERE arn = ?1", [arn])?;
    Ok(tx.execute("DELETE FROM sm_secrets WHERE arn = ?1", [arn])? > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mudroom_vault::MasterKey;

    fn open() -> (tempfile::TempDir, Secrets, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let vault = Arc::new(Vault::open(&store, MasterKey::generate().unwrap()).unwrap());
        let s = Secrets::open(store.clone(), vault, "111122223333", "eu-west-1").unwrap();
        (dir, s, store)
    }

    fn text(v: &str) -> SecretValue {
        SecretValue::Text(Zeroizing::new(v.to_string()))
    }

    fn shown(v: &SecretValue) -> String {
        String::from_utf8(v.bytes().to_vec()).unwrap()
    }

    fn create(s: &Secrets, name: &str, value: Option<(&str, &SecretValue)>) -> String {
        let arn = s.new_arn(name).unwrap();
        s.create(
            &NewSecret {
                arn: &arn,
                name,
                description: None,
                kms_key_id: None,
                tags: &[],
                value,
            },
            1_000,
        )
        .unwrap();
        arn
    }

    #[test]
    fn arns_and_resolution() {
        let (_d, s, _) = open();
        let arn = create(&s, "app/db", None);
        let suffix = arn
            .strip_prefix("arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-")
            .unwrap();
        assert_eq!(suffix.len(), 6);
        assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(s.resolve("app/db").unwrap().unwrap().arn, arn);
        assert_eq!(s.resolve(&arn).unwrap().unwrap().arn, arn);
        let partial = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db";
        assert_eq!(s.resolve(partial).unwrap().unwrap().arn, arn);
        // Another region or account, or a name with a made-up suffix, is not this secret.
        assert!(
            s.resolve("arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db")
                .unwrap()
                .is_none()
        );
        assert!(s.resolve("app/db-AAAAAA").unwrap().is_none());
        assert!(s.resolve("app").unwrap().is_none());
        assert!(check_name("app/db+x=y.z@w_-").is_ok());
        assert!(check_name("has space").is_err());
        assert!(check_name("").is_err());
        assert!(check_name(&"a".repeat(513)).is_err());
        assert!(check_name(&"a".repeat(512)).is_ok());
        let v = new_version_id().unwrap();
        assert_eq!(v.len(), 36);
        assert_eq!(v.chars().nth(14), Some('4'));
    }

    #[test]
    fn versions_and_stages() {
        let (_d, s, _) = open();
        let v1 = "11111111-1111-4111-8111-111111111111";
        let v2 = "22222222-2222-4222-8222-222222222222";
        let v3 = "33333333-3333-4333-8333-333333333333";
        let arn = create(&s, "db", Some((v1, &text("one"))));
        let cur = [CURRENT.to_string()];
        let put = |v: &str, value: &str| {
            s.update(
                &arn,
                Change::default(),
                Some(&NewVersion {
                    version_id: v,
                    value: &text(value),
                    stages: &cur,
                }),
                2_000,
            )
        };
        let out = put(v2, "two").unwrap().unwrap();
        assert_eq!(out.stages, vec![CURRENT.to_string()]);
        assert!(out.created);
        let row = s.resolve("db").unwrap().unwrap();
        assert_eq!(row.version_with(CURRENT), Some(v2));
        assert_eq!(row.version_with(PREVIOUS), Some(v1));
        assert_eq!(row.changed_ms, 2_000);
        // Idempotent retry, then a conflicting reuse of the id.
        assert!(!put(v2, "two").unwrap().unwrap().created);
        let err = put(v2, "other").unwrap_err().into_service();
        assert_eq!(err.code, "ResourceExistsException");
        assert!(!err.message.contains("other"));
        put(v3, "three").unwrap();
        let row = s.resolve("db").unwrap().unwrap();
        assert_eq!(row.version_with(PREVIOUS), Some(v2));
        assert!(row.stages_of(v1).is_empty(), "v1 is deprecated now");
        assert_eq!(shown(&s.value(&arn, v1).unwrap()), "one");
        // Move AWSCURRENT back to v1: the holder must be named.
        let err = s
            .update_stage(&arn, CURRENT, None, Some(v1), 3_000)
            .unwrap_err();
        assert_eq!(err.into_service().code, "InvalidParameterException");
        s.update_stage(&arn, CURRENT, Some(v3), Some(v1), 3_000)
            .unwrap();
        let row = s.resolve("db").unwrap().unwrap();
        assert_eq!(row.version_with(CURRENT), Some(v1));
        assert_eq!(row.version_with(PREVIOUS), Some(v3));
        // Custom labels come and go; AWSCURRENT only moves.
        s.update_stage(&arn, "BLUE", None, Some(v2), 3_000).unwrap();
        assert_eq!(
            s.resolve("db").unwrap().unwrap().version_with("BLUE"),
            Some(v2)
        );
        s.update_stage(&arn, "BLUE", Some(v2), None, 3_000).unwrap();
        assert_eq!(s.resolve("db").unwrap().unwrap().version_with("BLUE"), None);
        assert!(
            s.update_stage(&arn, CURRENT, Some(v1), None, 3_000)
                .is_err()
        );
        let versions = s.versions(&arn).unwrap();
        assert_eq!(versions.len(), 3);
        assert_eq!(
            versions.iter().find(|v| v.version_id == v3).unwrap().stages,
            vec![PREVIOUS.to_string()]
        );
    }

    #[test]
    fn first_version_gets_current_whatever_the_labels() {
        let (_d, s, _) = open();
        let arn = create(&s, "empty", None);
        assert!(s.resolve("empty").unwrap().unwrap().stages.is_empty());
        let labels = ["CUSTOM".to_string()];
        let out = s
            .update(
                &arn,
                Change::default(),
                Some(&NewVersion {
                    version_id: "v-000000000000000000000000000000001",
                    value: &SecretValue::Binary(Zeroizing::new(vec![0, 159, 146, 150])),
                    stages: &labels,
                }),
                5,
            )
            .unwrap()
            .unwrap();
        assert_eq!(out.stages, vec![CURRENT.to_string(), "CUSTOM".to_string()]);
        let v = s
            .value(&arn, "v-000000000000000000000000000000001")
            .unwrap();
        assert_eq!(v.kind(), "binary");
        assert_eq!(v.bytes(), &[0, 159, 146, 150]);
    }

    #[test]
    fn deletion_window_restore_and_lazy_purge() {
        let (_d, s, store) = open();
        let arn = create(
            &s,
            "gone",
            Some(("11111111-1111-4111-8111-111111111111", &text("x"))),
        );
        s.schedule_deletion(&arn, 10_000, 1_000).unwrap();
        let err = s
            .tag(&arn, &[("a".into(), "b".into())], &[], 1_500)
            .unwrap_err();
        assert_eq!(err.into_service().message, marked_for_deletion().message);
        // The name stays taken while the secret can be restored.
        let again = s.new_arn("gone").unwrap();
        let err = s
            .create(
                &NewSecret {
                    arn: &again,
                    name: "gone",
                    description: None,
                    kms_key_id: None,
                    tags: &[],
                    value: None,
                },
                2_000,
            )
            .unwrap_err()
            .into_service();
        assert_eq!(err.code, "InvalidRequestException");
        s.restore(&arn, 2_000).unwrap();
        assert!(!s.resolve("gone").unwrap().unwrap().is_deleted());
        s.schedule_deletion(&arn, 10_000, 3_000).unwrap();
        assert!(s.purge_expired(9_999).unwrap().is_empty());
        assert_eq!(s.purge_expired(10_000).unwrap(), vec![arn.clone()]);
        assert!(s.resolve("gone").unwrap().is_none());
        let sealed: i64 = store
            .read(|c| -> Result<i64, SecretsError> {
                Ok(c.query_row(
                    "SELECT count(*) FROM vault_versions WHERE arn = ?1",
                    [&arn],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(sealed, 0, "purge removes the sealed values");
        // A new secret of that name gets a new ARN.
        let fresh = create(&s, "gone", None);
        assert_ne!(fresh, arn);
    }

    #[test]
    fn tags_merge_and_limit() {
        let (_d, s, _) = open();
        let arn = create(&s, "t", None);
        s.tag(
            &arn,
            &[("a".into(), "1".into()), ("b".into(), "2".into())],
            &[],
            1,
        )
        .unwrap();
        s.tag(&arn, &[("a".into(), "3".into())], &["b".into()], 2)
            .unwrap();
        assert_eq!(
            s.resolve("t").unwrap().unwrap().tags,
            vec![("a".to_string(), "3".to_string())]
        );
        let many: Vec<(String, String)> =
            (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        let err = s.tag(&arn, &many, &[], 3).unwrap_err().into_service();
        assert_eq!(err.code, "InvalidParameterException");
    }

    #[test]
    fn put_by_name_creates_then_adds_versions() {
        let (_d, s, _) = open();
        let first = s
            .put_by_name("cli/token", &text("a"), Some("from the cli"), 1)
            .unwrap();
        assert!(first.created);
        let second = s.put_by_name("cli/token", &text("b"), None, 2).unwrap();
        assert!(!second.created);
        assert_eq!(first.arn, second.arn);
        let row = s.resolve("cli/token").unwrap().unwrap();
        assert_eq!(row.description.as_deref(), Some("from the cli"));
        assert_eq!(row.version_with(CURRENT), Some(second.version_id.as_str()));
        assert_eq!(row.version_with(PREVIOUS), Some(first.version_id.as_str()));
        assert_eq!(
            shown(&s.value(&first.arn, &second.version_id).unwrap()),
            "b"
        );
        assert!(s.put_by_name("bad name", &text("a"), None, 3).is_err());
        let big = SecretValue::Binary(Zeroizing::new(vec![1; MAX_VALUE_BYTES + 1]));
        assert_eq!(
            s.put_by_name("big", &big, None, 3)
                .unwrap_err()
                .into_service()
                .code,
            "InvalidParameterException"
        );
        assert_eq!(
            format!("{:?}", text("hunter2")),
            "SecretValue(string, 7 bytes)"
        );
    }

    #[test]
    fn unlabeled_versions_make_room() {
        let (_d, s, _) = open();
        let arn = create(&s, "many", None);
        let none: [String; 0] = [];
        for i in 0..MAX_VERSIONS {
            let stages = if i == 0 {
                vec![CURRENT.to_string()]
            } else {
                none.to_vec()
            };
            s.update(
                &arn,
                Change::default(),
                Some(&NewVersion {
                    version_id: &format!("{i:032}"),
                    value: &text("v"),
                    stages: &stages,
                }),
                i64::try_from(i).unwrap(),
            )
            .unwrap();
        }
        let cur = [CURRENT.to_string()];
        let add = |id: &str, now: i64| {
            s.update(
                &arn,
                Change::default(),
                Some(&NewVersion {
                    version_id: id,
                    value: &text("w"),
                    stages: &cur,
                }),
                now,
            )
        };
        // Unlabeled versions younger than a day stay: the limit holds.
        let err = add("x".repeat(32).as_str(), 1_000)
            .unwrap_err()
            .into_service();
        assert_eq!(err.code, "LimitExceededException");
        add("y".repeat(32).as_str(), KEEP_DEPRECATED_MS + 1_000).unwrap();
        let versions = s.versions(&arn).unwrap();
        assert_eq!(versions.len(), MAX_VERSIONS);
        // The oldest unlabeled version went; the labeled first version stayed.
        assert!(
            versions
                .iter()
                .all(|v| v.version_id != format!("{:032}", 1))
        );
        assert!(
            versions
                .iter()
                .any(|v| v.version_id == format!("{:032}", 0))
        );
    }
}
