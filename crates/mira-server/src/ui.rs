//! Serves the built web UI from one origin with the API, falling back to `index.html`
//! for client-side routes.
//!
//! The build (`npm run build`) writes a `.gz` and a `.br` next to each text asset, which
//! are served to browsers that accept them (the bundle is 3 to 4 MB, mostly Monaco, and
//! about a quarter of that compressed). Files under `/assets/` carry a content hash in
//! their name, so they are cached for a year; `index.html`, which names them, is
//! revalidated on every load so a new build is picked up at once.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, Response};
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

/// For content-hashed files: a new build gives them new names.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For `index.html` and anything not hashed: always asked again (an ETag-less 200 is
/// cheap next to serving a stale page that names assets which no longer exist).
const REVALIDATE: &str = "no-cache";

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
        let index = ServeFile::new(dir.join("index.html"))
            .precompressed_br()
            .precompressed_gzip();
        // A missing asset is a 404, never index.html cached for a year under its name.
        let assets = ServeDir::new(dir.join("assets"))
            .precompressed_br()
            .precompressed_gzip();
        let pages = ServeDir::new(dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(index);
        Router::new()
            .nest_service("/assets", assets)
            .fallback_service(pages)
            .layer(middleware::from_fn(cache_headers))
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

/// Cache-Control by kind of file, and `Vary` because the same URL is answered
/// compressed or not by the request's Accept-Encoding.
async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let policy = if hashed && response.status().is_success() {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
