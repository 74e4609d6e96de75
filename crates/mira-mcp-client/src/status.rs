//! What [`crate::McpClients`] reports about each server and offers to the agent.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::config::{Scope, TransportKind};

/// Where a server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerState {
    /// The first connection is being made.
    Starting,
    /// Connected, initialised and listed: calls go through.
    Ready,
    /// The last connection or attempt failed (see `last_error`); a restart is scheduled.
    Failed,
    /// A later connection is being made, after a failure.
    Restarting,
    /// Shut down; it will not start again.
    Stopped,
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServerState::Starting => "starting",
            ServerState::Ready => "ready",
            ServerState::Failed => "failed",
            ServerState::Restarting => "restarting",
            ServerState::Stopped => "stopped",
        })
    }
}

/// A snapshot of one server.
#[derive(Debug, Clone, Serialize)]
pub struct ServerStatus {
    /// The name in the configuration.
    pub name: String,
    pub scope: Scope,
    /// The file that configured it.
    pub source: PathBuf,
    pub transport: TransportKind,
    pub state: ServerState,
    /// From `initialize`, once connected.
    pub server_info: Option<ServerInfo>,
    /// The process id of a running stdio server (it leads its own process group).
    pub pid: Option<u32>,
    /// The lists are those of the last connection that got them (kept while restarting).
    pub tools: Vec<ToolInfo>,
    pub resources: Vec<ResourceInfo>,
    pub resource_templates: Vec<ResourceTemplateInfo>,
    pub prompts: Vec<PromptInfo>,
    /// The most recent failure, kept after a successful restart. For a stdio server that
    /// died it ends with the last lines the process wrote to stderr.
    pub last_error: Option<String>,
    /// Connection attempts after the first.
    pub restarts: u32,
}

/// What the server said about itself in `initialize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerInfo {
    pub name: String,
    pub version: String,
    /// The protocol version both sides agreed on.
    pub protocol_version: String,
    /// The server's advice to the model on using it, if any.
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolInfo {
    /// `mcp__<server>__<tool>`: see [`crate::names`].
    pub qualified_name: String,
    /// The tool's own name, as the server knows it.
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceInfo {
    pub uri: String,
    pub name: String,
    pub description: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceTemplateInfo {
    pub uri_template: String,
    pub name: String,
    pub description: Option<String>,
    pub mime_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptInfo {
    /// `mcp__<server>__<prompt>`, the slash command's name.
    pub qualified_name: String,
    pub name: String,
    pub description: Option<String>,
    /// In the server's order, which is the order of positional arguments.
    pub arguments: Vec<PromptArgument>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptArgument {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
}

/// A tool offered to the model (ready servers only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McpTool {
    /// The name the model calls it by and [`crate::McpClients::call_tool`] takes.
    pub qualified_name: String,
    pub server: String,
    pub name: String,
    /// The server's description (empty when it gave none).
    pub description: String,
    /// JSON Schema of the arguments (an object schema).
    pub input_schema: Value,
}

/// A prompt offered as a slash command (ready servers only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpPrompt {
    pub qualified_name: String,
    pub server: String,
    pub name: String,
    pub description: Option<String>,
    pub arguments: Vec<PromptArgument>,
}
