//! BM25 sparse vectors. The store applies the IDF part (the collections use Qdrant's
//! `idf` modifier, computed over the points it holds), so a document vector carries only
//! the saturated, length-normalised term frequency and a query vector a weight of one
//! per distinct term: their dot product is then exactly the BM25 score.

use std::collections::HashMap;

use mira_store::vectors::SparseVector;

use crate::tokenize;

/// Term-frequency saturation and length normalisation, BM25's usual values.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// Expected chunk length in terms. A constant keeps a chunk's vector independent of the
/// rest of the index, so unchanged chunks never need rewriting when others change.
const AVG_TERMS: f32 = 120.0;

/// The index of a term in the sparse space: FNV-1a over its bytes, stable across
/// versions and processes (the std hasher is neither).
pub fn term_index(term: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in term.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// The document vector of `text` plus `extra` terms (concept tags), sorted by index.
pub fn document(text: &str, extra: &[String]) -> SparseVector {
    let mut counts: HashMap<u32, f32> = HashMap::new();
    let mut length = 0usize;
    tokenize::for_each_term(text, |t| {
        *counts.entry(term_index(&t)).or_default() += 1.0;
        length += 1;
    });
    for t in extra {
        *counts.entry(term_index(t)).or_default() += 1.0;
        length += 1;
    }
    let norm = K1 * (1.0 - B + B * length as f32 / AVG_TERMS);
    let mut entries: Vec<(u32, f32)> = counts
        .into_iter()
        .map(|(i, tf)| (i, tf * (K1 + 1.0) / (tf + norm)))
        .collect();
    entries.sort_unstable_by_key(|(i, _)| *i);
    SparseVector {
        indices: entries.iter().map(|(i, _)| *i).collect(),
        values: entries.iter().map(|(_, v)| *v).collect(),
    }
}

/// The query vector: each distinct term (and each of `extra`) once, with weight one.
pub fn query(text: &str, extra: &[String]) -> SparseVector {
    let mut indices: Vec<u32> = tokenize::terms(text)
        .iter()
        .chain(extra)
        .map(|t| term_index(t))
        .collect();
    indices.sort_unstable();
    indices.dedup();
    SparseVector {
        values: vec![1.0; indices.len()],
        indices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_terms_saturate_and_long_documents_weigh_less() {
        let once = document("cache", &[]);
        let thrice = document("cache cache cache", &[]);
        assert!(thrice.values[0] > once.values[0]);
        assert!(thrice.values[0] < 3.0 * once.values[0]);
        let long = document(&format!("cache {}", "other ".repeat(300)), &[]);
        let i = long
            .indices
            .iter()
            .position(|&i| i == term_index("cach"))
            .unwrap();
        assert!(long.values[i] < once.values[0]);
    }

    #[test]
    fn query_terms_are_distinct_and_sorted() {
        let q = query("parse parse config", &["concept:database".into()]);
        assert_eq!(q.indices.len(), 3);
        assert!(q.indices.windows(2).all(|w| w[0] < w[1]));
        assert!(q.values.iter().all(|&v| v == 1.0));
    }
}
