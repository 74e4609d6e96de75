//! The tokenizer of a GGUF chat model, rebuilt from the file's own metadata
//! (`tokenizer.ggml.*`) so a model is one self-contained file.

use candle_core::quantized::gguf_file;
use tokenizers::SplitDelimiterBehavior;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{AddedToken, Tokenizer};

use super::llama::{meta_str, meta_u64};

/// GGUF token type of control tokens such as `<|im_start|>` (llama.cpp's enum).
const TOKEN_TYPE_CONTROL: i32 = 3;
const TOKEN_TYPE_USER_DEFINED: i32 = 4;

pub struct GgufTokenizer {
    inner: Tokenizer,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    /// Tokens that end a turn: the end-of-sequence token and chat markers such as
    /// `<|im_end|>` or `<|eot_id|>` when the vocabulary has them.
    pub end_of_turn: Vec<u32>,
    tokens: Vec<String>,
}

impl GgufTokenizer {
    pub fn from_gguf(content: &gguf_file::Content) -> Result<Self, String> {
        let model = meta_str(content, "tokenizer.ggml.model")?;
        let tokens = string_array(content, "tokenizer.ggml.tokens")?;
        let types = int_array(content, "tokenizer.ggml.token_type").unwrap_or_default();
        let mut inner = match model.as_str() {
            "gpt2" => byte_level_bpe(content, &tokens)?,
            "llama" => {
                let scores = float_array(content, "tokenizer.ggml.scores")?;
                let unknown = meta_u64(content, "tokenizer.ggml.unknown_token_id")
                    .ok()
                    .map(|v| v as u32);
                let add_space_prefix = content
                    .metadata
                    .get("tokenizer.ggml.add_space_prefix")
                    .and_then(|v| v.to_bool().ok())
                    .unwrap_or(true);
                super::spm::tokenizer(&tokens, &scores, unknown, add_space_prefix)?
            }
            other => {
                return Err(format!(
                    "tokenizer '{other}' is not supported: byte-level BPE ('gpt2': Llama 3, Qwen2, SmolLM2) and SentencePiece ('llama': Llama 2, TinyLlama, Mistral) are"
                ));
            }
        };
        let special: Vec<AddedToken> = tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                matches!(
                    types.get(*i),
                    Some(&TOKEN_TYPE_CONTROL) | Some(&TOKEN_TYPE_USER_DEFINED)
                )
            })
            .map(|(_, t)| AddedToken::from(t.clone(), true))
            .collect();
        inner.add_special_tokens(&special);
        let id = |key: &str| meta_u64(content, key).ok().map(|v| v as u32);
        let bos = id("tokenizer.ggml.bos_token_id");
        let eos = id("tokenizer.ggml.eos_token_id");
        let mut end_of_turn: Vec<u32> = eos.into_iter().collect();
        for marker in ["<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|end|>"] {
            if let Some(&i) = tokens.iter().position(|t| t == marker).as_ref() {
                let i = i as u32;
                if !end_of_turn.contains(&i) {
                    end_of_turn.push(i);
                }
            }
        }
        Ok(GgufTokenizer {
            inner,
            bos,
            eos,
            end_of_turn,
            tokens,
        })
    }

    /// Token ids of `text`; special markers in it (`<|im_start|>`) become their tokens.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, String> {
        self.inner
            .encode_fast(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| e.to_string())
    }

    /// Text of `ids`, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, String> {
        self.inner.decode(ids, true).map_err(|e| e.to_string())
    }

    pub fn token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }
}

/// GPT-2 style byte-level BPE from the file's tokens and merges, with the pre-tokenizer
/// the file names.
fn byte_level_bpe(content: &gguf_file::Content, tokens: &[String]) -> Result<Tokenizer, String> {
    let merges = string_array(content, "tokenizer.ggml.merges")?
        .into_iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| format!("merge '{m}' is not two tokens separated by a space"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| format!("BPE: {e}"))?;
    let mut inner = Tokenizer::new(bpe);
    let pre = content
        .metadata
        .get("tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    inner.with_pre_tokenizer(Some(pre_tokenizer(&pre)?));
    inner.with_decoder(Some(ByteLevelDecoder::default()));
    Ok(inner)
}

/// Llama 3's split (llama.cpp's LLAMA3 pre-tokenizer, as in Meta's tokenizer.json): case-
/// insensitive contractions, a letter run with at most one leading non-letter (`_name`,
/// ` name`), numbers in groups of up to three, punctuation with its trailing
/// newlines, whitespace runs.
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Qwen2's: Llama 3's with single digits.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The pre-tokenizer llama.cpp uses for the file's `tokenizer.ggml.pre` name: the regex
/// split of Llama 3 or Qwen2 then the byte-level mapping, digits split one by one before
/// GPT-2's rule (SmolLM, DeepSeek LLM), else GPT-2's rule alone.
fn pre_tokenizer(pre: &str) -> Result<PreTokenizerWrapper, String> {
    let split = |pattern: &str| -> Result<PreTokenizerWrapper, String> {
        let split = Split::new(
            SplitPattern::Regex(pattern.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| format!("pre-tokenizer '{pre}': {e}"))?;
        Ok(PreTokenizerWrapper::Sequence(Sequence::new(vec![
            PreTokenizerWrapper::Split(split),
            PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, false)),
        ])))
    };
    let gpt2 = ByteLevel::new(false, true, true);
    Ok(match pre {
        "llama3" | "llama-bpe" | "falcon3" => split(LLAMA3_SPLIT)?,
        "qwen2" | "deepseek-r1-qwen" => split(QWEN2_SPLIT)?,
        "smollm" | "deepseek-llm" => PreTokenizerWrapper::Sequence(Sequence::new(vec![
            PreTokenizerWrapper::Digits(Digits::new(true)),
            PreTokenizerWrapper::ByteLevel(gpt2),
        ])),
        _ => PreTokenizerWrapper::ByteLevel(gpt2),
    })
}

/// The array stored under `key`, or a message naming the key.
fn array<'a>(content: &'a gguf_file::Content, key: &str) -> Result<&'a Vec<gguf_file::Value>, String> {
    content
        .metadata
        .get(key)
        .ok_or_else(|| format!("metadata key {key} is missing"))?
        .to_vec()
        .map_err(|e| format!("{key}: {e}"))
}

fn string_array(content: &gguf_file::Content, key: &str) -> Result<Vec<String>, String> {
    array(content, key)?
        .iter()
        .map(|v| v.to_string().cloned().map_err(|e| format!("{key}: {e}")))
        .collect()
}

fn float_array(content: &gguf_file::Content, key: &str) -> Result<Vec<f32>, String> {
    array(content, key)?
        .iter()
        .map(|v| v.to_f32().map_err(|e| format!("{key}: {e}")))
        .collect()
}

fn int_array(content: &gguf_file::Content, key: &str) -> Result<Vec<i32>, String> {
    array(content, key)?
        .iter()
        .map(|v| {
            v.to_i32()
                .or_else(|_| v.to_u32().map(|x| x as i32))
                .map_err(|e| format!("{key}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};

    use super::pre_tokenizer;

    /// The pieces `pre` cuts `text` into, mapped back from byte-level characters.
    fn pieces(pre: &str, text: &str) -> Vec<String> {
        let mut s = PreTokenizedString::from(text);
        pre_tokenizer(pre).unwrap().pre_tokenize(&mut s).unwrap();
        s.get_splits(OffsetReferential::Original, OffsetType::Byte)
            .into_iter()
            .map(|(_, (a, b), _)| text[a..b].to_string())
            .collect()
    }

    #[test]
    fn llama3_groups_digits_by_three_and_joins_one_leading_symbol_to_a_word() {
        // Expected pieces as Python's `regex` module finds them with the same pattern.
        assert_eq!(
            pieces("llama-bpe", "x = 1234567"),
            ["x", " =", " ", "123", "456", "7"]
        );
        assert_eq!(
            pieces("llama3", "call _private_name"),
            ["call", " _", "private", "_name"]
        );
        assert_eq!(pieces("llama3", "DON'T stop"), ["DON", "'T", " stop"]);
        assert_eq!(pieces("llama3", "a;\n\n  b"), ["a", ";\n\n", " ", " b"]);
    }

    #[test]
    fn qwen2_splits_every_digit_and_gpt2_keeps_numbers_whole() {
        assert_eq!(pieces("qwen2", "v 2024"), ["v", " ", "2", "0", "2", "4"]);
        assert_eq!(pieces("smollm", "v 2024"), ["v", " ", "2", "0", "2", "4"]);
        assert_eq!(pieces("gpt2", "v 2024"), ["v", " 2024"]);
        assert_eq!(pieces("gpt2", "DON'T"), ["DON", "'", "T"]);
    }
}
