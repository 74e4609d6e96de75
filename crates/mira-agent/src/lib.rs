//! Mira's operation engine: an agent that works on a task in a project with tools.
//!
//! - [`engine`]: the loop of model calls through the gateway (tools declared, each call
//!   run and its result fed back) with a step limit and cancellation.
//! - [`tools`]: the tools (read, search, code graph, history, builds, edits, questions);
//!   every path is confined to the project root by [`confine`], which the server's
//!   file API shares; `run_build` runs only what [`allowlist`] allows.
//! - [`changes`], [`artifacts`], [`checkpoints`]: every file change is preceded by a
//!   checkpoint of the file's previous bytes and is an artifact (a unified diff); in
//!   ask mode nothing is written before it is applied; [`checkpoints::rewind`] puts
//!   files back byte-exact.
//! - [`events`] and [`store`]: the typed events streamed to the terminal and the UI and
//!   stored with the operation; [`operation`]: the handle that decides, answers and
//!   cancels.

pub mod agent_defs;
pub mod allowlist;
pub mod artifacts;
mod changes;
pub mod checkpoints;
pub mod commands;
pub mod confine;
pub mod confine_open;
pub mod engine;
pub mod error;
pub mod events;
pub mod extensions;
pub mod frontmatter;
pub mod fsutil;
mod grounding;
mod hook_points;
pub mod markdown_dirs;
pub mod operation;
pub mod store;
pub mod tool_filter;
pub mod tools;

pub use artifacts::Decision;
pub use engine::{AgentDeps, Operation, OperationRequest, Outcome, check_route, drive, start};
pub use error::AgentError;
pub use events::AgentEvent;
pub use operation::{OperationHandle, Registry};
pub use tools::Mode;
