//! The `mudroom` binary: the command line of the platform.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod platform;

/// mudroom: a self-hosted serverless platform where security is the default.
///
/// Every function gets only what its execution role (AWS IAM policy JSON) grants, reads
/// secrets from an encrypted vault at run time, and sits behind a WAF and schema checks.
#[derive(Debug, Parser)]
#[command(name = "mudroom", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check, evaluate and explain AWS IAM policies.
    #[command(subcommand)]
    Policy(cmd::policy::PolicyCommand),
    /// Run the platform: the AWS-compatible services endpoint (and, with an app, its functions).
    Up(cmd::up::UpArgs),
    /// Verify, tail, query and export the tamper-evident audit log.
    #[command(subcommand)]
    Audit(cmd::audit::AuditCommand),
    /// Operator commands on a data directory.
    #[command(subcommand)]
    Admin(cmd::admin::AdminCommand),
    /// Store secrets in a data directory (works while `mudroom up` runs).
    #[command(subcommand)]
    Secrets(cmd::secrets::SecretsCommand),
    /// Print the version.
    Version,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Policy(c) => cmd::policy::run(c),
        Command::Up(a) => cmd::up::run(a),
        Command::Admin(c) => cmd::admin::run(c),
        Command::Audit(c) => cmd::audit::run(c),
        Command::Secrets(c) => cmd::secrets::run(c),
        Command::Version => {
            cmd::say(&format!("mudroom {}\n", env!("CARGO_PKG_VERSION")));
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "error: {e}");
            for cause in e.chain().skip(1) {
                let _ = write!(stderr, ": {cause}");
            }
            let _ = writeln!(stderr);
            ExitCode::from(cmd::exit_code_of(&e))
        }
    }
}
