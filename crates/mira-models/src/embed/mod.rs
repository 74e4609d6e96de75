//! Sentence embeddings from a BERT-family model directory in the sentence-transformers
//! layout (`config.json`, `model.safetensors`, `tokenizer.json`, and optionally
//! `modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`): the pooling,
//! normalisation and length limit are the model's own.

mod bert;
mod pooling;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::Device;
use rayon::prelude::*;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::error::{ModelError, Result};
use bert::{Bert, BertConfig};
pub use pooling::Pooling;

/// Texts tokenised together and spread over the cores as one unit of work.
pub const BATCH: usize = 32;

pub struct Embedder {
    name: String,
    dir: PathBuf,
    model: Bert,
    tokenizer: Tokenizer,
    pooling: Pooling,
    normalize: bool,
    max_tokens: usize,
}

impl Embedder {
    pub fn load(dir: &Path) -> Result<Embedder> {
        let what = "embedding model directory";
        if !dir.is_dir() {
            return Err(ModelError::invalid(what, dir, "it is not a directory"));
        }
        let need = |name: &str| -> Result<PathBuf> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(ModelError::invalid(what, dir, format!("{name} is missing")))
            }
        };
        let config_text = std::fs::read_to_string(need("config.json")?).map_err(ModelError::io(format!(
            "reading {}",
            dir.join("config.json").display()
        )))?;
        let config: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| ModelError::invalid(what, dir, format!("config.json: {e}")))?;
        if let Some(kind) = config.model_type.as_deref()
            && !matches!(kind, "bert" | "roberta" | "xlm-roberta")
        {
            return Err(ModelError::invalid(
                what,
                dir,
                format!("model_type '{kind}' is not a BERT-family encoder"),
            ));
        }
        let device = Device::Cpu;
        let model = Bert::load(&need("model.safetensors")?, config.clone(), &device)
            .map_err(|e| ModelError::invalid(what, dir, format!("model.safetensors: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(need("tokenizer.json")?)
            .map_err(|e| ModelError::invalid(what, dir, format!("tokenizer.json: {e}")))?;
        let st =
            pooling::SentenceTransformerConfig::read(dir).map_err(|e| ModelError::invalid(what, dir, e))?;
        let max_tokens = st
            .max_seq_length
            .unwrap_or(config.max_position_embeddings)
            .min(config.max_position_embeddings);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "embedder".into());
        Ok(Embedder {
            name,
            dir: dir.to_path_buf(),
            model,
            tokenizer,
            pooling: st.pooling,
            normalize: st.normalize,
            max_tokens,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn dim(&self) -> usize {
        self.model.config.hidden_size
    }

    /// Longer texts are cut to this many tokens (the model's own limit).
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// Token ids of `text` as the model sees them (special tokens included, truncated).
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// One vector per text, in order. Blocking: run it on a blocking thread
    /// (`embed_async` does).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        // Sorting by length makes each batch pad to similar lengths.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i]).collect();
            for (vector, &i) in self.embed_batch(&batch)?.into_iter().zip(chunk) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    /// Embeds token ids given directly (benchmarks use fixed-length batches).
    pub fn embed_ids(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>> {
        let len = ids.iter().map(Vec::len).max().unwrap_or(0);
        let mut flat = Vec::with_capacity(ids.len() * len);
        let mut mask = Vec::with_capacity(ids.len() * len);
        for row in ids {
            flat.extend(row.iter().copied().chain(std::iter::repeat_n(0, len - row.len())));
            mask.extend(std::iter::repeat_n(1u32, row.len()).chain(std::iter::repeat_n(0, len - row.len())));
        }
        self.run(flat, mask, ids.len(), len)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
        let len = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(texts.len() * len);
        let mut mask = Vec::with_capacity(texts.len() * len);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        self.run(ids, mask, texts.len(), len)
    }

    fn run(&self, ids: Vec<u32>, mask: Vec<u32>, batch: usize, len: usize) -> Result<Vec<Vec<f32>>> {
        if batch == 0 {
            return Ok(Vec::new());
        }
        // One sequence per task, each at its own length: the texts of a batch share no
        // work, padding costs nothing, and both cores stay busy until the last text.
        (0..batch)
            .into_par_iter()
            .map(|b| {
                let row = &ids[b * len..(b + 1) * len];
                let keep = &mask[b * len..(b + 1) * len];
                let tokens: Vec<u32> = row
                    .iter()
                    .zip(keep)
                    .filter(|(_, m)| **m != 0)
                    .map(|(t, _)| *t)
                    .collect();
                let hidden = self.model.forward(&tokens)?;
                let mut pooled = self.pooling.apply(&hidden, tokens.len(), self.dim());
                if self.normalize {
                    let norm = pooled.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                    pooled.iter_mut().for_each(|v| *v /= norm);
                }
                Ok(pooled)
            })
            .collect()
    }

    /// `embed` on Tokio's blocking pool, so the async runtime keeps serving while the CPU
    /// works.
    pub async fn embed_async(self: &Arc<Self>, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            this.embed(&refs)
        })
        .await
        .map_err(|e| ModelError::Tokenizer(format!("embedding task failed: {e}")))?
    }
}

/// Cosine similarity of two vectors (1 for the same direction).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}
