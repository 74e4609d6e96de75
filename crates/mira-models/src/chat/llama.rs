//! The llama-family transformer (Llama, SmolLM2, Qwen2, Mistral without sliding window)
//! over GGUF weights: RMSNorm, rotary positions, grouped-query attention with a key/value
//! cache, SwiGLU feed-forward.

use candle_core::quantized::QTensor;
use candle_core::quantized::gguf_file;
use candle_core::{D, DType, Device, IndexOp, Tensor};

use super::weights::{Matrix, WeightFormat};

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
    attn_norm: Tensor,
    /// q, k and v stacked: one multiplication per token instead of three.
    qkv: Matrix,
    qkv_bias: Option<Tensor>,
    out: Matrix,
    ffn_norm: Tensor,
    /// gate and up stacked.
    gate_up: Matrix,
    down: Matrix,
}

/// Keys and values of the positions seen so far, per layer, in buffers that grow by
/// doubling so a long answer does not copy the whole cache at every token.
struct KvCache {
    k: Tensor,
    v: Tensor,
    len: usize,
}

pub struct Llama {
    pub config: LlamaConfig,
    embeddings: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    lm_head: Matrix,
    cos: Tensor,
    sin: Tensor,
    device: Device,
    weight_bytes: usize,
}

/// The state of one generation: its cache and how many positions it holds.
pub struct Session {
    caches: Vec<Option<KvCache>>,
    pub position: usize,
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
        let embed_q = tensor("token_embd.weight")?;
        let embeddings = embed_q.dequantize(&device)?;
        let norm = tensor("output_norm.weight")?.dequantize(&device)?;
        let lm_head = if content.tensor_infos.contains_key("output.weight") {
            Matrix::convert(tensor("output.weight")?, format, &device)?
        } else {
            // Tied embeddings (SmolLM2): the output projection is the embedding matrix.
            Matrix::convert(embed_q, format, &device)?
        };
        let mut layers = Vec::with_capacity(config.layers);
        for i in 0..config.layers {
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
            let qkv_bias = if content.tensor_infos.contains_key(&p("attn_q.bias")) {
                let parts = [p("attn_q.bias"), p("attn_k.bias"), p("attn_v.bias")]
                    .iter()
                    .map(|n| tensor(n).and_then(|t| Ok(t.dequantize(&device)?)))
                    .collect::<Result<Vec<_>, _>>()?;
                Some(Tensor::cat(&parts, 0)?)
            } else {
                None
            };
            let gate_up = Matrix::fuse(
                vec![tensor(&p("ffn_gate.weight"))?, tensor(&p("ffn_up.weight"))?],
                format,
                &device,
            )?;
            layers.push(Layer {
                attn_norm: tensor(&p("attn_norm.weight"))?.dequantize(&device)?,
                qkv,
                qkv_bias,
                out: Matrix::convert(tensor(&p("attn_output.weight"))?, format, &device)?,
                ffn_norm: tensor(&p("ffn_norm.weight"))?.dequantize(&device)?,
                gate_up,
                down: Matrix::convert(tensor(&p("ffn_down.weight"))?, format, &device)?,
            });
        }
        let context = max_context.min(config.context_length).max(1);
        let (cos, sin) = rope_tables(config.head_dim, config.rope_base, context, &device)?;
        let weight_bytes = embeddings.elem_count() * 4
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
            layers,
            norm,
            lm_head,
            cos,
            sin,
            device,
            weight_bytes,
        })
    }

    /// Positions this model instance can hold (the smaller of the model's context and
    /// the configured bound).
    pub fn context_limit(&self) -> usize {
        self.cos.dim(0).unwrap_or(0)
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
        if start + len > self.context_limit() {
            candle_core::bail!(
                "{} positions requested but the context holds {}",
                start + len,
                self.context_limit()
            );
        }
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embeddings.index_select(&ids, 0)?.unsqueeze(0)?;
        let cos = self.cos.narrow(0, start, len)?;
        let sin = self.sin.narrow(0, start, len)?;
        let mask = if len > 1 {
            Some(causal_mask(len, start, &self.device)?)
        } else {
            None
        };
        for (layer, cache) in self.layers.iter().zip(session.caches.iter_mut()) {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, self.config.rms_eps as f32)?;
            let h = self.attention(layer, cache, &h, &cos, &sin, mask.as_ref(), start)?;
            x = (x + h)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, self.config.rms_eps as f32)?;
            let gate_up = layer.gate_up.forward(&h)?;
            let half = gate_up.dim(D::Minus1)? / 2;
            let gate = gate_up.narrow(D::Minus1, 0, half)?;
            let up = gate_up.narrow(D::Minus1, half, half)?;
            let h = layer.down.forward(&(candle_nn::ops::silu(&gate)? * up)?)?;
            x = (x + h)?;
        }
        session.position += len;
        let last = x.i((0, len - 1))?.unsqueeze(0)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, self.config.rms_eps as f32)?;
        self.lm_head
            .forward(&last)?
            .squeeze(0)?
            .to_dtype(DType::F32)?
            .to_vec1()
    }

    #[allow(clippy::too_many_arguments)]
    fn attention(
        &self,
        layer: &Layer,
        cache: &mut Option<KvCache>,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        mask: Option<&Tensor>,
        start: usize,
    ) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let (_, len, _) = x.dims3()?;
        let mut qkv = layer.qkv.forward(x)?;
        if let Some(bias) = &layer.qkv_bias {
            qkv = qkv.broadcast_add(bias)?;
        }
        let (q_width, kv_width) = (c.heads * c.head_dim, c.kv_heads * c.head_dim);
        let heads = |t: Tensor, n: usize| -> candle_core::Result<Tensor> {
            t.reshape((1, len, n, c.head_dim))?.transpose(1, 2)?.contiguous()
        };
        let q = heads(qkv.narrow(D::Minus1, 0, q_width)?, c.heads)?;
        let k = heads(qkv.narrow(D::Minus1, q_width, kv_width)?, c.kv_heads)?;
        let v = heads(qkv.narrow(D::Minus1, q_width + kv_width, kv_width)?, c.kv_heads)?;
        let (q, k) = if c.rope_interleaved {
            (
                candle_nn::rotary_emb::rope_i(&q, cos, sin)?,
                candle_nn::rotary_emb::rope_i(&k, cos, sin)?,
            )
        } else {
            (
                candle_nn::rotary_emb::rope(&q, cos, sin)?,
                candle_nn::rotary_emb::rope(&k, cos, sin)?,
            )
        };
        let (k, v) = append_cache(cache, &k, &v, start, self.context_limit())?;
        let total = k.dim(2)?;
        // Grouped-query attention without copying keys per query head: the query heads that
        // share a key/value head are laid side by side as extra rows of one product.
        let group = c.heads / c.kv_heads;
        let q = q.reshape((c.kv_heads, group * len, c.head_dim))?;
        let k = k.squeeze(0)?;
        let v = v.squeeze(0)?;
        let scale = 1.0 / (c.head_dim as f64).sqrt();
        let mut scores = (q.matmul(&k.t()?)? * scale)?;
        if let Some(mask) = mask {
            scores = scores
                .reshape((c.kv_heads, group, len, total))?
                .broadcast_add(mask)?
                .reshape((c.kv_heads, group * len, total))?;
        }
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(&v)?; // (kv_heads, group*len, head_dim)
        let out = out
            .reshape((c.heads, len, c.head_dim))?
            .transpose(0, 1)?
            .reshape((1, len, c.heads * c.head_dim))?;
        layer.out.forward(&out)
    }
}

fn append_cache(
    cache: &mut Option<KvCache>,
    k: &Tensor,
    v: &Tensor,
    start: usize,
    limit: usize,
) -> candle_core::Result<(Tensor, Tensor)> {
    let len = k.dim(2)?;
    let needed = start + len;
    let grow = match cache {
        None => true,
        Some(c) => c.k.dim(2)? < needed,
    };
    if grow {
        let capacity = needed.next_power_of_two().max(256).min(limit).max(needed);
        let (_, kv_heads, _, head_dim) = k.dims4()?;
        let new_k = Tensor::zeros((1, kv_heads, capacity, head_dim), k.dtype(), k.device())?;
        let new_v = new_k.zeros_like()?;
        if let Some(old) = cache.as_ref().filter(|c| c.len > 0) {
            new_k.slice_set(&old.k.narrow(2, 0, old.len)?, 2, 0)?;
            new_v.slice_set(&old.v.narrow(2, 0, old.len)?, 2, 0)?;
        }
        let kept = cache.as_ref().map_or(0, |c| c.len);
        *cache = Some(KvCache {
            k: new_k,
            v: new_v,
            len: kept,
        });
    }
    let c = cache.as_mut().expect("cache allocated above");
    c.k.slice_set(k, 2, start)?;
    c.v.slice_set(v, 2, start)?;
    c.len = needed;
    Ok((c.k.narrow(2, 0, needed)?, c.v.narrow(2, 0, needed)?))
}

fn rope_tables(
    head_dim: usize,
    base: f32,
    positions: usize,
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let inv: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
        .collect();
    let inv = Tensor::new(inv.as_slice(), device)?.unsqueeze(0)?;
    let pos = Tensor::arange(0, positions as u32, device)?
        .to_dtype(DType::F32)?
        .unsqueeze(1)?;
    let freqs = pos.broadcast_mul(&inv)?;
    Ok((freqs.cos()?, freqs.sin()?))
}

/// Additive mask for `len` new positions after `start` cached ones: a query may look at
/// every cached key and at new keys up to its own position.
fn causal_mask(len: usize, start: usize, device: &Device) -> candle_core::Result<Tensor> {
    let total = start + len;
    let data: Vec<f32> = (0..len)
        .flat_map(|i| (0..total).map(move |j| if j > start + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(data, (len, total), device)
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
