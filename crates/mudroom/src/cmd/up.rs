//! `mudroom up`: run the platform.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use clap::Args;
use mudroom_services::platform::{Platform, Service};

use super::{UsageError, say};
use crate::platform::{DataDirArgs, open_platform_parts};

#[derive(Debug, Args)]
pub struct UpArgs {
    /// The app directory (holding `mudroom.toml`); optional until functions are deployed.
    app: Option<PathBuf>,
    #[command(flatten)]
    data: DataDirArgs,
    /// Where the AWS-compatible services endpoint listens.
    #[arg(long, default_value = "127.0.0.1:4566")]
    services_listen: SocketAddr,
    /// PEM certificate chain for TLS (required on a non-loopback address).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address (requests are then not `aws:SecureTransport`).
    #[arg(long)]
    insecure_listen: bool,
}

pub fn run(args: UpArgs) -> Result<ExitCode> {
    if let Some(app) = &args.app
        && !app.is_dir()
    {
        return Err(UsageError(format!("app directory `{}` does not exist", app.display())).into());
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(mudroom_services::server::tls_acceptor(cert, key).map_err(UsageError)?)
        }
        _ => None,
    };
    if !args.services_listen.ip().is_loopback() && tls.is_none() && !args.insecure_listen {
        return Err(UsageError(format!(
            "refusing to serve plain HTTP on non-loopback address {}: give --tls-cert and --tls-key, or --insecure-listen to accept the risk",
            args.services_listen
        ))
        .into());
    }
    let parts = open_platform_parts(&args.data)?;
    let _lock = parts
        .store
        .lock_server()
        .map_err(|e| UsageError(e.to_string()))?;
    let services: Vec<Arc<dyn Service>> = vec![
        Arc::new(mudroom_services::sts::Sts),
        Arc::new(mudroom_services::iam::Iam),
        Arc::new(crate::cmd::secrets::service(&parts)?),
    ];
    let platform = Arc::new(Platform::new(
        Arc::clone(&parts.identities),
        Arc::clone(&parts.audit),
        services,
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.services_listen)
            .await
            .map_err(|e| UsageError(format!("cannot listen on {}: {e}", args.services_listen)))?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        say(&format!(
            "mudroom is up\n  services endpoint: {scheme}://{addr}\n  account: {}  region: {}\n  data directory: {}\n  admin credentials: mudroom admin credentials --data-dir {}\n",
            parts.identities.account(),
            parts.identities.region(),
            args.data.data_dir.display(),
            args.data.data_dir.display(),
        ));
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        };
        mudroom_services::serve(listener, tls, platform, shutdown).await;
        say("mudroom stopped\n");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
