//! Integration tests of mira-mcp-client: the configuration files, and the client against
//! the official MCP reference server (`@modelcontextprotocol/server-everything`, pinned in
//! tests/everything/package.json) over stdio and streamable HTTP.

mod broken;
mod config;
mod http;
mod list_changed;
mod restart;
mod stdio;
mod support;
