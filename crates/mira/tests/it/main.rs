//! End-to-end tests of the `mira` binary: each test starts the real server on an
//! ephemeral port with a temp data dir and a fixture project, and talks to it over
//! HTTP and WebSocket like a client would.

mod agent;
mod analyze;
mod auth;
mod build;
mod chat;
mod cli;
mod code;
mod commands;
mod connections;
mod context;
mod crash;
mod editor;
mod errors;
mod files;
mod frame_limit;
mod git;
mod harness;
mod honest;
mod mcp;
mod memory;
mod metrics;
mod modes;
mod probes;
mod rate_limit;
mod rotation;
mod shutdown;
mod symlink_race;
mod websocket;
