//! `mudroom policy`: check (validate and lint) and evaluate IAM policies.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use mudroom_policy::request::RequestFile;
use mudroom_policy::{ParseOptions, PolicyKind};
use serde_json::json;

use super::{UsageError, say};

/// Largest policy or request file read, in bytes.
const MAX_FILE_BYTES: u64 = 4 << 20;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate and lint policy files; exit 1 when any finding is an error.
    ///
    /// Findings have a severity (error, warning, suggestion), a code and the JSON path they
    /// point at. A file that does not parse or that AWS would refuse is an error finding.
    Check(CheckArgs),
    /// Evaluate a request file and explain the decision; exit 0 whatever the decision.
    ///
    /// The request file names the principal, action, resource, context and the policies of
    /// each slot (identity, resource, boundary, session, SCP, RCP).
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print `{"findings": [...]}` as JSON.
    #[arg(long)]
    json: bool,
    /// The slot the policies fill; by default a policy naming a principal is a resource
    /// policy (a trust policy when it has no Resource) and others are identity policies.
    #[arg(long, value_enum)]
    kind: Option<Slot>,
    /// Do not apply AWS's size limit (AWS managed policies are not bound by it).
    #[arg(long)]
    no_size_limit: bool,
    /// Policy files (JSON).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The request file (JSON).
    #[arg(long)]
    request: PathBuf,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Slot {
    Identity,
    Resource,
    Trust,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl From<Slot> for PolicyKind {
    fn from(s: Slot) -> Self {
        match s {
            Slot::Identity => PolicyKind::Identity,
            Slot::Resource => PolicyKind::Resource,
            Slot::Trust => PolicyKind::Trust,
            Slot::Boundary => PolicyKind::Boundary,
            Slot::Session => PolicyKind::Session,
            Slot::Scp => PolicyKind::Scp,
            Slot::Rcp => PolicyKind::Rcp,
        }
    }
}

pub fn run(command: PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Check(args) => check(&args),
        PolicyCommand::Eval(args) => eval(&args),
    }
}

fn read(path: &PathBuf) -> Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)
        .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(UsageError(format!(
            "`{}` is larger than {MAX_FILE_BYTES} bytes",
            path.display()
        ))
        .into());
    }
    Ok(text)
}

/// The slot a policy file most likely fills, from its shape.
fn guess_kind(text: &str) -> PolicyKind {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return PolicyKind::Identity;
    };
    let statements: Vec<&serde_json::Value> = match value.get("Statement") {
        Some(serde_json::Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
        None => Vec::new(),
    };
    let has = |key: &str| statements.iter().any(|s| s.get(key).is_some());
    if has("Principal") || has("NotPrincipal") {
        if has("Resource") || has("NotResource") {
            PolicyKind::Resource
        } else {
            PolicyKind::Trust
        }
    } else {
        PolicyKind::Identity
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    // Read every file first: a missing file is bad usage (exit 2), not a finding.
    let mut texts = Vec::with_capacity(args.files.len());
    for path in &args.files {
        texts.push((path, read(path)?));
    }
    let mut rows = Vec::new();
    let mut errors = 0usize;
    let mut out = String::new();
    for (path, text) in &texts {
        let kind = args.kind.map_or_else(|| guess_kind(text), PolicyKind::from);
        let mut options = ParseOptions::new(kind);
        if args.no_size_limit {
            options.max_chars = None;
        }
        let findings = mudroom_policy::lint::lint_text(text, options);
        for f in &findings {
            let severity = f.severity.as_str();
            if severity == "error" {
                errors += 1;
            }
            let file = path.display().to_string();
            if args.json {
                rows.push(json!({
                    "file": file,
                    "severity": severity,
                    "code": f.code,
                    "path": f.path,
                    "message": f.message,
                }));
            } else {
                let at = if f.path.is_empty() {
                    String::new()
                } else {
                    format!(" {}", f.path)
                };
                out.push_str(&format!(
                    "{file}:{at} {severity} [{}] {}\n",
                    f.code, f.message
                ));
            }
        }
    }
    if args.json {
        out = format!(
            "{}\n",
            serde_json::to_string_pretty(&json!({ "findings": rows }))?
        );
    } else {
        let n = args.files.len();
        out.push_str(&format!(
            "{n} file{} checked, {errors} error{}\n",
            if n == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" }
        ));
    }
    say(&out);
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn eval(args: &EvalArgs) -> Result<ExitCode> {
    let text = read(&args.request)?;
    let file = RequestFile::parse(&text)
        .map_err(|e| UsageError(format!("{}: {e}", args.request.display())))?;
    let explanation = file.explain();
    let statement = |s: &mudroom_policy::StatementRef| {
        json!({
            "policy": s.policy,
            "slot": s.slot,
            "statement": s.statement,
            "effect": match s.effect { mudroom_policy::Effect::Allow => "Allow", mudroom_policy::Effect::Deny => "Deny" },
        })
    };
    if args.json {
        let value = json!({
            "decision": explanation.decision.as_str(),
            "matched": explanation.matched.iter().map(statement).collect::<Vec<_>>(),
            "reasons": explanation.reasons,
            "near_misses": explanation.near_misses.iter().map(|m| {
                let mut v = statement(&m.statement);
                if let Some(o) = v.as_object_mut() {
                    o.insert("why".into(), m.why.clone().into());
                }
                v
            }).collect::<Vec<_>>(),
        });
        say(&format!("{}\n", serde_json::to_string_pretty(&value)?));
    } else {
        let mut out = format!("{}\n", explanation.decision.as_str());
        for m in &explanation.matched {
            let effect = match m.effect {
                mudroom_policy::Effect::Allow => "allows",
                mudroom_policy::Effect::Deny => "denies",
            };
            out.push_str(&format!(
                "  {} {effect}: {} ({})\n",
                m.statement, m.policy, m.slot
            ));
        }
        for r in &explanation.reasons {
            out.push_str(&format!("  because {r}\n"));
        }
        for m in &explanation.near_misses {
            out.push_str(&format!(
                "  nearest allow {} in {}: {}\n",
                m.statement.statement, m.statement.policy, m.why
            ));
        }
        say(&out);
    }
    Ok(ExitCode::SUCCESS)
}
