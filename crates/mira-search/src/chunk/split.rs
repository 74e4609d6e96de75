//! Splitting a long run of lines at statement boundaries.

use super::{MAX_CHUNK_CHARS, MAX_CHUNK_LINES};

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Lines that continue the statement above them rather than start one.
fn continues(trimmed: &str) -> bool {
    const LEADS: &[&str] = &[
        ")", "]", "}", ".", "?", "&&", "||", "+", "-", "*", "/", "|", "=>", "->", ",", ":", "else", "elif",
        "except", "finally", "catch",
    ];
    LEADS.iter().any(|l| trimmed.starts_with(l))
}

/// Ends of the parts of `lines` (exclusive indices into it): each part stays within the
/// limits where it can, and begins at a line that starts a statement at the body's
/// outermost indentation, or after a blank line.
pub fn part_ends(lines: &[&str]) -> Vec<usize> {
    let total_chars: usize = lines.iter().map(|l| l.len() + 1).sum();
    if lines.len() <= MAX_CHUNK_LINES && total_chars <= MAX_CHUNK_CHARS {
        return vec![lines.len()];
    }
    // The body's outermost indentation: that of its shallowest non-blank line after the
    // first (the first is the signature).
    let base = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);
    let starts_statement = |i: usize| -> bool {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            return false;
        }
        let after_blank = i > 0 && lines[i - 1].trim().is_empty();
        after_blank || (indent(line) <= base && !continues(trimmed))
    };
    let mut ends = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let mut chars = 0;
        let mut end = start;
        let mut best_split = None;
        while end < lines.len() {
            let len = lines[end].len() + 1;
            if end > start && (end - start >= MAX_CHUNK_LINES || chars + len > MAX_CHUNK_CHARS) {
                break;
            }
            chars += len;
            end += 1;
            if end < lines.len() && end - start >= 3 && starts_statement(end) {
                best_split = Some(end);
            }
        }
        let cut = if end >= lines.len() {
            lines.len()
        } else {
            // A boundary in the second half of the window, else the hard limit.
            match best_split {
                Some(b) if b - start >= (end - start) / 2 => b,
                _ => end,
            }
        };
        ends.push(cut);
        start = cut;
    }
    ends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_runs_stay_whole() {
        assert_eq!(part_ends(&["fn a() {", "    1", "}"]), vec![3]);
    }

    #[test]
    fn long_bodies_split_at_statements_of_the_outer_block() {
        let mut lines = vec!["def long():".to_string()];
        for i in 0..30 {
            lines.push(format!("    x{i} = compute({i},"));
            lines.push(format!("        {i})"));
            lines.push(format!("    total += x{i}"));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let ends = part_ends(&refs);
        assert!(ends.len() >= 2, "{ends:?}");
        assert_eq!(*ends.last().unwrap(), refs.len());
        for &e in &ends[..ends.len() - 1] {
            // Never inside the two-line call: the next part starts a statement.
            assert!(
                refs[e].starts_with("    x") || refs[e].starts_with("    total"),
                "{}",
                refs[e]
            );
        }
        let mut start = 0;
        for &e in &ends {
            let chars: usize = refs[start..e].iter().map(|l| l.len() + 1).sum();
            assert!(e - start <= MAX_CHUNK_LINES && chars <= MAX_CHUNK_CHARS);
            start = e;
        }
    }

    #[test]
    fn one_huge_line_is_its_own_part() {
        let huge = "x".repeat(5000);
        let lines = ["a", huge.as_str(), "b"];
        let ends = part_ends(&lines);
        assert_eq!(*ends.last().unwrap(), 3);
        assert!(ends.windows(2).all(|w| w[0] < w[1]));
    }
}
