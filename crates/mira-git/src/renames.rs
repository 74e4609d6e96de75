//! Rename detection as `git diff -M` does it (diffcore-rename.c and diffcore-delta.c),
//! so that renames, their old paths and their line counts agree with `git log -M`.
//!
//! Git pairs deleted and added files in three passes: identical contents (preferring the
//! same file name), then files whose name is unique on both sides and that are at least
//! 75% similar, then the best-scoring pairs of what is left at 50% or more. Similarity is
//! git's estimate, not a line diff: each file is cut into spans (lines, or 64 bytes at
//! most), spans are hashed, and the score is the share of the larger file's bytes whose
//! spans also occur in the other file. Scores use git's scale (60000 = identical).

use std::collections::HashMap;

/// Git's MAX_SCORE: an exact copy.
pub const MAX_SCORE: i64 = 60_000;
/// `-M` without a number: 50%.
pub const DEFAULT_MIN_SCORE: i64 = 30_000;
/// Git's default `diff.renameLimit`: inexact detection is skipped when
/// sources x destinations exceeds its square.
pub const RENAME_LIMIT: u64 = 1_000;
/// Candidates kept per destination (git's NUM_CANDIDATE_PER_DST).
const CANDIDATES_PER_DST: usize = 4;
/// Git's HASHBASE, the modulus of span hashes.
const HASH_BASE: u32 = 107_927;
/// Git looks this far into a file to decide that it is binary.
pub const BINARY_PROBE: usize = 8_000;

/// Whether git would call this content binary (a NUL byte near the start).
pub fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(BINARY_PROBE)].contains(&0)
}

/// A file's span hashes with their byte counts, sorted by hash (git's `hash_chars`).
pub fn spans(data: &[u8]) -> Vec<(u32, u32)> {
    let is_text = !is_binary(data);
    let mut counts: HashMap<u32, u32> = HashMap::new();
    let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u32);
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        i += 1;
        // A CR before LF does not count in text.
        if is_text && c == b'\r' && i < data.len() && data[i] == b'\n' {
            continue;
        }
        let old1 = accum1;
        accum1 = (accum1 << 7) ^ (accum2 >> 25);
        accum2 = (accum2 << 7) ^ (old1 >> 25);
        accum1 = accum1.wrapping_add(u32::from(c));
        n += 1;
        if n < 64 && c != b'\n' {
            continue;
        }
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASH_BASE;
        *counts.entry(hash).or_default() += n;
        (n, accum1, accum2) = (0, 0, 0);
    }
    if n > 0 {
        let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASH_BASE;
        *counts.entry(hash).or_default() += n;
    }
    let mut sorted: Vec<(u32, u32)> = counts.into_iter().collect();
    sorted.sort_unstable();
    sorted
}

/// Bytes of `dst` that come from `src` (git's `diffcore_count_changes`, `src_copied`).
pub fn copied(src: &[(u32, u32)], dst: &[(u32, u32)]) -> u64 {
    let mut copied = 0u64;
    let mut d = dst.iter().peekable();
    for &(hash, src_count) in src {
        while d.next_if(|(h, _)| *h < hash).is_some() {}
        if let Some(&(_, dst_count)) = d.next_if(|(h, _)| *h == hash) {
            copied += u64::from(src_count.min(dst_count));
        }
    }
    copied
}

/// Git's `basename_same`: the paths end in the same file name.
pub fn basename_same(a: &[u8], b: &[u8]) -> bool {
    basename(a) == basename(b)
}

fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// One side of a possible rename: a deleted file (source) or an added one (destination).
pub struct File<'a> {
    pub path: &'a [u8],
    pub id: gix::ObjectId,
}

/// Reads what the similarity estimate needs, lazily: git checks sizes before it reads
/// contents, which keeps commits that add and delete many files cheap.
pub trait Contents {
    fn size(&mut self, id: gix::ObjectId) -> Result<u64, crate::GitError>;
    fn data(&mut self, id: gix::ObjectId) -> Result<Vec<u8>, crate::GitError>;
}

#[derive(Default)]
struct Estimates {
    size: Option<u64>,
    spans: Option<Vec<(u32, u32)>>,
}

/// For each destination, the source it was renamed from and git's score. Both lists are
/// in path order (the order of git's diff queue). A source is used at most once.
pub fn detect(
    sources: &[File<'_>],
    dests: &[File<'_>],
    contents: &mut dyn Contents,
) -> Result<Vec<Option<(usize, i64)>>, crate::GitError> {
    let mut result: Vec<Option<(usize, i64)>> = vec![None; dests.len()];
    if sources.is_empty() || dests.is_empty() {
        return Ok(result);
    }
    let mut used = vec![false; sources.len()];

    // 1. Identical contents: the first unused source with the same blob, preferring one
    // with the same file name (git's find_identical_files, which looks at 100 at most).
    let mut by_id: HashMap<gix::ObjectId, Vec<usize>> = HashMap::new();
    for (i, s) in sources.iter().enumerate() {
        by_id.entry(s.id).or_default().push(i);
    }
    for (d, dst) in dests.iter().enumerate() {
        let Some(candidates) = by_id.get(&dst.id) else {
            continue;
        };
        let mut best: Option<(usize, u8)> = None;
        for &s in candidates.iter().filter(|&&s| !used[s]).take(100) {
            let score = 1 + u8::from(basename_same(sources[s].path, dst.path));
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((s, score));
                if score == 2 {
                    break;
                }
            }
        }
        if let Some((s, _)) = best {
            used[s] = true;
            result[d] = Some((s, MAX_SCORE));
        }
    }

    let mut src_est: Vec<Estimates> = sources.iter().map(|_| Estimates::default()).collect();
    let mut dst_est: Vec<Estimates> = dests.iter().map(|_| Estimates::default()).collect();
    let mut estimate = |s: usize, d: usize, min: i64| -> Result<i64, crate::GitError> {
        estimate_similarity(
            (sources[s].id, &mut src_est[s]),
            (dests[d].id, &mut dst_est[d]),
            min,
            contents,
        )
    };

    // 2. File names unique among the remaining sources and among the remaining
    // destinations, at a higher bar (git: min + 0.5 * (max - min)).
    let basename_min = DEFAULT_MIN_SCORE + (MAX_SCORE - DEFAULT_MIN_SCORE) / 2;
    let mut src_names: HashMap<&[u8], Option<usize>> = HashMap::new();
    for (i, s) in sources.iter().enumerate().filter(|(i, _)| !used[*i]) {
        src_names
            .entry(basename(s.path))
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    let mut dst_names: HashMap<&[u8], Option<usize>> = HashMap::new();
    for (i, d) in dests.iter().enumerate().filter(|(i, _)| result[*i].is_none()) {
        dst_names
            .entry(basename(d.path))
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    for s in 0..sources.len() {
        if used[s] {
            continue;
        }
        let name = basename(sources[s].path);
        let (Some(Some(src)), Some(Some(d))) = (src_names.get(name), dst_names.get(name)) else {
            continue;
        };
        debug_assert_eq!(*src, s);
        if result[*d].is_some() {
            continue;
        }
        let score = estimate(s, *d, basename_min)?;
        if score >= basename_min {
            used[s] = true;
            result[*d] = Some((s, score));
        }
    }

    // 3. Everything left against everything left, best pairs first.
    let remaining_src: Vec<usize> = (0..sources.len()).filter(|&s| !used[s]).collect();
    let remaining_dst: Vec<usize> = (0..dests.len()).filter(|&d| result[d].is_none()).collect();
    if remaining_src.is_empty()
        || remaining_dst.is_empty()
        || (remaining_src.len() as u64) * (remaining_dst.len() as u64) > RENAME_LIMIT * RENAME_LIMIT
    {
        return Ok(result);
    }
    #[derive(Clone, Copy)]
    struct Score {
        dst: Option<usize>,
        src: usize,
        score: i64,
        name_score: i64,
    }
    // Git's score_compare: unused slots last, then higher score, then same file name.
    let order = |a: &Score, b: &Score| -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (a.dst, b.dst) {
            (None, None) => Equal,
            (None, Some(_)) => Greater,
            (Some(_), None) => Less,
            _ if a.score == b.score => b.name_score.cmp(&a.name_score),
            _ => b.score.cmp(&a.score),
        }
    };
    let mut matrix: Vec<Score> = Vec::with_capacity(remaining_dst.len() * CANDIDATES_PER_DST);
    for &d in &remaining_dst {
        let mut best = [Score {
            dst: None,
            src: 0,
            score: 0,
            name_score: 0,
        }; CANDIDATES_PER_DST];
        for &s in &remaining_src {
            let this = Score {
                dst: Some(d),
                src: s,
                score: estimate(s, d, DEFAULT_MIN_SCORE)?,
                name_score: i64::from(basename_same(sources[s].path, dests[d].path)),
            };
            // Replace the worst kept candidate if this one is better (record_if_better).
            let mut worst = 0;
            for i in 1..CANDIDATES_PER_DST {
                if order(&best[i], &best[worst]) == std::cmp::Ordering::Greater {
                    worst = i;
                }
            }
            if order(&best[worst], &this) == std::cmp::Ordering::Greater {
                best[worst] = this;
            }
        }
        matrix.extend(best);
    }
    matrix.sort_by(order);
    for m in &matrix {
        let Some(d) = m.dst else { break };
        if m.score < DEFAULT_MIN_SCORE {
            break;
        }
        if result[d].is_some() || used[m.src] {
            continue;
        }
        used[m.src] = true;
        result[d] = Some((m.src, m.score));
    }
    Ok(result)
}

/// Git's `estimate_similarity` for two regular files.
fn estimate_similarity(
    (src_id, src): (gix::ObjectId, &mut Estimates),
    (dst_id, dst): (gix::ObjectId, &mut Estimates),
    min_score: i64,
    contents: &mut dyn Contents,
) -> Result<i64, crate::GitError> {
    let src_size = match src.size {
        Some(s) => s,
        None => *src.size.insert(contents.size(src_id)?),
    };
    let dst_size = match dst.size {
        Some(s) => s,
        None => *dst.size.insert(contents.size(dst_id)?),
    };
    let max_size = src_size.max(dst_size);
    let delta_size = max_size - src_size.min(dst_size);
    // Edits that change the size this much are not renames (this also covers empty files).
    if u128::from(max_size) * ((MAX_SCORE - min_score) as u128) < u128::from(delta_size) * (MAX_SCORE as u128)
    {
        return Ok(0);
    }
    if src.spans.is_none() {
        src.spans = Some(spans(&contents.data(src_id)?));
    }
    if dst.spans.is_none() {
        dst.spans = Some(spans(&contents.data(dst_id)?));
    }
    if dst_size == 0 {
        return Ok(0);
    }
    let copied = copied(
        src.spans.as_deref().unwrap_or_default(),
        dst.spans.as_deref().unwrap_or_default(),
    );
    Ok((copied as f64 * MAX_SCORE as f64 / max_size as f64) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_split_at_newlines_and_every_64_bytes_and_ignore_cr_before_lf() {
        let s = spans(b"a\nb\n");
        assert_eq!(s.iter().map(|(_, n)| n).sum::<u32>(), 4);
        assert_eq!(s.len(), 2);
        // 130 bytes without a newline: spans of 64, 64 and 2 bytes.
        let long = vec![b'x'; 130];
        let mut counts: Vec<u32> = spans(&long).iter().map(|(_, n)| *n).collect();
        counts.sort_unstable();
        assert_eq!(counts.iter().sum::<u32>(), 130);
        assert!(counts.contains(&2), "{counts:?}");
        // CRLF text hashes like LF text, with one byte less per line.
        assert_eq!(
            spans(b"one\r\ntwo\r\n")
                .iter()
                .map(|(h, _)| *h)
                .collect::<Vec<_>>(),
            spans(b"one\ntwo\n").iter().map(|(h, _)| *h).collect::<Vec<_>>()
        );
    }

    #[test]
    fn copied_counts_shared_span_bytes() {
        let a = spans(b"alpha\nbeta\ngamma\n");
        let b = spans(b"alpha\nbeta\ndelta\n");
        assert_eq!(copied(&a, &b), 11);
        assert_eq!(copied(&a, &a), 17);
        assert_eq!(copied(&a, &[]), 0);
    }

    #[test]
    fn basenames_compare_after_the_last_slash() {
        assert!(basename_same(b"src/a/mod.rs", b"lib/mod.rs"));
        assert!(basename_same(b"mod.rs", b"x/mod.rs"));
        assert!(!basename_same(b"src/amod.rs", b"src/mod.rs"));
    }

    #[test]
    fn binary_means_a_nul_in_the_first_8000_bytes() {
        assert!(is_binary(b"ab\0c"));
        let mut late = vec![b'a'; BINARY_PROBE];
        late.push(0);
        assert!(!is_binary(&late));
    }
}
