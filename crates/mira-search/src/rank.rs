//! How one query's candidates are ordered, after the store has found them: the ranked
//! lists (keyword, dense, concept-tagged) fused with weights measured on real sets,
//! chunks grouped per symbol, the rules a list alone gets wrong (tests below the code
//! they test, names and paths the query spells out exactly), and file answers that add
//! up a file's evidence instead of taking its best chunk. Pure, so the weights can be
//! tuned offline (`bench_search --grid`).

use std::collections::HashMap;

use crate::signals::Signals;

/// Which list a candidate came from; each kind has its own weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Keyword,
    Dense,
    /// Keyword or dense, restricted to symbols tagged with a concept the query names.
    Concept,
}

/// The knobs of the ranking. [`Weights::DEFAULT`] is what search uses; the values come
/// from `bench_search --grid` on flask (Python) and tokio (Rust), docstring to function
/// (docs/benchmarks.md has the runs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub keyword: f64,
    pub dense: f64,
    pub concept: f64,
    /// Reciprocal rank fusion's constant: a candidate at rank r (from 1) of a list adds
    /// weight / (k + r).
    pub k: f64,
    /// Fuse the lists' own scores instead of their ranks: each list's scores scaled to
    /// 0..1 (min to max of the list), times its weight, summed. Keeps how far ahead a
    /// list's first candidates are, which ranks throw away.
    pub by_score: bool,
    /// Factor on test code when the query is not about tests.
    pub test_factor: f64,
    /// A symbol the query names exactly, or a file whose path it names, scores
    /// (1 + exact_boost) times as much.
    pub exact_boost: f64,
    /// A file's score is the sum of its symbols' scores, best first, the n-th (from 0)
    /// counting decay^n: 0 is "the best symbol only", 1 a plain sum.
    pub file_decay: f64,
    /// Weight of the whole-file BM25 list (the query against each file as one document)
    /// beside the summed chunk evidence, in the file answers.
    pub whole_file: f64,
}

impl Weights {
    /// Search as it was before tuning, kept as the baseline benchmarks compare with:
    /// plain reciprocal rank fusion (every list weight 1, k = 60), no rules, files in
    /// order of their best chunk.
    pub const PLAIN_RRF: Weights = Weights {
        keyword: 1.0,
        dense: 1.0,
        concept: 1.0,
        k: 60.0,
        by_score: false,
        test_factor: 1.0,
        exact_boost: 0.0,
        file_decay: 0.0,
        whole_file: 0.0,
    };

    /// Measured 2026-12-07 (docs/benchmarks.md, `bench_search --grid`): on flask's
    /// docstrings dense alone beats BM25 (MRR@10 0.437 against 0.243) and plain RRF
    /// falls between (0.345); a small k (first places count) and dense weighed twice
    /// give 0.440 there and 0.191 on tokio (plain RRF 0.152). Dense three times is
    /// 0.453 on flask but 0.181 on tokio; score fusion was no better (0.442 at weight 2).
    pub const DEFAULT: Weights = Weights {
        keyword: 1.0,
        dense: 2.0,
        concept: 1.0,
        k: 5.0,
        by_score: false,
        test_factor: 0.5,
        exact_boost: 1.0,
        file_decay: 0.5,
        whole_file: 1.0,
    };

    /// `MIRA_SEARCH_RANKING=plain-rrf` puts search back to [`Weights::PLAIN_RRF`], so a
    /// benchmark can compare both on one index in one run; anything else is the default.
    pub fn from_env() -> Weights {
        match std::env::var("MIRA_SEARCH_RANKING").as_deref() {
            Ok("plain-rrf") => Weights::PLAIN_RRF,
            _ => Weights::DEFAULT,
        }
    }

    fn of(&self, list: List) -> f64 {
        match list {
            List::Keyword => self.keyword,
            List::Dense => self.dense,
            List::Concept => self.concept,
        }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Chunk ids with their fused score, best first (ties by id, so runs repeat). Each
/// list is (id, the list's own score) best first.
pub fn fuse(lists: &[(List, Vec<(u64, f64)>)], w: &Weights) -> Vec<(u64, f64)> {
    let mut scores: HashMap<u64, f64> = HashMap::new();
    for (list, hits) in lists {
        let weight = w.of(*list);
        let top = hits.first().map_or(0.0, |h| h.1);
        let bottom = hits.last().map_or(0.0, |h| h.1);
        let spread = top - bottom;
        for (rank, (id, score)) in hits.iter().enumerate() {
            let part = if w.by_score {
                // A list whose scores are all equal says only "these match": 1 each.
                if spread > 0.0 {
                    (score - bottom) / spread
                } else {
                    1.0
                }
            } else {
                1.0 / (w.k + rank as f64 + 1.0)
            };
            *scores.entry(*id).or_default() += weight * part;
        }
    }
    let mut fused: Vec<(u64, f64)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

/// What grouping needs to know of a chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub id: u64,
    pub path: String,
    pub symbol: Option<String>,
}

/// One symbol (or file-level chunk) and its chunks, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub path: String,
    pub symbol: Option<String>,
    pub score: f64,
    pub chunks: Vec<u64>,
}

/// Groups fused chunks per (path, symbol), a group scoring as its best chunk, then
/// applies the rules: tests down unless the query is about tests, a symbol or a file
/// the query names exactly up. Best first.
pub fn group(
    fused: &[(u64, f64)],
    chunks: &HashMap<u64, Chunk>,
    signals: &Signals,
    w: &Weights,
) -> Vec<Group> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: HashMap<(String, String), Group> = HashMap::new();
    for (id, score) in fused {
        let Some(c) = chunks.get(id) else { continue };
        // Chunks without a symbol (file-level code) stand alone.
        let key = (
            c.path.clone(),
            c.symbol.clone().unwrap_or_else(|| format!("@{id}")),
        );
        match groups.get_mut(&key) {
            Some(g) => g.chunks.push(*id),
            None => {
                order.push(key.clone());
                groups.insert(
                    key,
                    Group {
                        path: c.path.clone(),
                        symbol: c.symbol.clone(),
                        score: *score,
                        chunks: vec![*id],
                    },
                );
            }
        }
    }
    let mut out: Vec<Group> = order.into_iter().filter_map(|k| groups.remove(&k)).collect();
    for g in &mut out {
        g.score *= factor(&g.path, g.symbol.as_deref(), signals, w);
    }
    // Stable: equal scores keep the fused order.
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// The rules' factor for one symbol of one file.
fn factor(path: &str, symbol: Option<&str>, signals: &Signals, w: &Weights) -> f64 {
    let mut f = 1.0;
    if !signals.about_tests && mira_code::extract::is_test_path(path) {
        f *= w.test_factor;
    }
    if symbol.is_some_and(|s| signals.names_symbol(s)) || signals.names_path(path) {
        f *= 1.0 + w.exact_boost;
    }
    f
}

/// The rank constant of a file's sum: large enough that a file's third and fourth
/// symbols still add up against another file's one first place.
const FILE_K: f64 = 20.0;

/// A file answer: its score and the symbols that made it, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct FileScore {
    pub path: String,
    pub score: f64,
    pub symbols: Vec<String>,
    /// Symbols (and file-level chunks) of this file among the candidates.
    pub hits: usize,
}

/// Files best first. Each file adds up its groups' places with decay (so several
/// matching symbols outweigh one strong chunk of another file); with `whole_file` (the
/// files by whole-file BM25, best first) the two orders are fused by rank, so the
/// scales of the two never have to agree. Scores are scaled so the best is 1.
pub fn files(groups: &[Group], whole_file: &[String], signals: &Signals, w: &Weights) -> Vec<FileScore> {
    let mut order: Vec<&str> = Vec::new();
    let mut per_file: HashMap<&str, FileScore> = HashMap::new();
    for (rank, g) in groups.iter().enumerate() {
        let entry = per_file.entry(&g.path).or_insert_with(|| {
            order.push(&g.path);
            FileScore {
                path: g.path.clone(),
                score: 0.0,
                symbols: Vec::new(),
                hits: 0,
            }
        });
        // By the group's rank, not its score: the fused scores' scale depends on the
        // lists and k, and a file's sum must not.
        entry.score += w.file_decay.powi(entry.hits as i32) / (FILE_K + rank as f64 + 1.0);
        entry.hits += 1;
        if let Some(s) = &g.symbol
            && entry.symbols.len() < 3
        {
            entry.symbols.push(s.clone());
        }
    }
    let mut evidence: Vec<FileScore> = order.into_iter().filter_map(|p| per_file.remove(p)).collect();
    evidence.sort_by(|a, b| b.score.total_cmp(&a.score));
    if whole_file.is_empty() || w.whole_file <= 0.0 {
        scale(&mut evidence);
        return evidence;
    }
    // Rank fusion of the two file orders, with the rules applied once more to files the
    // whole-file list alone brought in (the groups already carry them).
    const K: f64 = 5.0;
    let mut fused: Vec<FileScore> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (rank, f) in evidence.into_iter().enumerate() {
        at.insert(f.path.clone(), fused.len());
        fused.push(FileScore {
            score: 1.0 / (K + rank as f64 + 1.0),
            ..f
        });
    }
    for (rank, path) in whole_file.iter().enumerate() {
        let part = w.whole_file / (K + rank as f64 + 1.0) * factor(path, None, signals, w);
        match at.get(path) {
            Some(&i) => fused[i].score += part,
            None => {
                at.insert(path.clone(), fused.len());
                fused.push(FileScore {
                    path: path.clone(),
                    score: part,
                    symbols: Vec::new(),
                    hits: 0,
                });
            }
        }
    }
    fused.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.path.cmp(&b.path)));
    scale(&mut fused);
    fused
}

fn scale(files: &mut [FileScore]) {
    if let Some(best) = files.first().map(|f| f.score).filter(|s| *s > 0.0) {
        for f in files.iter_mut() {
            f.score /= best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(list: &[(u64, &str, Option<&str>)]) -> HashMap<u64, Chunk> {
        list.iter()
            .map(|(id, path, symbol)| {
                (
                    *id,
                    Chunk {
                        id: *id,
                        path: path.to_string(),
                        symbol: symbol.map(str::to_string),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_heavier_list_leads_the_fusion() {
        let lists = vec![
            (List::Keyword, vec![(1, 9.0), (2, 8.0)]),
            (List::Dense, vec![(2, 0.6), (1, 0.5)]),
        ];
        let mut w = Weights::PLAIN_RRF;
        // Equal weights: a tie broken by id.
        assert_eq!(fuse(&lists, &w)[0].0, 1);
        w.dense = 2.0;
        assert_eq!(fuse(&lists, &w)[0].0, 2);
    }

    #[test]
    fn by_score_a_clear_lead_survives_a_close_second_list() {
        // Keyword: 1 far ahead of 2 and 3. Dense: 2 a hair ahead of 1, 3 far behind.
        let lists = vec![
            (List::Keyword, vec![(1, 20.0), (2, 5.0), (3, 4.0)]),
            (List::Dense, vec![(2, 0.80), (1, 0.79), (3, 0.40)]),
        ];
        let ranks = fuse(&lists, &Weights::PLAIN_RRF);
        assert_eq!(ranks[0].0, 1, "by rank: a tie, broken by id");
        let w = Weights {
            by_score: true,
            dense: 1.2,
            ..Weights::PLAIN_RRF
        };
        // By rank the heavier dense list would put 2 first; by score 1's lead holds.
        assert_eq!(
            fuse(
                &lists,
                &Weights {
                    dense: 1.2,
                    ..Weights::PLAIN_RRF
                }
            )[0]
            .0,
            2
        );
        assert_eq!(fuse(&lists, &w)[0].0, 1);
    }

    #[test]
    fn chunks_of_one_symbol_group_under_the_best() {
        let c = chunks(&[
            (1, "a.py", Some("f")),
            (2, "b.py", Some("g")),
            (3, "a.py", Some("f")),
        ]);
        let fused = vec![(1, 0.5), (2, 0.4), (3, 0.3)];
        let g = group(&fused, &c, &Signals::default(), &Weights::PLAIN_RRF);
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].symbol.as_deref(), g[0].score, g[0].chunks.clone()),
            (Some("f"), 0.5, vec![1, 3])
        );
    }

    #[test]
    fn many_matching_symbols_outweigh_one_strong_chunk() {
        let c = chunks(&[
            (1, "wrong.py", Some("strong")),
            (2, "right.py", Some("a")),
            (3, "right.py", Some("b")),
            (4, "right.py", Some("c")),
        ]);
        let fused = vec![(1, 1.0), (2, 0.6), (3, 0.5), (4, 0.45)];
        let g = group(&fused, &c, &Signals::default(), &Weights::DEFAULT);
        let f = files(&g, &[], &Signals::default(), &Weights::DEFAULT);
        assert_eq!(f[0].path, "right.py");
        assert_eq!(f[0].hits, 3);
        assert_eq!(f[0].score, 1.0);
        // The old order, by the best chunk, had the wrong file first.
        let plain = files(&g, &[], &Signals::default(), &Weights::PLAIN_RRF);
        assert_eq!(plain[0].path, "wrong.py");
    }

    #[test]
    fn whole_file_evidence_joins_by_rank() {
        let c = chunks(&[(1, "a.py", Some("f")), (2, "b.py", Some("g"))]);
        let g = group(&[(1, 0.5), (2, 0.4)], &c, &Signals::default(), &Weights::DEFAULT);
        let whole = vec!["b.py".to_string(), "c.py".to_string()];
        let f = files(&g, &whole, &Signals::default(), &Weights::DEFAULT);
        let order: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(order, ["b.py", "a.py", "c.py"]);
    }
}
