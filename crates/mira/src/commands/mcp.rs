//! `mira mcp`: Mira as an MCP server over stdio for a coding agent, and
//! `mira mcp config HOST`, the host's set-up snippet. Stdout carries only protocol
//! messages; logs go to stderr.

use std::process::ExitCode;
use std::sync::Arc;

use mira_core::Config;
use mira_mcp::{Backend, Engine, MiraMcp, ProjectChoice, Remote};
use mira_oracle::{Context, ContextRequest, Oracle};
use mira_search::query::{Mode, SearchRequest, SearchResponse};
use mira_store::Db;
use rmcp::ServiceExt;
use serde_json::Value;

use super::search::{Access, access};

#[derive(clap::Args)]
pub struct McpArgs {
    #[command(subcommand)]
    command: Option<McpCommand>,
    /// Project id or path; default: the first root the client offers, else the current
    /// directory (registered and indexed on first use).
    #[arg(long)]
    project: Option<String>,
}

#[derive(clap::Subcommand)]
enum McpCommand {
    /// Print the set-up snippet for HOST (claude, codex, gemini, cursor, vscode, zed)
    /// with this machine's `mira` binary.
    Config {
        host: String,
        /// Pin the server to this project (id or path).
        #[arg(long)]
        project: Option<String>,
    },
}

pub async fn run(config: Config, args: McpArgs) -> anyhow::Result<ExitCode> {
    if let Some(McpCommand::Config { host, project }) = args.command {
        return print_config(&host, project.as_deref());
    }
    let db = Db::open(&mira_server::db_path(&config)).await?;
    // The lock is held for the life of the server when this process owns the store.
    let (engine, _lock) = match access(&config, &db).await? {
        Access::Local(search, lock) => {
            let local = Arc::new(mira_llm::providers::local::Local::unavailable(
                "not used by the MCP server",
            ));
            let gateway = mira_llm::setup::gateway(&config, &db, local)
                .await
                .map_err(anyhow::Error::msg)?;
            let oracle =
                Oracle::new(db.clone(), Arc::new(config.clone()), Some(search.clone())).with_gateway(gateway);
            (Engine::Local { search, oracle }, Some(lock))
        }
        Access::Server => {
            tracing::info!("a running Mira server holds the data dir: search and context go through it");
            (Engine::Remote(Arc::new(ServerRemote(config.clone()))), None)
        }
    };
    let watch = matches!(engine, Engine::Local { .. });
    let mut backend = Backend::new(db.clone(), Arc::new(config), engine.clone());
    backend.cwd = std::env::current_dir().ok();
    let choice = ProjectChoice {
        explicit: args.project,
        watch,
    };
    let server = MiraMcp::new(Arc::new(backend), choice);
    let running = server.serve(rmcp::transport::stdio()).await?;
    let reason = running.waiting().await;
    tracing::debug!("MCP session ended: {reason:?}");
    if let Engine::Local { search, .. } = engine {
        search.flush().await;
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

fn print_config(host: &str, project: Option<&str>) -> anyhow::Result<ExitCode> {
    let binary = std::env::current_exe()?;
    let binary = binary.canonicalize().unwrap_or(binary);
    let snippet = mira_mcp::hosts::snippet(host, &binary, project).map_err(anyhow::Error::msg)?;
    if let Some(where_) = mira_mcp::hosts::destination(host) {
        eprintln!("{where_}");
    }
    println!("{snippet}");
    Ok(ExitCode::SUCCESS)
}

/// Search and context through the running server's HTTP API (as `mira search` and
/// `mira context` do when the server holds the data dir).
struct ServerRemote(Config);

#[async_trait::async_trait]
impl Remote for ServerRemote {
    async fn search(&self, request: &SearchRequest) -> anyhow::Result<SearchResponse> {
        let mode = match request.mode {
            Mode::Hybrid => "hybrid",
            Mode::Keyword => "keyword",
            Mode::Dense => "dense",
        };
        let mut query = vec![
            ("q", request.query.clone()),
            ("limit", request.limit.to_string()),
            ("mode", mode.to_string()),
        ];
        for (k, v) in [
            ("collection", &request.collection),
            ("lang", &request.language),
            ("path", &request.path),
            ("kind", &request.kind),
        ] {
            if let Some(v) = v {
                query.push((k, v.clone()));
            }
        }
        let value = mira_server::client::request_json(
            &self.0,
            "GET",
            &format!("/api/projects/{}/search", request.project_id),
            &query,
        )
        .await?;
        Ok(serde_json::from_value(value)?)
    }

    async fn context(&self, project_id: i64, request: &ContextRequest) -> anyhow::Result<Context> {
        let value = mira_server::client::post_json(
            &self.0,
            &format!("/api/projects/{project_id}/context"),
            &serde_json::to_value(request)?,
        )
        .await?;
        Ok(serde_json::from_value(value)?)
    }

    async fn search_status(&self, project_id: i64) -> anyhow::Result<Value> {
        mira_server::client::request_json(
            &self.0,
            "GET",
            &format!("/api/projects/{project_id}/search/status"),
            &[],
        )
        .await
    }

    async fn refresh_search(&self, project_id: i64) -> anyhow::Result<Value> {
        mira_server::client::request_json(
            &self.0,
            "POST",
            &format!("/api/projects/{project_id}/search/index"),
            &[],
        )
        .await
    }
}
