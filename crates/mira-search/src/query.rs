//! One hybrid query: BM25 and dense lists (and, when the query names a concept, the
//! symbols tagged with it) asked of the vector store one by one, then fused, grouped
//! and ranked by [`crate::rank`] (weighted fusion, tests down, exact names up, file
//! answers), with the lines that match highlighted.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use mira_store::Db;
use mira_store::vectors::{Collection, HybridQuery, KeywordFilter, Prefetch, Query, VectorStore};
use serde::{Deserialize, Serialize};

use crate::concepts::{self, ConceptRules, concept_term};
use crate::embedder::DenseEmbedder;
use crate::rank::{self, List, Weights};
use crate::signals::Signals;
use crate::{SearchError, bm25, tokenize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// BM25 and dense fused (dense joins once the query is embedded).
    #[default]
    Hybrid,
    Keyword,
    Dense,
}

impl Mode {
    pub fn parse(text: &str) -> Result<Mode, SearchError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "hybrid" | "" => Ok(Mode::Hybrid),
            "keyword" | "bm25" => Ok(Mode::Keyword),
            "dense" | "semantic" => Ok(Mode::Dense),
            other => Err(SearchError::Invalid(format!(
                "unknown search mode `{other}`: use hybrid, keyword or dense"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    pub project_id: i64,
    pub query: String,
    #[serde(default)]
    pub collection: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// A directory or file, relative to the project root.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default = "default_limit")]
    pub limit: usize,
    #[serde(default)]
    pub mode: Mode,
    /// Whether the file answers fuse in whole-file BM25 (code only, no filters). The
    /// context oracle turns it off: it runs whole-file BM25 as a source of its own.
    #[serde(default = "yes")]
    pub whole_file: bool,
}

fn default_limit() -> usize {
    10
}

fn yes() -> bool {
    true
}

/// Cosine similarity under which a dense hit is not a match: every chunk has some
/// nearest neighbour, so a query of gibberish would otherwise get a full page of weak
/// hits. With all-MiniLM-L6-v2, made-up words fall under it while the meaning queries of
/// tests/it/retrieval.rs keep their answers; keyword hits are kept whatever their score.
pub const DENSE_FLOOR: f64 = 0.25;

/// Most results one query returns.
pub const MAX_LIMIT: usize = 100;

impl SearchRequest {
    pub fn new(project_id: i64, query: &str) -> Self {
        Self {
            project_id,
            query: query.to_string(),
            collection: None,
            language: None,
            path: None,
            kind: None,
            limit: default_limit(),
            mode: Mode::Hybrid,
            whole_file: true,
        }
    }
}

/// One result: a symbol (or section, commit, message) with its best-matching chunks
/// merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// File path; for the `git` collection the commit sha, for `conversation` the
    /// conversation id.
    pub path: String,
    pub symbol: Option<String>,
    pub kind: String,
    pub language: Option<String>,
    /// First and last line (1-based, inclusive) of the chunks that matched.
    pub lines: [u32; 2],
    pub score: f32,
    /// A few lines around the first match (the first lines when nothing matched by word).
    pub snippet: String,
    /// Line number of the snippet's first line.
    pub snippet_line: u32,
    /// Lines that contain a query term.
    pub matched_lines: Vec<u32>,
    pub concepts: Vec<String>,
}

/// A file answer: the file's symbols' scores added up (several matching symbols
/// outweigh one strong chunk of another file) and, for code, fused with the file's
/// whole-file BM25 rank. The best file scores 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHit {
    pub path: String,
    pub score: f32,
    /// Its best symbols among the results' candidates (at most three).
    pub symbols: Vec<String>,
    /// How many of its symbols (and file-level chunks) matched.
    pub hits: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub query: String,
    pub collection: String,
    /// What ran: `hybrid` only when a dense list took part.
    pub mode: Mode,
    pub results: Vec<SearchHit>,
    /// The files of the results' candidates, best first (at most the request's limit).
    #[serde(default)]
    pub files: Vec<FileHit>,
    /// Concepts the query named, whose tagged symbols joined the fusion.
    pub concepts: Vec<String>,
    pub embedder: Option<String>,
    /// Chunks with a dense vector, of all chunks of the collection, in this project.
    pub dense_ready: i64,
    pub chunks: i64,
    /// Why a part of the query did not run (no embedder, dense vectors still filling).
    pub notice: Option<String>,
    pub took_ms: f64,
}

fn collection_of(name: Option<&str>) -> Result<Collection, SearchError> {
    match name.unwrap_or("code") {
        "code" => Ok(Collection::Code),
        "git" => Ok(Collection::Git),
        "conversation" | "conversations" | "chat" => Ok(Collection::Conversation),
        other => Err(SearchError::Invalid(format!(
            "unknown collection `{other}`: use code, git or conversation"
        ))),
    }
}

/// A path filter as the points store it: relative, `/`-separated, no trailing slash.
fn normalise_path(path: &str) -> String {
    let p = path.trim().replace('\\', "/");
    let p = p.trim_start_matches("./").trim_matches('/');
    p.to_string()
}

fn language_alias(language: &str) -> String {
    match language.trim().to_ascii_lowercase().as_str() {
        "rs" => "rust".into(),
        "py" => "python".into(),
        "ts" => "typescript".into(),
        "js" | "jsx" => "javascript".into(),
        "golang" => "go".into(),
        "md" => "markdown".into(),
        other => other.to_string(),
    }
}

/// What a query needs besides the store: the embedder (if any) and the rules.
pub struct Searcher<'a> {
    pub db: &'a Db,
    pub store: &'a dyn VectorStore,
    pub embedder: Option<&'a dyn DenseEmbedder>,
    /// Why there is no embedder, said in the response.
    pub embedder_problem: Option<String>,
    /// Why filling in dense vectors stopped (a budget limit), said while some are missing.
    pub dense_problem: Option<String>,
    pub rules: &'a ConceptRules,
    pub weights: Weights,
}

type HitRow = (
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
    String,
);

impl Searcher<'_> {
    pub async fn search(&self, request: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let started = Instant::now();
        let text = request.query.trim();
        if text.is_empty() {
            return Err(SearchError::Invalid(
                "the search query is empty: type what to look for".into(),
            ));
        }
        let collection = collection_of(request.collection.as_deref())?;
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let mut filters = Vec::new();
        if let Some(l) = request.language.as_deref().filter(|l| !l.trim().is_empty()) {
            filters.push(KeywordFilter::new("language", [language_alias(l)]));
        }
        if let Some(k) = request.kind.as_deref().filter(|k| !k.trim().is_empty()) {
            filters.push(KeywordFilter::new("kind", [k.trim().to_ascii_lowercase()]));
        }
        if let Some(p) = request
            .path
            .as_deref()
            .map(normalise_path)
            .filter(|p| !p.is_empty())
        {
            filters.push(KeywordFilter::new("dirs", [p]));
        }

        // One aggregate over the project's chunks, shared with the status the UI shows.
        let (dense_ready, chunks) = crate::index::status(self.db, request.project_id)
            .await?
            .iter()
            .find(|s| s.collection == collection.name())
            .map_or((0, 0), |s| (s.dense, s.chunks));
        let mut notice = None;
        let dense = if request.mode == Mode::Keyword {
            None
        } else if let Some(embedder) = self.embedder {
            if dense_ready == 0 {
                notice = Some(match &self.dense_problem {
                    Some(why) => {
                        format!("dense vectors could not be computed ({why}); these results are by keyword")
                    }
                    None => {
                        "dense vectors are still being computed; these results are by keyword".to_string()
                    }
                });
                None
            } else {
                match embedder.embed_query(text).await {
                    Ok(v) => Some(v),
                    Err(e) => {
                        notice = Some(format!(
                            "the query could not be embedded ({e}); these results are by keyword"
                        ));
                        None
                    }
                }
            }
        } else {
            notice = Some(format!(
                "no embedder: {}; these results are by keyword",
                self.embedder_problem.as_deref().unwrap_or("none configured")
            ));
            None
        };
        if request.mode == Mode::Dense && dense.is_none() {
            return Err(SearchError::Invalid(format!(
                "dense search is not available: {}",
                notice.unwrap_or_default()
            )));
        }
        if notice.is_none() && dense.is_some() && dense_ready < chunks {
            notice = Some(match &self.dense_problem {
                Some(why) => format!(
                    "{dense_ready} of {chunks} chunks have dense vectors; embedding the rest stopped ({why}); they are found by keyword"
                ),
                None => format!(
                    "{dense_ready} of {chunks} chunks have dense vectors so far; the rest are found by keyword"
                ),
            });
        }

        let concepts = if collection == Collection::Code {
            let mut named = self.rules.in_query(text);
            for c in concepts::stored_in_query(self.db, request.project_id, text).await? {
                if !named.contains(&c) {
                    named.push(c);
                }
            }
            named
        } else {
            Vec::new()
        };
        let depth = (limit * 5).max(50);
        // Each list is asked for on its own and fused here, not in the store: the
        // store's fusion is plain RRF, which lets a weak list pull a strong one down.
        // The flag marks the unfiltered dense list, whose hits below DENSE_FLOOR are dropped.
        let mut lists: Vec<(List, bool, Prefetch)> = Vec::new();
        let sparse = bm25::query(text, &[]);
        if request.mode != Mode::Dense && !sparse.indices.is_empty() {
            lists.push((
                List::Keyword,
                false,
                prefetch(Query::Sparse(sparse), depth, Vec::new()),
            ));
        }
        if let Some(v) = &dense {
            lists.push((
                List::Dense,
                true,
                prefetch(Query::Dense(v.clone()), depth, Vec::new()),
            ));
        }
        if !concepts.is_empty() && request.mode != Mode::Dense {
            let tagged = KeywordFilter::new("concepts", concepts.clone());
            let extra: Vec<String> = concepts.iter().map(|c| concept_term(c)).collect();
            lists.push((
                List::Concept,
                false,
                prefetch(
                    Query::Sparse(bm25::query(text, &extra)),
                    depth,
                    vec![tagged.clone()],
                ),
            ));
            if let Some(v) = &dense {
                // No floor: the concept filter already says these are about the query.
                lists.push((
                    List::Concept,
                    false,
                    prefetch(Query::Dense(v.clone()), depth, vec![tagged]),
                ));
            }
        }
        let mode = if dense.is_some() && request.mode == Mode::Hybrid && lists.len() > 1 {
            Mode::Hybrid
        } else if dense.is_some() {
            Mode::Dense
        } else {
            Mode::Keyword
        };
        let mut ranked: Vec<(List, Vec<(u64, f64)>)> = Vec::with_capacity(lists.len());
        let mut payload_concepts: HashMap<u64, Vec<String>> = HashMap::new();
        for (list, is_dense, p) in lists {
            let hits = self
                .store
                .hybrid(
                    collection,
                    HybridQuery {
                        prefetches: vec![p],
                        project_id: Some(request.project_id),
                        filters: filters.clone(),
                        limit: depth,
                        rrf_k: 60,
                    },
                )
                .await?;
            for h in &hits {
                payload_concepts.entry(h.id).or_insert_with(|| {
                    h.payload
                        .get("concepts")
                        .and_then(|v| v.as_array())
                        .map(|a| a.iter().filter_map(|c| c.as_str().map(String::from)).collect())
                        .unwrap_or_default()
                });
            }
            ranked.push((
                list,
                hits.into_iter()
                    .map(|h| (h.id, f64::from(h.score)))
                    .filter(|(_, score)| !is_dense || *score >= DENSE_FLOOR)
                    .collect(),
            ));
        }
        // Whole-file BM25 adds a file's own evidence to the file answers; it cannot honour
        // the filters, so it sits out when there are any.
        let whole_file = if collection == Collection::Code
            && mode != Mode::Dense
            && filters.is_empty()
            && request.whole_file
            && self.weights.whole_file > 0.0
        {
            let terms = tokenize::terms(text);
            mira_store::file_terms::search(self.db, request.project_id, &terms, WHOLE_FILES)
                .await?
                .into_iter()
                .map(|(path, _)| path)
                .collect()
        } else {
            Vec::new()
        };
        let fused = rank::fuse(&ranked, &self.weights);
        let (results, files) = self
            .group(text, &fused, &payload_concepts, &whole_file, limit)
            .await?;
        Ok(SearchResponse {
            query: text.to_string(),
            collection: collection.name().to_string(),
            mode,
            results,
            files,
            concepts,
            embedder: self.embedder.map(|e| e.name()),
            dense_ready,
            chunks,
            notice,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The fused chunks grouped per symbol and ranked by the rules, the best `limit`
    /// with their matching lines; and the files, each adding up its evidence.
    async fn group(
        &self,
        query: &str,
        fused: &[(u64, f64)],
        concepts: &HashMap<u64, Vec<String>>,
        whole_file: &[String],
        limit: usize,
    ) -> Result<(Vec<SearchHit>, Vec<FileHit>), SearchError> {
        if fused.is_empty() && whole_file.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let rows: HashMap<i64, HitRow> = if fused.is_empty() {
            HashMap::new()
        } else {
            let ids: Vec<String> = fused.iter().map(|(id, _)| id.to_string()).collect();
            let sql = format!(
                "SELECT id, path, language, kind, symbol, start_line, end_line, text FROM search_chunks WHERE id IN ({})",
                ids.join(",")
            );
            sqlx::query_as::<_, HitRow>(&sql)
                .fetch_all(self.db.pool())
                .await?
                .into_iter()
                .map(|r| (r.0, r))
                .collect()
        };
        let chunks: HashMap<u64, rank::Chunk> = rows
            .values()
            .map(|r| {
                (
                    r.0 as u64,
                    rank::Chunk {
                        id: r.0 as u64,
                        path: r.1.clone(),
                        symbol: r.4.clone(),
                    },
                )
            })
            .collect();
        let signals = Signals::parse(query);
        let groups = rank::group(fused, &chunks, &signals, &self.weights);
        let files = rank::files(&groups, whole_file, &signals, &self.weights)
            .into_iter()
            .take(limit)
            .map(|f| FileHit {
                path: f.path,
                score: f.score as f32,
                symbols: f.symbols,
                hits: f.hits,
            })
            .collect();
        let wanted = query_terms(query);
        let mut results = Vec::new();
        for g in groups.iter().take(limit) {
            let mut hit: Option<SearchHit> = None;
            for id in &g.chunks {
                let Some((_, path, language, kind, symbol, start, end, text)) = rows.get(&(*id as i64))
                else {
                    continue;
                };
                let (start, end) = (*start as u32, *end as u32);
                let matched = matching_lines(text, start, &wanted);
                match &mut hit {
                    Some(h) => {
                        h.lines = [h.lines[0].min(start), h.lines[1].max(end)];
                        for l in matched {
                            if !h.matched_lines.contains(&l) {
                                h.matched_lines.push(l);
                            }
                        }
                        h.matched_lines.sort_unstable();
                    }
                    None => {
                        let (snippet, snippet_line) = snippet(text, start, matched.first().copied());
                        hit = Some(SearchHit {
                            path: path.clone(),
                            symbol: symbol.clone(),
                            kind: kind.clone(),
                            language: language.clone(),
                            lines: [start, end],
                            score: g.score as f32,
                            snippet,
                            snippet_line,
                            matched_lines: matched,
                            concepts: concepts.get(id).cloned().unwrap_or_default(),
                        });
                    }
                }
            }
            results.extend(hit);
        }
        Ok((results, files))
    }
}

/// Files the whole-file BM25 list brings at most.
const WHOLE_FILES: usize = 50;

fn prefetch(query: Query, limit: usize, only: Vec<KeywordFilter>) -> Prefetch {
    Prefetch { query, limit, only }
}

/// The terms of a query that count for highlighting (not stopwords, not one letter).
fn query_terms(query: &str) -> HashSet<String> {
    tokenize::terms(query).into_iter().collect()
}

/// Line numbers (from `first_line`) of the lines of `text` with a query term.
fn matching_lines(text: &str, first_line: u32, wanted: &HashSet<String>) -> Vec<u32> {
    if wanted.is_empty() {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let mut hit = false;
            tokenize::for_each_term(line, |t| hit |= wanted.contains(&t));
            hit
        })
        .map(|(i, _)| first_line + i as u32)
        .collect()
}

/// Lines shown for a result: one before the first match and up to three after.
const SNIPPET_BEFORE: u32 = 1;
const SNIPPET_LINES: usize = 5;

fn snippet(text: &str, first_line: u32, first_match: Option<u32>) -> (String, u32) {
    let from = first_match
        .map(|m| m.saturating_sub(SNIPPET_BEFORE).max(first_line))
        .unwrap_or(first_line);
    let skip = (from - first_line) as usize;
    let lines: Vec<&str> = text.lines().skip(skip).take(SNIPPET_LINES).collect();
    (lines.join("\n"), from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_lines_follow_terms_not_substrings() {
        let wanted = query_terms("open database");
        let text = "fn open_db() {\n    let reopened = 1;\n    Database::connect()\n}";
        assert_eq!(matching_lines(text, 10, &wanted), [10, 12]);
    }

    #[test]
    fn snippets_start_just_before_the_first_match() {
        let text = "a\nb\nc\nd\ne\nf\ng";
        assert_eq!(snippet(text, 5, Some(8)), ("c\nd\ne\nf\ng".to_string(), 7));
        assert_eq!(snippet(text, 5, None).1, 5);
    }

    #[test]
    fn paths_and_languages_are_normalised() {
        assert_eq!(normalise_path("./src/store/"), "src/store");
        assert_eq!(language_alias("RS"), "rust");
    }
}
