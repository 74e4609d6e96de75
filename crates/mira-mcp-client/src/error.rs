//! The errors of calls through [`crate::McpClients`], each saying what to do next.

use std::time::Duration;

use crate::status::ServerState;

#[derive(Debug, Clone, thiserror::Error)]
pub enum McpError {
    #[error(
        "no MCP tool named \"{name}\"{hint}; the MCP tools available now are the ones McpClients::tools lists"
    )]
    UnknownTool { name: String, hint: String },

    #[error(
        "no MCP prompt named \"{name}\"{hint}; the prompts available now are the ones McpClients::prompts lists"
    )]
    UnknownPrompt { name: String, hint: String },

    #[error("no MCP server named \"{name}\"; the configured servers are: {known}")]
    UnknownServer { name: String, known: String },

    #[error("MCP server \"{server}\" is {state}{}; it is (re)started in the background, try again shortly",
        last_error.as_deref().map(|e| format!(" (last error: {e})")).unwrap_or_default())]
    NotReady {
        server: String,
        state: ServerState,
        last_error: Option<String>,
    },

    #[error(
        "MCP server \"{server}\" stopped while {action} was running ({detail}); it is being restarted in the \
             background, try again shortly"
    )]
    ServerStopped {
        server: String,
        action: String,
        detail: String,
    },

    #[error("MCP server \"{server}\" did not answer {action} within {} s; the request was cancelled (raise \
             ClientOptions::call_timeout if the tool is slow by nature)", after.as_secs_f64())]
    Timeout {
        server: String,
        action: String,
        after: Duration,
    },

    #[error("{action} on MCP server \"{server}\" was cancelled")]
    Cancelled { server: String, action: String },

    #[error("MCP server \"{server}\" refused {action}: {message} (JSON-RPC error {code})")]
    Server {
        server: String,
        action: String,
        code: i32,
        message: String,
    },

    #[error("MCP server \"{server}\" answered {action} with something unexpected: {detail}")]
    Protocol {
        server: String,
        action: String,
        detail: String,
    },

    #[error("{0}")]
    InvalidArguments(String),

    #[error("the MCP clients were shut down; start them again to call MCP servers")]
    Shutdown,
}
