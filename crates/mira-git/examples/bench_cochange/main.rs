//! Co-change prediction on a real repository's history, for docs/benchmarks.md.
//!
//! Usage: cargo run -p mira-git --example bench_cochange -- REPO [--explore]
//! (`--explore` adds the grid of half-lives and size discounts the constants in
//! mira_git::cochange were chosen from, and the recall of all candidates, a ceiling.)
//!
//! Trains on the oldest 80% of HEAD's commits and tests on the newest 20%: for each test
//! commit and each file changed in it, every ranker predicts 10 partners from the training
//! history alone, scored by recall@10 (share of the commit's other files found) and MRR@10
//! (first one found). Merges and commits touching more than GIT_BULK_COMMIT_FILES (50)
//! files are left out of training and testing for every ranker alike, as Mira's index does;
//! single-file test commits have nothing to predict. Paths in training are mapped through
//! renames to their latest training name, as Mira's counts are.

mod baselines;
mod history;
mod mira;

use std::collections::HashMap;

use baselines::Transactions;
use mira_git::cochange::RenameMap;

const LIMIT: usize = 10;
const TRAIN_SHARE: f64 = 0.8;
const BULK: usize = 50;
const DAY: f64 = 86_400.0;

/// Training history: transactions with time and size, and paths numbered.
struct Training {
    tx: Transactions,
    at: Vec<i64>,
    names: Vec<String>,
    ids: HashMap<String, u32>,
    now: i64,
}

fn train(commits: &[history::Commit]) -> Training {
    let mut renames = RenameMap::default();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut files = Vec::new();
    let mut at = Vec::new();
    // Newest first, as Mira counts: a rename re-maps the older commits that follow.
    for c in commits.iter().rev() {
        if !c.is_merge && !c.files.is_empty() && c.files.len() <= BULK {
            let mut fs: Vec<u32> = c
                .files
                .iter()
                .map(|(p, _)| {
                    let current = renames.current(p).to_string();
                    *ids.entry(current.clone()).or_insert_with(|| {
                        names.push(current);
                        names.len() as u32 - 1
                    })
                })
                .collect();
            fs.sort_unstable();
            fs.dedup();
            files.push(fs);
            at.push(c.committed_at);
        }
        for (path, old) in &c.files {
            if let Some(old) = old {
                renames.learn(old, path);
            }
        }
    }
    let now = commits.last().map_or(0, |c| c.committed_at);
    Training {
        tx: Transactions::new(files, names.len()),
        at,
        names,
        ids,
        now,
    }
}

#[derive(Default, Clone)]
struct Score {
    queries: usize,
    recall: f64,
    rr: f64,
}

impl Score {
    fn add(&mut self, predicted: &[u32], expected: &[Option<u32>]) {
        self.queries += 1;
        let hits = expected
            .iter()
            .flatten()
            .filter(|e| predicted.contains(e))
            .count();
        self.recall += hits as f64 / expected.len() as f64;
        if let Some(rank) = predicted.iter().position(|p| expected.contains(&Some(*p))) {
            self.rr += 1.0 / (rank + 1) as f64;
        }
    }

    fn line(&self) -> String {
        let n = self.queries.max(1) as f64;
        format!("recall@10 {:.3}, MRR@10 {:.3}", self.recall / n, self.rr / n)
    }
}

/// Per-candidate evidence for the exploratory rankers.
#[derive(Default, Clone, Copy)]
struct Cand {
    shared: u32,
    last: i64,
    /// Sum of per-commit weights for each (half-life, size exponent) setting.
    w: [f64; 16],
}

const HALF_LIVES: [f64; 4] = [90.0, 180.0, 365.0, 730.0];
const SIZE_EXPONENTS: [f64; 4] = [0.0, 0.5, 1.0, 2.0];

fn candidates(t: &Training, q: u32) -> HashMap<u32, Cand> {
    let mut out: HashMap<u32, Cand> = HashMap::new();
    for &i in &t.tx.of_file[q as usize] {
        let fs = &t.tx.files[i];
        let age = (t.now - t.at[i]) as f64 / DAY;
        let others = (fs.len() - 1).max(1) as f64;
        for &f in fs {
            if f == q {
                continue;
            }
            let c = out.entry(f).or_default();
            c.shared += 1;
            c.last = c.last.max(t.at[i]);
            for (h, hl) in HALF_LIVES.iter().enumerate() {
                for (s, ex) in SIZE_EXPONENTS.iter().enumerate() {
                    c.w[h * 4 + s] += 0.5f64.powf(age / hl) / others.powf(*ex);
                }
            }
        }
    }
    out
}

fn top(mut scored: Vec<(f64, u32)>, names: &[String]) -> Vec<u32> {
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(names[a.1 as usize].cmp(&names[b.1 as usize]))
    });
    scored.into_iter().take(LIMIT).map(|(_, f)| f).collect()
}

/// Mira's ranking before this benchmark (queries::cochange at 183208a): pairs with at
/// least 2 shared commits and a confidence of 0.1 either way, by confidence, then by
/// recency-weighted shared commits (90-day half-life).
fn before(t: &Training, q: u32, cands: &HashMap<u32, Cand>) -> Vec<u32> {
    let of_q = t.tx.of_file[q as usize].len() as f64;
    let mut kept: Vec<(f64, f64, u32)> = cands
        .iter()
        .filter(|(f, c)| {
            let of_f = t.tx.of_file[**f as usize].len() as f64;
            let shared = f64::from(c.shared);
            c.shared >= 2 && (shared / of_q).max(shared / of_f) >= 0.1
        })
        .map(|(f, c)| (f64::from(c.shared) / of_q, c.w[4], *f))
        .collect();
    kept.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(t.names[a.2 as usize].cmp(&t.names[b.2 as usize]))
    });
    kept.into_iter().take(LIMIT).map(|(_, _, f)| f).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let root = args.get(1).ok_or("usage: bench_cochange REPO [--explore]")?;
    let explore = args.iter().any(|a| a == "--explore");
    let started = std::time::Instant::now();
    let commits = history::read(std::path::Path::new(root))?;
    let split = (commits.len() as f64 * TRAIN_SHARE) as usize;
    let t = train(&commits[..split]);
    let tests: Vec<&history::Commit> = commits[split..]
        .iter()
        .filter(|c| !c.is_merge && (2..=BULK).contains(&c.files.len()))
        .collect();
    println!(
        "{root}: {} commits read in {:.1} s; training on the oldest {split} ({} counted), testing on {} commits",
        commits.len(),
        started.elapsed().as_secs_f64(),
        t.tx.files.len(),
        tests.len()
    );
    let mut scores: Vec<(String, Score)> = Vec::new();
    let mut record = |name: &str, predicted: &[u32], expected: &[Option<u32>]| match scores
        .iter_mut()
        .find(|(n, _)| n == name)
    {
        Some((_, s)) => s.add(predicted, expected),
        None => {
            let mut s = Score::default();
            s.add(predicted, expected);
            scores.push((name.to_string(), s));
        }
    };
    let config = mira_core::config::Config::with_data_dir("/tmp/cochange/unused").git;
    let config_support = config.cochange_min_support;
    let mira = mira::Mira::train(&commits[..split], BULK, t.now, config);
    let mut unknown = 0usize;
    for c in &tests {
        let mut paths: Vec<&str> = c.files.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        let ids: Vec<Option<u32>> = paths.iter().map(|p| t.ids.get(*p).copied()).collect();
        for (i, q) in ids.iter().enumerate() {
            let expected: Vec<Option<u32>> = ids
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, e)| *e)
                .collect();
            // A file new in the test period has no history: every ranker scores 0 on it.
            let Some(q) = *q else {
                unknown += 1;
                continue;
            };
            record("naive", &baselines::naive(&t.tx, q, &t.names, LIMIT), &expected);
            record(
                "tarmaq",
                &baselines::tarmaq(&t.tx, &[q], &t.names, LIMIT),
                &expected,
            );
            let cands = candidates(&t, q);
            record("mira before", &before(&t, q, &cands), &expected);
            let as_ids = |paths: Vec<String>| -> Vec<u32> {
                paths.iter().filter_map(|p| t.ids.get(p).copied()).collect()
            };
            record(
                "mira",
                &as_ids(mira.suggest(&t.names[q as usize], LIMIT, config_support)),
                &expected,
            );
            if explore {
                record(
                    "mira, min support 2",
                    &as_ids(mira.suggest(&t.names[q as usize], LIMIT, 2)),
                    &expected,
                );
            }
            if explore {
                for (h, hl) in HALF_LIVES.iter().enumerate() {
                    for (s, ex) in SIZE_EXPONENTS.iter().enumerate() {
                        let scored = cands.iter().map(|(f, c)| (c.w[h * 4 + s], *f)).collect();
                        record(&format!("hl {hl} size^-{ex}"), &top(scored, &t.names), &expected);
                    }
                }
                // Recall with every candidate predicted: the most any reordering can reach.
                record(
                    "all direct candidates",
                    &cands.keys().copied().collect::<Vec<_>>(),
                    &expected,
                );
            }
        }
    }
    let known = scores.first().map_or(0, |(_, s)| s.queries);
    println!(
        "{known} queries on files with training history (figures below); {unknown} more on files new since \
         (0 for every ranker: multiply by {:.3} for the share of all queries)",
        known as f64 / (known + unknown).max(1) as f64
    );
    for (name, s) in &scores {
        println!("{name:>24}: {}", s.line());
    }
    Ok(())
}
