//! Files that change together: for each pair of files touched by the same commits,
//! support, confidence in both directions, Jaccard, and a recency-weighted score.
//!
//! A pure function over commit summaries; renamed files keep their history because
//! every path is first mapped to the name it has at HEAD.

use std::collections::HashMap;

/// The part of a commit co-change needs.
#[derive(Debug, Clone)]
pub struct CommitFiles {
    pub committed_at: i64,
    /// Paths as they were in that commit, with the old path of a rename.
    pub files: Vec<(String, Option<String>)>,
    /// Merge and bulk commits are skipped.
    pub counted: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct CochangeOptions {
    pub min_support: u32,
    pub min_confidence: f64,
    /// Days after which a co-change counts half as much in `score`.
    pub half_life_days: f64,
    /// "Now" for recency, in seconds since the epoch.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CochangePattern {
    pub file_a: String,
    pub file_b: String,
    pub shared_commits: u32,
    pub commits_a: u32,
    pub commits_b: u32,
    pub confidence_a_to_b: f64,
    pub confidence_b_to_a: f64,
    pub jaccard: f64,
    pub last_cochange_at: i64,
    pub score: f64,
}

/// Maps historical paths to their names at HEAD, learned from renames seen newest first.
#[derive(Debug, Default)]
pub struct RenameMap {
    to_current: HashMap<String, String>,
}

impl RenameMap {
    pub fn current<'a>(&'a self, path: &'a str) -> &'a str {
        self.to_current.get(path).map(String::as_str).unwrap_or(path)
    }

    /// Records `old -> new` for a commit older than every commit recorded before.
    pub fn learn(&mut self, old: &str, new: &str) {
        let current = self.current(new).to_string();
        if old != current {
            self.to_current.insert(old.to_string(), current);
        }
    }
}

pub fn decay(age_seconds: i64, half_life_days: f64) -> f64 {
    let age_days = age_seconds.max(0) as f64 / 86_400.0;
    0.5f64.powf(age_days / half_life_days)
}

/// `commits` must be ordered newest first.
pub fn compute(commits: &[CommitFiles], options: CochangeOptions) -> Vec<CochangePattern> {
    let mut renames = RenameMap::default();
    let mut per_file: HashMap<String, u32> = HashMap::new();
    // (a, b) with a < b -> (shared, last time, score)
    let mut pairs: HashMap<(String, String), (u32, i64, f64)> = HashMap::new();
    for commit in commits {
        let mut files: Vec<String> = commit
            .files
            .iter()
            .map(|(path, _)| renames.current(path).to_string())
            .collect();
        for (path, old) in &commit.files {
            if let Some(old) = old {
                renames.learn(old, path);
            }
        }
        if !commit.counted {
            continue;
        }
        files.sort();
        files.dedup();
        let weight = decay(options.now - commit.committed_at, options.half_life_days);
        for (i, a) in files.iter().enumerate() {
            *per_file.entry(a.clone()).or_default() += 1;
            for b in &files[i + 1..] {
                let entry = pairs.entry((a.clone(), b.clone())).or_insert((0, i64::MIN, 0.0));
                entry.0 += 1;
                entry.1 = entry.1.max(commit.committed_at);
                entry.2 += weight;
            }
        }
    }
    let mut out: Vec<CochangePattern> = pairs
        .into_iter()
        .filter_map(|((a, b), (shared, last, score))| {
            let commits_a = per_file[&a];
            let commits_b = per_file[&b];
            let confidence_a_to_b = f64::from(shared) / f64::from(commits_a);
            let confidence_b_to_a = f64::from(shared) / f64::from(commits_b);
            let keep = shared >= options.min_support
                && confidence_a_to_b.max(confidence_b_to_a) >= options.min_confidence;
            keep.then(|| CochangePattern {
                jaccard: f64::from(shared) / f64::from(commits_a + commits_b - shared),
                file_a: a,
                file_b: b,
                shared_commits: shared,
                commits_a,
                commits_b,
                confidence_a_to_b,
                confidence_b_to_a,
                last_cochange_at: last,
                score,
            })
        })
        .collect();
    out.sort_by(|x, y| (&x.file_a, &x.file_b).cmp(&(&y.file_a, &y.file_b)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(at: i64, files: &[&str]) -> CommitFiles {
        CommitFiles {
            committed_at: at,
            files: files.iter().map(|f| (f.to_string(), None)).collect(),
            counted: true,
        }
    }

    const DAY: i64 = 86_400;

    fn options(now: i64) -> CochangeOptions {
        CochangeOptions {
            min_support: 2,
            min_confidence: 0.0,
            half_life_days: 30.0,
            now,
        }
    }

    #[test]
    fn counts_confidence_and_jaccard() {
        // Newest first.
        let commits = vec![
            commit(40 * DAY, &["a.rs", "b.rs"]),
            commit(30 * DAY, &["a.rs", "b.rs", "c.rs"]),
            commit(20 * DAY, &["a.rs"]),
            commit(10 * DAY, &["a.rs", "c.rs"]),
        ];
        let patterns = compute(&commits, options(40 * DAY));
        let ab = patterns
            .iter()
            .find(|p| p.file_a == "a.rs" && p.file_b == "b.rs")
            .unwrap();
        assert_eq!((ab.shared_commits, ab.commits_a, ab.commits_b), (2, 4, 2));
        assert_eq!(ab.confidence_a_to_b, 0.5);
        assert_eq!(ab.confidence_b_to_a, 1.0);
        assert_eq!(ab.jaccard, 0.5);
        assert_eq!(ab.last_cochange_at, 40 * DAY);
        // Recency: today's co-change weighs 1, ten days ago 0.5^(10/30).
        assert!((ab.score - (1.0 + 0.5f64.powf(10.0 / 30.0))).abs() < 1e-9);
        // b and c share one commit only: under the minimum support.
        assert!(!patterns.iter().any(|p| p.file_a == "b.rs" && p.file_b == "c.rs"));
    }

    #[test]
    fn renamed_files_keep_their_history() {
        let mut renamed = commit(30 * DAY, &["new.rs"]);
        renamed.files[0].1 = Some("old.rs".into());
        let commits = vec![
            commit(40 * DAY, &["new.rs", "other.rs"]),
            renamed,
            commit(20 * DAY, &["old.rs", "other.rs"]),
        ];
        let patterns = compute(&commits, options(40 * DAY));
        assert_eq!(patterns.len(), 1);
        assert_eq!(
            (patterns[0].file_a.as_str(), patterns[0].file_b.as_str()),
            ("new.rs", "other.rs")
        );
        assert_eq!(patterns[0].shared_commits, 2);
        assert_eq!(patterns[0].commits_a, 3);
    }

    #[test]
    fn uncounted_commits_are_skipped_but_renames_in_them_are_learned() {
        let mut bulk = commit(30 * DAY, &["x.rs", "y.rs"]);
        bulk.counted = false;
        let commits = vec![
            commit(40 * DAY, &["x.rs", "y.rs"]),
            bulk,
            commit(20 * DAY, &["x.rs", "y.rs"]),
        ];
        let patterns = compute(&commits, options(40 * DAY));
        assert_eq!(patterns[0].shared_commits, 2);
    }

    #[test]
    fn chained_renames_resolve_to_the_newest_name() {
        let mut map = RenameMap::default();
        map.learn("b", "c");
        map.learn("a", "b");
        assert_eq!(map.current("a"), "c");
        assert_eq!(map.current("b"), "c");
        assert_eq!(map.current("z"), "z");
    }
}
