//! SentencePiece vocabularies as GGUF files store them (`tokenizer.ggml.model = "llama"`:
//! Llama 2, TinyLlama, Mistral 7B, Gemma's predecessors): pieces with scores, spaces
//! written as U+2581, and byte pieces `<0xXX>` for what the vocabulary lacks.
//!
//! SentencePiece's BPE encoder starts from characters and merges, again and again, the
//! adjacent pair whose joined piece is in the vocabulary with the highest score. A BPE
//! model whose merges are every split of every piece into two pieces, ranked by the
//! joined piece's score, takes the same steps; that is how it is built here (the way
//! Hugging Face converts these vocabularies), so the tokenizers crate does the encoding.

use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::{Prepend, Replace, Sequence as NormalizerSequence};
use tokenizers::{DecoderWrapper, NormalizerWrapper, Tokenizer};

/// The piece SentencePiece writes for a space.
const SPACE: &str = "\u{2581}";

/// A tokenizer for a SentencePiece vocabulary. `scores` rank the pieces (higher merges
/// first); `unknown` is the id of the unknown piece; with `add_space_prefix` a text (and
/// each run of text after a special token, as llama.cpp does) starts with a space.
pub fn tokenizer(
    tokens: &[String],
    scores: &[f32],
    unknown: Option<u32>,
    add_space_prefix: bool,
) -> Result<Tokenizer, String> {
    if scores.len() != tokens.len() {
        return Err(format!(
            "tokenizer.ggml.scores has {} values for {} tokens",
            scores.len(),
            tokens.len()
        ));
    }
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let mut builder = BPE::builder()
        .vocab_and_merges(vocab.clone(), merges(tokens, scores, &vocab))
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(piece) = unknown.and_then(|id| tokens.get(id as usize)) {
        builder = builder.unk_token(piece.clone());
    }
    let bpe = builder.build().map_err(|e| format!("SentencePiece BPE: {e}"))?;
    let mut inner = Tokenizer::new(bpe);
    let mut normalizers: Vec<NormalizerWrapper> = Vec::new();
    if add_space_prefix {
        normalizers.push(Prepend::new(SPACE.to_string()).into());
    }
    normalizers.push(Replace::new(" ", SPACE).map_err(|e| e.to_string())?.into());
    inner.with_normalizer(Some(NormalizerSequence::new(normalizers)));
    let mut decoders: Vec<DecoderWrapper> = vec![
        Replace::new(SPACE, " ").map_err(|e| e.to_string())?.into(),
        ByteFallback::default().into(),
        Fuse::default().into(),
    ];
    if add_space_prefix {
        // The space the encoder put in front of the text is not part of it.
        decoders.push(Strip::new(' ', 1, 0).into());
    }
    inner.with_decoder(Some(DecoderSequence::new(decoders)));
    Ok(inner)
}

/// Every split of a piece into two pieces of the vocabulary, the splits of higher-scored
/// pieces first (ties by id, so the order does not depend on a hash map's).
fn merges(tokens: &[String], scores: &[f32], vocab: &Vocab) -> Vec<(String, String)> {
    let mut ranked: Vec<(usize, &String)> = tokens.iter().enumerate().collect();
    ranked.sort_by(|(a, _), (b, _)| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));
    let mut merges = Vec::new();
    for (_, piece) in ranked {
        // Control and byte pieces such as `<s>` or `<0x0A>` are never built by merging,
        // but checking their splits is harmless: their halves are not pieces.
        for (split, _) in piece.char_indices().skip(1) {
            let (left, right) = piece.split_at(split);
            if vocab.contains_key(left) && vocab.contains_key(right) {
                merges.push((left.to_string(), right.to_string()));
            }
        }
    }
    merges
}
