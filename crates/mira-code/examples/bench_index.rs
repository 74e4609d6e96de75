//! Benchmark of the code index on a real code base:
//!
//! ```sh
//! cargo run -p mira-code --example bench_index -- PATH [--edits N] [--queries N]
//! ```
//!
//! (Dev builds optimise mira-code and every dependency; see the workspace Cargo.toml.)
//! PATH is copied to a temporary directory first (the benchmark edits files). Prints
//! cold index time and peak memory (VmHWM of this process, which does nothing else),
//! incremental re-index of one edited file (edit to queryable), and `callers` /
//! `impact --depth 3` latency percentiles over symbols that have callers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_store::Db;
use mira_store::projects;

const USAGE: &str = "usage: bench_index PATH [--edits N] [--queries N]";

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
    let (mut edits, mut queries) = (5usize, 200usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--edits" => edits = args.next().and_then(|n| n.parse().ok()).ok_or(USAGE)?,
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

    let started = Instant::now();
    let cold = mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    let cold_time = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0.0);
    let lines: i64 =
        sqlx::query_scalar("SELECT COALESCE(SUM(line_count), 0) FROM files WHERE project_id = ?")
            .bind(project.id)
            .fetch_one(db.pool())
            .await?;

    // Edit the function bodies of the files with the most symbols, one at a time.
    let targets: Vec<(String, i64)> = sqlx::query_as(
        "SELECT f.path, f.line_count FROM files f WHERE f.project_id = ? AND f.skip_reason IS NULL \
         ORDER BY (SELECT COUNT(*) FROM code_elements e WHERE e.file_id = f.id) DESC LIMIT ?",
    )
    .bind(project.id)
    .bind(edits as i64)
    .fetch_all(db.pool())
    .await?;
    let mut incremental = Vec::new();
    for (path, _) in &targets {
        let file = root.join(path);
        let original = std::fs::read_to_string(&file)?;
        std::fs::write(&file, format!("{original}\n// edited by the benchmark\n"))?;
        let t = Instant::now();
        let s = mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
        incremental.push((t.elapsed(), s.parsed, s.relinked));
        std::fs::write(&file, original)?;
        mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    }
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
    println!("cold index: {}, peak RSS {:.0} MiB", ms(cold_time), peak);
    for ((path, n), (t, parsed, relinked)) in targets.iter().zip(&incremental) {
        println!(
            "incremental, one edited file ({path}, {n} lines): {} (parsed {parsed}, re-linked {relinked})",
            ms(*t)
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
    db.close().await;
    Ok(())
}
