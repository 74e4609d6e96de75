//! Serves the built web UI from one origin with the API, falling back to `index.html`
//! for client-side routes.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

/// Where the UI is: MIRA_UI_DIR, else `frontend/dist` of the source tree this binary
/// was built from.
pub fn ui_dir(configured: Option<&Path>) -> PathBuf {
    configured
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../frontend/dist"))
}

pub fn is_built(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

pub fn router<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    if is_built(dir) {
        let index = ServeFile::new(dir.join("index.html"));
        Router::new().fallback_service(ServeDir::new(dir).fallback(index))
    } else {
        let message = format!(
            "<!doctype html><title>Mira</title><h1>The Mira web UI is not built</h1>\
             <p>No <code>index.html</code> in <code>{}</code>.</p>\
             <p>Build it with <code>npm --prefix frontend ci &amp;&amp; npm --prefix frontend run build</code> \
             (or run <code>./scripts/run.sh</code>), or set <code>MIRA_UI_DIR</code> to a built UI.</p>\
             <p>The API under <code>/api</code> works without it.</p>",
            html_escape(&dir.display().to_string())
        );
        Router::new().fallback(get(move || async move {
            (StatusCode::SERVICE_UNAVAILABLE, Html(message))
        }))
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
