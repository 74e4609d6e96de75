use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use mira_core::Config;
use mira_server::Server;
use mira_store::projects;

#[derive(clap::Args)]
pub struct Args {
    /// Register this directory as a project before starting (may be repeated).
    #[arg(long = "project", value_name = "PATH")]
    projects: Vec<PathBuf>,
    /// The address to listen on (as MIRA_HOST; default 127.0.0.1).
    #[arg(long, value_name = "IP")]
    host: Option<std::net::IpAddr>,
    /// The port to listen on (as MIRA_PORT; default 3001, 0 picks a free one).
    #[arg(long)]
    port: Option<u16>,
}

pub async fn run(mut config: Config, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(host) = args.host {
        config.server.host = host;
    }
    if let Some(port) = args.port {
        config.server.port = port;
    }
    if !config.server.host.is_loopback() {
        tracing::warn!(
            "MIRA_HOST={} exposes Mira beyond this machine; put a TLS proxy in front of it and keep the token secret",
            config.server.host
        );
    }
    let ui_dir = mira_server::ui_dir(config.server.ui_dir.as_deref());
    let server = Server::open(config).await?;
    let db = &server.state().db;
    let mut wanted = args.projects;
    if wanted.is_empty() && projects::list(db).await?.is_empty() {
        wanted.push(std::env::current_dir()?);
    }
    for path in wanted {
        match projects::add(db, &path, None).await {
            Ok(p) => tracing::info!("registered project {} at {}", p.name, p.root.display()),
            Err(mira_store::StoreError::ProjectExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let names: Vec<String> = projects::list(db)
        .await?
        .into_iter()
        .map(|p| p.root.display().to_string())
        .collect();
    if !mira_server::ui_is_built(&ui_dir) {
        tracing::warn!(
            "the web UI is not built in {}: run `npm --prefix frontend ci && npm --prefix frontend run build`",
            ui_dir.display()
        );
    }
    server
        .serve(|url| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "Mira {} is running for {}.",
                mira_core::VERSION,
                names.join(", ")
            );
            let _ = writeln!(out, "Open {url}");
            let _ = writeln!(out, "Stop it with Ctrl-C.");
            let _ = out.flush();
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}
