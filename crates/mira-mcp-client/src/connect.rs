//! Opening a connection to one server over stdio or streamable HTTP, through rmcp, up to a
//! finished `initialize` handshake.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::service::{Peer, QuitReason, RoleClient, RunningServiceCancellationToken};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::task::JoinHandle;

use crate::child::{ServerProcess, describe_exit};
use crate::config::TransportConfig;
use crate::handler::Handler;

/// How many stderr lines a failure message quotes.
pub(crate) const STDERR_LINES_IN_ERRORS: usize = 20;

/// A live, initialised connection.
pub(crate) struct Connection {
    pub(crate) peer: Peer<RoleClient>,
    /// Ends when rmcp's service loop ends (the transport closed or failed).
    pub(crate) service: JoinHandle<Result<QuitReason, tokio::task::JoinError>>,
    stop: Option<RunningServiceCancellationToken>,
    /// The child of a stdio server.
    pub(crate) process: Option<ServerProcess>,
}

impl Connection {
    /// A connection to a server that answered `initialize`: its service loop runs on a
    /// task of its own.
    fn started(
        running: rmcp::service::RunningService<RoleClient, Handler>,
        process: Option<ServerProcess>,
    ) -> Self {
        let peer = running.peer().clone();
        let stop = running.cancellation_token();
        let service = tokio::spawn(running.waiting());
        Connection {
            peer,
            service,
            stop: Some(stop),
            process,
        }
    }

    /// Ends rmcp's service loop (which closes the transport); calls in flight get
    /// `TransportClosed`.
    pub(crate) fn stop_service(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.cancel();
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.stop_service();
    }
}

/// Connects and runs `initialize`. Dropping the future (a timeout, a shutdown) kills a
/// started child: [`ServerProcess`] kills its group when dropped.
pub(crate) async fn connect(
    transport: &TransportConfig,
    handler: Handler,
    cwd: Option<&Path>,
    stderr_lines: usize,
) -> Result<Connection, String> {
    match transport {
        TransportConfig::Stdio { command, args, env } => {
            connect_stdio(command, args, env, handler, cwd, stderr_lines).await
        }
        TransportConfig::Http { url, headers } => connect_http(url, headers, handler).await,
    }
}

async fn connect_stdio(
    command: &str,
    args: &[String],
    env: &BTreeMap<String, String>,
    handler: Handler,
    cwd: Option<&Path>,
    stderr_lines: usize,
) -> Result<Connection, String> {
    let (mut process, stdout, stdin) = ServerProcess::spawn(command, args, env, cwd, stderr_lines)?;
    match handler.serve((stdout, stdin)).await {
        Ok(running) => Ok(Connection::started(running, Some(process))),
        Err(error) => {
            let mut message = format!("initialize failed: {}", error_chain(&error));
            // Most often the process died (a bad argument, a missing dependency): say how,
            // and what it printed.
            let status = process.kill_and_collect().await;
            message.push_str(&format!("; {}", describe_exit(status)));
            message.push_str(&stderr_suffix(&process.stderr.last(STDERR_LINES_IN_ERRORS)));
            Err(message)
        }
    }
}

async fn connect_http(
    url: &str,
    headers: &BTreeMap<String, String>,
    handler: Handler,
) -> Result<Connection, String> {
    let mut custom = HashMap::new();
    for (name, value) in headers {
        let header = http::HeaderName::try_from(name.as_str()).map_err(|_| {
            format!("header name \"{name}\" is not a valid HTTP header name: fix \"headers\"")
        })?;
        let value = http::HeaderValue::try_from(value.as_str()).map_err(|_| {
            format!("the value of header \"{name}\" is not a valid HTTP header value: fix \"headers\"")
        })?;
        custom.insert(header, value);
    }
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_string()).custom_headers(custom);
    let transport = StreamableHttpClientTransport::with_client(http_client()?, config);
    let running = handler
        .serve(transport)
        .await
        .map_err(|error| format!("initialize failed: {}", error_chain(&error)))?;
    Ok(Connection::started(running, None))
}

/// The HTTP client for streamable HTTP servers: rustls with ring's primitives, verifying
/// with the system's trust store (rustls-platform-verifier), as reqwest would by default
/// with aws-lc-rs. Built per connection: it is cheap next to a TLS handshake.
fn http_client() -> Result<reqwest_013::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|error| format!("the system's TLS trust store could not be loaded: {error}"))?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS setup failed: {error}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // reqwest is built without HTTP/2 here.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest_013::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|error| format!("the HTTP client could not be built: {}", error_chain(&error)))
}

/// `error` and its sources, outermost first, without repeats (many errors include
/// their source's text in their own).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

/// "; stderr:\n<lines>" or nothing when the process wrote nothing.
pub(crate) fn stderr_suffix(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("; its last stderr lines:\n{}", lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    /// reqwest 0.13 without a default crypto provider panics when a client is built without
    /// one; this one brings ring's, so https servers can be reached.
    #[test]
    fn the_https_client_builds_with_ring() {
        super::http_client().expect("the HTTP client builds");
    }
}
