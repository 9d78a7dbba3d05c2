//! mudroom's vault: secret values encrypted at rest with AES-256-GCM envelope encryption,
//! stored in the mudroom store.
//!
//! Each secret version gets its own fresh 256-bit data key. The value is encrypted with the data
//! key, and the data key is encrypted ("wrapped") with the master key; both under random 96-bit
//! nonces. The associated data of both ciphertexts names the secret's ARN and version id, so a
//! sealed blob decrypts only in its own row. The master key lives outside the data directory
//! (see [`load_master_key`]); a check value in the database makes a wrong master key fail at
//! [`Vault::open`] before anything is written. See `docs/vault.md` for the threat model.

mod crypto;
mod key;

use std::fmt;
use std::path::PathBuf;
use std::sync::{PoisonError, RwLock};

use mudroom_store::rusqlite::{self, Connection, OptionalExtension, params};
use mudroom_store::{Store, StoreError, unix_seconds};
use zeroize::Zeroizing;

use crate::crypto::{CHECK_AAD, CHECK_PLAINTEXT, NONCE_LEN, Purpose, aad};
pub use crate::key::{KeyConfig, KeySource, LoadedKey, MASTER_KEY_ENV, MasterKey, load_master_key};

/// The vault's migrations, component `vault` of the store.
const MIGRATIONS: &[&str] = &["CREATE TABLE vault_meta (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key_epoch INTEGER NOT NULL,
        check_nonce BLOB NOT NULL CHECK (length(check_nonce) = 12),
        check_value BLOB NOT NULL,
        created INTEGER NOT NULL,
        rotated INTEGER
    ) STRICT;
    CREATE TABLE vault_versions (
        arn TEXT NOT NULL,
        version_id TEXT NOT NULL,
        key_nonce BLOB NOT NULL CHECK (length(key_nonce) = 12),
        wrapped_key BLOB NOT NULL CHECK (length(wrapped_key) = 48),
        nonce BLOB NOT NULL CHECK (length(nonce) = 12),
        ciphertext BLOB NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (arn, version_id)
    ) STRICT;"];

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A vault query failed.
    #[error("vault database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The operating system's random source failed.
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    /// The cipher refused its input (a message too long for AES-GCM).
    #[error("encryption failed")]
    Crypto,
    /// A sealed value did not authenticate.
    #[error(
        "cannot decrypt version `{version}` of `{arn}`: the sealed data was altered or belongs \
         to another secret or version"
    )]
    Decrypt {
        /// The ARN the caller asked for.
        arn: String,
        /// The version id the caller asked for.
        version: String,
    },
    /// The master key does not open this vault.
    #[error("the master key does not match the vault in `{dir}`; nothing was changed")]
    WrongMasterKey {
        /// The data directory.
        dir: PathBuf,
    },
    /// Another process rotated the master key after this vault was opened.
    #[error(
        "the master key of the vault in `{dir}` was rotated since it was opened; open it again \
         with the new key"
    )]
    KeyRotated {
        /// The data directory.
        dir: PathBuf,
    },
    /// The version to store exists already.
    #[error("version `{version}` of `{arn}` already exists")]
    VersionExists {
        /// The ARN.
        arn: String,
        /// The version id.
        version: String,
    },
    /// A stored row does not have the shape the vault writes.
    #[error("stored version `{version}` of `{arn}` is malformed")]
    Malformed {
        /// The ARN.
        arn: String,
        /// The version id.
        version: String,
    },
    /// `MUDROOM_MASTER_KEY` could not be parsed.
    #[error("`MUDROOM_MASTER_KEY` is not the base64 or hex encoding of 32 bytes")]
    MasterKeyEnv,
    /// A master key text could not be parsed.
    #[error("master key is not the base64 or hex encoding of 32 bytes")]
    InvalidKey,
    /// The key file's content could not be parsed.
    #[error("master key file `{path}` does not hold the base64 or hex encoding of 32 bytes")]
    KeyFileInvalid {
        /// The key file.
        path: PathBuf,
    },
    /// The key file can be read or written by others than its owner.
    #[error(
        "master key file `{path}` is accessible by group or others (mode {mode:o}); run `chmod 600 {path}`"
    )]
    KeyFilePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file lies inside the data directory.
    #[error(
        "master key file `{path}` is inside the data directory `{dir}`; keep it outside so that \
         a copy of the data directory does not carry its key"
    )]
    KeyFileInDataDir {
        /// The key file.
        path: PathBuf,
        /// The data directory.
        dir: PathBuf,
    },
    /// The vault holds data but its key file is gone.
    #[error(
        "the vault in `{dir}` holds data but its master key file `{path}` does not exist; \
         restore the file or set `MUDROOM_MASTER_KEY`"
    )]
    KeyFileMissing {
        /// The expected key file.
        path: PathBuf,
        /// The data directory.
        dir: PathBuf,
    },
    /// No location for the key file could be derived.
    #[error(
        "cannot place the master key file: neither `XDG_CONFIG_HOME` nor `HOME` is set; set \
         `MUDROOM_MASTER_KEY` or give a key file"
    )]
    NoKeyLocation,
    /// The key file or its directory could not be read or written.
    #[error("cannot access master key file `{path}`: {source}")]
    KeyFileIo {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Secret bytes, wiped from memory when dropped. `Debug` and `Display` print `<redacted>`; the
/// bytes are reached only through [`SecretBytes::expose`].
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One secret version as stored: its data key wrapped by the master key, and its value
/// encrypted with the data key. Holds nothing secret without the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Nonce of the data key wrap.
    pub key_nonce: [u8; 12],
    /// The data key encrypted with the master key, with its tag (48 bytes).
    pub wrapped_key: Vec<u8>,
    /// Nonce of the value encryption.
    pub nonce: [u8; 12],
    /// The value encrypted with the data key, with its tag (16 bytes longer than the value).
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("wrapped_key_len", &self.wrapped_key.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

/// The key in use and the rotation epoch it belongs to.
struct KeyState {
    key: MasterKey,
    epoch: i64,
}

/// An open vault: seals and opens secret versions and stores them in the store's database.
///
/// Thread-safe. Lock order, for callers composing transactions: a write takes the store's writer
/// (inside [`Store::with_tx`]) before the vault's key lock, never the other way round.
pub struct Vault {
    store: Store,
    state: RwLock<KeyState>,
}

// A server shares one vault between its threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Vault>();
};

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Whether the vault in `store` has been initialized (has a key check value).
pub(crate) fn vault_initialized(store: &Store) -> Result<bool, VaultError> {
    store.read(|conn| Ok(read_meta(conn)?.is_some()))
}

/// The check value and epoch, `None` before the vault's first open.
fn read_meta(conn: &Connection) -> Result<Option<Meta>, VaultError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vault_meta')",
        [],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    Ok(conn
        .query_row(
            "SELECT key_epoch, check_nonce, check_value FROM vault_meta WHERE id = 1",
            [],
            |row| {
                Ok(Meta {
                    epoch: row.get(0)?,
                    check_nonce: row.get(1)?,
                    check_value: row.get(2)?,
                })
            },
        )
        .optional()?)
}

struct Meta {
    epoch: i64,
    check_nonce: Vec<u8>,
    check_value: Vec<u8>,
}

impl Meta {
    fn matches(&self, key: &MasterKey) -> Result<bool, VaultError> {
        let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(self.check_nonce.as_slice()) else {
            return Ok(false);
        };
        let plain = crypto::decrypt(key.key(), &nonce, CHECK_AAD, &self.check_value)?;
        Ok(plain.is_some_and(|plain| plain.as_slice() == CHECK_PLAINTEXT))
    }
}

fn new_check(key: &MasterKey) -> Result<([u8; NONCE_LEN], Vec<u8>), VaultError> {
    let nonce = crypto::random()?;
    let value = crypto::encrypt(key.key(), &nonce, CHECK_AAD, CHECK_PLAINTEXT)?;
    Ok((nonce, value))
}

impl Vault {
    /// Opens the vault in `store` with `key`.
    ///
    /// On a vault that has been opened before, checks `key` against the stored check value
    /// first and fails with [`VaultError::WrongMasterKey`] without writing anything. On first
    /// open, creates the vault's tables and stores the check value of `key`.
    pub fn open(store: &Store, key: MasterKey) -> Result<Self, VaultError> {
        let wrong = || VaultError::WrongMasterKey {
            dir: store.dir().to_path_buf(),
        };
        if let Some(meta) = store.read(read_meta)?
            && !meta.matches(&key)?
        {
            return Err(wrong());
        }
        store.migrate("vault", MIGRATIONS)?;
        let epoch = store.with_tx(|tx| match read_meta(tx)? {
            Some(meta) if meta.matches(&key)? => Ok(meta.epoch),
            Some(_) => Err(wrong()),
            None => {
                let (nonce, value) = new_check(&key)?;
                tx.execute(
                    "INSERT INTO vault_meta (id, key_epoch, check_nonce, check_value, created)
                     VALUES (1, 0, ?1, ?2, ?3)",
                    params![&nonce[..], value, unix_seconds()],
                )?;
                Ok(0)
            }
        })?;
        Ok(Self {
            store: store.clone(),
            state: RwLock::new(KeyState { key, epoch }),
        })
    }

    /// The store the vault keeps its data in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, KeyState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Encrypts `plaintext` as version `version` of `arn` under a fresh data key.
    pub fn seal(&self, arn: &str, version: &str, plaintext: &[u8]) -> Result<Sealed, VaultError> {
        seal_with(&self.state().key, arn, version, plaintext)
    }

    /// Decrypts `sealed` as version `version` of `arn`. Fails with [`VaultError::Decrypt`] when
    /// any byte was altered or the blob was sealed for another ARN or version.
    pub fn open_sealed(
        &self,
        arn: &str,
        version: &str,
        sealed: &Sealed,
    ) -> Result<SecretBytes, VaultError> {
        let state = self.state();
        let data_key = unwrap_data_key(&state.key, arn, version, sealed)?;
        let plain = crypto::decrypt(
            &data_key,
            &sealed.nonce,
            &aad(Purpose::Value, arn, version),
            &sealed.ciphertext,
        )?
        .ok_or_else(|| decrypt_error(arn, version))?;
        Ok(SecretBytes(plain))
    }

    /// Seals and stores version `version` of `arn` in its own transaction. Fails with
    /// [`VaultError::VersionExists`] when that version is stored already.
    pub fn put_version(
        &self,
        arn: &str,
        version: &str,
        plaintext: &[u8],
    ) -> Result<(), VaultError> {
        self.store
            .with_tx(|tx| self.put_version_in(tx, arn, version, plaintext))
    }

    /// Like [`Vault::put_version`], inside a write transaction of the caller (from
    /// [`Store::with_tx`] on this vault's store), so the version commits together with the
    /// caller's own rows. (Calling [`Vault::put_version`] there instead would wait forever for
    /// the writer the caller holds.)
    pub fn put_version_in(
        &self,
        tx: &Connection,
        arn: &str,
        version: &str,
        plaintext: &[u8],
    ) -> Result<(), VaultError> {
        let state = self.state();
        self.check_epoch(tx, state.epoch)?;
        let sealed = seal_with(&state.key, arn, version, plaintext)?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO vault_versions
                (arn, version_id, key_nonce, wrapped_key, nonce, ciphertext, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                arn,
                version,
                &sealed.key_nonce[..],
                sealed.wrapped_key,
                &sealed.nonce[..],
                sealed.ciphertext,
                unix_seconds()
            ],
        )?;
        if inserted == 0 {
            return Err(VaultError::VersionExists {
                arn: arn.to_owned(),
                version: version.to_owned(),
            });
        }
        Ok(())
    }

    /// The sealed form of a stored version, `None` when absent.
    pub fn get_sealed(&self, arn: &str, version: &str) -> Result<Option<Sealed>, VaultError> {
        self.store.read(|conn| read_sealed(conn, arn, version))
    }

    /// Reads and decrypts a stored version, `None` when absent.
    pub fn get_version(&self, arn: &str, version: &str) -> Result<Option<SecretBytes>, VaultError> {
        let Some(sealed) = self.get_sealed(arn, version)? else {
            return Ok(None);
        };
        match self.open_sealed(arn, version, &sealed) {
            Ok(secret) => Ok(Some(secret)),
            Err(VaultError::Decrypt { .. }) => {
                // A rotation by another process explains a failure better than tampering.
                let epoch = self.state().epoch;
                self.store.read(|conn| self.check_epoch(conn, epoch))?;
                Err(decrypt_error(arn, version))
            }
            Err(other) => Err(other),
        }
    }

    /// Deletes a stored version; whether it existed.
    pub fn delete_version(&self, arn: &str, version: &str) -> Result<bool, VaultError> {
        self.store.with_tx(|tx| {
            let deleted = tx.execute(
                "DELETE FROM vault_versions WHERE arn = ?1 AND version_id = ?2",
                params![arn, version],
            )?;
            Ok(deleted > 0)
        })
    }

    /// Deletes the stored versions of `arn` (one, or every one with `None`) inside the caller's
    /// write transaction, so a value disappears together with the caller's own rows;
    /// [`Vault::delete_version`] opens a transaction of its own, which would wait for the writer
    /// the caller holds. Returns how many versions were deleted.
    pub fn delete_in(
        tx: &Connection,
        arn: &str,
        version: Option<&str>,
    ) -> Result<usize, rusqlite::Error> {
        match version {
            Some(v) => tx.execute(
                "DELETE FROM vault_versions WHERE arn = ?1 AND version_id = ?2",
                params![arn, v],
            ),
            None => tx.execute("DELETE FROM vault_versions WHERE arn = ?1", [arn]),
        }
    }

    /// Re-wraps every data key with `new` in one transaction and replaces the check value;
    /// ciphertexts are not touched. Returns how many data keys were re-wrapped. After it
    /// returns `Ok`, only `new` opens the vault: persist `new` (key file or secret manager)
    /// before calling this, and replace the old key after.
    pub fn rotate_master_key(&self, new: MasterKey) -> Result<usize, VaultError> {
        self.store
            .with_tx(|tx| {
                let state = self.state.write().unwrap_or_else(PoisonError::into_inner);
                self.check_epoch(tx, state.epoch)?;
                let rows = {
                    let mut stmt = tx.prepare(
                        "SELECT arn, version_id, key_nonce, wrapped_key FROM vault_versions",
                    )?;
                    stmt.query_map([], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, Vec<u8>>(2)?,
                            row.get::<_, Vec<u8>>(3)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?
                };
                let mut update = tx.prepare(
                    "UPDATE vault_versions SET key_nonce = ?3, wrapped_key = ?4
                 WHERE arn = ?1 AND version_id = ?2",
                )?;
                for (arn, version, key_nonce, wrapped_key) in &rows {
                    let data_key = unwrap_raw(&state.key, arn, version, key_nonce, wrapped_key)?;
                    let nonce = crypto::random()?;
                    let rewrapped = crypto::encrypt(
                        new.key(),
                        &nonce,
                        &aad(Purpose::DataKey, arn, version),
                        &data_key[..],
                    )?;
                    update.execute(params![arn, version, &nonce[..], rewrapped])?;
                }
                let (check_nonce, check_value) = new_check(&new)?;
                let epoch = state.epoch + 1;
                tx.execute(
                    "UPDATE vault_meta SET key_epoch = ?1, check_nonce = ?2, check_value = ?3,
                    rotated = ?4 WHERE id = 1",
                    params![epoch, &check_nonce[..], check_value, unix_seconds()],
                )?;
                // The in-memory key changes only if the transaction commits: `with_tx` commits after
                // this closure returns, and a failed commit is reported while the old key remains.
                drop(update);
                Ok::<_, VaultError>((rows.len(), epoch, state))
            })
            .map(|(count, epoch, mut state)| {
                state.key = new;
                state.epoch = epoch;
                count
            })
    }

    /// Fails with [`VaultError::KeyRotated`] when the stored epoch is not `epoch`.
    fn check_epoch(&self, conn: &Connection, epoch: i64) -> Result<(), VaultError> {
        match read_meta(conn)? {
            Some(meta) if meta.epoch == epoch => Ok(()),
            _ => Err(VaultError::KeyRotated {
                dir: self.store.dir().to_path_buf(),
            }),
        }
    }
}

fn decrypt_error(arn: &str, version: &str) -> VaultError {
    VaultError::Decrypt {
        arn: arn.to_owned(),
        version: version.to_owned(),
    }
}

fn seal_with(
    master: &MasterKey,
    arn: &str,
    version: &str,
    plaintext: &[u8],
) -> Result<Sealed, VaultError> {
    let data_key = crypto::random_key()?;
    let nonce = crypto::random()?;
    let ciphertext = crypto::encrypt(
        &data_key,
        &nonce,
        &aad(Purpose::Value, arn, version),
        plaintext,
    )?;
    let key_nonce = crypto::random()?;
    let wrapped_key = crypto::encrypt(
        master.key(),
        &key_nonce,
        &aad(Purpose::DataKey, arn, version),
        &data_key[..],
    )?;
    Ok(Sealed {
        key_nonce,
        wrapped_key,
        nonce,
        ciphertext,
    })
}

fn unwrap_data_key(
    master: &MasterKey,
    arn: &str,
    version: &str,
    sealed: &Sealed,
) -> Result<crypto::Key, VaultError> {
    unwrap_raw(master, arn, version, &sealed.key_nonce, &sealed.wrapped_key)
}

fn unwrap_raw(
    master: &MasterKey,
    arn: &str,
    version: &str,
    key_nonce: &[u8],
    wrapped_key: &[u8],
) -> Result<crypto::Key, VaultError> {
    let nonce = <[u8; NONCE_LEN]>::try_from(key_nonce).map_err(|_| decrypt_error(arn, version))?;
    let plain = crypto::decrypt(
        master.key(),
        &nonce,
        &aad(Purpose::DataKey, arn, version),
        wrapped_key,
    )?
    .ok_or_else(|| decrypt_error(arn, version))?;
    let mut key = Zeroizing::new([0u8; crypto::KEY_LEN]);
    if plain.len() != key.len() {
        return Err(decrypt_error(arn, version));
    }
    key.copy_from_slice(&plain);
    Ok(key)
}

fn read_sealed(conn: &Connection, arn: &str, version: &str) -> Result<Option<Sealed>, VaultError> {
    // Cached: this runs on every read of a secret.
    let row = conn
        .prepare_cached(
            "SELECT key_nonce, wrapped_key, nonce, ciphertext FROM vault_versions
             WHERE arn = ?1 AND version_id = ?2",
        )?
        .query_row(params![arn, version], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })
        .optional()?;
    let Some((key_nonce, wrapped_key, nonce, ciphertext)) = row else {
        return Ok(None);
    };
    let malformed = || VaultError::Malformed {
        arn: arn.to_owned(),
        version: version.to_owned(),
    };
    Ok(Some(Sealed {
        key_nonce: key_nonce.as_slice().try_into().map_err(|_| malformed())?,
        wrapped_key,
        nonce: nonce.as_slice().try_into().map_err(|_| malformed())?,
        ciphertext,
    }))
}
