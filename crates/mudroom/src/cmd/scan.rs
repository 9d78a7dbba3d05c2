//! `mudroom scan`: the deploy gate's checks on an app directory, run by hand or in CI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use mudroom_gate::{AdvisoryDb, Policy, RuleSet, ScanOptions, SecretScanner, scan_dir};
use mudroom_store::Store;

use super::{UsageError, say};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0, for code scanning tools.
    Sarif,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The app directory.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The data directory holding the advisory database (see `mudroom advisories`).
    #[arg(long, default_value = ".mudroom")]
    data_dir: PathBuf,
    /// Secret rules in gitleaks' TOML format, used instead of the defaults (or added to them
    /// with `[extend] useDefault = true`).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Block when advisories could not be checked (no or empty advisory database).
    #[arg(long)]
    require_advisories: bool,
}

/// Exit 0 when nothing blocks, 1 when something does, 2 on bad usage.
pub fn run(args: ScanArgs) -> Result<ExitCode> {
    if !args.dir.is_dir() {
        return Err(UsageError(format!("`{}` is not a directory", args.dir.display())).into());
    }
    let rules = match &args.rules {
        None => RuleSet::builtin()?,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("cannot read rules `{}`: {e}", path.display())))?;
            RuleSet::from_toml(&text, &path.display().to_string())
                .map_err(|e| UsageError(e.to_string()))?
        }
    };
    let scanner = SecretScanner::new(rules).map_err(|e| UsageError(e.to_string()))?;
    // A data directory that does not exist is not created by a scan: there is no database.
    let db = if args.data_dir.is_dir() {
        let store = Store::open(&args.data_dir).map_err(|e| UsageError(e.to_string()))?;
        Some(AdvisoryDb::open(store)?)
    } else if args.data_dir.exists() {
        return Err(UsageError(format!(
            "data directory `{}` is not a directory",
            args.data_dir.display()
        ))
        .into());
    } else {
        None
    };
    let report = scan_dir(
        &args.dir,
        &ScanOptions {
            scanner: &scanner,
            advisories: db.as_ref(),
            exclude: vec![args.data_dir.clone()],
        },
    )
    .map_err(|e| UsageError(e.to_string()))?;
    let policy = Policy {
        require_advisories: args.require_advisories,
        ..Policy::default()
    };
    let text = match args.format {
        Format::Text => report.to_text(&policy, mudroom_store::unix_seconds()),
        Format::Json => format!("{:#}\n", report.to_json(&policy)),
        Format::Sarif => format!("{:#}\n", report.to_sarif(&policy, &root_uri(&args.dir))),
    };
    say(&text);
    Ok(if report.verdict(&policy).blocked() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `file:///abs/path/` of the scanned directory, for SARIF's `originalUriBaseIds`.
fn root_uri(dir: &Path) -> String {
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut uri = format!(
        "file://{}",
        mudroom_gate::report::uri_path(&abs.to_string_lossy())
    );
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}
