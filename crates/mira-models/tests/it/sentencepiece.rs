//! GGUF models with a SentencePiece vocabulary (Llama 2, TinyLlama, Mistral): a small
//! vocabulary trained by the `sentencepiece` package itself, written into a tiny llama
//! GGUF with random weights, must tokenize every text exactly as SentencePiece does, and
//! the model must load and answer.

use std::sync::atomic::AtomicBool;

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use mira_models::{ChatLoadOptions, ChatMessage, ChatModel, GenerateParams, Role};
use serde::Deserialize;

use crate::common::python_reference;

const TEXTS: &[&str] = &[
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "def parse_config(path):\n    return load(path)",
    "a  b   c",
    "   leading spaces and trailing ones   ",
    "\n\nnew lines\n",
    "x = 12345 + 6789",
    "caf\u{e9}, na\u{ef}ve, Z\u{fc}rich and an emoji \u{1F600}",
    "\u{4e2d}\u{6587}",
    "",
];

#[derive(Deserialize)]
struct Piece {
    piece: String,
    score: f32,
    #[serde(rename = "type")]
    kind: i32,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
}

#[derive(Deserialize)]
struct Reference {
    pieces: Vec<Piece>,
    cases: Vec<Case>,
}

fn reference() -> Reference {
    python_reference("sentencepiece_vocab.py", &[], &TEXTS, "sentencepiece")
}

/// A llama GGUF of 2 layers over `pieces`, weights random but fixed.
fn write_model(path: &std::path::Path, pieces: &[Piece]) {
    let (hidden, ffn, heads, kv_heads, layers) = (64usize, 128usize, 2u32, 1u32, 2u32);
    let head_dim = hidden / heads as usize;
    let vocab = pieces.len();
    let dev = Device::Cpu;
    let mut seed = 7u64;
    let mut random = |rows: usize, cols: usize| -> QTensor {
        let data: Vec<f32> = (0..rows * cols)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
            })
            .collect();
        let t = Tensor::from_vec(data, (rows, cols), &dev).unwrap();
        QTensor::quantize(&t, GgmlDType::F32).unwrap()
    };
    let ones = |n: usize| {
        QTensor::quantize(
            &Tensor::ones(n, candle_core::DType::F32, &dev).unwrap(),
            GgmlDType::F32,
        )
        .unwrap()
    };
    let mut tensors: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), random(vocab, hidden)),
        ("output_norm.weight".into(), ones(hidden)),
        ("output.weight".into(), random(vocab, hidden)),
    ];
    for i in 0..layers {
        let p = |n: &str| format!("blk.{i}.{n}");
        tensors.push((p("attn_norm.weight"), ones(hidden)));
        tensors.push((p("ffn_norm.weight"), ones(hidden)));
        tensors.push((p("attn_q.weight"), random(hidden, hidden)));
        tensors.push((p("attn_k.weight"), random(kv_heads as usize * head_dim, hidden)));
        tensors.push((p("attn_v.weight"), random(kv_heads as usize * head_dim, hidden)));
        tensors.push((p("attn_output.weight"), random(hidden, hidden)));
        tensors.push((p("ffn_gate.weight"), random(ffn, hidden)));
        tensors.push((p("ffn_up.weight"), random(ffn, hidden)));
        tensors.push((p("ffn_down.weight"), random(hidden, ffn)));
    }
    use gguf_file::Value;
    let metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("llama.embedding_length", Value::U32(hidden as u32)),
        ("llama.feed_forward_length", Value::U32(ffn as u32)),
        ("llama.attention.head_count", Value::U32(heads)),
        ("llama.attention.head_count_kv", Value::U32(kv_heads)),
        ("llama.block_count", Value::U32(layers)),
        ("llama.context_length", Value::U32(512)),
        ("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("tokenizer.ggml.model", Value::String("llama".into())),
        (
            "tokenizer.ggml.tokens",
            Value::Array(pieces.iter().map(|p| Value::String(p.piece.clone())).collect()),
        ),
        (
            "tokenizer.ggml.scores",
            Value::Array(pieces.iter().map(|p| Value::F32(p.score)).collect()),
        ),
        (
            "tokenizer.ggml.token_type",
            Value::Array(pieces.iter().map(|p| Value::I32(p.kind)).collect()),
        ),
        ("tokenizer.ggml.unknown_token_id", Value::U32(0)),
        ("tokenizer.ggml.bos_token_id", Value::U32(1)),
        ("tokenizer.ggml.eos_token_id", Value::U32(2)),
    ];
    let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut file, &metadata, &tensors).unwrap();
}

#[test]
fn a_sentencepiece_vocabulary_tokenizes_as_sentencepiece_does_and_the_model_answers() {
    let reference = reference();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny-spm.gguf");
    write_model(&path, &reference.pieces);
    for format in ["int8", "f32"] {
        let model = ChatModel::load_with(
            &path,
            &ChatLoadOptions {
                format: format.parse().unwrap(),
                max_context: 256,
            },
        )
        .unwrap_or_else(|e| panic!("{format}: {e}"));
        for case in &reference.cases {
            assert_eq!(
                model.tokenize(&case.text).unwrap(),
                case.ids,
                "{format}: {:?}",
                case.text
            );
        }
        // After a special token the text starts with a space again, as llama.cpp does.
        let hello = &reference.cases[0];
        let mut want = vec![1];
        want.extend(&hello.ids);
        assert_eq!(model.tokenize(&format!("<s>{}", hello.text)).unwrap(), want);
        let g = model
            .generate(
                &[ChatMessage::new(Role::User, "Hello world")],
                &GenerateParams {
                    max_tokens: 6,
                    ..GenerateParams::default()
                },
                &AtomicBool::new(false),
                &mut |_| {},
            )
            .unwrap();
        assert!(g.prompt_tokens > 3, "{format}: the ChatML prompt was tokenized");
        assert!(g.completion_tokens >= 1);
    }
}
