//! Starting the reference server and waiting on client status.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use mira_mcp_client::{
    ClientOptions, ConfigSource, McpClients, Scope, ServerConfig, ServerState, ServerStatus, TransportConfig,
};

/// A guard for waits that should end long before it: it only turns a hang into a failure.
pub const GUARD: Duration = Duration::from_secs(90);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The reference server's entry point; a missing npm install fails with the command to run.
pub fn everything_js() -> String {
    let path = manifest_dir()
        .join("tests/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        path.is_file(),
        "the MCP reference server is not installed: run `npm --prefix crates/mira-mcp-client/tests/everything ci \
         --no-audit --no-fund` (scripts/test.sh does)"
    );
    path.to_string_lossy().into_owned()
}

pub fn fixture(name: &str) -> String {
    manifest_dir()
        .join("tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

pub fn source() -> ConfigSource {
    ConfigSource {
        scope: Scope::ProjectMira,
        path: PathBuf::from("/project/.mira/mcp.json"),
    }
}

pub fn stdio(name: &str, command: &str, args: &[&str]) -> ServerConfig {
    ServerConfig {
        name: name.to_string(),
        source: source(),
        transport: TransportConfig::Stdio {
            command: command.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: BTreeMap::new(),
        },
    }
}

/// The reference server over stdio.
pub fn everything_stdio(name: &str) -> ServerConfig {
    stdio(name, "node", &[&everything_js(), "stdio"])
}

/// Quick restarts, so the tests do not wait out the default backoff.
pub fn options() -> ClientOptions {
    ClientOptions {
        restart_backoff_initial: Duration::from_millis(300),
        ..ClientOptions::default()
    }
}

/// Waits until `server`'s status satisfies `done`, panicking with the last status after
/// [`GUARD`].
pub async fn wait_for(
    clients: &McpClients,
    server: &str,
    what: &str,
    done: impl Fn(&ServerStatus) -> bool,
) -> ServerStatus {
    let mut changes = clients.changes();
    let result = tokio::time::timeout(GUARD, async {
        loop {
            let status = clients.server_status(server).expect("server is configured");
            if done(&status) {
                return status;
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), changes.changed()).await;
        }
    })
    .await;
    match result {
        Ok(status) => status,
        Err(_) => panic!(
            "{server} did not become {what}: {:#?}",
            clients.server_status(server)
        ),
    }
}

pub async fn wait_ready(clients: &McpClients, server: &str) -> ServerStatus {
    wait_for(clients, server, "ready", |s| s.state == ServerState::Ready).await
}

/// The reference server in streamable HTTP mode on a free port, killed on drop.
pub struct HttpServer {
    _child: tokio::process::Child,
    pub port: u16,
}

impl HttpServer {
    pub async fn start() -> Self {
        // The OS picks a free port; the server binds it right after (a race another process
        // could only win by binding the same ephemeral port in between).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new("node")
            .arg(everything_js())
            .arg("streamableHttp")
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (install Node.js 20 or newer)");
        let server = Self { _child: child, port };
        tokio::time::timeout(GUARD, async {
            while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("the reference server listens in HTTP mode");
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }
}

/// Whether a process with `pid` still runs (a zombie counts as gone).
pub fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .map(|rest| !rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}
