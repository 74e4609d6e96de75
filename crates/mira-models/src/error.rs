//! One error type for loading, running and fetching local models. Every variant says what
//! to do next, because these errors reach users directly (CLI, chat panel, doctor).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("no {what} at {}: run `mira models pull {id}` or set {setting} to a model you have", path.display())]
    Missing {
        what: &'static str,
        id: String,
        setting: &'static str,
        path: PathBuf,
    },
    #[error("{} is not a usable {what}: {why}", path.display())]
    Invalid {
        what: &'static str,
        path: PathBuf,
        why: String,
    },
    #[error(
        "the prompt has {prompt_tokens} tokens but {model} holds at most {limit}: shorten the conversation or raise MIRA_LOCAL_CONTEXT (up to the model's {model_limit})"
    )]
    ContextTooLong {
        model: String,
        prompt_tokens: usize,
        limit: usize,
        model_limit: usize,
    },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("chat template: {0}")]
    Template(String),
    #[error("model computation failed: {0}")]
    Compute(#[from] candle_core::Error),
    #[error("unknown model '{0}': `mira models list` shows the ones Mira knows")]
    Unknown(String),
    #[error("download of {what} failed: {why}")]
    Download { what: String, why: String },
    #[error(
        "{file}: checksum mismatch (expected sha256 {expected}, got {actual}); the file was not installed, try `mira models pull` again"
    )]
    Checksum {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ModelError {
        let context = context.into();
        move |source| ModelError::Io { context, source }
    }

    pub fn invalid(what: &'static str, path: &std::path::Path, why: impl ToString) -> ModelError {
        ModelError::Invalid {
            what,
            path: path.to_path_buf(),
            why: why.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, ModelError>;
