//! Files that change together. Indexing keeps raw, additive counts (per file: commits;
//! per pair: shared commits, last time, recency weight); confidence in both directions,
//! Jaccard and the recency-weighted score are derived when asked, so a few new commits
//! update the counts without recomputing the history.
//!
//! Renamed files keep their history: every path is first mapped to its name at HEAD.

use std::collections::HashMap;

use crate::structure::Relation;

/// The part of a commit co-change needs.
#[derive(Debug, Clone)]
pub struct CommitFiles {
    pub committed_at: i64,
    /// Paths as they were in that commit, with the old path of a rename.
    pub files: Vec<(String, Option<String>)>,
    /// Merge and bulk commits are skipped.
    pub counted: bool,
}

/// Commits per file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileCount {
    pub path: String,
    pub commits: u32,
}

/// Raw counts for a pair of files, `file_a < file_b`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PairCount {
    pub file_a: String,
    pub file_b: String,
    pub shared_commits: u32,
    pub last_cochange_at: i64,
    /// Sum over shared commits of `2^((t - epoch) / half_life)`: additive, and the
    /// recency-weighted score now is this times `2^(-(now - epoch) / half_life)`.
    pub weight: f64,
    /// As `weight` but with the [`RANK_HALF_LIFE_DAYS`] half-life, and each commit's share
    /// divided by [`size_discount`] of its size: a pair seen in a 2-file commit is strong
    /// evidence, one of 1,225 pairs of a 50-file commit is weak.
    pub sized_weight: f64,
    /// Sum over shared commits of `1 / size_discount`, without decay: with
    /// `shared_commits`, the typical size of the commits behind the pair.
    pub sized_commits: f64,
}

/// How much less a pair counts in a commit of `files` files than in a commit of two.
/// The power was chosen on held-out history (examples/bench_cochange).
pub fn size_discount(files: usize) -> f64 {
    ((files.max(2) - 1) as f64).powf(SIZE_EXPONENT)
}

const SIZE_EXPONENT: f64 = 1.0;

/// Half-life of the evidence the ranking uses. Longer than the configured co-change
/// half-life (90 days), which still makes `score`: on held-out tokio and flask history a
/// 90-day decay ranked worse than plain counts, a year's decay better.
pub const RANK_HALF_LIFE_DAYS: f64 = 365.0;

/// How much more a pair counts when its names relate it: a test and the code it names, or
/// two files of one directory, change together more often than counts alone predict.
/// Chosen on held-out history (examples/bench_cochange).
const TEST_AND_CODE_BONUS: f64 = 1.0;
const SAME_DIRECTORY_BONUS: f64 = 0.25;

/// The ranking key of a co-change partner: its recency- and size-weighted shared commits
/// (`weighted`), raised when the two paths are related by name.
pub fn strength(weighted: f64, relation: Option<Relation>) -> f64 {
    let bonus = match relation {
        Some(Relation::TestAndCode) => TEST_AND_CODE_BONUS,
        Some(Relation::SameDirectory) => SAME_DIRECTORY_BONUS,
        None => 0.0,
    };
    weighted * (1.0 + bonus)
}

/// The typical number of files in the commits behind a pair (the size whose discount is
/// their mean discount); `None` without evidence.
pub fn typical_size(shared_commits: u32, sized_commits: f64) -> Option<u64> {
    if shared_commits == 0 || sized_commits <= 0.0 || SIZE_EXPONENT == 0.0 {
        return None;
    }
    let discount = f64::from(shared_commits) / sized_commits;
    Some((1.0 + discount.powf(1.0 / SIZE_EXPONENT)).round() as u64)
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counts {
    pub files: Vec<FileCount>,
    pub pairs: Vec<PairCount>,
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

/// `2^((t - epoch) / half_life)`: the weight of an event at `t`, relative to `epoch`.
pub fn growth(t: i64, epoch: i64, half_life_days: f64) -> f64 {
    2f64.powf((t - epoch) as f64 / 86_400.0 / half_life_days)
}

/// Shared commits, last time, weight, sized weight and sized commits of a pair, as
/// `PairCount` holds them.
type PairTally = (u32, i64, f64, f64, f64);

/// `commits` must be ordered newest first.
pub fn count(commits: &[CommitFiles], epoch: i64, half_life_days: f64) -> Counts {
    let mut renames = RenameMap::default();
    // Paths are numbered once: a pair is counted once per commit that shares it, and
    // keying the tallies by number spares two string copies per count.
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut per_file: Vec<u32> = Vec::new();
    let mut pairs: HashMap<(u32, u32), PairTally> = HashMap::new();
    let mut files: Vec<u32> = Vec::new();
    for commit in commits {
        if commit.counted {
            files.clear();
            for (path, _) in &commit.files {
                let current = renames.current(path);
                let id = match ids.get(current) {
                    Some(&id) => id,
                    None => {
                        let id = names.len() as u32;
                        ids.insert(current.to_string(), id);
                        names.push(current.to_string());
                        per_file.push(0);
                        id
                    }
                };
                files.push(id);
            }
            // In path order, so each pair is (smaller path, larger path).
            files.sort_unstable_by(|x, y| names[*x as usize].cmp(&names[*y as usize]));
            files.dedup();
            let weight = growth(commit.committed_at, epoch, half_life_days);
            let discount = size_discount(files.len());
            let sized = growth(commit.committed_at, epoch, RANK_HALF_LIFE_DAYS) / discount;
            for (i, &a) in files.iter().enumerate() {
                per_file[a as usize] += 1;
                for &b in &files[i + 1..] {
                    let entry = pairs.entry((a, b)).or_insert((0, i64::MIN, 0.0, 0.0, 0.0));
                    entry.0 += 1;
                    entry.1 = entry.1.max(commit.committed_at);
                    entry.2 += weight;
                    entry.3 += sized;
                    entry.4 += 1.0 / discount;
                }
            }
        }
        // Renames are learned after the commit's own paths were mapped (it is older than
        // the commits that already taught the map, and newer than the ones to come).
        for (path, old) in &commit.files {
            if let Some(old) = old {
                renames.learn(old, path);
            }
        }
    }
    let mut counts = Counts {
        files: per_file
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(id, &commits)| FileCount {
                path: names[id].clone(),
                commits,
            })
            .collect(),
        pairs: pairs
            .into_iter()
            .map(
                |((a, b), (shared_commits, last_cochange_at, weight, sized_weight, sized_commits))| {
                    PairCount {
                        file_a: names[a as usize].clone(),
                        file_b: names[b as usize].clone(),
                        shared_commits,
                        last_cochange_at,
                        weight,
                        sized_weight,
                        sized_commits,
                    }
                },
            )
            .collect(),
    };
    counts.files.sort_by(|a, b| a.path.cmp(&b.path));
    counts
        .pairs
        .sort_by(|x, y| (&x.file_a, &x.file_b).cmp(&(&y.file_a, &y.file_b)));
    counts
}

/// What a pair means, seen from one of its files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Derived {
    /// P(other changes | this file changes).
    pub confidence: f64,
    /// P(this file changes | other changes).
    pub reverse_confidence: f64,
    pub jaccard: f64,
    /// Recency-weighted shared commits as of `now`.
    pub score: f64,
}

pub fn derive(
    shared: u32,
    this: u32,
    other: u32,
    weight: f64,
    epoch: i64,
    now: i64,
    half_life_days: f64,
) -> Derived {
    let shared = f64::from(shared);
    let union = f64::from(this) + f64::from(other) - shared;
    Derived {
        confidence: if this > 0 { shared / f64::from(this) } else { 0.0 },
        reverse_confidence: if other > 0 { shared / f64::from(other) } else { 0.0 },
        jaccard: if union > 0.0 { shared / union } else { 0.0 },
        score: weight / growth(now, epoch, half_life_days),
    }
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

    fn pair<'a>(c: &'a Counts, a: &str, b: &str) -> &'a PairCount {
        c.pairs.iter().find(|p| p.file_a == a && p.file_b == b).unwrap()
    }

    fn commits_of(c: &Counts, f: &str) -> u32 {
        c.files.iter().find(|x| x.path == f).unwrap().commits
    }

    #[test]
    fn counts_and_derived_measures() {
        // Newest first.
        let commits = vec![
            commit(40 * DAY, &["a.rs", "b.rs"]),
            commit(30 * DAY, &["a.rs", "b.rs", "c.rs"]),
            commit(20 * DAY, &["a.rs"]),
            commit(10 * DAY, &["a.rs", "c.rs"]),
        ];
        let epoch = 40 * DAY;
        let counts = count(&commits, epoch, 30.0);
        let ab = pair(&counts, "a.rs", "b.rs");
        assert_eq!((ab.shared_commits, ab.last_cochange_at), (2, 40 * DAY));
        let d = derive(
            ab.shared_commits,
            commits_of(&counts, "a.rs"),
            commits_of(&counts, "b.rs"),
            ab.weight,
            epoch,
            40 * DAY,
            30.0,
        );
        assert_eq!((d.confidence, d.reverse_confidence, d.jaccard), (0.5, 1.0, 0.5));
        // Today's co-change weighs 1, ten days ago 0.5^(10/30).
        assert!((d.score - (1.0 + 0.5f64.powf(10.0 / 30.0))).abs() < 1e-9);
        // Thirty days later every weight has halved, whatever the epoch.
        let later = derive(2, 4, 2, ab.weight, epoch, 70 * DAY, 30.0);
        assert!((later.score - d.score / 2.0).abs() < 1e-9);
        assert_eq!(pair(&counts, "b.rs", "c.rs").shared_commits, 1);
    }

    #[test]
    fn counts_add_up_across_batches() {
        let old = vec![commit(20 * DAY, &["x", "y"]), commit(10 * DAY, &["x"])];
        let new = vec![commit(30 * DAY, &["x", "y"])];
        let all: Vec<CommitFiles> = new.iter().chain(old.iter()).cloned().collect();
        let (a, b, whole) = (count(&old, 0, 60.0), count(&new, 0, 60.0), count(&all, 0, 60.0));
        let xy = |c: &Counts| pair(c, "x", "y").clone();
        assert_eq!(
            xy(&a).shared_commits + xy(&b).shared_commits,
            xy(&whole).shared_commits
        );
        assert!((xy(&a).weight + xy(&b).weight - xy(&whole).weight).abs() < 1e-9);
        assert_eq!(commits_of(&a, "x") + commits_of(&b, "x"), commits_of(&whole, "x"));
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
        let counts = count(&commits, 0, 30.0);
        assert_eq!(counts.pairs.len(), 1);
        assert_eq!(pair(&counts, "new.rs", "other.rs").shared_commits, 2);
        assert_eq!(commits_of(&counts, "new.rs"), 3);
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
        assert_eq!(count(&commits, 0, 30.0).pairs[0].shared_commits, 2);
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
