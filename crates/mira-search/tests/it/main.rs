//! Search tests on a fixture project indexed for real: the code index (mira-code), git
//! history (mira-git is not needed: commits are read from the tables the fixture fills
//! through git itself), the embedded Qdrant engine and the local embedding model.

mod analyse;
mod common;
mod concepts;
mod ranking;
mod reindex;
mod remote;
mod retrieval;
