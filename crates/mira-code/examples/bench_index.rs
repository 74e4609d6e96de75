//! Benchmark of the code index on a real code base:
//!
//! ```sh
//! cargo run -p mira-code --example bench_index -- PATH [--edits N] [--queries N]
//! ```
//!
//! (Dev builds optimise mira-code and every dependency; see the workspace Cargo.toml.)
//! PATH is copied to a temporary directory first (the benchmark edits files). Prints
//! cold index time and peak memory (VmHWM of this process, which does nothing else),
//! incremental re-index of one file saved again and again (a line of code added each
//! time; save to queryable, the first save and the later ones reported apart), and `callers` /
//! `impact --depth 3` latency percentiles over symbols that have callers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_store::Db;
use mira_store::projects;

const USAGE: &str = "usage: bench_index PATH [--edits N] [--saves N] [--queries N]";

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The 1, 5 and 15 minute load averages: the machine is shared, so every figure is
/// reported with the load it was measured under.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// `text` with a call statement added on its own line, at about `at` (a fraction of the
/// file) where the file parses with no more syntax errors than before, or `None`.
fn add_a_call(path: &str, text: &str, at: f64, k: usize) -> Option<String> {
    let language = mira_code::lang::Language::from_path(path)?;
    let parse = |t: &str| {
        mira_code::extract::parse(
            &mira_code::extract::FileInfo {
                path,
                language,
                module: "bench".into(),
                crate_alias: None,
            },
            t,
        )
        .error_lines
        .len()
    };
    let errors = parse(text);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let semicolon = if language == mira_code::lang::Language::Python {
        ""
    } else {
        ";"
    };
    let start = ((lines.len() as f64) * at) as usize;
    // Before a line inside a body that follows a complete statement; the first such
    // place that still parses.
    let mut tried = 0;
    for i in start.max(1)..lines.len() {
        let (prev, line) = (lines[i - 1].trim_end(), lines[i]);
        let indent = &line[..line.len() - line.trim_start().len()];
        let statement_before = prev.ends_with(')') || prev.ends_with(");");
        if indent.is_empty() || line.trim().is_empty() || !statement_before {
            continue;
        }
        let mut next = String::with_capacity(text.len() + 40);
        lines[..i].iter().for_each(|l| next.push_str(l));
        next.push_str(&format!("{indent}edited_by_benchmark_{k}(){semicolon}\n"));
        lines[i..].iter().for_each(|l| next.push_str(l));
        if parse(&next) <= errors {
            return Some(next);
        }
        tried += 1;
        if tried == 20 {
            return None;
        }
    }
    None
}

fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut source: Option<PathBuf> = None;
    let (mut edits, mut saves, mut queries) = (5usize, 6usize, 200usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--edits" => edits = args.next().and_then(|n| n.parse().ok()).ok_or(USAGE)?,
            "--saves" => saves = args.next().and_then(|n| n.parse().ok()).ok_or(USAGE)?,
            "--queries" => queries = args.next().and_then(|n| n.parse().ok()).ok_or(USAGE)?,
            _ if source.is_none() => source = Some(PathBuf::from(a)),
            _ => return Err(USAGE.into()),
        }
    }
    let source = source.ok_or(USAGE)?;
    let work = tempfile::tempdir()?;
    let root = work.path().join("src");
    copy_tree(&source, &root)?;
    let db = Db::open(&work.path().join("mira.db")).await?;
    let project = projects::add(&db, &root, Some("bench")).await?;

    let cold_load = load_average();
    let started = Instant::now();
    let cold = mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    let cold_time = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0.0);
    let lines: i64 =
        sqlx::query_scalar("SELECT COALESCE(SUM(line_count), 0) FROM files WHERE project_id = ?")
            .bind(project.id)
            .fetch_one(db.pool())
            .await?;

    // Edit the files with the most symbols the way a user does: one file saved again and
    // again, a line of code added somewhere else in it each time. The first save after
    // the cold index finds no syntax tree kept for the file (a full parse); the later
    // saves re-parse from the tree of the save before.
    let targets: Vec<(String, i64)> = sqlx::query_as(
        "SELECT f.path, f.line_count FROM files f WHERE f.project_id = ? AND f.skip_reason IS NULL \
         ORDER BY (SELECT COUNT(*) FROM code_elements e WHERE e.file_id = f.id) DESC LIMIT ?",
    )
    .bind(project.id)
    .bind(edits as i64)
    .fetch_all(db.pool())
    .await?;
    // The copy was written just before the cold index, so most files changed within the
    // stamps' 2 s window of being read and the next run reads them again: one untimed run
    // settles them, as in a project whose files were not all written a moment ago.
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    let rss_before_edits = rss_mib().unwrap_or(0.0);
    let edit_load = load_average();
    let mut incremental = Vec::new();
    for (path, _) in &targets {
        let file = root.join(path);
        let original = std::fs::read_to_string(&file)?;
        let mut text = original.clone();
        let mut times = Vec::new();
        for k in 0..saves {
            let Some(next) = add_a_call(path, &text, (k + 1) as f64 / (saves + 1) as f64, k) else {
                break;
            };
            text = next;
            std::fs::write(&file, &text)?;
            let t = Instant::now();
            let s = mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
            times.push((t.elapsed(), s.parsed, s.relinked));
        }
        std::fs::write(&file, original)?;
        mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
        incremental.push(times);
    }
    let edit_load_after = load_average();
    let rss_after_edits = rss_mib().unwrap_or(0.0);
    let noop_start = Instant::now();
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    let noop = noop_start.elapsed();

    let symbols: Vec<String> = sqlx::query_scalar(
        "SELECT callee FROM call_graph WHERE project_id = ? AND resolution = 'exact' \
         GROUP BY callee ORDER BY COUNT(*) DESC, callee LIMIT ?",
    )
    .bind(project.id)
    .bind(queries as i64)
    .fetch_all(db.pool())
    .await?;
    let mut callers_t = Vec::new();
    let mut impact_t = Vec::new();
    let mut impacted_max = 0;
    for s in &symbols {
        let t = Instant::now();
        mira_code::queries::callers(&db, project.id, s).await?;
        callers_t.push(t.elapsed());
        let t = Instant::now();
        let impact = mira_code::queries::impact(&db, project.id, s, 3).await?;
        impact_t.push(t.elapsed());
        impacted_max = impacted_max.max(impact.impacted.len());
    }
    callers_t.sort();
    impact_t.sort();
    let query_load = load_average();

    println!("source: {}", source.display());
    println!(
        "files: {} ({} lines), skipped: {}, symbols: {}, edges: {} ({:?})",
        cold.files,
        lines,
        cold.skipped.len(),
        cold.symbols,
        cold.edges,
        cold.resolution
    );
    println!(
        "cold index: {}, peak RSS {:.0} MiB (load average before: {cold_load})",
        ms(cold_time),
        peak
    );
    println!("load average during the edits: {edit_load} (before), {edit_load_after} (after)");
    println!(
        "RSS before the edits {rss_before_edits:.0} MiB, after (the edited files' trees kept) {rss_after_edits:.0} MiB"
    );
    for ((path, n), times) in targets.iter().zip(&incremental) {
        let Some(((first, parsed, relinked), later)) = times.split_first() else {
            println!("{path}: no line could be added without a syntax error");
            continue;
        };
        if later.is_empty() {
            println!(
                "re-index of one saved file ({path}, {n} lines): first save {} (parsed {parsed}, re-linked {relinked}); \
                 no other place found to add a line",
                ms(*first)
            );
            continue;
        }
        let mut later_t: Vec<Duration> = later.iter().map(|(t, ..)| *t).collect();
        later_t.sort();
        let later_relinked: usize = later.iter().map(|(_, _, r)| r).sum();
        println!(
            "re-index of one saved file ({path}, {n} lines): first save {} (parsed {parsed}, re-linked {relinked}); \
             next {} saves: median {}, max {} (re-linked {later_relinked} in all)",
            ms(*first),
            later_t.len(),
            ms(percentile(&later_t, 0.5)),
            ms(percentile(&later_t, 1.0))
        );
    }
    println!("no-change re-index: {}", ms(noop));
    println!(
        "callers over {} symbols: p50 {}, p95 {}, max {}",
        callers_t.len(),
        ms(percentile(&callers_t, 0.5)),
        ms(percentile(&callers_t, 0.95)),
        ms(percentile(&callers_t, 1.0))
    );
    println!(
        "impact --depth 3: p50 {}, p95 {}, max {} (largest result {impacted_max} symbols)",
        ms(percentile(&impact_t, 0.5)),
        ms(percentile(&impact_t, 0.95)),
        ms(percentile(&impact_t, 1.0))
    );
    println!("load average after the queries: {query_load}");
    db.close().await;
    Ok(())
}
