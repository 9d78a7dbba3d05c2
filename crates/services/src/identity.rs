//! Identities: the account, IAM users with access keys, roles with trust policies, managed and
//! inline policies, and STS sessions. Everything persists in the store; secret access keys are
//! sealed in the vault. Lookups by access key id are cached in memory and the cache is dropped
//! on every change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use mudroom_policy::{Caller, CompiledPolicy, ParseOptions, PolicyError, PolicyKind, parse_policy};
use mudroom_store::rusqlite::{self, OptionalExtension, params};
use mudroom_store::{Store, StoreError, unix_seconds};
use mudroom_vault::{Vault, VaultError};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::ServiceError;
use crate::random::{random_alnum, random_bytes, random_upper};

const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE iam_config (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
    CREATE TABLE iam_users (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        user_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        created INTEGER NOT NULL,
        boundary_arn TEXT,
        tags TEXT NOT NULL DEFAULT '[]'
    ) STRICT;
    CREATE TABLE iam_roles (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        role_id TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        trust_policy TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        max_session INTEGER NOT NULL DEFAULT 3600,
        created INTEGER NOT NULL,
        boundary_arn TEXT,
        tags TEXT NOT NULL DEFAULT '[]'
    ) STRICT;
    CREATE TABLE iam_inline_policies (
        owner_kind TEXT NOT NULL,
        owner TEXT NOT NULL COLLATE NOCASE,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (owner_kind, owner, name)
    ) STRICT;
    CREATE TABLE iam_policies (
        arn TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        policy_id TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        default_version TEXT NOT NULL,
        next_version INTEGER NOT NULL,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE iam_policy_versions (
        arn TEXT NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
        version TEXT NOT NULL,
        document TEXT NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (arn, version)
    ) STRICT;
    CREATE TABLE iam_attachments (
        owner_kind TEXT NOT NULL,
        owner TEXT NOT NULL COLLATE NOCASE,
        policy_arn TEXT NOT NULL,
        PRIMARY KEY (owner_kind, owner, policy_arn)
    ) STRICT;
    CREATE TABLE iam_access_keys (
        access_key_id TEXT PRIMARY KEY,
        user_name TEXT NOT NULL COLLATE NOCASE,
        status TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_used INTEGER
    ) STRICT;
    CREATE TABLE sts_sessions (
        access_key_id TEXT PRIMARY KEY,
        token_hash BLOB NOT NULL,
        principal_arn TEXT NOT NULL,
        role_name TEXT,
        user_name TEXT,
        session_name TEXT NOT NULL,
        expires INTEGER NOT NULL,
        session_policies TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        created INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX sts_sessions_expires ON sts_sessions(expires);
",
    "
    ALTER TABLE iam_policies ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
",
];

/// The name of the administrator created on first start.
pub const ADMIN_USER: &str = "admin";

/// The administrator's inline policy: everything.
const ADMIN_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// Errors of the identity layer, already in AWS's terms where a client caused them.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query failed.
    #[error("identity database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The client's request was refused.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl IdentityError {
    /// The error to answer the client; internal failures are not described.
    pub fn into_service(self) -> ServiceError {
        match self {
            IdentityError::Service(e) => e,
            _ => ServiceError::internal("the request could not be completed"),
        }
    }
}

/// One set of credentials: an access key id and its secret (and session token for sessions).
pub struct Credentials {
    /// `AKIA...` or `ASIA...`.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Zeroizing<String>,
    /// The session token, for temporary credentials.
    pub session_token: Option<Zeroizing<String>>,
    /// Expiry (unix seconds), for temporary credentials.
    pub expires: Option<i64>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Who a principal is and every policy that applies to it, compiled.
#[derive(Debug)]
pub struct Principal {
    /// The caller as the policy engine sees it.
    pub caller: Caller,
    /// Principal tags (session tags for sessions).
    pub tags: Vec<(String, String)>,
    /// Identity-based policies (inline and attached; for a session, its role's).
    pub identity: Vec<CompiledPolicy>,
    /// The permissions boundary.
    pub boundary: Option<CompiledPolicy>,
    /// Session policies.
    pub session: Vec<CompiledPolicy>,
    /// The IAM user name for users.
    pub user_name: Option<String>,
    /// The role name for role sessions.
    pub role_name: Option<String>,
    /// The IAM unique id (`AIDA...`, or `AROA...:session`).
    pub user_id: String,
}

/// What an access key id resolves to.
pub struct KeyEntry {
    /// The secret access key.
    pub secret: Zeroizing<Vec<u8>>,
    /// SHA-256 of the session token, for temporary credentials.
    pub token_hash: Option<[u8; 32]>,
    /// Expiry (unix seconds), for temporary credentials.
    pub expires: Option<i64>,
    /// Whether the key is active.
    pub active: bool,
    /// The principal.
    pub principal: Arc<Principal>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("principal", &self.principal.caller.arn())
            .field("expires", &self.expires)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The identity layer.
pub struct Identities {
    store: Store,
    vault: Arc<Vault>,
    account: String,
    region: String,
    cache: Mutex<HashMap<String, Arc<KeyEntry>>>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("account", &self.account)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(data).into()
}

fn key_arn(account: &str, access_key_id: &str) -> String {
    format!("arn:aws:iam::{account}:access-key/{access_key_id}")
}

/// Reads and validates a policy document for `kind`; a refusal is `MalformedPolicyDocument`
/// naming the JSON path.
pub fn validate_document(
    document: &str,
    kind: PolicyKind,
) -> Result<mudroom_policy::Policy, ServiceError> {
    parse_policy(document, ParseOptions::new(kind)).map_err(|e: PolicyError| {
        ServiceError::client(
            "MalformedPolicyDocument",
            format!("policy document is invalid: {e}"),
        )
    })
}

fn compile(name: &str, kind: PolicyKind, document: &str) -> Option<CompiledPolicy> {
    // Stored documents were validated on write; an unreadable one grants nothing.
    parse_policy(document, ParseOptions::unlimited(kind))
        .ok()
        .map(|p| CompiledPolicy::new(name, kind, &p))
}

fn tags_from_json(text: &str) -> Vec<(String, String)> {
    serde_json::from_str::<Vec<(String, String)>>(text).unwrap_or_default()
}

impl Identities {
    /// Opens the identity layer: applies migrations, fixes the account id and region on first
    /// start (later starts keep the stored ones), and creates the administrator.
    pub fn open(
        store: Store,
        vault: Arc<Vault>,
        account: &str,
        region: &str,
    ) -> Result<Self, IdentityError> {
        store.migrate("iam", MIGRATIONS)?;
        let (account, region) = store.with_tx(|tx| -> Result<(String, String), IdentityError> {
            let get = |key: &str| -> Result<Option<String>, rusqlite::Error> {
                tx.query_row("SELECT value FROM iam_config WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()
            };
            let account = match get("account")? {
                Some(a) => a,
                None => {
                    tx.execute(
                        "INSERT INTO iam_config (key, value) VALUES ('account', ?1)",
                        [account],
                    )?;
                    account.to_string()
                }
            };
            let region = match get("region")? {
                Some(r) => r,
                None => {
                    tx.execute(
                        "INSERT INTO iam_config (key, value) VALUES ('region', ?1)",
                        [region],
                    )?;
                    region.to_string()
                }
            };
            Ok((account, region))
        })?;
        let ids = Self {
            store,
            vault,
            account,
            region,
            cache: Mutex::new(HashMap::new()),
        };
        if ids.user(ADMIN_USER)?.is_none() {
            ids.create_user(ADMIN_USER, "/")?;
            ids.put_inline_policy(
                OwnerKind::User,
                ADMIN_USER,
                "AdministratorAccess",
                ADMIN_POLICY,
            )?;
            ids.create_access_key(ADMIN_USER)?;
        }
        Ok(ids)
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The default region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Drops every cached lookup: called after each change.
    fn invalidate(&self) {
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// The administrator's first active access key and its secret.
    pub fn admin_credentials(&self) -> Result<Credentials, IdentityError> {
        let akid: Option<String> = self.store.read(|c| {
            c.query_row(
                "SELECT access_key_id FROM iam_access_keys WHERE user_name = ?1 AND status = 'Active' ORDER BY created LIMIT 1",
                [ADMIN_USER],
                |r| r.get(0),
            )
            .optional()
            .map_err(IdentityError::from)
        })?;
        let akid = match akid {
            Some(a) => a,
            None => return self.create_access_key(ADMIN_USER),
        };
        let secret = self
            .vault
            .get_version(&key_arn(&self.account, &akid), "1")?
            .ok_or_else(|| ServiceError::internal("the administrator's key has no secret"))?;
        Ok(Credentials {
            access_key_id: akid,
            secret_access_key: Zeroizing::new(
                String::from_utf8_lossy(secret.expose()).into_owned(),
            ),
            session_token: None,
            expires: None,
        })
    }

    // ---- users and access keys -------------------------------------------------------------

    /// A user's ARN, id and path, if it exists.
    pub fn user(&self, name: &str) -> Result<Option<UserRow>, IdentityError> {
        self.store.read(|c| {
            c.query_row(
                "SELECT name, user_id, path, arn, created, boundary_arn, tags FROM iam_users WHERE name = ?1",
                [name],
                UserRow::from_row,
            )
            .optional()
            .map_err(IdentityError::from)
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<UserRow>, IdentityError> {
        self.store.read(|c| {
            let mut stmt = c.prepare("SELECT name, user_id, path, arn, created, boundary_arn, tags FROM iam_users ORDER BY name")?;
            let rows = stmt.query_map([], UserRow::from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Creates a user.
    pub fn create_user(&self, name: &str, path: &str) -> Result<UserRow, IdentityError> {
        check_name(name, "user")?;
        let path = check_path(path)?;
        let row = UserRow {
            name: name.to_string(),
            user_id: format!("AIDA{}", random_upper(17)?),
            arn: format!("arn:aws:iam::{}:user{path}{name}", self.account),
            path,
            created: unix_seconds(),
            boundary_arn: None,
            tags: Vec::new(),
        };
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM iam_users WHERE name = ?1)", [name], |r| r.get(0))?;
            if exists {
                return Err(ServiceError::client("EntityAlreadyExists", format!("User with name {name} already exists.")).with_status(409).into());
            }
            tx.execute(
                "INSERT INTO iam_users (name, user_id, path, arn, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.name, row.user_id, row.path, row.arn, row.created],
            )?;
            Ok(())
        })?;
        self.invalidate();
        Ok(row)
    }

    /// Deletes a user that has no access keys and no policies left, as AWS requires.
    pub fn delete_user(&self, name: &str) -> Result<(), IdentityError> {
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let keys: i64 = tx.query_row("SELECT count(*) FROM iam_access_keys WHERE user_name = ?1", [name], |r| r.get(0))?;
            let policies: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM iam_inline_policies WHERE owner_kind = 'user' AND owner = ?1) + (SELECT count(*) FROM iam_attachments WHERE owner_kind = 'user' AND owner = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if keys > 0 || policies > 0 {
                return Err(ServiceError::client("DeleteConflict", "Cannot delete entity, must delete access keys and policies first.").with_status(409).into());
            }
            if tx.execute("DELETE FROM iam_users WHERE name = ?1", [name])? == 0 {
                return Err(no_such_entity("user", name).into());
            }
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// Creates an access key for `user`; AWS allows two per user.
    pub fn create_access_key(&self, user: &str) -> Result<Credentials, IdentityError> {
        let akid = format!("AKIA{}", random_upper(16)?);
        let secret = Zeroizing::new(random_alnum(40)?);
        let arn = key_arn(&self.account, &akid);
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM iam_users WHERE name = ?1)", [user], |r| r.get(0))?;
            if !exists {
                return Err(no_such_entity("user", user).into());
            }
            let count: i64 = tx.query_row("SELECT count(*) FROM iam_access_keys WHERE user_name = ?1", [user], |r| r.get(0))?;
            if count >= 2 {
                return Err(ServiceError::client("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2").with_status(409).into());
            }
            tx.execute(
                "INSERT INTO iam_access_keys (access_key_id, user_name, status, created) VALUES (?1, ?2, 'Active', ?3)",
                params![akid, user, unix_seconds()],
            )?;
            self.vault.put_version_in(tx, &arn, "1", secret.as_bytes())?;
            Ok(())
        })?;
        self.invalidate();
        Ok(Credentials {
            access_key_id: akid,
            secret_access_key: secret,
            session_token: None,
            expires: None,
        })
    }

    /// Access keys of `user`: id, status, created.
    pub fn access_keys(&self, user: &str) -> Result<Vec<(String, String, i64)>, IdentityError> {
        self.store.read(|c| {
            let mut stmt = c.prepare("SELECT access_key_id, status, created FROM iam_access_keys WHERE user_name = ?1 ORDER BY created")?;
            let rows = stmt.query_map([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Sets a key `Active` or `Inactive`.
    pub fn update_access_key(
        &self,
        user: &str,
        akid: &str,
        status: &str,
    ) -> Result<(), IdentityError> {
        if status != "Active" && status != "Inactive" {
            return Err(ServiceError::client("ValidationError", format!("Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")).into());
        }
        let n = self.store.with_tx(|tx| -> Result<usize, IdentityError> {
            Ok(tx.execute("UPDATE iam_access_keys SET status = ?1 WHERE access_key_id = ?2 AND user_name = ?3", params![status, akid, user])?)
        })?;
        if n == 0 {
            return Err(ServiceError::client(
                "NoSuchEntity",
                format!("The Access Key with id {akid} cannot be found."),
            )
            .with_status(404)
            .into());
        }
        self.invalidate();
        Ok(())
    }

    /// Deletes an access key and its sealed secret.
    pub fn delete_access_key(&self, user: &str, akid: &str) -> Result<(), IdentityError> {
        let arn = key_arn(&self.account, akid);
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            if tx.execute(
                "DELETE FROM iam_access_keys WHERE access_key_id = ?1 AND user_name = ?2",
                params![akid, user],
            )? == 0
            {
                return Err(ServiceError::client(
                    "NoSuchEntity",
                    format!("The Access Key with id {akid} cannot be found."),
                )
                .with_status(404)
                .into());
            }
            Vault::delete_in(tx, &arn, None)?;
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    // ---- roles ------------------------------------------------------------------------------

    /// A role by name.
    pub fn role(&self, name: &str) -> Result<Option<RoleRow>, IdentityError> {
        self.store.read(|c| {
            c.query_row(
                &format!("SELECT {ROLE_COLUMNS} FROM iam_roles WHERE name = ?1"),
                [name],
                RoleRow::from_row,
            )
            .optional()
            .map_err(IdentityError::from)
        })
    }

    /// Every role, by name.
    pub fn roles(&self) -> Result<Vec<RoleRow>, IdentityError> {
        self.store.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {ROLE_COLUMNS} FROM iam_roles ORDER BY name"
            ))?;
            let rows = stmt
                .query_map([], RoleRow::from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Creates a role with its trust policy (validated as a trust policy).
    pub fn create_role(
        &self,
        name: &str,
        path: &str,
        trust: &str,
        description: &str,
        max_session: i64,
        tags: &[(String, String)],
    ) -> Result<RoleRow, IdentityError> {
        check_name(name, "role")?;
        let path = check_path(path)?;
        validate_document(trust, PolicyKind::Trust)?;
        if !(3600..=43200).contains(&max_session) {
            return Err(ServiceError::client(
                "ValidationError",
                "MaxSessionDuration must be between 3600 and 43200 seconds",
            )
            .into());
        }
        let row = RoleRow {
            name: name.to_string(),
            role_id: format!("AROA{}", random_upper(17)?),
            arn: format!("arn:aws:iam::{}:role{path}{name}", self.account),
            path,
            trust_policy: trust.to_string(),
            description: description.to_string(),
            max_session,
            created: unix_seconds(),
            boundary_arn: None,
            tags: tags.to_vec(),
        };
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM iam_roles WHERE name = ?1)", [name], |r| r.get(0))?;
            if exists {
                return Err(ServiceError::client("EntityAlreadyExists", format!("Role with name {name} already exists.")).with_status(409).into());
            }
            tx.execute(
                "INSERT INTO iam_roles (name, role_id, path, arn, trust_policy, description, max_session, created, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![row.name, row.role_id, row.path, row.arn, row.trust_policy, row.description, row.max_session, row.created, serde_json::to_string(&row.tags).unwrap_or_default()],
            )?;
            Ok(())
        })?;
        self.invalidate();
        Ok(row)
    }

    /// Replaces a role's trust policy.
    pub fn update_trust_policy(&self, name: &str, trust: &str) -> Result<(), IdentityError> {
        validate_document(trust, PolicyKind::Trust)?;
        self.update_role_column(name, "trust_policy", trust)
    }

    /// Merges `add` into a role's tags (replacing values of existing keys) and drops the keys in
    /// `remove`.
    pub fn tag_role(
        &self,
        name: &str,
        add: &[(String, String)],
        remove: &[String],
    ) -> Result<(), IdentityError> {
        self.tag(OwnerKind::Role, name, add, remove)
    }

    /// Merges `add` into the tags of a user or role (replacing values of existing keys, which
    /// compare case-insensitively as in IAM) and drops the keys in `remove`; at most 50 remain.
    pub fn tag(
        &self,
        kind: OwnerKind,
        name: &str,
        add: &[(String, String)],
        remove: &[String],
    ) -> Result<(), IdentityError> {
        let table = kind.table();
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let current: Option<String> = tx
                .query_row(
                    &format!("SELECT tags FROM {table} WHERE name = ?1"),
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            let current = current.ok_or_else(|| no_such_entity(kind.as_str(), name))?;
            let mut tags = tags_from_json(&current);
            tags.retain(|(k, _)| {
                !remove.iter().any(|r| r.eq_ignore_ascii_case(k))
                    && !add.iter().any(|(a, _)| a.eq_ignore_ascii_case(k))
            });
            tags.extend(add.iter().cloned());
            if tags.len() > 50 {
                return Err(ServiceError::client(
                    "LimitExceeded",
                    format!(
                        "Cannot exceed quota for TagsPer{}: 50",
                        if kind == OwnerKind::User {
                            "User"
                        } else {
                            "Role"
                        }
                    ),
                )
                .with_status(409)
                .into());
            }
            tx.execute(
                &format!("UPDATE {table} SET tags = ?1 WHERE name = ?2"),
                params![serde_json::to_string(&tags).unwrap_or_default(), name],
            )?;
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// Updates a role's description and longest session (each only when given).
    pub fn update_role(
        &self,
        name: &str,
        description: Option<&str>,
        max_session: Option<i64>,
    ) -> Result<(), IdentityError> {
        if let Some(max) = max_session
            && !(3600..=43200).contains(&max)
        {
            return Err(ServiceError::client(
                "ValidationError",
                "MaxSessionDuration must be between 3600 and 43200 seconds",
            )
            .into());
        }
        let n = self.store.with_tx(|tx| -> Result<usize, IdentityError> {
            Ok(tx.execute(
                "UPDATE iam_roles SET description = coalesce(?1, description), max_session = coalesce(?2, max_session) WHERE name = ?3",
                params![description, max_session, name],
            )?)
        })?;
        if n == 0 {
            return Err(no_such_entity("role", name).into());
        }
        self.invalidate();
        Ok(())
    }

    fn update_role_column(
        &self,
        name: &str,
        column: &'static str,
        value: &str,
    ) -> Result<(), IdentityError> {
        let n = self.store.with_tx(|tx| -> Result<usize, IdentityError> {
            Ok(tx.execute(
                &format!("UPDATE iam_roles SET {column} = ?1 WHERE name = ?2"),
                params![value, name],
            )?)
        })?;
        if n == 0 {
            return Err(no_such_entity("role", name).into());
        }
        self.invalidate();
        Ok(())
    }

    /// Deletes a role that has no policies left, as AWS requires.
    pub fn delete_role(&self, name: &str) -> Result<(), IdentityError> {
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let policies: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM iam_inline_policies WHERE owner_kind = 'role' AND owner = ?1) + (SELECT count(*) FROM iam_attachments WHERE owner_kind = 'role' AND owner = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if policies > 0 {
                return Err(ServiceError::client("DeleteConflict", "Cannot delete entity, must delete policies first.").with_status(409).into());
            }
            if tx.execute("DELETE FROM iam_roles WHERE name = ?1", [name])? == 0 {
                return Err(no_such_entity("role", name).into());
            }
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// Sets or clears the permissions boundary of a user or role.
    pub fn set_boundary(
        &self,
        kind: OwnerKind,
        owner: &str,
        policy_arn: Option<&str>,
    ) -> Result<(), IdentityError> {
        if let Some(arn) = policy_arn {
            self.managed_document(arn)?;
        }
        let table = kind.table();
        let n = self.store.with_tx(|tx| -> Result<usize, IdentityError> {
            Ok(tx.execute(
                &format!("UPDATE {table} SET boundary_arn = ?1 WHERE name = ?2"),
                params![policy_arn, owner],
            )?)
        })?;
        if n == 0 {
            return Err(no_such_entity(kind.as_str(), owner).into());
        }
        self.invalidate();
        Ok(())
    }

    // ---- policies ---------------------------------------------------------------------------

    /// Puts an inline policy on a user or role.
    pub fn put_inline_policy(
        &self,
        kind: OwnerKind,
        owner: &str,
        name: &str,
        document: &str,
    ) -> Result<(), IdentityError> {
        check_name(name, "policy")?;
        validate_document(document, PolicyKind::Identity)?;
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            owner_exists(tx, kind, owner)?;
            tx.execute(
                "INSERT INTO iam_inline_policies (owner_kind, owner, name, document) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (owner_kind, owner, name) DO UPDATE SET document = excluded.document",
                params![kind.as_str(), owner, name, document],
            )?;
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// An inline policy's document.
    pub fn inline_policy(
        &self,
        kind: OwnerKind,
        owner: &str,
        name: &str,
    ) -> Result<String, IdentityError> {
        let doc: Option<String> = self.store.read(|c| {
            c.query_row(
                "SELECT document FROM iam_inline_policies WHERE owner_kind = ?1 AND owner = ?2 AND name = ?3",
                params![kind.as_str(), owner, name],
                |r| r.get(0),
            )
            .optional()
            .map_err(IdentityError::from)
        })?;
        doc.ok_or_else(|| {
            ServiceError::client(
                "NoSuchEntity",
                format!(
                    "The {} policy with name {name} cannot be found.",
                    kind.as_str()
                ),
            )
            .with_status(404)
            .into()
        })
    }

    /// Names of the inline policies of a user or role.
    pub fn inline_policies(
        &self,
        kind: OwnerKind,
        owner: &str,
    ) -> Result<Vec<String>, IdentityError> {
        self.store.read(|c| {
            let mut stmt = c.prepare("SELECT name FROM iam_inline_policies WHERE owner_kind = ?1 AND owner = ?2 ORDER BY name")?;
            let rows = stmt.query_map(params![kind.as_str(), owner], |r| r.get(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Deletes an inline policy.
    pub fn delete_inline_policy(
        &self,
        kind: OwnerKind,
        owner: &str,
        name: &str,
    ) -> Result<(), IdentityError> {
        let n = self.store.with_tx(|tx| -> Result<usize, IdentityError> {
            Ok(tx.execute(
                "DELETE FROM iam_inline_policies WHERE owner_kind = ?1 AND owner = ?2 AND name = ?3",
                params![kind.as_str(), owner, name],
            )?)
        })?;
        if n == 0 {
            return Err(ServiceError::client(
                "NoSuchEntity",
                format!(
                    "The {} policy with name {name} cannot be found.",
                    kind.as_str()
                ),
            )
            .with_status(404)
            .into());
        }
        self.invalidate();
        Ok(())
    }

    /// Creates a customer managed policy (version `v1`, the default).
    pub fn create_policy(
        &self,
        name: &str,
        path: &str,
        document: &str,
        description: &str,
    ) -> Result<PolicyRow, IdentityError> {
        self.create_tagged_policy(name, path, document, description, &[])
    }

    /// Creates a customer managed policy with tags (version `v1`, the default).
    pub fn create_tagged_policy(
        &self,
        name: &str,
        path: &str,
        document: &str,
        description: &str,
        tags: &[(String, String)],
    ) -> Result<PolicyRow, IdentityError> {
        check_name(name, "policy")?;
        let path = check_path(path)?;
        validate_document(document, PolicyKind::Identity)?;
        let now = unix_seconds();
        let row = PolicyRow {
            arn: format!("arn:aws:iam::{}:policy{path}{name}", self.account),
            name: name.to_string(),
            path,
            policy_id: format!("ANPA{}", random_upper(17)?),
            description: description.to_string(),
            default_version: "v1".to_string(),
            created: now,
            updated: now,
            attachments: 0,
            boundary_usage: 0,
            tags: tags.to_vec(),
        };
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM iam_policies WHERE arn = ?1)", [&row.arn], |r| r.get(0))?;
            if exists {
                return Err(ServiceError::client("EntityAlreadyExists", format!("A policy called {name} already exists. Duplicate names are not allowed.")).with_status(409).into());
            }
            tx.execute(
                "INSERT INTO iam_policies (arn, name, path, policy_id, description, default_version, next_version, created, updated, tags) VALUES (?1, ?2, ?3, ?4, ?5, 'v1', 2, ?6, ?6, ?7)",
                params![row.arn, row.name, row.path, row.policy_id, row.description, now, serde_json::to_string(&row.tags).unwrap_or_default()],
            )?;
            tx.execute("INSERT INTO iam_policy_versions (arn, version, document, created) VALUES (?1, 'v1', ?2, ?3)", params![row.arn, document, now])?;
            Ok(())
        })?;
        Ok(row)
    }

    /// A managed policy.
    pub fn policy(&self, arn: &str) -> Result<PolicyRow, IdentityError> {
        self.store
            .read(|c| {
                c.query_row(
                    &format!("SELECT {POLICY_COLUMNS} FROM iam_policies p WHERE arn = ?1"),
                    [arn],
                    PolicyRow::from_row,
                )
                .optional()
                .map_err(IdentityError::from)
            })?
            .ok_or_else(|| no_such_policy(arn).into())
    }

    /// Every customer managed policy.
    pub fn policies(&self) -> Result<Vec<PolicyRow>, IdentityError> {
        self.store.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {POLICY_COLUMNS} FROM iam_policies p ORDER BY name"
            ))?;
            let rows = stmt
                .query_map([], PolicyRow::from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Adds a version (AWS keeps at most five), optionally making it the default.
    pub fn create_policy_version(
        &self,
        arn: &str,
        document: &str,
        set_default: bool,
    ) -> Result<String, IdentityError> {
        validate_document(document, PolicyKind::Identity)?;
        let version = self.store.with_tx(|tx| -> Result<String, IdentityError> {
            let next: Option<i64> = tx.query_row("SELECT next_version FROM iam_policies WHERE arn = ?1", [arn], |r| r.get(0)).optional()?;
            let next = next.ok_or_else(|| no_such_policy(arn))?;
            let count: i64 = tx.query_row("SELECT count(*) FROM iam_policy_versions WHERE arn = ?1", [arn], |r| r.get(0))?;
            if count >= 5 {
                return Err(ServiceError::client("LimitExceeded", format!("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version. ({arn})")).with_status(409).into());
            }
            let version = format!("v{next}");
            let now = unix_seconds();
            tx.execute("INSERT INTO iam_policy_versions (arn, version, document, created) VALUES (?1, ?2, ?3, ?4)", params![arn, version, document, now])?;
            tx.execute("UPDATE iam_policies SET next_version = next_version + 1, updated = ?2 WHERE arn = ?1", params![arn, now])?;
            if set_default {
                tx.execute("UPDATE iam_policies SET default_version = ?2 WHERE arn = ?1", params![arn, version])?;
            }
            Ok(version)
        })?;
        self.invalidate();
        Ok(version)
    }

    /// One version's document, and whether it is the default.
    pub fn policy_version(
        &self,
        arn: &str,
        version: &str,
    ) -> Result<(String, bool, i64), IdentityError> {
        self.store
            .read(|c| {
                c.query_row(
                    "SELECT v.document, p.default_version = v.version, v.created FROM iam_policy_versions v JOIN iam_policies p USING (arn) WHERE v.arn = ?1 AND v.version = ?2",
                    params![arn, version],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(IdentityError::from)
            })?
            .ok_or_else(|| no_such_version(arn, version).into())
    }

    /// Every version of a managed policy, newest first.
    pub fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionRow>, IdentityError> {
        self.policy(arn)?;
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT v.version, v.document, p.default_version = v.version, v.created FROM iam_policy_versions v JOIN iam_policies p USING (arn) WHERE v.arn = ?1 ORDER BY CAST(substr(v.version, 2) AS INTEGER) DESC",
            )?;
            let rows = stmt
                .query_map([arn], |r| {
                    Ok(PolicyVersionRow {
                        version: r.get(0)?,
                        document: r.get(1)?,
                        is_default: r.get(2)?,
                        created: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Deletes a version that is not the default one.
    pub fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), IdentityError> {
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let default: Option<String> = tx
                .query_row(
                    "SELECT default_version FROM iam_policies WHERE arn = ?1",
                    [arn],
                    |r| r.get(0),
                )
                .optional()?;
            let default = default.ok_or_else(|| no_such_policy(arn))?;
            if default == version {
                return Err(ServiceError::client(
                    "DeleteConflict",
                    "Cannot delete the default version of a policy.",
                )
                .with_status(409)
                .into());
            }
            if tx.execute(
                "DELETE FROM iam_policy_versions WHERE arn = ?1 AND version = ?2",
                params![arn, version],
            )? == 0
            {
                return Err(no_such_version(arn, version).into());
            }
            tx.execute(
                "UPDATE iam_policies SET updated = ?2 WHERE arn = ?1",
                params![arn, unix_seconds()],
            )?;
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// Makes an existing version the default one.
    pub fn set_default_policy_version(
        &self,
        arn: &str,
        version: &str,
    ) -> Result<(), IdentityError> {
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM iam_policies WHERE arn = ?1)",
                [arn],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(no_such_policy(arn).into());
            }
            let has_version: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM iam_policy_versions WHERE arn = ?1 AND version = ?2)",
                params![arn, version],
                |r| r.get(0),
            )?;
            if !has_version {
                return Err(no_such_version(arn, version).into());
            }
            tx.execute(
                "UPDATE iam_policies SET default_version = ?2, updated = ?3 WHERE arn = ?1",
                params![arn, version, unix_seconds()],
            )?;
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// The default version's document of a managed policy.
    pub fn managed_document(&self, arn: &str) -> Result<String, IdentityError> {
        self.store
            .read(|c| {
                c.query_row(
                    "SELECT v.document FROM iam_policies p JOIN iam_policy_versions v ON v.arn = p.arn AND v.version = p.default_version WHERE p.arn = ?1",
                    [arn],
                    |r| r.get(0),
                )
                .optional()
                .map_err(IdentityError::from)
            })?
            .ok_or_else(|| no_such_policy(arn).into())
    }

    /// Deletes a managed policy that is attached nowhere.
    pub fn delete_policy(&self, arn: &str) -> Result<(), IdentityError> {
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            let attached: i64 = tx.query_row(
                "SELECT count(*) FROM iam_attachments WHERE policy_arn = ?1",
                [arn],
                |r| r.get(0),
            )?;
            let boundary: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM iam_users WHERE boundary_arn = ?1) + (SELECT count(*) FROM iam_roles WHERE boundary_arn = ?1)",
                [arn],
                |r| r.get(0),
            )?;
            if attached > 0 || boundary > 0 {
                return Err(ServiceError::client(
                    "DeleteConflict",
                    "Cannot delete a policy attached to entities.",
                )
                .with_status(409)
                .into());
            }
            if tx.execute("DELETE FROM iam_policies WHERE arn = ?1", [arn])? == 0 {
                return Err(no_such_policy(arn).into());
            }
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// Attaches or detaches a managed policy.
    pub fn attach(
        &self,
        kind: OwnerKind,
        owner: &str,
        policy_arn: &str,
        attach: bool,
    ) -> Result<(), IdentityError> {
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            owner_exists(tx, kind, owner)?;
            let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM iam_policies WHERE arn = ?1)", [policy_arn], |r| r.get(0))?;
            if !exists {
                return Err(no_such_policy(policy_arn).into());
            }
            if attach {
                let count: i64 = tx.query_row("SELECT count(*) FROM iam_attachments WHERE owner_kind = ?1 AND owner = ?2", params![kind.as_str(), owner], |r| r.get(0))?;
                if count >= 20 {
                    return Err(ServiceError::client("LimitExceeded", format!("Cannot exceed quota for PoliciesPer{}: 20", if kind == OwnerKind::User { "User" } else { "Role" })).with_status(409).into());
                }
                tx.execute("INSERT OR IGNORE INTO iam_attachments (owner_kind, owner, policy_arn) VALUES (?1, ?2, ?3)", params![kind.as_str(), owner, policy_arn])?;
            } else if tx.execute("DELETE FROM iam_attachments WHERE owner_kind = ?1 AND owner = ?2 AND policy_arn = ?3", params![kind.as_str(), owner, policy_arn])? == 0 {
                return Err(ServiceError::client("NoSuchEntity", format!("Policy {policy_arn} was not found.")).with_status(404).into());
            }
            Ok(())
        })?;
        self.invalidate();
        Ok(())
    }

    /// Managed policies attached to a user or role: (name, arn).
    pub fn attached(
        &self,
        kind: OwnerKind,
        owner: &str,
    ) -> Result<Vec<(String, String)>, IdentityError> {
        self.store.read(|c| {
            let mut stmt = c.prepare(
                "SELECT p.name, p.arn FROM iam_attachments a JOIN iam_policies p ON p.arn = a.policy_arn WHERE a.owner_kind = ?1 AND a.owner = ?2 ORDER BY p.name",
            )?;
            let rows = stmt.query_map(params![kind.as_str(), owner], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Compiled identity policies and boundary of a user or role.
    fn compiled_policies(
        &self,
        kind: OwnerKind,
        owner: &str,
        boundary_arn: Option<&str>,
    ) -> Result<(Vec<CompiledPolicy>, Option<CompiledPolicy>), IdentityError> {
        let mut identity = Vec::new();
        for name in self.inline_policies(kind, owner)? {
            let doc = self.inline_policy(kind, owner, &name)?;
            identity.extend(compile(&name, PolicyKind::Identity, &doc));
        }
        for (name, arn) in self.attached(kind, owner)? {
            let doc = self.managed_document(&arn)?;
            identity.extend(compile(&name, PolicyKind::Identity, &doc));
        }
        let boundary = match boundary_arn {
            Some(arn) => {
                let doc = self.managed_document(arn)?;
                // A boundary that no longer reads grants nothing.
                Some(compile(arn, PolicyKind::Boundary, &doc).unwrap_or_else(|| {
                    CompiledPolicy::new(
                        arn,
                        PolicyKind::Boundary,
                        &mudroom_policy::Policy {
                            version: mudroom_policy::Version::V2012,
                            id: None,
                            statements: Vec::new(),
                        },
                    )
                }))
            }
            None => None,
        };
        Ok((identity, boundary))
    }

    /// The principal of a role's session, with its policies.
    fn session_principal(&self, session: &SessionRow) -> Result<Principal, IdentityError> {
        let role_name = session.role_name.clone().unwrap_or_default();
        let role = self
            .role(&role_name)?
            .ok_or_else(|| no_such_entity("role", &role_name))?;
        let (identity, boundary) =
            self.compiled_policies(OwnerKind::Role, &role.name, role.boundary_arn.as_deref())?;
        let session_docs: Vec<String> =
            serde_json::from_str(&session.session_policies).unwrap_or_default();
        let session_policies = session_docs
            .iter()
            .enumerate()
            .filter_map(|(i, d)| compile(&format!("session policy {i}"), PolicyKind::Session, d))
            .collect();
        let caller = Caller::from_arn(&session.principal_arn).map_err(ServiceError::internal)?;
        // Session tags win over the role's tags.
        let mut tags = tags_from_json(&session.tags);
        for (k, v) in role.tags {
            if !tags.iter().any(|(t, _)| t.eq_ignore_ascii_case(&k)) {
                tags.push((k, v));
            }
        }
        Ok(Principal {
            caller,
            tags,
            identity,
            boundary,
            session: session_policies,
            user_name: None,
            role_name: Some(role.name),
            user_id: format!("{}:{}", role.role_id, session.session_name),
        })
    }

    /// The principal of IAM user `name`, with its policies.
    fn user_principal(&self, name: &str) -> Result<Principal, IdentityError> {
        let user = self
            .user(name)?
            .ok_or_else(|| no_such_entity("user", name))?;
        let (identity, boundary) =
            self.compiled_policies(OwnerKind::User, &user.name, user.boundary_arn.as_deref())?;
        let caller = Caller::from_arn(&user.arn).map_err(ServiceError::internal)?;
        Ok(Principal {
            caller,
            tags: user.tags.clone(),
            identity,
            boundary,
            session: Vec::new(),
            user_name: Some(user.name.clone()),
            role_name: None,
            user_id: user.user_id,
        })
    }

    /// Resolves an access key id. `None` when no such key exists.
    pub fn lookup(&self, akid: &str) -> Result<Option<Arc<KeyEntry>>, IdentityError> {
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(akid)
        {
            return Ok(Some(Arc::clone(hit)));
        }
        let entry = if akid.starts_with("ASIA") {
            let session: Option<SessionRow> = self.store.read(|c| {
                c.query_row(
                    "SELECT access_key_id, token_hash, principal_arn, role_name, user_name, session_name, expires, session_policies, tags FROM sts_sessions WHERE access_key_id = ?1",
                    [akid],
                    SessionRow::from_row,
                )
                .optional()
                .map_err(IdentityError::from)
            })?;
            let Some(session) = session else {
                return Ok(None);
            };
            let Some(secret) = self.vault.get_version(&key_arn(&self.account, akid), "1")? else {
                return Ok(None);
            };
            // A session whose user or role was deleted since is no credential at all.
            let owner_exists = match (&session.user_name, &session.role_name) {
                (Some(user), _) => self.user(user)?.is_some(),
                (None, Some(role)) => self.role(role)?.is_some(),
                (None, None) => false,
            };
            if !owner_exists {
                return Ok(None);
            }
            let principal = match &session.user_name {
                Some(user) => self.user_principal(user)?,
                None => self.session_principal(&session)?,
            };
            KeyEntry {
                secret: Zeroizing::new(secret.expose().to_vec()),
                token_hash: session.token_hash.as_slice().try_into().ok(),
                expires: Some(session.expires),
                active: true,
                principal: Arc::new(principal),
            }
        } else {
            let row: Option<(String, String)> = self.store.read(|c| {
                c.query_row(
                    "SELECT user_name, status FROM iam_access_keys WHERE access_key_id = ?1",
                    [akid],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(IdentityError::from)
            })?;
            let Some((user_name, status)) = row else {
                return Ok(None);
            };
            let Some(user) = self.user(&user_name)? else {
                return Ok(None);
            };
            let Some(secret) = self.vault.get_version(&key_arn(&self.account, akid), "1")? else {
                return Ok(None);
            };
            KeyEntry {
                secret: Zeroizing::new(secret.expose().to_vec()),
                token_hash: None,
                expires: None,
                active: status == "Active",
                principal: Arc::new(self.user_principal(&user.name)?),
            }
        };
        let entry = Arc::new(entry);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(akid.to_string(), Arc::clone(&entry));
        Ok(Some(entry))
    }

    /// Checks a presented session token against the one issued with `entry`.
    pub fn token_matches(entry: &KeyEntry, token: Option<&str>) -> bool {
        match (&entry.token_hash, token) {
            (None, None) => true,
            (Some(hash), Some(token)) => {
                use subtle::ConstantTimeEq as _;
                bool::from(sha256(token.as_bytes()).ct_eq(hash))
            }
            _ => false,
        }
    }

    /// Issues temporary credentials for a session of `role` (already authorized by the caller).
    #[expect(clippy::too_many_arguments, reason = "AssumeRole's parameters")]
    pub fn issue_role_session(
        &self,
        role: &RoleRow,
        session_name: &str,
        duration: i64,
        session_policies: &[String],
        tags: &[(String, String)],
        now: i64,
        _source_identity: Option<&str>,
    ) -> Result<Credentials, IdentityError> {
        let principal_arn = format!(
            "arn:aws:sts::{}:assumed-role/{}/{session_name}",
            self.account, role.name
        );
        self.issue_session(
            &principal_arn,
            Some(&role.name),
            None,
            session_name,
            now + duration,
            session_policies,
            tags,
        )
    }

    /// Issues temporary credentials that act as IAM user `user` (`GetSessionToken`).
    pub fn issue_user_session(
        &self,
        user: &str,
        user_arn: &str,
        expires: i64,
    ) -> Result<Credentials, IdentityError> {
        self.issue_session(user_arn, None, Some(user), user, expires, &[], &[])
    }

    #[expect(clippy::too_many_arguments, reason = "a session's columns")]
    fn issue_session(
        &self,
        principal_arn: &str,
        role_name: Option<&str>,
        user_name: Option<&str>,
        session_name: &str,
        expires: i64,
        session_policies: &[String],
        tags: &[(String, String)],
    ) -> Result<Credentials, IdentityError> {
        let akid = format!("ASIA{}", random_upper(16)?);
        let secret = Zeroizing::new(random_alnum(40)?);
        let token = Zeroizing::new(crate::random::base64(&random_bytes(96)?));
        let arn = key_arn(&self.account, &akid);
        let now = unix_seconds();
        self.store.with_tx(|tx| -> Result<(), IdentityError> {
            // Expired sessions are dropped as new ones are made.
            let expired: Vec<String> = tx
                .prepare("SELECT access_key_id FROM sts_sessions WHERE expires < ?1")?
                .query_map([now - 60], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for akid in expired {
                Vault::delete_in(tx, &key_arn(&self.account, &akid), None)?;
            }
            tx.execute("DELETE FROM sts_sessions WHERE expires < ?1", [now - 60])?;
            tx.execute(
                "INSERT INTO sts_sessions (access_key_id, token_hash, principal_arn, role_name, user_name, session_name, expires, session_policies, tags, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    akid,
                    sha256(token.as_bytes()).to_vec(),
                    principal_arn,
                    role_name,
                    user_name,
                    session_name,
                    expires,
                    serde_json::to_string(session_policies).unwrap_or_default(),
                    serde_json::to_string(tags).unwrap_or_default(),
                    now
                ],
            )?;
            self.vault.put_version_in(tx, &arn, "1", secret.as_bytes())?;
            Ok(())
        })?;
        Ok(Credentials {
            access_key_id: akid,
            secret_access_key: secret,
            session_token: Some(token),
            expires: Some(expires),
        })
    }
}

fn owner_exists(
    tx: &rusqlite::Transaction<'_>,
    kind: OwnerKind,
    owner: &str,
) -> Result<(), IdentityError> {
    let table = kind.table();
    let exists: bool = tx.query_row(
        &format!("SELECT EXISTS(SELECT 1 FROM {table} WHERE name = ?1)"),
        [owner],
        |r| r.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(no_such_entity(kind.as_str(), owner).into())
    }
}

/// `NoSuchEntity` as IAM words it.
pub fn no_such_entity(kind: &str, name: &str) -> ServiceError {
    ServiceError::client(
        "NoSuchEntity",
        format!("The {kind} with name {name} cannot be found."),
    )
    .with_status(404)
}

fn no_such_policy(arn: &str) -> ServiceError {
    ServiceError::client(
        "NoSuchEntity",
        format!("Policy {arn} does not exist or is not attachable."),
    )
    .with_status(404)
}

fn no_such_version(arn: &str, version: &str) -> ServiceError {
    ServiceError::client(
        "NoSuchEntity",
        format!("Policy {arn} version {version} does not exist or is not attachable."),
    )
    .with_status(404)
}

/// IAM names: 1–64 characters of `[\w+=,.@-]`.
fn check_name(name: &str, what: &str) -> Result<(), ServiceError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::client(
            "ValidationError",
            format!(
                "The specified value for {what}Name is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-"
            ),
        ))
    }
}

/// IAM paths: `/` or `/a/b/`, at most 512 characters.
fn check_path(path: &str) -> Result<String, ServiceError> {
    let path = if path.is_empty() { "/" } else { path };
    let ok = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if ok {
        Ok(path.to_string())
    } else {
        Err(ServiceError::client(
            "ValidationError",
            "The specified value for path is invalid. It must begin and end with / and contain only printable ASCII characters.",
        ))
    }
}

/// A user or a role, as owner of policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
}

impl OwnerKind {
    /// `user` or `role`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::User => "user",
            OwnerKind::Role => "role",
        }
    }

    fn table(self) -> &'static str {
        match self {
            OwnerKind::User => "iam_users",
            OwnerKind::Role => "iam_roles",
        }
    }
}

/// A stored user.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Name.
    pub name: String,
    /// `AIDA...`.
    pub user_id: String,
    /// Path.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// Creation time (unix seconds).
    pub created: i64,
    /// Permissions boundary ARN.
    pub boundary_arn: Option<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

impl UserRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            name: r.get(0)?,
            user_id: r.get(1)?,
            path: r.get(2)?,
            arn: r.get(3)?,
            created: r.get(4)?,
            boundary_arn: r.get(5)?,
            tags: tags_from_json(&r.get::<_, String>(6)?),
        })
    }
}

const ROLE_COLUMNS: &str =
    "name, role_id, path, arn, trust_policy, description, max_session, created, boundary_arn, tags";

/// A stored role.
#[derive(Debug, Clone)]
pub struct RoleRow {
    /// Name.
    pub name: String,
    /// `AROA...`.
    pub role_id: String,
    /// Path.
    pub path: String,
    /// ARN.
    pub arn: String,
    /// The trust policy document.
    pub trust_policy: String,
    /// Description.
    pub description: String,
    /// Longest session, seconds.
    pub max_session: i64,
    /// Creation time (unix seconds).
    pub created: i64,
    /// Permissions boundary ARN.
    pub boundary_arn: Option<String>,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

impl RoleRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            name: r.get(0)?,
            role_id: r.get(1)?,
            path: r.get(2)?,
            arn: r.get(3)?,
            trust_policy: r.get(4)?,
            description: r.get(5)?,
            max_session: r.get(6)?,
            created: r.get(7)?,
            boundary_arn: r.get(8)?,
            tags: tags_from_json(&r.get::<_, String>(9)?),
        })
    }
}

const POLICY_COLUMNS: &str = "arn, name, path, policy_id, description, default_version, created, updated,
    (SELECT count(*) FROM iam_attachments a WHERE a.policy_arn = p.arn),
    (SELECT count(*) FROM iam_users u WHERE u.boundary_arn = p.arn) + (SELECT count(*) FROM iam_roles r WHERE r.boundary_arn = p.arn),
    tags";

/// A stored managed policy.
#[derive(Debug, Clone)]
pub struct PolicyRow {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Path.
    pub path: String,
    /// `ANPA...`.
    pub policy_id: String,
    /// Description.
    pub description: String,
    /// Default version id.
    pub default_version: String,
    /// Creation time.
    pub created: i64,
    /// Last update.
    pub updated: i64,
    /// How many users and roles it is attached to.
    pub attachments: i64,
    /// How many users and roles it is the permissions boundary of.
    pub boundary_usage: i64,
    /// Tags.
    pub tags: Vec<(String, String)>,
}

impl PolicyRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            arn: r.get(0)?,
            name: r.get(1)?,
            path: r.get(2)?,
            policy_id: r.get(3)?,
            description: r.get(4)?,
            default_version: r.get(5)?,
            created: r.get(6)?,
            updated: r.get(7)?,
            attachments: r.get(8)?,
            boundary_usage: r.get(9)?,
            tags: tags_from_json(&r.get::<_, String>(10)?),
        })
    }
}

/// One version of a managed policy.
#[derive(Debug, Clone)]
pub struct PolicyVersionRow {
    /// `v1`, `v2`...
    pub version: String,
    /// The document.
    pub document: String,
    /// Whether it is the default version.
    pub is_default: bool,
    /// Creation time (unix seconds).
    pub created: i64,
}

struct SessionRow {
    token_hash: Vec<u8>,
    user_name: Option<String>,
    principal_arn: String,
    role_name: Option<String>,
    session_name: String,
    expires: i64,
    session_policies: String,
    tags: String,
}

impl SessionRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            token_hash: r.get(1)?,
            principal_arn: r.get(2)?,
            role_name: r.get(3)?,
            user_name: r.get(4)?,
            session_name: r.get(5)?,
            expires: r.get(6)?,
            session_policies: r.get(7)?,
            tags: r.get(8)?,
        })
    }
}

/// Documents of a JSON list of values, for callers building session policy lists.
pub fn documents(values: &[Value]) -> Vec<String> {
    values.iter().map(Value::to_string).collect()
}
