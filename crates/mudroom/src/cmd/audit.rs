//! `mudroom audit`: verify, tail, query and export the audit log (while `mudroom up` runs).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use mudroom_audit::{AuditLog, Entry, Filter, Verification};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{UsageError, say};

#[derive(Debug, Args)]
pub struct AuditDir {
    /// The data directory holding `audit.db`.
    #[arg(long, default_value = ".mudroom")]
    data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain on a consistent snapshot; exit 1 naming the first bad record.
    Verify {
        #[command(flatten)]
        dir: AuditDir,
    },
    /// Print the last records, oldest first.
    Tail {
        #[command(flatten)]
        dir: AuditDir,
        /// How many records.
        #[arg(short = 'n', long = "lines", default_value_t = 50)]
        n: usize,
        /// Keep printing new records as they are appended.
        #[arg(long)]
        follow: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Print records matching every given filter.
    Query {
        #[command(flatten)]
        dir: AuditDir,
        /// The principal's ARN.
        #[arg(long)]
        principal: Option<String>,
        /// The action, like `secretsmanager:GetSecretValue`.
        #[arg(long)]
        action: Option<String>,
        /// `Allow`, `ExplicitDeny`, `ImplicitDeny`, `AuthFailed`, `Mutation`.
        #[arg(long)]
        decision: Option<String>,
        /// From this time on (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Before this time (RFC 3339).
        #[arg(long)]
        until: Option<String>,
        /// At most this many records.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Write every record as JSON lines (to stdout, or a file).
    Export {
        #[command(flatten)]
        dir: AuditDir,
        /// The output file.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

fn open(dir: &AuditDir) -> Result<AuditLog> {
    if !dir.data_dir.join(mudroom_audit::DB_FILE).exists() {
        return Err(UsageError(format!("`{}` holds no audit log", dir.data_dir.display())).into());
    }
    AuditLog::open(&dir.data_dir)
        .map_err(|e| UsageError(format!("cannot open the audit log: {e}")).into())
}

fn time_arg(text: &Option<String>, flag: &str) -> Result<Option<OffsetDateTime>> {
    text.as_deref()
        .map(|t| {
            OffsetDateTime::parse(t, &Rfc3339).map_err(|e| {
                UsageError(format!("--{flag} `{t}` is not an RFC 3339 time: {e}")).into()
            })
        })
        .transpose()
}

fn line(e: &Entry, json: bool) -> String {
    if json {
        return serde_json::to_string(e).unwrap_or_default() + "\n";
    }
    let statement = e
        .statement
        .as_deref()
        .map(|s| format!(" by {s}"))
        .unwrap_or_default();
    format!(
        "{} #{} {} {} {} on {}{statement} from {} ({})\n",
        e.time, e.seq, e.decision, e.principal, e.action, e.resource, e.source_ip, e.request_id
    )
}

pub fn run(command: AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Verify { dir } => {
            let log = open(&dir)?;
            match log
                .verify()
                .map_err(|e| anyhow::anyhow!("cannot read the audit log: {e}"))?
            {
                Verification::Intact { records, head } => {
                    say(&format!(
                        "intact: {records} records, head #{} {}\n",
                        head.seq, head.hash
                    ));
                    Ok(ExitCode::SUCCESS)
                }
                Verification::Broken(b) => {
                    say(&format!("broken at record #{}: {b}\n", b.seq));
                    Ok(ExitCode::from(1))
                }
            }
        }
        AuditCommand::Tail {
            dir,
            n,
            follow,
            json,
        } => {
            let log = open(&dir)?;
            let entries = log
                .tail(n)
                .map_err(|e| anyhow::anyhow!("cannot read the audit log: {e}"))?;
            let mut last = entries.last().map_or(0, |e| e.seq);
            let text: String = entries.iter().map(|e| line(e, json)).collect();
            say(&text);
            if !follow {
                return Ok(ExitCode::SUCCESS);
            }
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let more = log
                    .query(&Filter::new().after_seq(last).limit(1000))
                    .map_err(|e| anyhow::anyhow!("cannot read the audit log: {e}"))?;
                if let Some(e) = more.last() {
                    last = e.seq;
                }
                say(&more.iter().map(|e| line(e, json)).collect::<String>());
            }
        }
        AuditCommand::Query {
            dir,
            principal,
            action,
            decision,
            since,
            until,
            limit,
            json,
        } => {
            let log = open(&dir)?;
            let mut filter = Filter::new().limit(limit);
            if let Some(p) = principal {
                filter = filter.principal(p);
            }
            if let Some(a) = action {
                filter = filter.action(a);
            }
            if let Some(d) = decision {
                filter = filter.decision(d);
            }
            if let Some(t) = time_arg(&since, "since")? {
                filter = filter.since(t);
            }
            if let Some(t) = time_arg(&until, "until")? {
                filter = filter.until(t);
            }
            let entries = log
                .query(&filter)
                .map_err(|e| anyhow::anyhow!("cannot read the audit log: {e}"))?;
            say(&entries.iter().map(|e| line(e, json)).collect::<String>());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export { dir, output } => {
            let log = open(&dir)?;
            let n = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path).map_err(|e| {
                        UsageError(format!("cannot create `{}`: {e}", path.display()))
                    })?;
                    log.export(std::io::BufWriter::new(file))
                }
                None => log.export(std::io::stdout().lock()),
            }
            .map_err(|e| anyhow::anyhow!("export failed: {e}"))?;
            eprintln!("exported {n} records");
            Ok(ExitCode::SUCCESS)
        }
    }
}
