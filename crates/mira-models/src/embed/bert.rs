//! The BERT encoder (as in all-MiniLM-L6-v2, BGE, E5): embeddings, post-norm
//! transformer layers with GELU, over safetensors weights from Hugging Face.

use std::path::Path;

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub model_type: Option<String>,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

struct Layer {
    /// query, key and value stacked into one projection.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
}

pub struct Bert {
    pub config: BertConfig,
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    gelu_tanh: bool,
}

fn linear(vb: &VarBuilder, name: &str, inp: usize, out: usize) -> candle_core::Result<Linear> {
    let vb = vb.pp(name);
    Ok(Linear::new(
        vb.get((out, inp), "weight")?,
        Some(vb.get(out, "bias")?),
    ))
}

fn layer_norm(vb: &VarBuilder, name: &str, size: usize, eps: f64) -> candle_core::Result<LayerNorm> {
    let vb = vb.pp(name);
    Ok(LayerNorm::new(
        vb.get(size, "weight")?,
        vb.get(size, "bias")?,
        eps,
    ))
}

impl Bert {
    pub fn load(weights: &Path, config: BertConfig, device: &Device) -> candle_core::Result<Bert> {
        // Memory-mapped: the file is read by the OS page cache, not copied.
        // SAFETY: the file is not modified while mapped (model dirs are installed atomically
        // and never rewritten in place).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, device)? };
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let emb = vb.pp("embeddings");
        let words = Embedding::new(emb.get((config.vocab_size, h), "word_embeddings.weight")?, h);
        let positions = Embedding::new(
            emb.get((config.max_position_embeddings, h), "position_embeddings.weight")?,
            h,
        );
        let token_types = Embedding::new(
            emb.get((config.type_vocab_size, h), "token_type_embeddings.weight")?,
            h,
        );
        let embed_norm = layer_norm(&emb, "LayerNorm", h, eps)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let s = l.pp("attention.self");
            let part = |n: &str| -> candle_core::Result<(Tensor, Tensor)> {
                Ok((
                    s.get((h, h), &format!("{n}.weight"))?,
                    s.get(h, &format!("{n}.bias"))?,
                ))
            };
            let (qw, qb) = part("query")?;
            let (kw, kb) = part("key")?;
            let (vw, vbias) = part("value")?;
            let qkv = Linear::new(
                Tensor::cat(&[qw, kw, vw], 0)?,
                Some(Tensor::cat(&[qb, kb, vbias], 0)?),
            );
            layers.push(Layer {
                qkv,
                attn_out: linear(&l, "attention.output.dense", h, h)?,
                attn_norm: layer_norm(&l, "attention.output.LayerNorm", h, eps)?,
                intermediate: linear(&l, "intermediate.dense", h, config.intermediate_size)?,
                output: linear(&l, "output.dense", config.intermediate_size, h)?,
                out_norm: layer_norm(&l, "output.LayerNorm", h, eps)?,
            });
        }
        let gelu_tanh = matches!(
            config.hidden_act.as_str(),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast"
        );
        Ok(Bert {
            config,
            words,
            positions,
            token_types,
            embed_norm,
            layers,
            gelu_tanh,
        })
    }

    /// Hidden states `(batch, len, hidden)` for token ids `(batch, len)` and a 0/1
    /// attention mask of the same shape.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, len) = ids.dims2()?;
        let device = ids.device();
        let positions = Tensor::arange(0u32, len as u32, device)?.unsqueeze(0)?;
        let types = ids.zeros_like()?;
        let x = self
            .words
            .forward(ids)?
            .broadcast_add(&self.positions.forward(&positions)?)?
            .add(&self.token_types.forward(&types)?)?;
        let mut x = self.embed_norm.forward(&x)?;
        // Padding positions get a large negative score so softmax gives them no weight.
        let bias = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?.reshape((batch, 1, 1, len))?;
        let heads = self.config.num_attention_heads;
        let h = self.config.hidden_size;
        let head_dim = h / heads;
        let scale = 1.0 / (head_dim as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let split = |i: usize| -> candle_core::Result<Tensor> {
                qkv.narrow(D::Minus1, i * h, h)?
                    .reshape((batch, len, heads, head_dim))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (split(0)?, split(1)?, split(2)?);
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((batch, len, h))?;
            let attn = layer.attn_norm.forward(&(layer.attn_out.forward(&ctx)? + &x)?)?;
            let inner = layer.intermediate.forward(&attn)?;
            let inner = if self.gelu_tanh {
                inner.gelu()?
            } else {
                inner.gelu_erf()?
            };
            x = layer.out_norm.forward(&(layer.output.forward(&inner)? + attn)?)?;
        }
        Ok(x)
    }
}
