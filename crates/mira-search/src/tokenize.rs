//! The code-aware tokenizer lives in mira-store so that mira-git (past fixes) splits
//! identifiers the same way search does; search keeps its old path.

pub use mira_store::tokenize::*;
