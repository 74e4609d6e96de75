//! Scoring a commit against a pasted error: BM25F over the commit's fields (its message,
//! the paths it changed, the lines its diff added and removed), with the error read the
//! way search reads code (identifiers split at `snake_case` / `camelCase`, paths at their
//! separators, parts stemmed; see `mira_store::tokenize`). Pure functions: the caller
//! loads the commits and the diffs.

use std::collections::{HashMap, HashSet};

use mira_store::tokenize;

/// Words every error text or fix message has, which tell no commit apart: a match on
/// them alone must not lift a commit over the floor.
const GENERIC: &[&str] = &[
    "error",
    "errors",
    "exception",
    "traceback",
    "recent",
    "call",
    "last",
    "line",
    "file",
    "fix",
    "bug",
    "issue",
    "panic",
    "warn",
    "warning",
    "fail",
    "test",
    "tests",
    "py",
    "rs",
    "js",
    "ts",
    "src",
    "lib",
    "self",
    "none",
    "true",
    "false",
    "return",
    "def",
    "fn",
    "let",
    "import",
    "not",
    "no",
    "use",
    "get",
    "set",
    "new",
    "code",
    "work",
    "expect",
    "result",
    "output",
    "run",
    "also",
    "should",
    "would",
    "like",
    "one",
    "two",
    "all",
    "some",
    "any",
    "here",
    "just",
    "get",
    "make",
    "need",
    "want",
    "thank",
    "pleas",
    "version",
    "python",
    "instead",
    "exampl",
    "problem",
    "case",
    "way",
    "same",
    "more",
    "which",
    "now",
];

/// The fields of a commit, in this order everywhere.
pub const FIELDS: usize = 3;
pub const MESSAGE: usize = 0;
pub const PATHS: usize = 1;
pub const DIFF: usize = 2;

/// How much a match in each field counts. The changed lines carry much of what an error
/// shares with its fix, but a message that names the error ("Fix KeyError: 'currency'")
/// is the surest sign: on SWE-bench Lite (scripts/bench-fixes.py, docs/benchmarks.md)
/// BM25 over messages alone had the better top 5, so the message weighs double.
pub const WEIGHTS: [f64; FIELDS] = [2.0, 0.6, 1.0];
const K1: f64 = 1.2;
const B: [f64; FIELDS] = [0.5, 0.75, 0.75];

/// Distinct, specific terms of an error text (generic words and stopwords left out).
pub fn query_terms(error: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    tokenize::for_each_term(error, |t| {
        let specific = t.chars().count() >= 3
            && !GENERIC.contains(&t.as_str())
            && !t.chars().all(|c| c.is_ascii_digit());
        if specific && seen.insert(t.clone()) {
            out.push(t);
        }
    });
    out
}

/// A field's counts of the query's terms, and its length in terms.
#[derive(Debug, Default, Clone)]
pub struct FieldTerms {
    pub counts: HashMap<u32, u32>,
    pub len: u32,
}

/// Counts the query's terms (by their index in `index`) in a text.
pub fn count(text: &str, index: &HashMap<String, u32>, into: &mut FieldTerms) {
    tokenize::for_each_term(text, |t| {
        into.len += 1;
        if let Some(&i) = index.get(&t) {
            *into.counts.entry(i).or_default() += 1;
        }
    });
}

/// Collection statistics of one field: documents holding each term, average length.
#[derive(Debug, Clone)]
pub struct Stats {
    pub docs: usize,
    pub df: Vec<u32>,
    pub avg_len: f64,
}

impl Stats {
    pub fn of<'a>(terms: usize, fields: impl Iterator<Item = &'a FieldTerms>) -> Stats {
        let mut df = vec![0u32; terms];
        let mut docs = 0;
        let mut total = 0u64;
        for f in fields {
            docs += 1;
            total += f.len as u64;
            for &t in f.counts.keys() {
                df[t as usize] += 1;
            }
        }
        Stats {
            docs,
            df,
            avg_len: if docs == 0 {
                1.0
            } else {
                (total as f64 / docs as f64).max(1.0)
            },
        }
    }

    fn idf(&self, t: u32) -> f64 {
        let n = self.docs as f64;
        let df = self.df[t as usize] as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}

/// A commit's score and what each term contributed, per field.
#[derive(Debug, Default, Clone)]
pub struct Scored {
    pub score: f64,
    /// (term index, field, contribution), largest first.
    pub parts: Vec<(u32, usize, f64)>,
}

/// BM25 per field, weighted and summed (each field with its own statistics: the diff's
/// are taken over the candidates only, the others over the whole history).
pub fn score(fields: &[Option<&FieldTerms>; FIELDS], stats: &[Option<&Stats>; FIELDS]) -> Scored {
    let mut out = Scored::default();
    for f in 0..FIELDS {
        let (Some(terms), Some(stats)) = (fields[f], stats[f]) else {
            continue;
        };
        let norm = 1.0 - B[f] + B[f] * terms.len as f64 / stats.avg_len;
        for (&t, &tf) in &terms.counts {
            let tf = tf as f64;
            let part = WEIGHTS[f] * stats.idf(t) * tf * (K1 + 1.0) / (tf + K1 * norm);
            out.score += part;
            out.parts.push((t, f, part));
        }
    }
    out.parts.sort_by(|a, b| b.2.total_cmp(&a.2));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_split_identifiers_and_drop_generic_words() {
        let t = query_terms(
            "Traceback (most recent call last):\n  File \"app/db.py\", line 3\nKeyError: 'max_retries'",
        );
        assert!(t.contains(&"max_retries".to_string()), "{t:?}");
        assert!(t.contains(&"retri".to_string()), "{t:?}");
        assert!(t.contains(&"keyerror".to_string()), "{t:?}");
        assert!(!t.contains(&"traceback".to_string()), "{t:?}");
        assert!(!t.contains(&"line".to_string()), "{t:?}");
    }

    #[test]
    fn a_rare_term_outweighs_a_common_one_and_fields_add_up() {
        let index: HashMap<String, u32> = [("pars".to_string(), 0), ("config".to_string(), 1)].into();
        let docs: Vec<FieldTerms> = ["parse config", "config", "config loader", "config"]
            .iter()
            .map(|text| {
                let mut f = FieldTerms::default();
                count(text, &index, &mut f);
                f
            })
            .collect();
        let stats = Stats::of(2, docs.iter());
        let s = |d: &FieldTerms| score(&[Some(d), None, None], &[Some(&stats), None, None]).score;
        assert!(
            s(&docs[0]) > 2.0 * s(&docs[1]),
            "{} vs {}",
            s(&docs[0]),
            s(&docs[1])
        );
        let both = score(
            &[Some(&docs[0]), Some(&docs[0]), None],
            &[Some(&stats), Some(&stats), None],
        );
        assert!(both.score > s(&docs[0]));
        assert_eq!(both.parts.len(), 4);
    }
}
