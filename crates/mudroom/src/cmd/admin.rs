//! `mudroom admin`: operator commands on a data directory (they work while `mudroom up` runs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Subcommand;
use mudroom_store::Store;
use mudroom_vault::{KeyConfig, MASTER_KEY_ENV, MasterKey};

use super::{UsageError, say};
use crate::platform::{DataDirArgs, open_platform_parts};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print the administrator's access key as `export` lines for a shell.
    Credentials {
        #[command(flatten)]
        data: DataDirArgs,
    },
    /// Re-wrap every data key with a new master key; the data is not touched.
    ///
    /// The new key is written beside the key file first (`.new`), the vault is re-wrapped in
    /// one transaction, then the new file replaces the old one.
    RotateMasterKey {
        #[command(flatten)]
        data: DataDirArgs,
    },
    /// Take a consistent online copy of the data directory's databases (while `mudroom up`
    /// runs): FILE gets the store, FILE.audit the audit log. Secret values stay encrypted.
    Backup {
        #[command(flatten)]
        data: DataDirArgs,
        /// Where to write the backup (must not exist).
        file: PathBuf,
    },
    /// Restore a backup into the data directory; refused while `mudroom up` holds it.
    Restore {
        #[command(flatten)]
        data: DataDirArgs,
        /// The backup written by `mudroom admin backup`.
        file: PathBuf,
    },
}

pub fn run(command: AdminCommand) -> Result<ExitCode> {
    match command {
        AdminCommand::Credentials { data } => {
            let parts = open_platform_parts(&data)?;
            let creds = parts
                .identities
                .admin_credentials()
                .map_err(|e| anyhow::anyhow!("cannot read the administrator's credentials: {e}"))?;
            say(&format!(
                "export AWS_ACCESS_KEY_ID={}\nexport AWS_SECRET_ACCESS_KEY={}\nexport AWS_DEFAULT_REGION={}\n",
                creds.access_key_id,
                creds.secret_access_key.as_str(),
                parts.identities.region()
            ));
            Ok(ExitCode::SUCCESS)
        }
        AdminCommand::RotateMasterKey { data } => rotate_master_key(&data),
        AdminCommand::Backup { data, file } => backup(&data, &file),
        AdminCommand::Restore { data, file } => restore(&data, &file),
    }
}

fn audit_copy(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".audit");
    PathBuf::from(name)
}

/// Copies one SQLite database to another with SQLite's online backup.
fn sqlite_copy(from: &Path, to: &Path) -> Result<()> {
    use mudroom_store::rusqlite::{Connection, OpenFlags, backup::Backup};
    let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open `{}`", from.display()))?;
    let mut dst =
        Connection::open(to).with_context(|| format!("cannot create `{}`", to.display()))?;
    let backup = Backup::new(&src, &mut dst)?;
    backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
    Ok(())
}

fn backup(data: &DataDirArgs, file: &Path) -> Result<ExitCode> {
    let audit_file = audit_copy(file);
    if file.exists() || audit_file.exists() {
        return Err(UsageError(format!("`{}` already exists", file.display())).into());
    }
    let store = Store::open(&data.data_dir).map_err(|e| UsageError(e.to_string()))?;
    store
        .backup_to(file)
        .map_err(|e| UsageError(e.to_string()))?;
    let audit_db = data.data_dir.join(mudroom_audit::DB_FILE);
    if audit_db.exists() {
        sqlite_copy(&audit_db, &audit_file)?;
    }
    say(&format!(
        "backed up `{}` to `{}` (audit log: `{}`)\n",
        data.data_dir.display(),
        file.display(),
        audit_file.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn restore(data: &DataDirArgs, file: &Path) -> Result<ExitCode> {
    if !file.is_file() {
        return Err(UsageError(format!("`{}` is not a backup file", file.display())).into());
    }
    let audit_file = audit_copy(file);
    if audit_file.is_file() {
        let store = Store::open(&data.data_dir).map_err(|e| UsageError(e.to_string()))?;
        let lock = store.lock_server().map_err(|e| UsageError(e.to_string()))?;
        sqlite_copy(&audit_file, &data.data_dir.join(mudroom_audit::DB_FILE))?;
        drop(lock);
    }
    Store::restore_from(file, &data.data_dir).map_err(|e| UsageError(e.to_string()))?;
    say(&format!(
        "restored `{}` into `{}`\n",
        file.display(),
        data.data_dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

fn rotate_master_key(data: &DataDirArgs) -> Result<ExitCode> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let config = KeyConfig::from_env();
    if config.env_key.is_some() {
        return Err(UsageError(format!(
            "the master key comes from {MASTER_KEY_ENV}: unset it to rotate a key file, or re-wrap with a new key by running this command with the key in a file"
        ))
        .into());
    }
    let parts = open_platform_parts(data)?;
    let path = config
        .key_file_path(parts.store.id())
        .map_err(|e| UsageError(e.to_string()))?;
    let new = MasterKey::generate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let staged = path.with_extension("key.new");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&staged)
        .with_context(|| {
            format!(
                "cannot create `{}` (remove a stale one from an interrupted rotation first)",
                staged.display()
            )
        })?;
    file.write_all(new.to_hex().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    let count = parts.vault.rotate_master_key(new).map_err(|e| {
        anyhow::anyhow!(
            "rotation failed, nothing changed: {e}; the staged key `{}` can be removed",
            staged.display()
        )
    })?;
    std::fs::rename(&staged, &path).with_context(|| {
        format!(
            "the vault now uses the key in `{}`: move it to `{}` by hand",
            staged.display(),
            path.display()
        )
    })?;
    say(&format!(
        "re-wrapped {count} data keys; the new master key is in `{}`\n",
        path.display()
    ));
    Ok(ExitCode::SUCCESS)
}
