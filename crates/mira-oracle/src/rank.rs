//! Fusing the sources' file lists into one ranking: weighted reciprocal rank fusion,
//! where a source's weight says how strong its evidence is (a frame of the pasted stack
//! trace outweighs a co-change partner). Pure.

use std::collections::HashMap;

use crate::RankedFile;

/// RRF's constant: small, so that the first places of a strong list stand out.
pub const K: f64 = 5.0;

/// One source's files, best first, each with the reason it was listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot {
    pub source: &'static str,
    pub weight: f64,
    pub files: Vec<(String, String)>,
}

impl Ballot {
    pub fn new(source: &'static str, weight: f64) -> Self {
        Self {
            source,
            weight,
            files: Vec::new(),
        }
    }

    /// Adds a file unless listed already (the first, better place counts).
    pub fn push(&mut self, path: &str, reason: impl Into<String>) {
        if !self.files.iter().any(|(p, _)| p == path) {
            self.files.push((path.to_string(), reason.into()));
        }
    }
}

/// Files by fused score, best first, scores scaled so the best is 1.0. `factor` scales
/// a file's sum (below 1 pushes tests down when the task is not about them).
pub fn fuse(ballots: &[Ballot], factor: impl Fn(&str) -> f64) -> Vec<RankedFile> {
    // Per file: the fused score and each ballot's part with its reason.
    type Parts<'a> = (f64, Vec<(f64, &'a str)>);
    let mut scores: HashMap<&str, Parts<'_>> = HashMap::new();
    for ballot in ballots {
        for (rank, (path, reason)) in ballot.files.iter().enumerate() {
            let part = ballot.weight / (K + rank as f64 + 1.0);
            let entry = scores.entry(path.as_str()).or_default();
            entry.0 += part;
            entry.1.push((part, reason.as_str()));
        }
    }
    let mut files: Vec<RankedFile> = scores
        .into_iter()
        .map(|(path, (score, mut reasons))| {
            reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut said: Vec<String> = Vec::new();
            for (_, r) in reasons {
                if !said.iter().any(|s| s == r) {
                    said.push(r.to_string());
                }
            }
            RankedFile {
                path: path.to_string(),
                score: score * factor(path),
                reasons: said,
            }
        })
        .collect();
    files.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.path.cmp(&b.path)));
    if let Some(best) = files.first().map(|f| f.score).filter(|s| *s > 0.0) {
        for f in &mut files {
            f.score = (f.score / best * 1000.0).round() / 1000.0;
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(source: &'static str, weight: f64, files: &[&str]) -> Ballot {
        let mut b = Ballot::new(source, weight);
        for f in files {
            b.push(f, format!("{source} lists {f}"));
        }
        b
    }

    #[test]
    fn agreement_and_strong_evidence_win() {
        let search = ballot("search", 1.0, &["a.py", "b.py", "c.py"]);
        let trace = ballot("trace", 3.0, &["c.py"]);
        let files = fuse(&[search, trace], |_| 1.0);
        assert_eq!(files[0].path, "c.py");
        assert_eq!(files[0].score, 1.0);
        assert_eq!(files[0].reasons[0], "trace lists c.py");
        assert_eq!(files[1].path, "a.py");
    }

    #[test]
    fn a_factor_pushes_files_down_and_ties_break_by_path() {
        let search = ballot("search", 1.0, &["tests/test_a.py", "a.py"]);
        let files = fuse(&[search], |p| if p.starts_with("tests/") { 0.3 } else { 1.0 });
        assert_eq!(files[0].path, "a.py");
        let even = fuse(&[ballot("x", 1.0, &["b"]), ballot("y", 1.0, &["a"])], |_| 1.0);
        assert_eq!(even[0].path, "a");
    }

    #[test]
    fn a_file_listed_twice_by_one_source_counts_once() {
        let mut b = Ballot::new("search", 1.0);
        b.push("a", "first");
        b.push("a", "again");
        assert_eq!(b.files.len(), 1);
        assert!(fuse(&[], |_| 1.0).is_empty());
    }
}
