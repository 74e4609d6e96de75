//! The BERT encoder (as in all-MiniLM-L6-v2, BGE, E5): embeddings, post-norm
//! transformer layers with GELU, over safetensors weights from Hugging Face.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use serde::Deserialize;

use crate::kernels::gemm::{self, NR, Out, Packed, Rhs};
use crate::kernels::{self, Level, math};

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

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// query, key and value stacked into one projection.
    qkv: Packed,
    qkv_bias: Vec<f32>,
    attn_out: Packed,
    attn_out_bias: Vec<f32>,
    attn_norm: Norm,
    intermediate: Packed,
    intermediate_bias: Vec<f32>,
    output: Packed,
    output_bias: Vec<f32>,
    out_norm: Norm,
}

/// The encoder on Mira's own kernels (`crate::kernels`): weights packed once at load, one
/// sequence at a time (so padding costs nothing), attention one head at a time on the
/// fused q/k/v output with no transposed copies.
pub struct Bert {
    pub config: BertConfig,
    words: Vec<f32>,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: Norm,
    layers: Vec<Layer>,
    gelu_tanh: bool,
    eps: f32,
    level: Level,
}

fn values(t: &Tensor) -> candle_core::Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

fn linear(vb: &VarBuilder, name: &str, inp: usize, out: usize) -> candle_core::Result<(Packed, Vec<f32>)> {
    let vb = vb.pp(name);
    let w = values(&vb.get((out, inp), "weight")?)?;
    Ok((
        Packed::from_transposed(&w, out, inp),
        values(&vb.get(out, "bias")?)?,
    ))
}

fn layer_norm(vb: &VarBuilder, name: &str, size: usize) -> candle_core::Result<Norm> {
    let vb = vb.pp(name);
    Ok(Norm {
        gamma: values(&vb.get(size, "weight")?)?,
        beta: values(&vb.get(size, "bias")?)?,
    })
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
        if config.num_attention_heads == 0 || !h.is_multiple_of(config.num_attention_heads) {
            candle_core::bail!(
                "hidden size {h} is not a multiple of {} heads",
                config.num_attention_heads
            );
        }
        let emb = vb.pp("embeddings");
        let words = values(&emb.get((config.vocab_size, h), "word_embeddings.weight")?)?;
        let positions = values(&emb.get((config.max_position_embeddings, h), "position_embeddings.weight")?)?;
        let token_types = values(&emb.get((config.type_vocab_size, h), "token_type_embeddings.weight")?)?;
        let embed_norm = layer_norm(&emb, "LayerNorm", h)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let s = l.pp("attention.self");
            let mut w = Vec::with_capacity(3 * h * h);
            let mut b = Vec::with_capacity(3 * h);
            for n in ["query", "key", "value"] {
                w.extend(values(&s.get((h, h), &format!("{n}.weight"))?)?);
                b.extend(values(&s.get(h, &format!("{n}.bias"))?)?);
            }
            let (attn_out, attn_out_bias) = linear(&l, "attention.output.dense", h, h)?;
            let (intermediate, intermediate_bias) =
                linear(&l, "intermediate.dense", h, config.intermediate_size)?;
            let (output, output_bias) = linear(&l, "output.dense", config.intermediate_size, h)?;
            layers.push(Layer {
                qkv: Packed::from_transposed(&w, 3 * h, h),
                qkv_bias: b,
                attn_out,
                attn_out_bias,
                attn_norm: layer_norm(&l, "attention.output.LayerNorm", h)?,
                intermediate,
                intermediate_bias,
                output,
                output_bias,
                out_norm: layer_norm(&l, "output.LayerNorm", h)?,
            });
        }
        let gelu_tanh = matches!(
            config.hidden_act.as_str(),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast"
        );
        Ok(Bert {
            eps: config.layer_norm_eps as f32,
            config,
            words,
            positions,
            // Mira embeds single texts: every token has type 0.
            token_type: token_types[..h].to_vec(),
            embed_norm,
            layers,
            gelu_tanh,
            level: kernels::level(),
        })
    }

    /// Hidden states `(ids.len(), hidden)`, row-major, of one unpadded sequence.
    pub fn forward(&self, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        let c = &self.config;
        let (n, h) = (ids.len(), c.hidden_size);
        if n > c.max_position_embeddings {
            candle_core::bail!("{n} tokens, the model holds {}", c.max_position_embeddings);
        }
        let level = self.level;
        let mut x = vec![0f32; n * h];
        for (i, (row, &id)) in x.chunks_exact_mut(h).zip(ids).enumerate() {
            let id = id as usize;
            if id >= c.vocab_size {
                candle_core::bail!("token id {id} is outside the vocabulary");
            }
            let word = &self.words[id * h..(id + 1) * h];
            let pos = &self.positions[i * h..(i + 1) * h];
            for (((o, w), p), t) in row.iter_mut().zip(word).zip(pos).zip(&self.token_type) {
                *o = w + p + t;
            }
        }
        math::layer_norm(
            level,
            &mut x,
            &self.embed_norm.gamma,
            &self.embed_norm.beta,
            self.eps,
        );
        if n == 0 {
            return Ok(x);
        }
        let heads = c.num_attention_heads;
        let hd = h / heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let keys_padded = n.div_ceil(NR) * NR;
        let mut qkv = vec![0f32; n * 3 * h];
        let mut scores = vec![0f32; n * keys_padded];
        let mut ctx = vec![0f32; n * h];
        let mut attn = vec![0f32; n * h];
        let mut inner = vec![0f32; n * c.intermediate_size];
        for layer in &self.layers {
            gemm::gemm(
                level,
                &x,
                n,
                h,
                layer.qkv.rhs(),
                out(&mut qkv, 3 * h, &layer.qkv_bias, false),
            );
            for head in 0..heads {
                // Keys of this head packed as the right-hand side of q k^T: a small copy
                // (n x head_dim) instead of transposing the whole q/k/v output.
                let keys = Packed::from_transposed_strided(&qkv[h + head * hd..], n, hd, 3 * h);
                gemm::gemm(
                    level,
                    &qkv[head * hd..],
                    n,
                    3 * h,
                    keys.rhs(),
                    Out {
                        c: &mut scores,
                        ldc: keys_padded,
                        bias: None,
                        accumulate: false,
                    },
                );
                for row in scores.chunks_exact_mut(keys_padded) {
                    math::softmax(level, &mut row[..n], scale);
                }
                gemm::gemm(
                    level,
                    &scores,
                    n,
                    keys_padded,
                    Rhs::row_major(&qkv[2 * h + head * hd..], n, hd, 3 * h),
                    Out {
                        c: &mut ctx[head * hd..],
                        ldc: h,
                        bias: None,
                        accumulate: false,
                    },
                );
            }
            attn.copy_from_slice(&x);
            gemm::gemm(
                level,
                &ctx,
                n,
                h,
                layer.attn_out.rhs(),
                out(&mut attn, h, &layer.attn_out_bias, true),
            );
            math::layer_norm(
                level,
                &mut attn,
                &layer.attn_norm.gamma,
                &layer.attn_norm.beta,
                self.eps,
            );
            let inter = c.intermediate_size;
            gemm::gemm(
                level,
                &attn,
                n,
                h,
                layer.intermediate.rhs(),
                out(&mut inner, inter, &layer.intermediate_bias, false),
            );
            if self.gelu_tanh {
                math::gelu_tanh(level, &mut inner);
            } else {
                math::gelu_erf(level, &mut inner);
            }
            x.copy_from_slice(&attn);
            gemm::gemm(
                level,
                &inner,
                n,
                inter,
                layer.output.rhs(),
                out(&mut x, h, &layer.output_bias, true),
            );
            math::layer_norm(
                level,
                &mut x,
                &layer.out_norm.gamma,
                &layer.out_norm.beta,
                self.eps,
            );
        }
        Ok(x)
    }
}

fn out<'a>(c: &'a mut [f32], ldc: usize, bias: &'a [f32], accumulate: bool) -> Out<'a> {
    Out {
        c,
        ldc,
        bias: Some(bias),
        accumulate,
    }
}
