//! The llama-family transformer (Llama, SmolLM2, Qwen2, Mistral without sliding window)
//! over GGUF weights: RMSNorm, rotary positions, grouped-query attention with a key/value
//! cache, SwiGLU feed-forward.

use candle_core::quantized::QTensor;
use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;

use super::weights::{Matrix, WeightFormat};
use crate::kernels::gemm::{self, NR, Out, Rhs};
use crate::kernels::{self, Level, math};

/// Architecture facts read from GGUF metadata (`<arch>.*` keys).
#[derive(Debug, Clone)]
pub struct LlamaConfig {
    pub arch: String,
    pub layers: usize,
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    pub context_length: usize,
    /// Llama checkpoints in GGUF have q/k rows permuted for interleaved (GPT-J style)
    /// rotation; Qwen2 keeps the halves layout (NeoX style).
    pub rope_interleaved: bool,
}

impl LlamaConfig {
    pub fn from_gguf(content: &gguf_file::Content) -> Result<Self, String> {
        let arch = meta_str(content, "general.architecture")?;
        if !matches!(arch.as_str(), "llama" | "qwen2" | "mistral") {
            return Err(format!(
                "architecture '{arch}' is not supported (llama, qwen2 and mistral are)"
            ));
        }
        let key = |k: &str| format!("{arch}.{k}");
        let u = |k: &str| meta_u64(content, &key(k)).map(|v| v as usize);
        let hidden = u("embedding_length")?;
        let heads = u("attention.head_count")?;
        let kv_heads = u("attention.head_count_kv").unwrap_or(heads);
        let head_dim = u("rope.dimension_count").unwrap_or(hidden / heads);
        if heads == 0 || kv_heads == 0 || heads % kv_heads != 0 {
            return Err(format!(
                "inconsistent head counts: {heads} heads, {kv_heads} key/value heads"
            ));
        }
        Ok(LlamaConfig {
            layers: u("block_count")?,
            hidden,
            heads,
            kv_heads,
            head_dim,
            rms_eps: meta_f64(content, &key("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5),
            rope_base: meta_f64(content, &key("rope.freq_base")).unwrap_or(10_000.0) as f32,
            context_length: u("context_length").unwrap_or(2048),
            rope_interleaved: arch != "qwen2",
            arch,
        })
    }
}

pub(crate) fn meta_str(content: &gguf_file::Content, key: &str) -> Result<String, String> {
    match content.metadata.get(key) {
        Some(v) => v.to_string().cloned().map_err(|e| format!("{key}: {e}")),
        None => Err(format!("metadata key {key} is missing")),
    }
}

pub(crate) fn meta_u64(content: &gguf_file::Content, key: &str) -> Result<u64, String> {
    let v = content
        .metadata
        .get(key)
        .ok_or_else(|| format!("metadata key {key} is missing"))?;
    v.to_u64()
        .or_else(|_| v.to_u32().map(u64::from))
        .or_else(|_| v.to_i32().map(|x| x.max(0) as u64))
        .or_else(|_| v.to_i64().map(|x| x.max(0) as u64))
        .map_err(|e| format!("{key}: {e}"))
}

fn meta_f64(content: &gguf_file::Content, key: &str) -> Result<f64, String> {
    let v = content
        .metadata
        .get(key)
        .ok_or_else(|| format!("metadata key {key} is missing"))?;
    v.to_f32()
        .map(f64::from)
        .or_else(|_| v.to_f64())
        .map_err(|e| format!("{key}: {e}"))
}

struct Layer {
    attn_norm: Vec<f32>,
    /// q, k and v stacked: one multiplication per token instead of three.
    qkv: Matrix,
    qkv_bias: Option<Vec<f32>>,
    out: Matrix,
    ffn_norm: Vec<f32>,
    /// gate and up stacked.
    gate_up: Matrix,
    down: Matrix,
}

/// Keys and values of the positions seen so far, per key/value head, in buffers that grow
/// by doubling so a long answer does not copy the whole cache at every token. Keys are
/// stored as the packed right-hand side of `q k^T` (panels of 32 positions, one column per
/// position) and values as rows, so attention reads both in place.
struct KvCache {
    k: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    capacity: usize,
}

/// Query rows per attention task: small enough to skip most of the masked half of a
/// prompt's scores and to spread the heads of one chunk over both cores.
const ATTENTION_ROWS: usize = 64;

pub struct Llama {
    pub config: LlamaConfig,
    /// `(vocabulary, hidden)` row-major.
    embeddings: Vec<f32>,
    vocab: usize,
    layers: Vec<Layer>,
    norm: Vec<f32>,
    lm_head: Matrix,
    /// `(context, head_dim / 2)` row-major.
    cos: Vec<f32>,
    sin: Vec<f32>,
    context: usize,
    weight_bytes: usize,
    level: Level,
}

/// The state of one generation: its cache and how many positions it holds.
pub struct Session {
    caches: Vec<Option<KvCache>>,
    pub position: usize,
}

fn to_vec(t: &Tensor) -> candle_core::Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()
}

impl Llama {
    pub fn load<R: std::io::Read + std::io::Seek>(
        content: &gguf_file::Content,
        reader: &mut R,
        format: WeightFormat,
        max_context: usize,
    ) -> Result<Self, LoadError> {
        let config = LlamaConfig::from_gguf(content).map_err(LoadError::Metadata)?;
        let device = Device::Cpu;
        let mut tensor = |name: &str| -> Result<QTensor, LoadError> {
            content
                .tensor(reader, name, &device)
                .map_err(|e| LoadError::Tensor(name.to_string(), e))
        };
        let norm = to_vec(&tensor("output_norm.weight")?.dequantize(&device)?)?;
        let mut layer_norms = Vec::with_capacity(config.layers);
        let mut qkv_biases = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
            let p = |n: &str| format!("blk.{i}.{n}");
            layer_norms.push((
                to_vec(&tensor(&p("attn_norm.weight"))?.dequantize(&device)?)?,
                to_vec(&tensor(&p("ffn_norm.weight"))?.dequantize(&device)?)?,
            ));
            qkv_biases.push(if content.tensor_infos.contains_key(&p("attn_q.bias")) {
                let mut all = to_vec(&tensor(&p("attn_q.bias"))?.dequantize(&device)?)?;
                all.extend(to_vec(&tensor(&p("attn_k.bias"))?.dequantize(&device)?)?);
                all.extend(to_vec(&tensor(&p("attn_v.bias"))?.dequantize(&device)?)?);
                Some(all)
            } else {
                None
            });
        }
        let embed_q = tensor("token_embd.weight")?;
        let embeddings_t = embed_q.dequantize(&device)?;
        let (vocab, hidden) = embeddings_t.dims2()?;
        if hidden != config.hidden {
            return Err(LoadError::Metadata(format!(
                "token embeddings have {hidden} columns, the model {}",
                config.hidden
            )));
        }
        let embeddings = to_vec(&embeddings_t)?;
        drop(embeddings_t);
        let lm_head = if content.tensor_infos.contains_key("output.weight") {
            Matrix::convert(tensor("output.weight")?, format, &device)?
        } else {
            // Tied embeddings (SmolLM2): the output projection is the embedding matrix.
            Matrix::convert(embed_q, format, &device)?
        };
        let mut layers = Vec::with_capacity(config.layers);
        for (i, ((attn_norm, ffn_norm), qkv_bias)) in layer_norms.into_iter().zip(qkv_biases).enumerate() {
            let p = |n: &str| format!("blk.{i}.{n}");
            let qkv = Matrix::fuse(
                vec![
                    tensor(&p("attn_q.weight"))?,
                    tensor(&p("attn_k.weight"))?,
                    tensor(&p("attn_v.weight"))?,
                ],
                format,
                &device,
            )?;
            let gate_up = Matrix::fuse(
                vec![tensor(&p("ffn_gate.weight"))?, tensor(&p("ffn_up.weight"))?],
                format,
                &device,
            )?;
            layers.push(Layer {
                attn_norm,
                qkv,
                qkv_bias,
                out: Matrix::convert(tensor(&p("attn_output.weight"))?, format, &device)?,
                ffn_norm,
                gate_up,
                down: Matrix::convert(tensor(&p("ffn_down.weight"))?, format, &device)?,
            });
        }
        let context = max_context.min(config.context_length).max(1);
        let (cos, sin) = rope_tables(config.head_dim, config.rope_base, context);
        let weight_bytes = embeddings.len() * 4
            + lm_head.size_in_bytes()
            + layers
                .iter()
                .map(|l| {
                    l.qkv.size_in_bytes()
                        + l.out.size_in_bytes()
                        + l.gate_up.size_in_bytes()
                        + l.down.size_in_bytes()
                })
                .sum::<usize>();
        Ok(Llama {
            config,
            embeddings,
            vocab,
            layers,
            norm,
            lm_head,
            cos,
            sin,
            context,
            weight_bytes,
            level: kernels::level(),
        })
    }

    /// Positions this model instance can hold (the smaller of the model's context and
    /// the configured bound).
    pub fn context_limit(&self) -> usize {
        self.context
    }

    pub fn weight_bytes(&self) -> usize {
        self.weight_bytes
    }

    pub fn new_session(&self) -> Session {
        Session {
            caches: (0..self.layers.len()).map(|_| None).collect(),
            position: 0,
        }
    }

    /// Runs `tokens` at the session's next positions and returns the logits of the last
    /// one (vocabulary-sized, f32).
    pub fn forward(&self, session: &mut Session, tokens: &[u32]) -> candle_core::Result<Vec<f32>> {
        let len = tokens.len();
        let start = session.position;
        if len == 0 {
            candle_core::bail!("no tokens to run");
        }
        if start + len > self.context_limit() {
            candle_core::bail!(
                "{} positions requested but the context holds {}",
                start + len,
                self.context_limit()
            );
        }
        let (d, level) = (self.config.hidden, self.level);
        let eps = self.config.rms_eps as f32;
        let mut x = vec![0f32; len * d];
        for (row, &t) in x.chunks_exact_mut(d).zip(tokens) {
            let t = t as usize;
            if t >= self.vocab {
                candle_core::bail!("token id {t} is outside the vocabulary");
            }
            row.copy_from_slice(&self.embeddings[t * d..(t + 1) * d]);
        }
        let mut h = vec![0f32; len * d];
        for (layer, cache) in self.layers.iter().zip(session.caches.iter_mut()) {
            h.copy_from_slice(&x);
            math::rms_norm(level, &mut h, &layer.attn_norm, eps);
            let attn = self.attention(layer, cache, &h, len, start)?;
            add(&mut x, &attn);
            h.copy_from_slice(&x);
            math::rms_norm(level, &mut h, &layer.ffn_norm, eps);
            let gate_up = layer.gate_up.forward_rows(&h, len)?;
            let inner = gate_up.len() / len / 2;
            let mut act = vec![0f32; len * inner];
            for (out, gu) in act.chunks_exact_mut(inner).zip(gate_up.chunks_exact(2 * inner)) {
                math::silu_mul(level, &gu[..inner], &gu[inner..], out);
            }
            add(&mut x, &layer.down.forward_rows(&act, len)?);
        }
        session.position += len;
        let mut last = x[(len - 1) * d..].to_vec();
        math::rms_norm(level, &mut last, &self.norm, eps);
        self.lm_head.forward_rows(&last, 1)
    }

    fn attention(
        &self,
        layer: &Layer,
        cache: &mut Option<KvCache>,
        x: &[f32],
        len: usize,
        start: usize,
    ) -> candle_core::Result<Vec<f32>> {
        let c = &self.config;
        let hd = c.head_dim;
        let level = self.level;
        let mut qkv = layer.qkv.forward_rows(x, len)?;
        let width = (c.heads + 2 * c.kv_heads) * hd;
        if qkv.len() != len * width {
            candle_core::bail!(
                "q/k/v projection gives {} values per token, expected {width}",
                qkv.len() / len
            );
        }
        if let Some(bias) = &layer.qkv_bias {
            for row in qkv.chunks_exact_mut(width) {
                add(row, bias);
            }
        }
        // Rotary positions for the query and key heads, in place.
        let half = hd / 2;
        for (i, row) in qkv.chunks_exact_mut(width).enumerate() {
            let pos = start + i;
            let (cos, sin) = (
                &self.cos[pos * half..(pos + 1) * half],
                &self.sin[pos * half..(pos + 1) * half],
            );
            for head in row[..(c.heads + c.kv_heads) * hd].chunks_exact_mut(hd) {
                rotate(head, cos, sin, c.rope_interleaved);
            }
        }
        let needed = start + len;
        let cache = grow_cache(cache, c.kv_heads, hd, needed, self.context_limit());
        for (i, row) in qkv.chunks_exact(width).enumerate() {
            let t = start + i;
            for g in 0..c.kv_heads {
                let k = &row[(c.heads + g) * hd..(c.heads + g + 1) * hd];
                let v = &row[(c.heads + c.kv_heads + g) * hd..(c.heads + c.kv_heads + g + 1) * hd];
                let panel = &mut cache.k[g][(t / NR) * hd * NR..(t / NR + 1) * hd * NR];
                for (dim, &value) in k.iter().enumerate() {
                    panel[dim * NR + t % NR] = value;
                }
                cache.v[g][t * hd..(t + 1) * hd].copy_from_slice(v);
            }
        }
        // One task per query head and block of query rows; the query heads that share a
        // key/value head read the same cache, and nothing is copied per head.
        let group = c.heads / c.kv_heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let blocks = len.div_ceil(ATTENTION_ROWS);
        let tasks: Vec<(usize, usize)> = (0..c.heads)
            .flat_map(|h| (0..blocks).map(move |b| (h, b)))
            .collect();
        let cache = &*cache;
        let parts: Vec<Vec<f32>> = tasks
            .par_iter()
            .map(|&(head, block)| {
                let g = head / group;
                let i0 = block * ATTENTION_ROWS;
                let rows = ATTENTION_ROWS.min(len - i0);
                // Causal: the last row of the block sees every position up to its own.
                let keys = start + i0 + rows;
                let ldc = keys.div_ceil(NR) * NR;
                let mut scores = vec![0f32; rows * ldc];
                gemm::gemm(
                    level,
                    &qkv[i0 * width + head * hd..],
                    rows,
                    width,
                    Rhs::panels(&cache.k[g], hd, keys),
                    Out {
                        c: &mut scores,
                        ldc,
                        bias: None,
                        accumulate: false,
                    },
                );
                for (r, row) in scores.chunks_exact_mut(ldc).enumerate() {
                    let seen = start + i0 + r + 1;
                    math::softmax(level, &mut row[..seen], scale);
                    row[seen..keys].fill(0.0);
                }
                let mut out = vec![0f32; rows * hd];
                gemm::gemm(
                    level,
                    &scores,
                    rows,
                    ldc,
                    Rhs::row_major(&cache.v[g], keys, hd, hd),
                    Out {
                        c: &mut out,
                        ldc: hd,
                        bias: None,
                        accumulate: false,
                    },
                );
                out
            })
            .collect();
        let q_width = c.heads * hd;
        let mut ctx = vec![0f32; len * q_width];
        for (&(head, block), part) in tasks.iter().zip(&parts) {
            for (r, values) in part.chunks_exact(hd).enumerate() {
                let i = block * ATTENTION_ROWS + r;
                ctx[i * q_width + head * hd..i * q_width + (head + 1) * hd].copy_from_slice(values);
            }
        }
        layer.out.forward_rows(&ctx, len)
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Rotary embedding of one head: pairs (2j, 2j+1) when interleaved (GPT-J style, as in
/// llama GGUFs), else (j, j + half) (NeoX style, Qwen2).
fn rotate(head: &mut [f32], cos: &[f32], sin: &[f32], interleaved: bool) {
    let half = head.len() / 2;
    for j in 0..half {
        let (a, b) = if interleaved {
            (2 * j, 2 * j + 1)
        } else {
            (j, j + half)
        };
        let (x0, x1) = (head[a], head[b]);
        head[a] = x0 * cos[j] - x1 * sin[j];
        head[b] = x0 * sin[j] + x1 * cos[j];
    }
}

fn grow_cache(
    cache: &mut Option<KvCache>,
    kv_heads: usize,
    head_dim: usize,
    needed: usize,
    limit: usize,
) -> &mut KvCache {
    let c = cache.get_or_insert_with(|| KvCache {
        k: vec![Vec::new(); kv_heads],
        v: vec![Vec::new(); kv_heads],
        capacity: 0,
    });
    if c.capacity < needed {
        // Whole panels of NR positions; the prefix keeps its layout when the buffers grow.
        let capacity = (needed.next_power_of_two().max(256).min(limit).max(needed)).div_ceil(NR) * NR;
        for buf in c.k.iter_mut().chain(c.v.iter_mut()) {
            buf.resize(capacity * head_dim, 0.0);
        }
        c.capacity = capacity;
    }
    c
}

fn rope_tables(head_dim: usize, base: f32, positions: usize) -> (Vec<f32>, Vec<f32>) {
    let inv: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
        .collect();
    let mut cos = Vec::with_capacity(positions * inv.len());
    let mut sin = Vec::with_capacity(positions * inv.len());
    for p in 0..positions {
        for f in &inv {
            let angle = p as f32 * f;
            cos.push(angle.cos());
            sin.push(angle.sin());
        }
    }
    (cos, sin)
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Metadata(String),
    #[error("tensor {0}: {1}")]
    Tensor(String, candle_core::Error),
    #[error(transparent)]
    Compute(#[from] candle_core::Error),
}
