//! Search hits: the BM25 list (always) and the dense list (when an embedder and
//! vectors exist), run as two sources so a slow embedder never holds up the keywords.
//! Files come in the order of search's own file answers (each file's symbols added up
//! with decay, tests down, names the task spells out up: `mira_search::rank`), which
//! reads a long report as whole-file BM25 does while keeping the best chunk's lead.

use mira_search::query::{FileHit, Mode, SearchHit, SearchRequest};
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
    // Whole-file BM25 is a source of its own (`words`), under its own deadline.
    request.whole_file = false;
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
    found.ballots.push(file_ballot(source, weight, &response.files));
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

/// Search's file answers as a ballot, each with the symbols that made it.
pub fn file_ballot(source: &'static str, weight: f64, files: &[FileHit]) -> Ballot {
    let mut ballot = Ballot::new(source, weight);
    for f in files {
        let named: Vec<String> = f.symbols.iter().take(2).map(|s| format!("`{s}`")).collect();
        let reason = match (named.is_empty(), f.hits > named.len()) {
            (true, _) => format!("{source} matched the file"),
            (false, true) => format!(
                "{source} hit {} and {} more",
                named.join(", "),
                f.hits - named.len()
            ),
            (false, false) => format!("{source} hit {}", named.join(", ")),
        };
        ballot.push(&f.path, reason);
    }
    ballot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, symbols: &[&str], hits: usize) -> FileHit {
        FileHit {
            path: path.to_string(),
            score: 1.0,
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            hits,
        }
    }

    #[test]
    fn the_ballot_keeps_search_s_file_order_and_says_what_matched() {
        let files = [
            file(
                "app/sessions.py",
                &["open_session", "save_session", "refresh_cookie"],
                4,
            ),
            file("app/logging.py", &["log_line"], 1),
            file("README.md", &[], 0),
        ];
        let b = file_ballot("search", 1.4, &files);
        let order: Vec<&str> = b.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(order, ["app/sessions.py", "app/logging.py", "README.md"]);
        assert_eq!(
            b.files[0].1,
            "search hit `open_session`, `save_session` and 2 more"
        );
        assert_eq!(b.files[1].1, "search hit `log_line`");
        assert_eq!(b.files[2].1, "search matched the file");
        assert_eq!(b.weight, 1.4);
    }
}
