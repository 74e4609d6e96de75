//! `/mcp`: the handler as rmcp's streamable HTTP service, for `mira serve` to mount
//! behind its token check. Each MCP session gets its own handler (its own project).

use std::sync::Arc;

use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use crate::server::{MiraMcp, ProjectChoice};

pub type Service = StreamableHttpService<MiraMcp, LocalSessionManager>;

/// The service; `hosts` are the `Host` header values accepted besides loopback names
/// (the server's configured address), `shutdown` ends every session.
pub fn service(backend: Arc<Backend>, hosts: Vec<String>, shutdown: CancellationToken) -> Service {
    let mut allowed: Vec<String> = ["localhost", "127.0.0.1", "::1", "[::1]"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    allowed.extend(hosts);
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed)
        .with_cancellation_token(shutdown);
    StreamableHttpService::new(
        move || Ok(MiraMcp::new(backend.clone(), ProjectChoice::default())),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}
