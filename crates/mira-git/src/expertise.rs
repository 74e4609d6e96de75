//! Who knows a file or a directory: 40% share of commits + 30% share of lines changed +
//! 30% share of recency-decayed activity, as a 0-100 score per scope.
//!
//! Shares are taken among people; bots (recognised by name or address) get their own
//! rows, flagged, with shares taken among everyone, so they never dilute a person's score.

use std::collections::HashMap;

use crate::cochange::{RenameMap, decay};

#[derive(Debug, Clone)]
pub struct AuthoredChange {
    pub author_name: String,
    pub author_email: String,
    pub authored_at: i64,
    /// Paths with the old path of a rename, and lines added + removed.
    pub files: Vec<(String, Option<String>, u64)>,
    pub counted: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Expertise {
    /// A file path, a directory ending in `/`, or `""` for the whole project.
    pub scope: String,
    pub author_email: String,
    pub author_name: String,
    pub commits: u32,
    pub lines_changed: u64,
    pub last_commit_at: i64,
    pub commit_part: f64,
    pub lines_part: f64,
    pub recency_part: f64,
    pub score: f64,
    pub is_bot: bool,
}

pub const WEIGHT_COMMITS: f64 = 0.4;
pub const WEIGHT_LINES: f64 = 0.3;
pub const WEIGHT_RECENCY: f64 = 0.3;

/// Bots by the conventions of the big forges and tools.
pub fn is_bot(name: &str, email: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let email = email.to_ascii_lowercase();
    name.ends_with("[bot]")
        || email.contains("[bot]")
        || [
            "dependabot",
            "renovate",
            "github-actions",
            "greenkeeper",
            "snyk-bot",
            "mergify",
            "bors",
        ]
        .iter()
        .any(|b| name.starts_with(b) || email.starts_with(b))
}

/// Every scope a path belongs to: itself, each parent directory, and the project.
fn scopes(path: &str) -> Vec<String> {
    let mut out = vec![path.to_string(), String::new()];
    let mut end = 0;
    while let Some(pos) = path[end..].find('/') {
        end += pos + 1;
        out.push(path[..end].to_string());
    }
    out
}

#[derive(Default, Clone)]
struct Tally {
    name: String,
    commits: u32,
    lines: u64,
    recency: f64,
    last: i64,
}

/// `changes` must be ordered newest first (renames are learned in that order).
pub fn compute(changes: &[AuthoredChange], half_life_days: f64, now: i64) -> Vec<Expertise> {
    let mut renames = RenameMap::default();
    let mut tallies: HashMap<(String, String), Tally> = HashMap::new();
    for change in changes {
        let mut touched: HashMap<String, u64> = HashMap::new();
        for (path, _, lines) in &change.files {
            let current = renames.current(path).to_string();
            for scope in scopes(&current) {
                *touched.entry(scope).or_default() += lines;
            }
        }
        for (path, old, _) in &change.files {
            if let Some(old) = old {
                renames.learn(old, path);
            }
        }
        if !change.counted {
            continue;
        }
        let weight = decay(now - change.authored_at, half_life_days);
        for (scope, lines) in touched {
            let tally = tallies.entry((scope, change.author_email.clone())).or_default();
            if tally.name.is_empty() {
                // Newest first: the most recent spelling of a name wins.
                tally.name = change.author_name.clone();
            }
            tally.commits += 1;
            tally.lines += lines;
            tally.recency += weight;
            tally.last = tally.last.max(change.authored_at);
        }
    }
    // Totals per scope, among people and among everyone.
    let mut totals: HashMap<(String, bool), (f64, f64, f64)> = HashMap::new();
    for ((scope, email), t) in &tallies {
        let bot = is_bot(&t.name, email);
        for everyone in [true, false] {
            if !everyone && bot {
                continue;
            }
            let total = totals.entry((scope.clone(), everyone)).or_default();
            total.0 += f64::from(t.commits);
            total.1 += t.lines as f64;
            total.2 += t.recency;
        }
    }
    let share = |part: f64, total: f64| if total > 0.0 { part / total } else { 0.0 };
    let mut out: Vec<Expertise> = tallies
        .into_iter()
        .map(|((scope, email), t)| {
            let bot = is_bot(&t.name, &email);
            let (c, l, r) = totals[&(scope.clone(), bot)];
            let commit_part = share(f64::from(t.commits), c);
            let lines_part = share(t.lines as f64, l);
            let recency_part = share(t.recency, r);
            Expertise {
                score: 100.0
                    * (WEIGHT_COMMITS * commit_part
                        + WEIGHT_LINES * lines_part
                        + WEIGHT_RECENCY * recency_part),
                scope,
                author_email: email,
                author_name: t.name,
                commits: t.commits,
                lines_changed: t.lines,
                last_commit_at: t.last,
                commit_part,
                lines_part,
                recency_part,
                is_bot: bot,
            }
        })
        .collect();
    out.sort_by(|a, b| a.scope.cmp(&b.scope).then(b.score.total_cmp(&a.score)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn change(name: &str, at: i64, files: &[(&str, u64)]) -> AuthoredChange {
        AuthoredChange {
            author_name: name.into(),
            author_email: format!("{}@x.org", name.to_lowercase().replace(' ', ".")),
            authored_at: at,
            files: files.iter().map(|(p, l)| (p.to_string(), None, *l)).collect(),
            counted: true,
        }
    }

    #[test]
    fn score_is_the_weighted_sum_of_three_shares() {
        // Newest first. Ann: 2 commits, 30 lines, recent. Bob: 1 commit, 90 lines, old.
        let changes = vec![
            change("Ann", 100 * DAY, &[("src/a.rs", 10)]),
            change("Ann", 100 * DAY, &[("src/a.rs", 20)]),
            change("Bob", 40 * DAY, &[("src/a.rs", 90)]),
        ];
        let rows = compute(&changes, 60.0, 100 * DAY);
        let file: Vec<_> = rows.iter().filter(|r| r.scope == "src/a.rs").collect();
        let ann = file.iter().find(|r| r.author_name == "Ann").unwrap();
        let bob = file.iter().find(|r| r.author_name == "Bob").unwrap();
        assert!((ann.commit_part - 2.0 / 3.0).abs() < 1e-12);
        assert!((ann.lines_part - 0.25).abs() < 1e-12);
        // Bob's commit is one half-life old: weight 0.5 against Ann's 2.0.
        assert!((ann.recency_part - 0.8).abs() < 1e-12);
        assert!((ann.score - 100.0 * (0.4 * 2.0 / 3.0 + 0.3 * 0.25 + 0.3 * 0.8)).abs() < 1e-9);
        assert!(
            (ann.score + bob.score - 100.0).abs() < 1e-9,
            "scores in a scope add up to 100"
        );
        // Directory and project scopes exist with the same shares here.
        assert!(rows.iter().any(|r| r.scope == "src/" && r.author_name == "Ann"));
        assert!(rows.iter().any(|r| r.scope.is_empty() && r.author_name == "Bob"));
    }

    #[test]
    fn bots_are_flagged_and_do_not_dilute_people() {
        let changes = vec![
            change("dependabot[bot]", 10 * DAY, &[("Cargo.lock", 5)]),
            change("Ann", 10 * DAY, &[("Cargo.lock", 5)]),
        ];
        let rows = compute(&changes, 60.0, 10 * DAY);
        let ann = rows
            .iter()
            .find(|r| r.scope == "Cargo.lock" && r.author_name == "Ann")
            .unwrap();
        assert!((ann.score - 100.0).abs() < 1e-9);
        let bot = rows.iter().find(|r| r.scope == "Cargo.lock" && r.is_bot).unwrap();
        assert!((bot.score - 50.0).abs() < 1e-9);
        assert!(is_bot("renovate[bot]", "x") && is_bot("GitHub Actions", "github-actions@github.com"));
        assert!(!is_bot("Bob", "bob@x.org"));
    }

    #[test]
    fn scopes_cover_every_parent_directory() {
        let mut s = scopes("a/b/c.rs");
        s.sort();
        assert_eq!(s, vec!["", "a/", "a/b/", "a/b/c.rs"]);
    }
}
