//! `/mcp`: Mira's MCP server (mira-mcp) over streamable HTTP, behind the same token as
//! `/api`. It shares the server's search service, oracle and search refresh task; a
//! session's project is `?project=ID` (or a path), the client's first root, or the only
//! registered project.

use std::sync::Arc;

use mira_mcp::{Backend, Engine};

use crate::state::AppState;

pub fn service(state: &AppState) -> mira_mcp::http::Service {
    let mut backend = Backend::new(
        state.db.clone(),
        state.config.clone(),
        Engine::Local {
            search: state.search.clone(),
            oracle: state.oracle.clone(),
        },
    );
    let refresh_state = state.clone();
    backend.refresh_search = Some(Arc::new(move |project| {
        crate::search::refresh(&refresh_state, project)
    }));
    let host = state.config.server.host.to_string();
    let hosts = vec![host.clone(), format!("{host}:{}", state.config.server.port)];
    mira_mcp::http::service(Arc::new(backend), hosts, state.shutdown.child_token())
}
