//! Talking to a running Mira server from the CLI. The server writes `server.json` in
//! the data dir (its pid and base URL, never the token) while it runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mira_core::Config;
use serde::{Deserialize, Serialize};

use crate::auth::Auth;

const RUNTIME_FILE: &str = "server.json";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuntimeInfo {
    pub pid: u32,
    /// `http://host:port`, without a trailing slash.
    pub url: String,
}

fn runtime_path(data_dir: &Path) -> PathBuf {
    data_dir.join(RUNTIME_FILE)
}

/// Removes `server.json` when the server stops.
pub struct RuntimeFileGuard(PathBuf);

impl Drop for RuntimeFileGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn write_runtime_info(data_dir: &Path, info: &RuntimeInfo) -> std::io::Result<RuntimeFileGuard> {
    let path = runtime_path(data_dir);
    // Owner-only like the token files: it says where the server listens and its pid.
    crate::auth::write_private(&path, &serde_json::to_string_pretty(info)?)?;
    Ok(RuntimeFileGuard(path))
}

pub fn read_runtime_info(data_dir: &Path) -> Option<RuntimeInfo> {
    let text = std::fs::read_to_string(runtime_path(data_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Asks the running server to remove a project (vectors and rows).
pub async fn remove_project(config: &Config, id: i64) -> anyhow::Result<()> {
    request_json(config, "DELETE", &format!("/api/projects/{id}"), &[])
        .await
        .with_context(|| format!("the running server did not remove project {id}"))?;
    Ok(())
}

/// Sends `method` (`GET`, `POST` or `DELETE`) to `path` (under the server's base URL) with the query
/// pairs, and returns the JSON answer; an error answer becomes an error with its message.
pub async fn request_json(
    config: &Config,
    method: &str,
    path: &str,
    query: &[(&str, String)],
) -> anyhow::Result<serde_json::Value> {
    send(config, method, path, query, None).await
}

/// POSTs a JSON body to the running server (for requests too long for a query string).
pub async fn post_json(
    config: &Config,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    send(config, "POST", path, &[], Some(body)).await
}

async fn send(
    config: &Config,
    method: &str,
    path: &str,
    query: &[(&str, String)],
    body: Option<&serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let Some(info) = read_runtime_info(&config.data_dir) else {
        bail!(
            "another Mira process holds {} but announced no address; stop it and run this again",
            config.data_dir.display()
        );
    };
    let token = Auth::load_or_create(&config.data_dir, config.server.token_ttl)?.current_token()?;
    let client = reqwest::Client::new();
    let url = format!("{}{path}", info.url);
    let request = match method {
        "POST" => client.post(&url),
        "DELETE" => client.delete(&url),
        _ => client.get(&url),
    };
    let request = match body {
        Some(body) => request.json(body),
        None => request,
    };
    let response = request
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| {
            format!(
                "cannot reach the running Mira server (pid {}) at {}",
                info.pid, info.url
            )
        })?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("no details")
            .to_string();
        bail!("the running server answered {status}: {message}");
    }
    Ok(body)
}
