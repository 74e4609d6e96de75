"""Independent reference for Mira's sentence embedder: a plain numpy forward pass of a
BERT sentence-transformer (mean pooling, L2 normalisation) over the model's safetensors,
tokenised by Hugging Face's `tokenizers` package.

Usage: python3 bert_reference.py MODEL_DIR < sentences.json > vectors.json
"""

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer


def load_safetensors(path):
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[base + start : base + end], dtype=dtypes[info["dtype"]])
        tensors[name] = arr.reshape(info["shape"]).astype(np.float32)
    return tensors


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def embed(model_dir, sentences):
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    st = json.loads((model_dir / "sentence_bert_config.json").read_text())
    t = load_safetensors(model_dir / "model.safetensors")
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(st["max_seq_length"])
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    out = []
    for sentence in sentences:
        ids = np.array(tok.encode(sentence).ids)
        n = len(ids)
        x = (
            t["embeddings.word_embeddings.weight"][ids]
            + t["embeddings.position_embeddings.weight"][:n]
            + t["embeddings.token_type_embeddings.weight"][0]
        )
        x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
        hd = x.shape[1] // heads
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            lin = lambda v, name: v @ t[p + name + ".weight"].T + t[p + name + ".bias"]
            q = lin(x, "attention.self.query").reshape(n, heads, hd).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(n, heads, hd).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(n, heads, hd).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
            s = np.exp(s - s.max(-1, keepdims=True))
            s = s / s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(n, -1)
            a = layer_norm(
                lin(ctx, "attention.output.dense") + x,
                t[p + "attention.output.LayerNorm.weight"],
                t[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            h = gelu(lin(a, "intermediate.dense"))
            x = layer_norm(
                lin(h, "output.dense") + a,
                t[p + "output.LayerNorm.weight"],
                t[p + "output.LayerNorm.bias"],
                eps,
            )
        pooled = x.mean(0)
        out.append((pooled / np.linalg.norm(pooled)).tolist())
    return out


if __name__ == "__main__":
    sentences = json.load(sys.stdin)
    json.dump(embed(sys.argv[1], sentences), sys.stdout)
