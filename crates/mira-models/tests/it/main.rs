//! mira-models integration tests: the real default models (prepared by the same set-up
//! step CI runs: `mira models pull --all`, see scripts/test.sh), a numpy reference for
//! the embedder, and a local HTTP server standing in for the Hugging Face hub.

mod chat;
mod common;
mod embed;
mod manage;
mod sentencepiece;
