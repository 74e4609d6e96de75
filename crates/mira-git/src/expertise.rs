//! Who knows a file or a directory: 40% share of commits + 30% share of lines changed +
//! 30% share of recency-weighted activity, as a 0-100 score per scope.
//!
//! Indexing keeps raw, additive tallies per (scope, author); shares are taken when asked,
//! among people, while bots (recognised by name or address) are flagged and measured
//! against everyone, so they never dilute a person's score.

use std::collections::HashMap;

use crate::cochange::{RenameMap, growth};

#[derive(Debug, Clone)]
pub struct AuthoredChange {
    pub author_name: String,
    pub author_email: String,
    pub authored_at: i64,
    /// Paths with the old path of a rename, and lines added + removed.
    pub files: Vec<(String, Option<String>, u64)>,
    pub counted: bool,
}

/// Raw activity of one author in one scope.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tally {
    /// A file path, a directory ending in `/`, or `""` for the whole project.
    pub scope: String,
    pub author_email: String,
    pub author_name: String,
    pub commits: u32,
    pub lines_changed: u64,
    /// Sum of `2^((t - epoch) / half_life)` over the author's commits in scope.
    pub weight: f64,
    pub last_commit_at: i64,
    pub is_bot: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Expertise {
    pub name: String,
    pub email: String,
    /// 0-100.
    pub score: f64,
    pub commit_part: f64,
    pub lines_part: f64,
    pub recency_part: f64,
    pub commits: u32,
    pub lines_changed: u64,
    pub last_commit_at: i64,
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
pub fn scopes(path: &str) -> Vec<String> {
    let mut out = vec![path.to_string(), String::new()];
    let mut end = 0;
    while let Some(pos) = path[end..].find('/') {
        end += pos + 1;
        out.push(path[..end].to_string());
    }
    out
}

/// Tallies per (scope, author). `changes` must be ordered newest first (renames are
/// learned in that order, and the newest spelling of a name wins).
pub fn tally(changes: &[AuthoredChange], epoch: i64, half_life_days: f64) -> Vec<Tally> {
    let mut renames = RenameMap::default();
    // Per author, then per scope: a tally is found without copying its key strings.
    let mut tallies: HashMap<String, HashMap<String, Tally>> = HashMap::new();
    for change in changes {
        let touched: HashMap<String, u64> = if change.counted {
            let mut touched: HashMap<String, u64> = HashMap::new();
            for (path, _, lines) in &change.files {
                for scope in scopes(renames.current(path)) {
                    *touched.entry(scope).or_default() += lines;
                }
            }
            touched
        } else {
            HashMap::new()
        };
        for (path, old, _) in &change.files {
            if let Some(old) = old {
                renames.learn(old, path);
            }
        }
        if !change.counted {
            continue;
        }
        let weight = growth(change.authored_at, epoch, half_life_days);
        let email = change.author_email.as_str();
        let by_scope = match tallies.get_mut(email) {
            Some(m) => m,
            None => tallies.entry(email.to_string()).or_default(),
        };
        for (scope, lines) in touched {
            let t = by_scope.entry(scope).or_insert_with_key(|scope| Tally {
                scope: scope.clone(),
                author_email: change.author_email.clone(),
                author_name: change.author_name.clone(),
                commits: 0,
                lines_changed: 0,
                weight: 0.0,
                last_commit_at: i64::MIN,
                is_bot: is_bot(&change.author_name, &change.author_email),
            });
            t.commits += 1;
            t.lines_changed += lines;
            t.weight += weight;
            t.last_commit_at = t.last_commit_at.max(change.authored_at);
        }
    }
    let mut out: Vec<Tally> = tallies.into_values().flat_map(HashMap::into_values).collect();
    out.sort_by(|a, b| (&a.scope, &a.author_email).cmp(&(&b.scope, &b.author_email)));
    out
}

/// Scores of the authors of one scope, best first.
pub fn shares(tallies: &[Tally]) -> Vec<Expertise> {
    let totals = |include_bots: bool| {
        tallies
            .iter()
            .filter(|t| include_bots || !t.is_bot)
            .fold((0.0, 0.0, 0.0), |acc, t| {
                (
                    acc.0 + f64::from(t.commits),
                    acc.1 + t.lines_changed as f64,
                    acc.2 + t.weight,
                )
            })
    };
    let (people, everyone) = (totals(false), totals(true));
    let share = |part: f64, total: f64| if total > 0.0 { part / total } else { 0.0 };
    let mut out: Vec<Expertise> = tallies
        .iter()
        .map(|t| {
            let (c, l, r) = if t.is_bot { everyone } else { people };
            let commit_part = share(f64::from(t.commits), c);
            let lines_part = share(t.lines_changed as f64, l);
            let recency_part = share(t.weight, r);
            Expertise {
                name: t.author_name.clone(),
                email: t.author_email.clone(),
                score: 100.0
                    * (WEIGHT_COMMITS * commit_part
                        + WEIGHT_LINES * lines_part
                        + WEIGHT_RECENCY * recency_part),
                commit_part,
                lines_part,
                recency_part,
                commits: t.commits,
                lines_changed: t.lines_changed,
                last_commit_at: t.last_commit_at,
                is_bot: t.is_bot,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.email.cmp(&b.email)));
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

    fn scope(tallies: &[Tally], scope: &str) -> Vec<Tally> {
        tallies.iter().filter(|t| t.scope == scope).cloned().collect()
    }

    #[test]
    fn score_is_the_weighted_sum_of_three_shares() {
        // Newest first. Ann: 2 commits, 30 lines, recent. Bob: 1 commit, 90 lines, old.
        let changes = vec![
            change("Ann", 100 * DAY, &[("src/a.rs", 10)]),
            change("Ann", 100 * DAY, &[("src/a.rs", 20)]),
            change("Bob", 40 * DAY, &[("src/a.rs", 90)]),
        ];
        let tallies = tally(&changes, 0, 60.0);
        let rows = shares(&scope(&tallies, "src/a.rs"));
        let ann = rows.iter().find(|r| r.name == "Ann").unwrap();
        let bob = rows.iter().find(|r| r.name == "Bob").unwrap();
        assert!((ann.commit_part - 2.0 / 3.0).abs() < 1e-12);
        assert!((ann.lines_part - 0.25).abs() < 1e-12);
        // Bob's commit is one half-life older: weight 0.5 against Ann's 2 x 1.
        assert!((ann.recency_part - 0.8).abs() < 1e-12);
        assert!((ann.score - 100.0 * (0.4 * 2.0 / 3.0 + 0.3 * 0.25 + 0.3 * 0.8)).abs() < 1e-9);
        assert!(
            (ann.score + bob.score - 100.0).abs() < 1e-9,
            "scores in a scope add up to 100"
        );
        assert_eq!(shares(&scope(&tallies, "src/")).len(), 2);
        assert_eq!(shares(&scope(&tallies, "")).len(), 2);
    }

    #[test]
    fn bots_are_flagged_and_do_not_dilute_people() {
        let changes = vec![
            change("dependabot[bot]", 10 * DAY, &[("Cargo.lock", 5)]),
            change("Ann", 10 * DAY, &[("Cargo.lock", 5)]),
        ];
        let rows = shares(&scope(&tally(&changes, 0, 60.0), "Cargo.lock"));
        let ann = rows.iter().find(|r| r.name == "Ann").unwrap();
        assert!((ann.score - 100.0).abs() < 1e-9);
        let bot = rows.iter().find(|r| r.is_bot).unwrap();
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
