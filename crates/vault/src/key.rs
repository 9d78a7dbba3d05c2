//! The master key: parsing, and finding or creating the key file outside the data directory.

use std::fmt;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use mudroom_store::{Store, StoreId};
use zeroize::Zeroizing;

use crate::VaultError;
use crate::crypto::{self, KEY_LEN};

/// The environment variable that can hold the master key (base64 or hex of 32 bytes).
pub const MASTER_KEY_ENV: &str = "MUDROOM_MASTER_KEY";

/// The 256-bit key that wraps every data key of a vault. Wiped from memory when dropped;
/// `Debug` prints `<redacted>`.
pub struct MasterKey(crypto::Key);

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Result<Self, VaultError> {
        crypto::random_key().map(Self)
    }

    /// The key with these bytes. The caller's copy is not wiped.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Parses 64 hex digits or the base64 encoding (standard alphabet, padding optional) of 32
    /// bytes; surrounding whitespace is ignored. The error never contains the text.
    pub fn parse(text: &str) -> Result<Self, VaultError> {
        let text = text.trim();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            for (byte, pair) in key.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
                let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
                    return Err(VaultError::InvalidKey);
                };
                *byte = (hex_value(hi)? << 4) | hex_value(lo)?;
            }
            return Ok(Self(key));
        }
        let decoded = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .map_err(|_| VaultError::InvalidKey)?,
        );
        if decoded.len() != KEY_LEN {
            return Err(VaultError::InvalidKey);
        }
        key.copy_from_slice(&decoded);
        Ok(Self(key))
    }

    /// The key as 64 lowercase hex digits, the format of key files.
    pub fn to_hex(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = Zeroizing::new(String::with_capacity(2 * KEY_LEN));
        for byte in self.0.iter() {
            for nibble in [byte >> 4, byte & 0xf] {
                if let Some(&digit) = DIGITS.get(usize::from(nibble)) {
                    out.push(char::from(digit));
                }
            }
        }
        out
    }

    pub(crate) fn key(&self) -> &crypto::Key {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

fn hex_value(digit: u8) -> Result<u8, VaultError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(VaultError::InvalidKey),
    }
}

/// Where the master key comes from. [`KeyConfig::from_env`] reads the process environment;
/// tests and callers with their own flags fill the fields directly.
#[derive(Default)]
pub struct KeyConfig {
    /// The value of `MUDROOM_MASTER_KEY`; when set it is used and no key file is read or made.
    pub env_key: Option<Zeroizing<String>>,
    /// An explicit key file, in place of the default location.
    pub key_file: Option<PathBuf>,
    /// `XDG_CONFIG_HOME` (used only when absolute, as the XDG specification says).
    pub config_home: Option<PathBuf>,
    /// `HOME`, for `$HOME/.config` when `XDG_CONFIG_HOME` is not usable.
    pub home: Option<PathBuf>,
}

impl fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyConfig")
            .field("env_key", &self.env_key.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file)
            .field("config_home", &self.config_home)
            .field("home", &self.home)
            .finish()
    }
}

impl KeyConfig {
    /// Reads `MUDROOM_MASTER_KEY`, `XDG_CONFIG_HOME` and `HOME` (empty values count as unset).
    pub fn from_env() -> Self {
        let var = |name| std::env::var_os(name).filter(|value| !value.is_empty());
        Self {
            env_key: std::env::var(MASTER_KEY_ENV)
                .ok()
                .filter(|value| !value.is_empty())
                .map(Zeroizing::new),
            key_file: None,
            config_home: var("XDG_CONFIG_HOME").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
        }
    }

    /// The key file for the data directory with this id: the explicit one, else
    /// `$XDG_CONFIG_HOME/mudroom/keys/<id>.key`, else `$HOME/.config/mudroom/keys/<id>.key`.
    pub fn key_file_path(&self, id: StoreId) -> Result<PathBuf, VaultError> {
        if let Some(path) = &self.key_file {
            return Ok(path.clone());
        }
        let config = self
            .config_home
            .clone()
            .filter(|dir| dir.is_absolute())
            .or_else(|| self.home.as_ref().map(|home| home.join(".config")))
            .ok_or(VaultError::NoKeyLocation)?;
        Ok(config
            .join("mudroom")
            .join("keys")
            .join(format!("{id}.key")))
    }
}

/// Where a loaded master key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The `MUDROOM_MASTER_KEY` environment variable.
    Env,
    /// A key file.
    File {
        /// The key file.
        path: PathBuf,
        /// Whether it was created by this load.
        created: bool,
    },
}

/// A master key and where it came from.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key.
    pub key: MasterKey,
    /// Its origin.
    pub source: KeySource,
}

impl LoadedKey {
    /// The message to show the operator when the key file was just created, `None` otherwise.
    pub fn notice(&self) -> Option<String> {
        match &self.source {
            KeySource::File {
                path,
                created: true,
            } => Some(format!(
                "created master key file `{}`; keep a copy somewhere safe: without it the \
                 vault's secrets cannot be read",
                path.display()
            )),
            _ => None,
        }
    }
}

/// Finds the master key of the vault in `store`, creating the key file on first start.
///
/// With `env_key` set, parses it. Otherwise reads the key file ([`KeyConfig::key_file_path`]),
/// refusing one inside the data directory or one with any group or other permission bits.
/// When the file does not exist it is created (mode 0600, directories 0700) with a new random
/// key, unless the vault already holds data, which a new key could not read: then the missing
/// file is an error. This does not check the key against the vault; [`crate::Vault::open`] does.
pub fn load_master_key(store: &Store, config: &KeyConfig) -> Result<LoadedKey, VaultError> {
    if let Some(text) = &config.env_key {
        let key = MasterKey::parse(text).map_err(|_| VaultError::MasterKeyEnv)?;
        return Ok(LoadedKey {
            key,
            source: KeySource::Env,
        });
    }
    let path = config.key_file_path(store.id())?;
    refuse_inside(&path, store.dir())?;
    // Two processes starting together may race to create the file: the loser reads it.
    for _ in 0..2 {
        match read_key_file(&path)? {
            Some(key) => {
                return Ok(LoadedKey {
                    key,
                    source: KeySource::File {
                        path,
                        created: false,
                    },
                });
            }
            None => {
                if crate::vault_initialized(store)? {
                    return Err(VaultError::KeyFileMissing {
                        path,
                        dir: store.dir().to_path_buf(),
                    });
                }
                if let Some(key) = create_key_file(&path)? {
                    return Ok(LoadedKey {
                        key,
                        source: KeySource::File {
                            path,
                            created: true,
                        },
                    });
                }
            }
        }
    }
    Err(VaultError::KeyFileIo {
        path,
        source: std::io::Error::other("key file appeared and vanished while being created"),
    })
}

/// Refuses a key file path that lies inside the data directory, following symlinks.
fn refuse_inside(path: &Path, data_dir: &Path) -> Result<(), VaultError> {
    let io_err = |source| VaultError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let dir = data_dir.canonicalize().map_err(io_err)?;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(io_err)?.join(path)
    };
    // Resolve the longest existing prefix; the rest does not exist yet and holds no symlinks.
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let resolved = loop {
        match existing.canonicalize() {
            Ok(real) => break real,
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent;
                }
                _ => break existing.to_path_buf(),
            },
        }
    };
    let full = rest.iter().rev().fold(resolved, |acc, name| acc.join(name));
    if full.starts_with(&dir) {
        return Err(VaultError::KeyFileInDataDir {
            path: path.to_path_buf(),
            dir: data_dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Reads a key file; `None` when it does not exist.
fn read_key_file(path: &Path) -> Result<Option<MasterKey>, VaultError> {
    let io_err = |source| VaultError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_err(err)),
    };
    if !meta.is_file() {
        return Err(io_err(std::io::Error::other("not a regular file")));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(VaultError::KeyFilePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io_err)?);
    MasterKey::parse(&text)
        .map(Some)
        .map_err(|_| VaultError::KeyFileInvalid {
            path: path.to_path_buf(),
        })
}

/// Creates the key file with a new key, without ever replacing an existing file: the key is
/// written and synced under a temporary name, then hard-linked into place. `None` when another
/// process created the file first.
fn create_key_file(path: &Path) -> Result<Option<MasterKey>, VaultError> {
    let io_err = |source| VaultError::KeyFileIo {
        path: path.to_path_buf(),
        source,
    };
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .map_err(io_err)?;
    let key = MasterKey::generate()?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)?;
        let mut text = key.to_hex();
        text.push('\n');
        file.write_all(text.as_bytes())?;
        file.sync_all()
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io_err(err));
    }
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
        Err(err) => return Err(io_err(err)),
    }
    std::fs::File::open(parent)
        .and_then(|dir| dir.sync_all())
        .map_err(io_err)?;
    Ok(Some(key))
}
