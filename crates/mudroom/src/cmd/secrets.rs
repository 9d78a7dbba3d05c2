//! `mudroom secrets`: operator commands on the secrets of a data directory (they work while
//! `mudroom up` runs), through the same storage code as the Secrets Manager API.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{ArgGroup, Args, Subcommand};
use mudroom_audit::{Decision, Record};
use mudroom_services::secretsmanager::{
    MAX_VALUE_BYTES, SYSTEM_PRINCIPAL, SecretValue, SecretsError, SecretsManager, now_ms,
};
use mudroom_services::server::new_request_id;
use zeroize::Zeroizing;

use super::{UsageError, say};
use crate::platform::{DataDirArgs, Parts, open_platform_parts};

/// The principal of changes made with `mudroom secrets` in the audit log.
pub const CLI_PRINCIPAL: &str = "mudroom:cli";

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a secret value: create the secret, or add a version that becomes AWSCURRENT.
    ///
    /// The value is read from standard input or a file, never from the command line, where
    /// shell history and process listings would keep it. The bytes are stored exactly as read
    /// (a trailing newline too: use `printf '%s'` rather than `echo`); UTF-8 input becomes
    /// SecretString, anything else SecretBinary. At most 65536 bytes.
    Put(PutArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["stdin", "from_file"])))]
pub struct PutArgs {
    /// The secret's name (1 to 512 letters, digits and /_+=.@-).
    name: String,
    /// Read the value from standard input.
    #[arg(long)]
    stdin: bool,
    /// Read the value from this file.
    #[arg(long, value_name = "FILE")]
    from_file: Option<PathBuf>,
    /// Set the secret's description.
    #[arg(long)]
    description: Option<String>,
    #[command(flatten)]
    data: DataDirArgs,
}

/// The Secrets Manager service on the platform's store and vault.
pub fn service(parts: &Parts) -> Result<SecretsManager> {
    SecretsManager::open(
        &parts.store,
        &parts.vault,
        parts.identities.account(),
        parts.identities.region(),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the secrets store: {e}"))
}

pub fn run(command: SecretsCommand) -> Result<ExitCode> {
    match command {
        SecretsCommand::Put(args) => put(&args),
    }
}

/// Reads at most [`MAX_VALUE_BYTES`] (one more to notice a longer input) into memory that is
/// wiped on drop; the buffer never grows, so no unwiped copy is left behind.
fn read_value(source: &mut dyn std::io::Read, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_VALUE_BYTES + 2));
    let limit = u64::try_from(MAX_VALUE_BYTES + 1).unwrap_or(u64::MAX);
    source
        .take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| UsageError(format!("cannot read the value from {what}: {e}")))?;
    if buf.is_empty() {
        return Err(UsageError(format!("the value read from {what} is empty")).into());
    }
    if buf.len() > MAX_VALUE_BYTES {
        return Err(UsageError(format!(
            "the value read from {what} is larger than {MAX_VALUE_BYTES} bytes"
        ))
        .into());
    }
    Ok(buf)
}

fn client_error(e: SecretsError) -> anyhow::Error {
    match e {
        SecretsError::Service(s) if s.sender_fault => UsageError(s.message).into(),
        other => anyhow::anyhow!("cannot store the secret: {other}"),
    }
}

fn put(args: &PutArgs) -> Result<ExitCode> {
    let bytes = match &args.from_file {
        Some(path) => {
            let mut file = std::fs::File::open(path)
                .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
            read_value(&mut file, &format!("`{}`", path.display()))?
        }
        None => {
            let stdin = std::io::stdin();
            if std::io::IsTerminal::is_terminal(&stdin) {
                eprintln!("reading the value from the terminal; end it with Ctrl-D");
            }
            read_value(&mut stdin.lock(), "standard input")?
        }
    };
    let value = SecretValue::from_bytes(bytes);
    let parts = open_platform_parts(&args.data)?;
    let service = service(&parts)?;
    let secrets = service.secrets();
    let now = now_ms();
    let request_id = new_request_id();
    let audit = |principal: &str, action: &str, arn: &str, reason: &str| -> Result<()> {
        let mut detail = serde_json::Map::new();
        detail.insert("via".into(), reason.into());
        if let Ok(user) = std::env::var("USER") {
            detail.insert("os_user".into(), user.into());
        }
        parts
            .audit
            .append(
                Record::new(principal, action, arn, Decision::Mutation)
                    .request_id(request_id.clone())
                    .detail(detail),
            )
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("the change was made but could not be audited: {e}"))
    };
    for arn in secrets.purge_expired(now).map_err(client_error)? {
        audit(
            SYSTEM_PRINCIPAL,
            "secretsmanager:DeleteSecret",
            &arn,
            "recovery window ended",
        )?;
    }
    let out = secrets
        .put_by_name(&args.name, &value, args.description.as_deref(), now)
        .map_err(client_error)?;
    let action = if out.created {
        "secretsmanager:CreateSecret"
    } else {
        "secretsmanager:PutSecretValue"
    };
    audit(CLI_PRINCIPAL, action, &out.arn, "mudroom secrets put")?;
    say(&format!(
        "{} secret `{}` ({}, {} bytes)\n  arn: {}\n  version: {} (AWSCURRENT)\n",
        if out.created { "created" } else { "updated" },
        args.name,
        match value {
            SecretValue::Text(_) => "string",
            SecretValue::Binary(_) => "binary",
        },
        value.bytes().len(),
        out.arn,
        out.version_id,
    ));
    Ok(ExitCode::SUCCESS)
}
