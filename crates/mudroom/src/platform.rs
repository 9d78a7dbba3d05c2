//! Opening the platform's state: store, master key, vault, audit log and identities.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use mudroom_audit::AuditLog;
use mudroom_services::identity::Identities;
use mudroom_store::Store;
use mudroom_vault::{KeyConfig, Vault, load_master_key};

use crate::cmd::UsageError;

/// Where the platform keeps its state.
#[derive(Debug, Clone, Args)]
pub struct DataDirArgs {
    /// The data directory (SQLite database, audit log). The master key is kept outside it.
    #[arg(long, default_value = ".mudroom")]
    pub data_dir: PathBuf,
    /// The account id, fixed on first start.
    #[arg(long, default_value = "000000000000")]
    pub account_id: String,
    /// The region, fixed on first start.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
}

/// The opened state.
pub struct Parts {
    /// The store.
    pub store: Store,
    /// The vault.
    pub vault: Arc<Vault>,
    /// The audit log.
    pub audit: Arc<AuditLog>,
    /// Users, roles, keys, sessions.
    pub identities: Arc<Identities>,
}

/// Opens everything, creating the data directory and the master key file on first start.
pub fn open_platform_parts(args: &DataDirArgs) -> Result<Parts> {
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UsageError(format!(
            "account id `{}` must be 12 digits",
            args.account_id
        ))
        .into());
    }
    let store = Store::open(&args.data_dir).map_err(|e| UsageError(e.to_string()))?;
    let loaded =
        load_master_key(&store, &KeyConfig::from_env()).map_err(|e| UsageError(e.to_string()))?;
    if let Some(notice) = loaded.notice() {
        eprintln!("{notice}");
    }
    let vault = Arc::new(Vault::open(&store, loaded.key).map_err(|e| UsageError(e.to_string()))?);
    let audit = Arc::new(
        AuditLog::open(&args.data_dir)
            .map_err(|e| UsageError(format!("cannot open the audit log: {e}")))?,
    );
    let identities = Arc::new(
        Identities::open(
            store.clone(),
            Arc::clone(&vault),
            &args.account_id,
            &args.region,
        )
        .map_err(|e| anyhow::anyhow!("cannot open identities: {e}"))?,
    );
    Ok(Parts {
        store,
        vault,
        audit,
        identities,
    })
}
