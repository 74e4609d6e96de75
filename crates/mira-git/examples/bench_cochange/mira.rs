//! Mira's ranking as `mira cochange FILE` does it: counts made by the indexer's own
//! `cochange::count` over the training commits, then the query's filter, suggestion and
//! ranking functions, so the benchmark measures the shipped code.

use std::collections::HashMap;

use mira_core::config::GitConfig;
use mira_git::cochange::{self, CommitFiles, Counts};
use mira_git::queries::{self, Decay, StoredPair};

use crate::history::Commit;

pub struct Mira {
    counts: Counts,
    commits_of: HashMap<String, u32>,
    /// Pair indices by each of their two files.
    pairs_of: HashMap<String, Vec<usize>>,
    now: i64,
    config: GitConfig,
}

impl Mira {
    /// `training` oldest first; `now` is the time the queries are asked (the split).
    pub fn train(training: &[Commit], bulk: usize, now: i64, config: GitConfig) -> Self {
        let newest_first: Vec<CommitFiles> = training
            .iter()
            .rev()
            .map(|c| CommitFiles {
                committed_at: c.committed_at,
                files: c.files.clone(),
                counted: !c.is_merge && c.files.len() <= bulk,
            })
            .collect();
        let counts = cochange::count(&newest_first, now, config.cochange_half_life_days);
        let commits_of = counts.files.iter().map(|f| (f.path.clone(), f.commits)).collect();
        let mut pairs_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in counts.pairs.iter().enumerate() {
            pairs_of.entry(p.file_a.clone()).or_default().push(i);
            pairs_of.entry(p.file_b.clone()).or_default().push(i);
        }
        Self {
            counts,
            commits_of,
            pairs_of,
            now,
            config,
        }
    }

    /// The top `limit` partners of `path`, with the configured minimum confidence and
    /// `min_support` shared commits, as the query applies them.
    pub fn suggest(&self, path: &str, limit: usize, min_support: u32) -> Vec<String> {
        let Some(pairs) = self.pairs_of.get(path) else {
            return Vec::new();
        };
        // The epoch is the query time: nothing has decayed since.
        let decay = Decay {
            score: 1.0,
            rank: 1.0,
        };
        let mut out: Vec<_> = pairs
            .iter()
            .map(|&i| &self.counts.pairs[i])
            .filter_map(|p| {
                let other = if p.file_a == path { &p.file_b } else { &p.file_a };
                let (this, that) = (self.commits_of[path], self.commits_of[other.as_str()]);
                let d = cochange::derive(p.shared_commits, this, that, 0.0, 0, 0, 1.0);
                let kept = p.shared_commits >= min_support
                    && d.confidence.max(d.reverse_confidence) >= self.config.cochange_min_confidence;
                kept.then(|| {
                    queries::suggestion(
                        path,
                        StoredPair {
                            other: other.clone(),
                            shared_commits: p.shared_commits,
                            commits_of_query: this,
                            confidence: d.confidence,
                            jaccard: d.jaccard,
                            last_cochange_at: p.last_cochange_at,
                            weight: p.weight,
                            sized_weight: p.sized_weight,
                            sized_commits: p.sized_commits,
                        },
                        self.now,
                        decay,
                    )
                })
            })
            .collect();
        queries::rank(&mut out, limit);
        out.into_iter().map(|s| s.file).collect()
    }
}
