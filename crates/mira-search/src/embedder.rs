//! Who makes dense vectors: the local sentence model in-process (the default, no key or
//! network), or a provider's embedding API (Gemini, OpenAI, an OpenAI-compatible server)
//! asked through the gateway (budget, spend, cache) for vectors of the collections'
//! dimension.

use std::sync::Arc;

use async_trait::async_trait;
use mira_core::Config;
use mira_llm::types::{EmbedRequest, EmbedTask};
use mira_llm::{EmbedOptions, Gateway};

use crate::SearchError;

#[async_trait]
pub trait DenseEmbedder: Send + Sync + std::fmt::Debug {
    /// `local:all-MiniLM-L6-v2`, `gemini:gemini-embedding-001`, ...
    fn name(&self) -> String;
    fn dimension(&self) -> usize;
    /// Vectors of texts to be found, in order.
    async fn embed_documents(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, SearchError>;
    async fn embed_query(&self, text: &str) -> Result<Vec<f32>, SearchError>;
}

/// The in-process model (mira-models' BERT embedder), run on the blocking pool.
#[derive(Clone)]
pub struct LocalEmbedder {
    model: Arc<mira_models::Embedder>,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model", &self.model.name())
            .finish()
    }
}

impl LocalEmbedder {
    pub fn new(model: Arc<mira_models::Embedder>) -> Self {
        Self { model }
    }

    /// Loads the configured model (MIRA_EMBED_MODEL, else the default in the models dir).
    pub async fn load(config: &Config) -> Result<Self, SearchError> {
        let dir = config
            .models
            .embed_model
            .clone()
            .unwrap_or_else(|| mira_models::default_embed_model_dir(config));
        let model = tokio::task::spawn_blocking(move || mira_models::Embedder::load(&dir))
            .await
            .map_err(|e| SearchError::Embedder(format!("loading the embedding model failed: {e}")))?
            .map_err(|e| SearchError::Embedder(format!("{e}; run `mira models pull` to install it")))?;
        Ok(Self::new(Arc::new(model)))
    }
}

#[async_trait]
impl DenseEmbedder for LocalEmbedder {
    fn name(&self) -> String {
        format!("local:{}", self.model.name())
    }

    fn dimension(&self) -> usize {
        self.model.dim()
    }

    async fn embed_documents(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, SearchError> {
        self.model
            .embed_async(texts)
            .await
            .map_err(|e| SearchError::Embedder(e.to_string()))
    }

    async fn embed_query(&self, text: &str) -> Result<Vec<f32>, SearchError> {
        let model = Arc::clone(&self.model);
        let text = text.to_string();
        // One short text: cheaper on this thread's blocking slot than a batch round trip.
        let mut vectors = tokio::task::spawn_blocking(move || model.embed(&[text.as_str()]))
            .await
            .map_err(|e| SearchError::Embedder(format!("embedding task failed: {e}")))?
            .map_err(|e| SearchError::Embedder(e.to_string()))?;
        vectors
            .pop()
            .ok_or_else(|| SearchError::Embedder("the embedder returned no vector".into()))
    }
}

/// A provider's embedding endpoint, called through the gateway: every batch is checked
/// against the budget, recorded in it, and answered from the embedding cache for texts
/// already embedded.
pub struct ProviderEmbedder {
    gateway: Gateway,
    provider: String,
    model: String,
    dimension: usize,
}

impl std::fmt::Debug for ProviderEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderEmbedder")
            .field("provider", &self.provider)
            .field("model", &self.model)
            .finish()
    }
}

/// Requests per call to a remote API: both Gemini's batch endpoint and OpenAI's accept
/// 100 inputs or more; smaller batches keep a failed call cheap to retry.
const REMOTE_BATCH: usize = 64;

impl ProviderEmbedder {
    /// `provider` is one of the gateway's (`gemini`, `openai`, `compat`).
    pub fn new(gateway: Gateway, provider: &str, model: String, dimension: usize) -> Self {
        Self {
            gateway,
            provider: provider.to_string(),
            model,
            dimension,
        }
    }

    async fn call(&self, texts: Vec<String>, task: EmbedTask) -> Result<Vec<Vec<f32>>, SearchError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(REMOTE_BATCH) {
            let request = EmbedRequest {
                model: self.model.clone(),
                texts: batch.to_vec(),
                dimensions: Some(self.dimension as u32),
                task,
            };
            let (answer, _) = self
                .gateway
                .embed(&self.provider, request, EmbedOptions::default())
                .await
                .map_err(|e| SearchError::Embedder(e.to_string()))?;
            if answer.vectors.len() != batch.len() {
                return Err(SearchError::Embedder(format!(
                    "{} returned {} vectors for {} texts",
                    self.provider,
                    answer.vectors.len(),
                    batch.len()
                )));
            }
            for v in answer.vectors {
                if v.len() != self.dimension {
                    return Err(SearchError::Embedder(format!(
                        "{} returned {}-dimension vectors; MIRA_EMBED_DIM is {}",
                        self.provider,
                        v.len(),
                        self.dimension
                    )));
                }
                out.push(normalised(v));
            }
        }
        Ok(out)
    }
}

/// Truncated vectors (a smaller output dimensionality) come back unnormalised; cosine
/// does not care, but scores shown to users compare better on unit vectors.
fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[async_trait]
impl DenseEmbedder for ProviderEmbedder {
    fn name(&self) -> String {
        format!("{}:{}", self.provider, self.model)
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    async fn embed_documents(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, SearchError> {
        self.call(texts, EmbedTask::Document).await
    }

    async fn embed_query(&self, text: &str) -> Result<Vec<f32>, SearchError> {
        self.call(vec![text.to_string()], EmbedTask::Query)
            .await?
            .pop()
            .ok_or_else(|| SearchError::Embedder("the embedder returned no vector".into()))
    }
}

/// The embedder MIRA_EMBEDDER names, checked against MIRA_EMBED_DIM. A provider's is
/// called through `gateway` (the one the process built for all its model calls); without
/// one, only the local model can be used.
pub async fn from_config(
    config: &Config,
    gateway: Option<&Gateway>,
) -> Result<Arc<dyn DenseEmbedder>, SearchError> {
    let dim = config.vectors.embed_dim;
    let embedder: Arc<dyn DenseEmbedder> = match config.vectors.embedder.as_str() {
        "local" => Arc::new(LocalEmbedder::load(config).await?),
        remote => {
            let gateway = gateway.ok_or_else(|| {
                SearchError::Embedder(format!(
                    "MIRA_EMBEDDER={remote} calls a provider, but this process has no model gateway for search"
                ))
            })?;
            let provider = gateway
                .router
                .providers()
                .get(remote)
                .ok_or_else(|| SearchError::Embedder(format!("no provider `{remote}`")))?;
            provider
                .check()
                .map_err(|e| SearchError::Embedder(format!("MIRA_EMBEDDER={remote}: {e}")))?;
            let model = config.vectors.embedder_model.clone().unwrap_or_else(|| {
                match remote {
                    "gemini" => "gemini-embedding-001",
                    _ => "text-embedding-3-small",
                }
                .to_string()
            });
            Arc::new(ProviderEmbedder::new(gateway.clone(), remote, model, dim))
        }
    };
    if embedder.dimension() != dim {
        return Err(SearchError::Embedder(format!(
            "{} makes {}-dimension vectors but MIRA_EMBED_DIM is {dim}: set MIRA_EMBED_DIM={} and re-index (the vectors directory must be removed first)",
            embedder.name(),
            embedder.dimension(),
            embedder.dimension()
        )));
    }
    Ok(embedder)
}
