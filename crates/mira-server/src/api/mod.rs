//! The JSON API under `/api`, one module per domain. Every route here requires a token.

pub mod build;
pub mod code;
pub mod commands;
pub mod context;
pub mod file_save;
pub mod files;
pub mod git;
pub mod llm;
pub mod memory;
pub mod operations;
pub mod projects;
pub mod search;
pub mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/token/rotate", post(token::rotate))
        .route("/budget", get(llm::budget))
        .route("/llm/routes", get(llm::routes))
        .route("/conversations", get(llm::conversations))
        .route("/memory", get(memory::list).post(memory::remember))
        .route("/memory/search", get(memory::search))
        .route("/memory/profile", get(memory::profile))
        .route("/memory/patterns", get(memory::patterns))
        .route("/memory/summaries", get(memory::summaries))
        .route(
            "/memory/{id}",
            axum::routing::patch(memory::edit).delete(memory::forget),
        )
        .route(
            "/conversations/{id}",
            get(llm::conversation).delete(llm::delete_conversation),
        )
        .route("/projects", get(projects::list).post(projects::add))
        .route("/projects/{id}", get(projects::get).delete(projects::remove))
        .route("/projects/{id}/tree", get(files::tree))
        .route("/projects/{id}/file", get(files::file).put(file_save::save))
        .route("/projects/{id}/git/index", post(git::index))
        .route("/projects/{id}/git/log", get(git::log))
        .route("/projects/{id}/git/cochange", get(git::cochange))
        .route("/projects/{id}/git/experts", get(git::experts))
        .route("/projects/{id}/git/blame", get(git::blame))
        .route("/projects/{id}/git/fixes", post(git::fixes))
        .route("/projects/{id}/code/index", post(code::index))
        .route("/projects/{id}/code/files", get(code::files))
        .route("/projects/{id}/code/symbols", get(code::symbols))
        .route("/projects/{id}/code/callers", get(code::callers))
        .route("/projects/{id}/code/callees", get(code::callees))
        .route("/projects/{id}/code/impact", get(code::impact))
        .route("/projects/{id}/code/definition", get(code::definition))
        .route("/projects/{id}/code/callgraph", get(code::callgraph))
        .route("/projects/{id}/commands", get(commands::list))
        .route("/projects/{id}/commands/run", post(commands::run))
        .route("/projects/{id}/agents", get(commands::agents))
        .route("/projects/{id}/hooks", get(commands::hooks))
        .route("/projects/{id}/mcp", get(commands::mcp))
        .route("/projects/{id}/context", get(context::get).post(context::post))
        .route("/projects/{id}/search", get(search::search))
        .route("/projects/{id}/search/index", post(search::index))
        .route("/projects/{id}/search/status", get(search::status))
        .route("/projects/{id}/concepts", get(search::concepts))
        .route("/projects/{id}/concepts/{concept}", get(search::concept))
        .route("/concepts/rules", post(search::add_rule))
        .route("/projects/{id}/build/runs", get(build::runs).post(build::run))
        .route("/projects/{id}/build/runs/{run}", get(build::run_detail))
        .route("/projects/{id}/build/runs/{run}/log", get(build::run_log))
        .route("/projects/{id}/build/runs/{run}/cancel", post(build::cancel))
        .route("/projects/{id}/build/errors", get(build::errors))
        .route("/projects/{id}/build/errors/{error}", get(build::error_detail))
        .route(
            "/projects/{id}/operations",
            get(operations::list).post(operations::create),
        )
        .route("/projects/{id}/checkpoints", get(operations::project_checkpoints))
        .route("/operations/{id}", get(operations::get))
        .route("/operations/{id}/artifacts/{artifact}", post(operations::decide))
        .route("/operations/{id}/cancel", post(operations::cancel))
        .route("/checkpoints/{id}/rewind", post(operations::rewind))
}
