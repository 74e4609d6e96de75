//! Downloads from the Hugging Face hub (`{endpoint}/{repo}/resolve/{revision}/{path}`),
//! streamed to disk with progress and checked against pinned SHA-256 digests.
//! `HF_ENDPOINT` points at a mirror (or a test server), `HF_TOKEN` authenticates.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::catalog::KnownModel;
use super::checksum::hex;
use super::progress::Progress;
use crate::error::{ModelError, Result};

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

#[derive(Debug, Clone)]
pub struct Hub {
    pub endpoint: String,
    pub token: Option<String>,
    pub connect_timeout: Duration,
}

impl Hub {
    pub fn from_env() -> Hub {
        let endpoint = std::env::var("HF_ENDPOINT")
            .ok()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        Hub {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            token: std::env::var("HF_TOKEN").ok().filter(|t| !t.trim().is_empty()),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Downloads every file of `model` into `dest` (a fresh directory).
    pub async fn download(&self, model: &KnownModel, dest: &Path, progress: &mut dyn Progress) -> Result<()> {
        let client = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(Duration::from_secs(60))
            .user_agent(concat!("mira/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| download_error(model.hub_repo, e))?;
        for file in model.files {
            let url = format!(
                "{}/{}/resolve/{}/{}",
                self.endpoint, model.hub_repo, model.hub_revision, file.path
            );
            let target = dest.join(file.path);
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(ModelError::io(format!("creating {}", parent.display())))?;
            }
            let digest = self.fetch(&client, &url, &target, file.path, progress).await?;
            if let Some(expected) = file.sha256
                && digest != expected
            {
                return Err(ModelError::Checksum {
                    file: format!("{}/{}", model.hub_repo, file.path),
                    expected: expected.to_string(),
                    actual: digest,
                });
            }
        }
        Ok(())
    }

    async fn fetch(
        &self,
        client: &reqwest::Client,
        url: &str,
        target: &Path,
        label: &str,
        progress: &mut dyn Progress,
    ) -> Result<String> {
        let mut request = client.get(url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| download_error(url, e))?;
        let status = response.status();
        if !status.is_success() {
            let hint = match status.as_u16() {
                401 | 403 => " (the repository may need HF_TOKEN)",
                404 => " (no such file at this revision)",
                _ => "",
            };
            return Err(ModelError::Download {
                what: url.to_string(),
                why: format!("the hub answered {status}{hint}"),
            });
        }
        progress.start(label, response.content_length());
        let mut file = tokio::fs::File::create(target)
            .await
            .map_err(ModelError::io(format!("creating {}", target.display())))?;
        let mut hasher = Sha256::new();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| download_error(url, e))?;
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(ModelError::io(format!("writing {}", target.display())))?;
            progress.advance(chunk.len() as u64);
        }
        file.sync_all()
            .await
            .map_err(ModelError::io(format!("writing {}", target.display())))?;
        progress.finish();
        Ok(hex(&hasher.finalize()))
    }
}

fn download_error(what: &str, e: reqwest::Error) -> ModelError {
    let why = if e.is_connect() {
        "cannot connect (offline, or the hub is blocked here)".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    ModelError::Download {
        what: what.to_string(),
        why,
    }
}
