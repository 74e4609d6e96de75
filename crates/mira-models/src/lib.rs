//! Local models in-process, so Mira works with no API key and no network.
//!
//! - [`Embedder`]: BERT-family sentence embeddings (default all-MiniLM-L6-v2), the
//!   default embedder of semantic search.
//! - [`ChatModel`]: GGUF llama-family chat models (default SmolLM2-135M-Instruct), the
//!   keyless tier of the LLM layer.
//! - [`manage`]: the models Mira knows, where they live, and how they are fetched (the
//!   Hugging Face hub, else the Python packages that ship them).
//!
//! Inference is blocking CPU work; callers run it on blocking threads.

pub mod chat;
pub mod embed;
mod error;
mod kernels;
pub mod manage;

pub use chat::{
    ChatLoadOptions, ChatMessage, ChatModel, Finish, GenerateParams, Generation, Role, WeightFormat,
};
pub use embed::{Embedder, cosine};
pub use error::{ModelError, Result};
pub use manage::{default_chat_model_path, default_embed_model_dir};
