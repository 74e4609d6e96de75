//! The rankers Mira is measured against, on the same training transactions: the naive
//! count of shared commits, and TARMAQ (Rolfsnes et al., "Generalizing the Analysis of
//! Evolutionary Coupling for Software Change Impact Analysis", SANER 2016).

use std::collections::{HashMap, HashSet};

/// Training commits with files numbered; `of_file[f]` lists the transactions holding `f`.
pub struct Transactions {
    pub files: Vec<Vec<u32>>,
    pub of_file: Vec<Vec<usize>>,
}

impl Transactions {
    pub fn new(files: Vec<Vec<u32>>, file_count: usize) -> Self {
        let mut of_file = vec![Vec::new(); file_count];
        for (t, fs) in files.iter().enumerate() {
            for &f in fs {
                of_file[f as usize].push(t);
            }
        }
        Self { files, of_file }
    }
}

/// Partners of `query` by the number of commits shared with it; ties by path.
pub fn naive(tx: &Transactions, query: u32, names: &[String], limit: usize) -> Vec<u32> {
    let mut counts: HashMap<u32, u32> = HashMap::new();
    for &t in &tx.of_file[query as usize] {
        for &f in &tx.files[t] {
            if f != query {
                *counts.entry(f).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(u32, u32)> = counts.into_iter().collect();
    ranked.sort_by(|x, y| y.1.cmp(&x.1).then(names[x.0 as usize].cmp(&names[y.0 as usize])));
    ranked.into_iter().take(limit).map(|(f, _)| f).collect()
}

/// Transactions holding every file of `set`.
fn holding(tx: &Transactions, set: &[u32]) -> Vec<usize> {
    let Some((first, rest)) = set.split_first() else {
        return (0..tx.files.len()).collect();
    };
    tx.of_file[*first as usize]
        .iter()
        .copied()
        .filter(|&t| rest.iter().all(|f| tx.files[t].contains(f)))
        .collect()
}

/// TARMAQ: find the largest overlap k any transaction has with the query; from the
/// transactions with that overlap X, make the rules X -> y for each y outside the query;
/// rank rules by confidence (support of X and y over support of X in the whole history),
/// then support; recommend the consequents in rule order. Remaining ties go by path, as
/// in `naive`, so the two differ only where the algorithm does.
pub fn tarmaq(tx: &Transactions, query: &[u32], names: &[String], limit: usize) -> Vec<u32> {
    let mut touching: HashSet<usize> = HashSet::new();
    for &q in query {
        touching.extend(tx.of_file[q as usize].iter().copied());
    }
    let overlap = |t: usize| tx.files[t].iter().filter(|f| query.contains(f)).count();
    let k = touching.iter().map(|&t| overlap(t)).max().unwrap_or(0);
    if k == 0 {
        return Vec::new();
    }
    // Rules keyed by (antecedent, consequent), the antecedent sorted.
    let mut rules: HashSet<(Vec<u32>, u32)> = HashSet::new();
    for &t in &touching {
        if overlap(t) != k {
            continue;
        }
        let mut x: Vec<u32> = tx.files[t]
            .iter()
            .copied()
            .filter(|f| query.contains(f))
            .collect();
        x.sort_unstable();
        for &y in &tx.files[t] {
            if !query.contains(&y) {
                rules.insert((x.clone(), y));
            }
        }
    }
    let mut antecedent_support: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
    let mut scored: Vec<(f64, usize, u32)> = rules
        .into_iter()
        .map(|(x, y)| {
            let with_x = antecedent_support.entry(x).or_insert_with_key(|x| holding(tx, x));
            let support = with_x.iter().filter(|&&t| tx.files[t].contains(&y)).count();
            (support as f64 / with_x.len() as f64, support, y)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.cmp(&a.1))
            .then(names[a.2 as usize].cmp(&names[b.2 as usize]))
    });
    let mut out = Vec::new();
    for (_, _, y) in scored {
        if !out.contains(&y) {
            out.push(y);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}
