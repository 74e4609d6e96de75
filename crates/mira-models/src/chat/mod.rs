//! The in-process chat model: a GGUF llama-family model with its own tokenizer and chat
//! template, generating token by token with stop sequences, limits and cancellation.

mod int8;
mod llama;
mod sampler;
mod spm;
mod template;
mod tokenizer;
mod vnni;
mod weights;

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use candle_core::quantized::gguf_file;

use crate::error::{ModelError, Result};
use llama::Llama;
pub use llama::LlamaConfig;
use sampler::Sampler;
use template::ChatTemplate;
use tokenizer::GgufTokenizer;
pub use weights::WeightFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GenerateParams {
    pub max_tokens: usize,
    /// 0 means greedy: the most likely token every time.
    pub temperature: f64,
    pub top_p: Option<f64>,
    pub seed: u64,
    /// Generation ends before any of these strings; they are not part of the answer.
    pub stop: Vec<String>,
}

impl Default for GenerateParams {
    fn default() -> Self {
        GenerateParams {
            max_tokens: 256,
            temperature: 0.0,
            top_p: None,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Finish {
    /// The model ended its turn or a stop sequence was reached.
    Stop,
    /// `max_tokens` or the context bound was reached.
    Length,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    pub finish: Finish,
    /// Time from the call to the first generated token (prompt processing included).
    pub time_to_first_token: Duration,
    pub total_time: Duration,
}

impl Generation {
    /// Decoding speed after the first token.
    pub fn decode_tokens_per_second(&self) -> f64 {
        let decode = self
            .total_time
            .saturating_sub(self.time_to_first_token)
            .as_secs_f64();
        if self.completion_tokens > 1 && decode > 0.0 {
            (self.completion_tokens - 1) as f64 / decode
        } else {
            0.0
        }
    }
}

/// How to load a chat model.
#[derive(Debug, Clone)]
pub struct ChatLoadOptions {
    pub format: WeightFormat,
    /// Upper bound on prompt plus answer, in tokens (`MIRA_LOCAL_CONTEXT`).
    pub max_context: usize,
}

impl Default for ChatLoadOptions {
    fn default() -> Self {
        ChatLoadOptions {
            format: WeightFormat::DEFAULT,
            max_context: 4096,
        }
    }
}

impl ChatLoadOptions {
    pub fn from_config(config: &mira_core::Config) -> Self {
        ChatLoadOptions {
            format: config
                .models
                .local_model_format
                .parse()
                .unwrap_or(WeightFormat::DEFAULT),
            max_context: config.models.local_context,
        }
    }
}

pub struct ChatModel {
    name: String,
    model: Llama,
    tokenizer: GgufTokenizer,
    template: ChatTemplate,
    format: WeightFormat,
    file_bytes: u64,
}

/// Prompts are run through the model in slices of this many tokens, which bounds the
/// memory of the attention scores for long prompts.
const PREFILL_CHUNK: usize = 512;

impl ChatModel {
    pub fn load(path: &Path) -> Result<ChatModel> {
        Self::load_with(path, &ChatLoadOptions::default())
    }

    pub fn load_with(path: &Path, options: &ChatLoadOptions) -> Result<ChatModel> {
        let what = "GGUF chat model";
        let file = File::open(path).map_err(ModelError::io(format!("opening {}", path.display())))?;
        let file_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = BufReader::new(file);
        let content = gguf_file::Content::read(&mut reader)
            .map_err(|e| ModelError::invalid(what, path, format!("not a GGUF file ({e})")))?;
        let tokenizer = GgufTokenizer::from_gguf(&content).map_err(|e| ModelError::invalid(what, path, e))?;
        let template = ChatTemplate::from_metadata(
            content
                .metadata
                .get("tokenizer.chat_template")
                .and_then(|v| v.to_string().ok())
                .cloned(),
        );
        let model = Llama::load(&content, &mut reader, options.format, options.max_context)
            .map_err(|e| ModelError::invalid(what, path, e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".gguf").to_string())
            .unwrap_or_else(|| "local model".to_string());
        Ok(ChatModel {
            name,
            model,
            tokenizer,
            template,
            format: options.format,
            file_bytes,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Tokens of prompt plus answer this instance holds.
    pub fn context_length(&self) -> usize {
        self.model.context_limit()
    }

    pub fn config(&self) -> &LlamaConfig {
        &self.model.config
    }

    pub fn format(&self) -> WeightFormat {
        self.format
    }

    pub fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// Bytes of weights held in memory in the chosen format.
    pub fn weight_bytes(&self) -> usize {
        self.model.weight_bytes()
    }

    pub fn template_name(&self) -> &'static str {
        self.template.name()
    }

    /// The prompt text the model sees for `messages`.
    pub fn render_prompt(&self, messages: &[ChatMessage]) -> Result<String> {
        let token = |id: Option<u32>| id.and_then(|i| self.tokenizer.token(i)).unwrap_or("").to_string();
        self.template
            .render(messages, &token(self.tokenizer.bos), &token(self.tokenizer.eos))
            .or_else(|e| {
                // A template using Python-only features should not make the model unusable.
                tracing::warn!("{}: {e}; using ChatML", self.name);
                ChatTemplate::ChatMl.render(messages, "", "")
            })
            .map_err(ModelError::Template)
    }

    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self.tokenizer.encode(text).map_err(ModelError::Tokenizer)?.len())
    }

    /// Generates the assistant's answer to `messages`, calling `on_token` with each new
    /// piece of text as soon as it is certain not to be part of a stop sequence. Blocking:
    /// call it from a blocking thread.
    pub fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenerateParams,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        let prompt = self.render_prompt(messages)?;
        let ids = self.tokenizer.encode(&prompt).map_err(ModelError::Tokenizer)?;
        self.generate_from_tokens(&ids, params, cancel, on_token)
    }

    /// As `generate`, from prompt tokens already made (benchmarks use this).
    pub fn generate_from_tokens(
        &self,
        ids: &[u32],
        params: &GenerateParams,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        let started = Instant::now();
        let limit = self.context_length();
        if ids.is_empty() {
            return Err(ModelError::Tokenizer("the prompt is empty".into()));
        }
        if ids.len() >= limit {
            return Err(ModelError::ContextTooLong {
                model: self.name.clone(),
                prompt_tokens: ids.len(),
                limit,
                model_limit: self.model.config.context_length,
            });
        }
        let budget = params.max_tokens.min(limit - ids.len());
        let mut session = self.model.new_session();
        let mut logits = Vec::new();
        for chunk in ids.chunks(PREFILL_CHUNK) {
            if cancel.load(Ordering::Relaxed) {
                return Ok(self.finished(
                    String::new(),
                    ids.len(),
                    0,
                    Finish::Cancelled,
                    started,
                    started.elapsed(),
                ));
            }
            logits = self.model.forward(&mut session, chunk)?;
        }
        let mut sampler = Sampler::new(params.temperature, params.top_p, params.seed);
        let mut stream = StopStream::new(&params.stop);
        let mut generated: Vec<u32> = Vec::new();
        let mut first_token = None;
        let mut finish = Finish::Length;
        while generated.len() < budget {
            if cancel.load(Ordering::Relaxed) {
                finish = Finish::Cancelled;
                break;
            }
            let token = sampler.next(&logits);
            first_token.get_or_insert_with(|| started.elapsed());
            if self.tokenizer.end_of_turn.contains(&token) {
                finish = Finish::Stop;
                break;
            }
            generated.push(token);
            let text = self.tokenizer.decode(&generated).map_err(ModelError::Tokenizer)?;
            if stream.update(&text, on_token) {
                finish = Finish::Stop;
                break;
            }
            if generated.len() < budget {
                logits = self.model.forward(&mut session, &[token])?;
            }
        }
        if finish != Finish::Stop || stream.stopped_at.is_none() {
            stream.flush(on_token);
        }
        let ttft = first_token.unwrap_or_else(|| started.elapsed());
        Ok(self.finished(stream.answer(), ids.len(), generated.len(), finish, started, ttft))
    }

    fn finished(
        &self,
        text: String,
        prompt_tokens: usize,
        completion_tokens: usize,
        finish: Finish,
        started: Instant,
        ttft: Duration,
    ) -> Generation {
        Generation {
            text,
            prompt_tokens,
            completion_tokens,
            finish,
            time_to_first_token: ttft,
            total_time: started.elapsed(),
        }
    }

    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>> {
        self.tokenizer.encode(text).map_err(ModelError::Tokenizer)
    }

    /// The model's scores (logits, vocabulary-sized) for the token after the conversation's
    /// prompt: what greedy decoding would pick first, and how close two weight formats are.
    pub fn next_token_logits(&self, messages: &[ChatMessage]) -> Result<Vec<f32>> {
        let ids = self.tokenize(&self.render_prompt(messages)?)?;
        if ids.len() >= self.context_length() {
            return Err(ModelError::ContextTooLong {
                model: self.name.clone(),
                prompt_tokens: ids.len(),
                limit: self.context_length(),
                model_limit: self.model.config.context_length,
            });
        }
        let mut session = self.model.new_session();
        let mut logits = Vec::new();
        for chunk in ids.chunks(PREFILL_CHUNK) {
            logits = self.model.forward(&mut session, chunk)?;
        }
        Ok(logits)
    }
}

/// Emits the growing answer while holding back any tail that could be the start of a
/// stop sequence, and cuts the answer where one appears.
struct StopStream<'a> {
    stops: &'a [String],
    text: String,
    emitted: usize,
    stopped_at: Option<usize>,
}

impl<'a> StopStream<'a> {
    fn new(stops: &'a [String]) -> Self {
        StopStream {
            stops,
            text: String::new(),
            emitted: 0,
            stopped_at: None,
        }
    }

    /// Takes the whole decoded answer so far; returns true when a stop sequence ended it.
    fn update(&mut self, text: &str, on_token: &mut dyn FnMut(&str)) -> bool {
        // A token may end inside a multi-byte character: wait for the rest.
        if text.ends_with('\u{FFFD}') {
            self.text = text.to_string();
            return false;
        }
        self.text = text.to_string();
        if let Some(at) = self
            .stops
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| self.text.find(s.as_str()))
            .min()
        {
            self.stopped_at = Some(at);
            if at > self.emitted {
                on_token(&self.text[self.emitted..at]);
            }
            self.emitted = self.emitted.max(at);
            self.text.truncate(at);
            return true;
        }
        let held = self
            .stops
            .iter()
            .map(|s| longest_prefix_suffix(&self.text, s))
            .max()
            .unwrap_or(0);
        let safe = floor_char_boundary(&self.text, self.text.len() - held);
        if safe > self.emitted {
            on_token(&self.text[self.emitted..safe]);
            self.emitted = safe;
        }
        false
    }

    fn flush(&mut self, on_token: &mut dyn FnMut(&str)) {
        let text = self.text.trim_end_matches('\u{FFFD}');
        if text.len() > self.emitted {
            on_token(&text[self.emitted..]);
            self.emitted = text.len();
        }
    }

    fn answer(self) -> String {
        let mut text = self.text;
        let end = self.stopped_at.unwrap_or(text.trim_end_matches('\u{FFFD}').len());
        text.truncate(end);
        text
    }
}

/// Length of the longest suffix of `text` that is a proper prefix of `stop`.
fn longest_prefix_suffix(text: &str, stop: &str) -> usize {
    (1..stop.len().min(text.len() + 1))
        .rev()
        .find(|&n| stop.is_char_boundary(n) && text.ends_with(&stop[..n]))
        .unwrap_or(0)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], steps: &[&str]) -> (Vec<String>, String, bool) {
        let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
        let mut s = StopStream::new(&stops);
        let mut pieces = Vec::new();
        let mut stopped = false;
        for step in steps {
            if s.update(step, &mut |p| pieces.push(p.to_string())) {
                stopped = true;
                break;
            }
        }
        if !stopped {
            s.flush(&mut |p| pieces.push(p.to_string()));
        }
        (pieces, s.answer(), stopped)
    }

    #[test]
    fn a_stop_sequence_split_across_tokens_is_never_emitted() {
        let (pieces, answer, stopped) = run(
            &["\n\nUser:"],
            &[
                "Hi",
                "Hi there",
                "Hi there\n",
                "Hi there\n\nUs",
                "Hi there\n\nUser: more",
            ],
        );
        assert!(stopped);
        assert_eq!(answer, "Hi there");
        assert_eq!(pieces.concat(), "Hi there");
    }

    #[test]
    fn a_held_back_tail_is_released_when_it_turns_out_not_to_be_a_stop() {
        let (pieces, answer, stopped) = run(&["END"], &["a E", "a EN", "a ENx"]);
        assert!(!stopped);
        assert_eq!(answer, "a ENx");
        assert_eq!(pieces, vec!["a ", "ENx"]);
    }

    #[test]
    fn incomplete_characters_wait_for_their_last_byte() {
        let (pieces, answer, _) = run(&[], &["caf\u{FFFD}", "caf\u{e9}"]);
        assert_eq!(pieces, vec!["caf\u{e9}"]);
        assert_eq!(answer, "caf\u{e9}");
    }
}
