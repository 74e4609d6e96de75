//! Whole-file BM25: the task read as a bag of words against each code file as one
//! document (`mira_store::file_terms`, written by the search index). Chunk search finds
//! the best passage; this finds the file whose vocabulary the report shares most, which
//! is what a long bug report describes (a class, its methods and their messages spread
//! over one module).

use super::{Found, Query};
use crate::rank::Ballot;

/// Files listed at most.
const FILES: usize = 50;

pub const WEIGHT: f64 = 1.4;

pub async fn words(q: &Query<'_>) -> Result<Found, String> {
    // The same bag of words as keyword search reads.
    let text = super::search::query_text(&q.request.task);
    let terms = mira_search::tokenize::terms(&text);
    let files = mira_store::file_terms::search(q.db, q.project.id, &terms, FILES)
        .await
        .map_err(|e| e.to_string())?;
    let mut ballot = Ballot::new("words", WEIGHT);
    for (rank, (path, _score)) in files.iter().enumerate() {
        ballot.push(
            path,
            format!("shares the task's words (whole-file BM25 #{})", rank + 1),
        );
    }
    Ok(Found {
        ballots: vec![ballot],
        ..Found::default()
    })
}
