//! `mudroom advisories`: the offline OSV advisory database `mudroom scan` matches packages
//! against.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use mudroom_gate::AdvisoryDb;
use mudroom_gate::report::{NOT_CHECKED_EMPTY, age_text};
use mudroom_store::Store;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{UsageError, say};

#[derive(Debug, Args)]
pub struct AdvisoryDir {
    /// The data directory holding the advisory database.
    #[arg(long, default_value = ".mudroom")]
    data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AdvisoriesCommand {
    /// Import OSV advisories: a directory of OSV JSON files (searched recursively), one file,
    /// or an ecosystem's `all.zip` export. Advisories already stored are replaced.
    Import {
        #[command(flatten)]
        dir: AdvisoryDir,
        /// The directory, `.json` file or `.zip` archive.
        path: PathBuf,
    },
    /// Show how many advisories are stored per ecosystem and how old the newest import is.
    Status {
        #[command(flatten)]
        dir: AdvisoryDir,
        /// One JSON document.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: AdvisoriesCommand) -> Result<ExitCode> {
    match command {
        AdvisoriesCommand::Import { dir, path } => import(&dir, &path),
        AdvisoriesCommand::Status { dir, json } => status(&dir, json),
    }
}

fn open(dir: &AdvisoryDir) -> Result<AdvisoryDb> {
    let store = Store::open(&dir.data_dir).map_err(|e| UsageError(e.to_string()))?;
    Ok(AdvisoryDb::open(store)?)
}

fn import(dir: &AdvisoryDir, path: &std::path::Path) -> Result<ExitCode> {
    if !path.exists() {
        return Err(UsageError(format!("`{}` does not exist", path.display())).into());
    }
    let db = open(dir)?;
    let summary = db
        .import(path, mudroom_store::unix_seconds())
        .map_err(|e| UsageError(e.to_string()))?;
    if summary.imported == 0 {
        let why = summary
            .invalid_examples
            .first()
            .map(|(f, e)| format!(" (`{f}`: {e})"))
            .unwrap_or_default();
        return Err(UsageError(format!("no OSV advisories in `{}`{why}", path.display())).into());
    }
    let mut out = format!(
        "imported {} advisories from `{}` ({} withdrawn)\n",
        summary.imported,
        path.display(),
        summary.withdrawn
    );
    for (eco, n) in &summary.by_ecosystem {
        out.push_str(&format!("  {eco:<12} {n}\n"));
    }
    if summary.invalid > 0 {
        out.push_str(&format!(
            "{} file(s) were not OSV advisories and were skipped:\n",
            summary.invalid
        ));
        for (f, e) in &summary.invalid_examples {
            out.push_str(&format!("  {f}: {e}\n"));
        }
    }
    say(&out);
    Ok(ExitCode::SUCCESS)
}

fn status(dir: &AdvisoryDir, json: bool) -> Result<ExitCode> {
    let now = mudroom_store::unix_seconds();
    // Status of a directory that does not exist: nothing imported, and nothing created.
    let status = if dir.data_dir.is_dir() {
        Some(open(dir)?.status()?)
    } else {
        None
    };
    if json {
        let value = match &status {
            Some(s) => serde_json::json!({
                "advisories": s.advisories,
                "withdrawn": s.withdrawn,
                "by_ecosystem": s.by_ecosystem.iter().map(|(e, n)| (e.clone(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
                "imports": s.imports,
                "newest_import": s.newest_import,
                "newest_import_age_seconds": s.newest_import.as_ref().map(|i| now - i.imported_at),
                "empty": s.is_empty(),
            }),
            None => {
                serde_json::json!({"advisories": 0, "withdrawn": 0, "by_ecosystem": {}, "imports": 0, "newest_import": null, "empty": true})
            }
        };
        say(&format!("{value:#}\n"));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(s) = status.filter(|s| !s.is_empty()) else {
        say(&format!("advisories: none ({NOT_CHECKED_EMPTY})\n"));
        return Ok(ExitCode::SUCCESS);
    };
    let mut out = format!(
        "advisories: {} ({} withdrawn) from {} import(s)\n",
        s.advisories, s.withdrawn, s.imports
    );
    out.push_str(&format!("  {:<12} advisories\n", "ecosystem"));
    for (eco, n) in &s.by_ecosystem {
        out.push_str(&format!("  {eco:<12} {n}\n"));
    }
    if let Some(i) = &s.newest_import {
        let when = OffsetDateTime::from_unix_timestamp(i.imported_at)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| i.imported_at.to_string());
        out.push_str(&format!(
            "newest import: {} ({when}, {} advisories from `{}`)\n",
            age_text(now - i.imported_at),
            i.advisories,
            i.source
        ));
    }
    say(&out);
    Ok(ExitCode::SUCCESS)
}
