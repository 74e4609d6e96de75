//! Mira as an MCP server: the code, git and build intelligence of a project as tools a
//! coding agent (Claude Code, Codex CLI, Gemini CLI, Cursor, VS Code, Zed) can call.
//!
//! One handler ([`MiraMcp`], an rmcp `ServerHandler`) serves both transports: `mira mcp`
//! runs it over stdio, `mira serve` mounts it at `/mcp` as rmcp's streamable HTTP
//! service ([`http::service`]). The tools ([`tools`]) call the same library queries the
//! CLI's `--json` output and the agent's tools are made from, and answer the same JSON
//! shapes, bounded by a `limit` with a `truncated` flag.
//!
//! ```no_run
//! # async fn run(backend: std::sync::Arc<mira_mcp::Backend>) -> anyhow::Result<()> {
//! use rmcp::ServiceExt;
//! let server = mira_mcp::MiraMcp::new(backend, mira_mcp::ProjectChoice::default());
//! server.serve(rmcp::transport::stdio()).await?.waiting().await?;
//! # Ok(()) }
//! ```

pub mod args;
pub mod backend;
pub mod hosts;
pub mod http;
pub mod render;
pub mod server;
pub mod tools;

pub use backend::{Backend, Engine, Remote};
pub use server::{MiraMcp, ProjectChoice};
