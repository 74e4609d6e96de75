//! Search hits: the BM25 list (always) and the dense list (when an embedder and
//! vectors exist), run as two sources so a slow embedder never holds up the keywords.
//! Files are ranked by their hits' scores summed with diminishing weight, which reads a
//! long report as whole-file BM25 does while keeping the best chunk's lead.

use std::collections::HashMap;

use mira_search::query::{Mode, SearchHit, SearchRequest};
use mira_search::service::SearchService;

use super::{Found, Query, Scored, cite_lines, excerpt, item};
use crate::rank::Ballot;

/// Characters of the task sent as a query: a BM25 query is a bag of its terms, and a
/// whole pasted log would only add noise and time.
const QUERY_CHARS: usize = 4_000;

/// The task as a bag-of-words query: its first `QUERY_CHARS` characters, the title (a
/// report's first line, which names what is wrong most plainly) counted three times.
pub fn query_text(task: &str) -> String {
    let title = task.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut text = format!("{title}\n{title}\n");
    text.extend(task.chars().take(QUERY_CHARS));
    text
}

/// Chunks quoted as items (the best ones); files are ranked from all hits.
const QUOTED: usize = 8;

pub async fn keyword(search: &SearchService, q: &Query<'_>) -> Result<Found, String> {
    run(search, q, Mode::Keyword, "search", 1.4).await
}

pub async fn semantic(search: &SearchService, q: &Query<'_>) -> Result<Found, String> {
    run(search, q, Mode::Dense, "semantic", 1.0).await
}

async fn run(
    search: &SearchService,
    q: &Query<'_>,
    mode: Mode,
    source: &'static str,
    weight: f64,
) -> Result<Found, String> {
    let mut text = query_text(&q.request.task);
    if let Some(file) = &q.request.file {
        // The open file's name helps the query as a user's own words would.
        text.push(' ');
        text.push_str(file);
    }
    let mut request = SearchRequest::new(q.project.id, &text);
    request.limit = q.config.search_hits.min(mira_search::query::MAX_LIMIT);
    request.mode = mode;
    let response = search.search(&request).await.map_err(|e| e.to_string())?;
    if mode == Mode::Dense && response.mode != Mode::Dense {
        return Err(response
            .notice
            .unwrap_or_else(|| "no dense vectors for this project yet".to_string()));
    }
    let hits: Vec<SearchHit> = response
        .results
        .into_iter()
        .filter(|h| h.kind != "commit")
        .collect();
    let mut found = Found::default();
    found.ballots.push(file_ballot(source, weight, &hits));
    for (rank, hit) in hits.iter().take(QUOTED).enumerate() {
        let Some((text, lines)) =
            excerpt(&q.project.root, &hit.path, hit.lines[0], hit.lines[1], 60, 600).await
        else {
            continue;
        };
        found.items.push(Scored {
            item: item(
                source,
                Some(&hit.path),
                Some(lines),
                text,
                cite_lines(&hit.path, lines),
            ),
            base: 0.6 / (1.0 + rank as f64 * 0.15),
        });
        if let Some(symbol) = &hit.symbol
            && rank < 3
            && matches!(hit.kind.as_str(), "function" | "method")
        {
            found.symbols.push(symbol.clone());
        }
    }
    Ok(found)
}

/// Files by the sum of their hits' scores, each later hit of a file counting less.
pub fn file_ballot(source: &'static str, weight: f64, hits: &[SearchHit]) -> Ballot {
    let mut per_file: HashMap<&str, (f64, usize, Vec<&SearchHit>)> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        let entry = per_file.entry(hit.path.as_str()).or_insert((0.0, i, Vec::new()));
        let n = entry.2.len() as f64;
        // RRF-like position score: list order is what the store's fusion decided.
        entry.0 += (1.0 / (10.0 + i as f64)) / (1.0 + n);
        entry.2.push(hit);
    }
    let mut files: Vec<_> = per_file.into_iter().collect();
    files.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    let mut ballot = Ballot::new(source, weight);
    for (path, (_, _, hits)) in files {
        let what = hits
            .iter()
            .take(2)
            .map(|h| match &h.symbol {
                Some(s) => format!("`{s}`"),
                None => format!("lines {}-{}", h.lines[0], h.lines[1]),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let reason = if hits.len() > 2 {
            format!("{source} hit {what} and {} more", hits.len() - 2)
        } else {
            format!("{source} hit {what}")
        };
        ballot.push(path, reason);
    }
    ballot
}
