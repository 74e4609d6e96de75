//! Rows of `search_chunks` and the points made from them.

use mira_store::vectors::VectorPoint;
use serde_json::{Map, Value, json};

use crate::bm25;
use crate::chunk;
use crate::concepts::concept_term;

/// A chunk as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRow {
    pub id: i64,
    pub collection: &'static str,
    pub path: String,
    pub chunk_key: String,
    pub language: Option<String>,
    pub kind: String,
    pub symbol: Option<String>,
    pub start_line: u32,
    pub end_line: u32,
    pub part: u32,
    pub parts: u32,
    pub text: String,
    pub content_hash: String,
    pub concepts: Vec<String>,
    /// Directories whose filter should find the chunk (see `KEYWORD_FIELDS`).
    pub dirs: Vec<String>,
}

/// What is embedded for a stored chunk (see [`chunk::embed_text`]).
pub fn embed_text_of(
    path: &str,
    kind: &str,
    symbol: Option<&str>,
    part: u32,
    parts: u32,
    text: &str,
) -> String {
    chunk::embed_text(path, kind, symbol, part, parts, text)
}

impl ChunkRow {
    pub fn embed_text(&self) -> String {
        embed_text_of(
            &self.path,
            &self.kind,
            self.symbol.as_deref(),
            self.part,
            self.parts,
            &self.text,
        )
    }

    pub fn payload(&self) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("path".into(), json!(self.path));
        if let Some(l) = &self.language {
            p.insert("language".into(), json!(l));
        }
        p.insert("kind".into(), json!(self.kind));
        if let Some(s) = &self.symbol {
            p.insert("symbol".into(), json!(s));
        }
        p.insert("start_line".into(), json!(self.start_line));
        p.insert("end_line".into(), json!(self.end_line));
        p.insert("dirs".into(), json!(self.dirs));
        p.insert("concepts".into(), json!(self.concepts));
        p
    }

    /// The point with its keyword vector only; the dense one follows.
    pub fn point(&self, project_id: i64) -> VectorPoint {
        let extra: Vec<String> = self.concepts.iter().map(|c| concept_term(c)).collect();
        VectorPoint {
            id: self.id as u64,
            project_id,
            dense: None,
            sparse: Some(bm25::document(&self.embed_text(), &extra)),
            payload: self.payload(),
        }
    }
}

/// `src/store/db.rs` -> `src`, `src/store`, `src/store/db.rs`.
pub fn dirs_of(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = path[at..].find('/') {
        out.push(path[..at + i].to_string());
        at += i + 1;
    }
    out.push(path.to_string());
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn dirs_list_every_ancestor_and_the_file() {
        assert_eq!(
            super::dirs_of("src/store/db.rs"),
            ["src", "src/store", "src/store/db.rs"]
        );
        assert_eq!(super::dirs_of("README.md"), ["README.md"]);
    }
}
