//! The JSON API under `/api`, one module per domain. Every route here requires a token.

pub mod files;
pub mod projects;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(projects::list).post(projects::add))
        .route("/projects/{id}", get(projects::get).delete(projects::remove))
        .route("/projects/{id}/tree", get(files::tree))
        .route("/projects/{id}/file", get(files::file))
}
