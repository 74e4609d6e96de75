//! The shape of a hybrid query, shared by both backends.

use super::Query;

/// Payload fields that carry a keyword index in every collection, so a search can be
/// narrowed by them: a point's `dirs` holds every directory above its file and the file
/// itself (`src`, `src/store`, `src/store/db.rs`), which makes "under this path" an exact
/// match; `concepts` holds the concept names of its symbol.
pub const KEYWORD_FIELDS: [&str; 4] = ["language", "kind", "dirs", "concepts"];

/// A condition on a keyword field: the point's value (or one of them, for an array) is
/// one of `any`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordFilter {
    pub field: String,
    pub any: Vec<String>,
}

impl KeywordFilter {
    pub fn new(field: &str, any: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            field: field.to_string(),
            any: any.into_iter().map(Into::into).collect(),
        }
    }
}

/// One ranked list to fuse: the `limit` best points for `query` that also pass `only`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefetch {
    pub query: Query,
    pub limit: usize,
    /// Conditions of this list alone, on top of the query's own.
    pub only: Vec<KeywordFilter>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HybridQuery {
    pub prefetches: Vec<Prefetch>,
    pub project_id: Option<i64>,
    /// Conditions every point must pass (all of them).
    pub filters: Vec<KeywordFilter>,
    pub limit: usize,
    /// The constant of reciprocal rank fusion: a point at rank r of a list scores
    /// 1 / (k + r). 60 is the value of the original paper and Qdrant's default.
    pub rrf_k: usize,
}
