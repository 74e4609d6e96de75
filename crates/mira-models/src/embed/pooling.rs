//! How token states become one sentence vector, read from the sentence-transformers
//! files next to the model (a plain Hugging Face BERT dir gets mean pooling, normalised).

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Average of the non-padding token states.
    Mean,
    /// The first ([CLS]) token's state.
    Cls,
}

impl Pooling {
    /// One vector from the `(len, dim)` row-major token states of one unpadded sequence.
    pub fn apply(self, hidden: &[f32], len: usize, dim: usize) -> Vec<f32> {
        match self {
            Pooling::Cls => hidden.get(..dim).map_or_else(|| vec![0.0; dim], <[f32]>::to_vec),
            Pooling::Mean => {
                let mut sum = vec![0f32; dim];
                for row in hidden.chunks_exact(dim).take(len) {
                    for (s, v) in sum.iter_mut().zip(row) {
                        *s += v;
                    }
                }
                let count = (len as f32).max(1.0);
                sum.iter_mut().for_each(|s| *s /= count);
                sum
            }
        }
    }
}

#[derive(Deserialize)]
struct Module {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct PoolingFile {
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

#[derive(Deserialize)]
struct SentenceBertFile {
    max_seq_length: Option<usize>,
}

pub struct SentenceTransformerConfig {
    pub pooling: Pooling,
    pub normalize: bool,
    pub max_seq_length: Option<usize>,
}

impl SentenceTransformerConfig {
    pub fn read(dir: &Path) -> Result<Self, String> {
        let read_json = |name: &str| -> Result<Option<String>, String> {
            let p = dir.join(name);
            if p.is_file() {
                std::fs::read_to_string(&p)
                    .map(Some)
                    .map_err(|e| format!("{name}: {e}"))
            } else {
                Ok(None)
            }
        };
        let max_seq_length = match read_json("sentence_bert_config.json")? {
            Some(t) => {
                serde_json::from_str::<SentenceBertFile>(&t)
                    .map_err(|e| format!("sentence_bert_config.json: {e}"))?
                    .max_seq_length
            }
            None => None,
        };
        let Some(modules) = read_json("modules.json")? else {
            return Ok(SentenceTransformerConfig {
                pooling: Pooling::Mean,
                normalize: true,
                max_seq_length,
            });
        };
        let modules: Vec<Module> =
            serde_json::from_str(&modules).map_err(|e| format!("modules.json: {e}"))?;
        let normalize = modules.iter().any(|m| m.kind.ends_with(".Normalize"));
        let pooling = match modules.iter().find(|m| m.kind.ends_with(".Pooling")) {
            None => Pooling::Mean,
            Some(m) => {
                let name = format!("{}/config.json", m.path);
                let text = read_json(&name)?.ok_or_else(|| format!("{name} is missing"))?;
                let p: PoolingFile = serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
                if p.pooling_mode_max_tokens || p.pooling_mode_mean_sqrt_len_tokens {
                    return Err(format!("{name}: only mean and CLS pooling are supported"));
                }
                if p.pooling_mode_cls_token && !p.pooling_mode_mean_tokens {
                    Pooling::Cls
                } else {
                    Pooling::Mean
                }
            }
        };
        Ok(SentenceTransformerConfig {
            pooling,
            normalize,
            max_seq_length,
        })
    }
}
