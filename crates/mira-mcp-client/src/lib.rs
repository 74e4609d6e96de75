//! Mira as an MCP client: the Model Context Protocol servers a user configured for a
//! project, over stdio and streamable HTTP (both through rmcp, the official Rust SDK),
//! and their tools, resources and prompts for the agent engine, the server and the CLI.
//!
//! ```no_run
//! # async fn example() -> Result<(), mira_mcp_client::McpError> {
//! use mira_mcp_client::{ClientOptions, ConfigPaths, McpClients, load_config};
//!
//! let config = load_config(&ConfigPaths::for_project("/work/app"), &|name| std::env::var(name).ok());
//! for problem in &config.problems {
//!     eprintln!("{problem}");
//! }
//! let options = ClientOptions { working_dir: Some("/work/app".into()), ..ClientOptions::default() };
//! let clients = McpClients::start(config.servers, options); // returns at once
//! for tool in clients.tools() {
//!     println!("{}: {}", tool.qualified_name, tool.description);
//! }
//! let answer = clients
//!     .call_tool("mcp__files__read_file", serde_json::json!({"path": "README.md"}), None)
//!     .await?;
//! println!("{}", answer.text);
//! clients.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Configuration ([`config`])
//!
//! Claude Code's `.mcp.json` format, read as it is: `{"mcpServers": {"<name>": {...}}}`,
//! where an entry is `{"command", "args", "env"}` (`"type"` absent or `"stdio"`) or
//! `{"type": "http", "url", "headers"}` (`"streamable-http"` and `"streamableHttp"` are
//! accepted too; an entry with a `url` and no `command` is HTTP even without a type).
//! `"type": "sse"`, the transport MCP deprecated, is reported as unsupported for that
//! server. `${VAR}` and `${VAR:-default}` expand in the command, args, env values, url and
//! header values, through a lookup the caller passes; an unset variable without a default
//! skips its server with a problem naming the variable.
//!
//! Sources, in precedence order (on a name clash the first wins and the others are
//! reported as shadowed):
//!
//! 1. `~/.claude.json`, `projects["<absolute project path>"].mcpServers` (Claude Code's
//!    local scope, which ranks above the project's files there too);
//! 2. `<project>/.mira/mcp.json`;
//! 3. `<project>/.mcp.json` (Claude Code's project scope);
//! 4. `<home>/.mira/mcp.json`;
//! 5. `~/.claude.json`, top-level `mcpServers` (Claude Code's user scope).
//!
//! A missing file is skipped; an unreadable one or invalid JSON is a problem naming the
//! file (and line and column); the other files still load. [`load_config`] never fails.
//!
//! # Names ([`names`])
//!
//! A tool or prompt is offered as `mcp__<server>__<name>`, with characters outside
//! `[A-Za-z0-9_-]` replaced by `_`, at most 64 characters (longer names are cut and end
//! with `_` and 8 hex digits of a hash of the original names), and unique across servers (a
//! later clash, in configuration order, gets the hash suffix). Prompts are the slash
//! commands; their arguments are listed in the server's order for positional mapping.
//!
//! # Lifecycle ([`McpClients`])
//!
//! [`McpClients::start`] gives each server a supervisor task and returns at once: a slow or
//! broken server never holds up the others or the caller. A supervisor connects, runs
//! `initialize`, lists tools, prompts, resources and resource templates (every page), and
//! lists again when the server sends `notifications/*/list_changed`. The state goes
//! `starting` -> `ready`; when a connection ends (a stdio process exits, an HTTP request
//! finds the server gone) it goes `failed` with `last_error` (for stdio, the exit status and
//! the last stderr lines), calls in flight fail at once with [`McpError::ServerStopped`],
//! and after a backoff (0.5 s doubling to 30 s, reset by a connection that lasted 30 s)
//! `restarting` -> `ready` again. [`McpClients::status`] shows all of it per server.
//!
//! A stdio server runs in the project directory as the leader of its own process group,
//! with Mira's environment plus its `env`; its stderr is drained all the time into a ring
//! of recent lines. [`McpClients::shutdown`] closes each session, sends SIGTERM to each
//! process group and SIGKILL after a grace period; dropping the last clone of
//! [`McpClients`] kills the groups at once.
//!
//! HTTPS uses rustls with ring's primitives and the system's trust store.
//!
//! # Errors
//!
//! A tool that ran and failed is not an error: [`ToolAnswer::is_error`] is set and the text
//! says what the server said, for the model to read. [`McpError`] is for a call that got no
//! answer: an unknown name, a server not ready (with its state and last error), a server
//! that stopped during the call, the call timeout ([`ClientOptions::call_timeout`], 120 s by
//! default) or a cancel (both send `notifications/cancelled`), a JSON-RPC error from the
//! server, or shutdown. Each message says what to do next.

mod child;
pub mod config;
mod connect;
mod error;
mod expand;
mod handler;
mod manager;
pub mod names;
pub mod render;
pub mod status;
mod supervisor;

pub use config::{
    ConfigPaths, ConfigProblem, ConfigSource, McpConfig, ProblemKind, Scope, ServerConfig, TransportConfig,
    TransportKind, load_config,
};
pub use error::McpError;
pub use manager::{ClientOptions, McpClients};
pub use render::ToolAnswer;
pub use status::{
    McpPrompt, McpTool, PromptArgument, PromptInfo, ResourceInfo, ResourceTemplateInfo, ServerInfo,
    ServerState, ServerStatus, ToolInfo,
};
pub use tokio_util::sync::CancellationToken;

/// Makes ring the process's default rustls provider. reqwest 0.13 is built here with
/// `rustls-no-provider` (to keep aws-lc-rs's C build out), so a client built with
/// reqwest's defaults (rmcp's own default HTTP client, for one) panics without a process
/// default. Safe to call any number of times; an installed provider is kept.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
