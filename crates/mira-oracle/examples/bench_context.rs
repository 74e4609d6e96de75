//! Benchmark of the context oracle on a project indexed by `mira index`:
//!
//! ```sh
//! export MIRA_DATA_DIR=$(mktemp -d)
//! mira index PATH --no-embed        # or without --no-embed for dense search too
//! cargo run -p mira-oracle --example bench_context -- PATH [--queries N] [--mira BIN]
//! ```
//!
//! Tasks are made from the project's own symbols, in four shapes a user writes: a
//! question naming a function, a question about what breaks, a pasted panic or traceback
//! pointing at the function's file and line, and a question in plain words (the
//! function's name split into words). Each is gathered at the standard level with every
//! source, and the latency per shape and overall (p50, p95, max) is printed, with the
//! sources that were dropped and how often. With `--mira BIN`, `BIN context TASK --json`
//! is also timed as a whole process (start, open, gather, print, exit).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_oracle::{ContextRequest, Level, Oracle};
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects;
use mira_store::vectors;

/// A function of the project: name, qualified name, file, first line.
type Sym = (String, String, String, i64);

/// A kind of task and how to write it for a function.
type Shape = (&'static str, fn(&Sym) -> String);

const USAGE: &str =
    "usage: bench_context PATH [--queries N] [--mira BIN] (MIRA_DATA_DIR indexed by `mira index PATH`)";

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{label:<22} n={:<4} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
        times.len(),
        percentile(times, 0.5),
        percentile(times, 0.95),
        times.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
    );
}

/// `parse_config_file` -> "parse config file"; `HttpServer` -> "http server".
fn words_of(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' {
            out.push(' ');
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase();
        out.extend(c.to_lowercase());
    }
    out.trim().to_string()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut path: Option<PathBuf> = None;
    let mut queries = 100usize;
    let mut mira: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--queries" => {
                queries = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!(USAGE))?
            }
            "--mira" => mira = Some(args.next().ok_or_else(|| anyhow::anyhow!(USAGE))?.into()),
            _ if path.is_none() => path = Some(a.into()),
            _ => anyhow::bail!(USAGE),
        }
    }
    let path = path.ok_or_else(|| anyhow::anyhow!(USAGE))?;
    let config = mira_core::config::load(None)?;
    let lock = mira_store::DataDirLock::acquire(&config.data_dir)?;
    let db = Db::open(&config.data_dir.join("mira.db")).await?;
    let project = projects::find(&db, &path.display().to_string()).await?;
    let store = vectors::open(&config.vectors, &config.data_dir).await?;
    let config = Arc::new(config);
    let search = SearchService::new(config.clone(), db.clone(), store);
    let oracle = Oracle::new(db.clone(), config.clone(), Some(search.clone()));

    // Functions and methods with a body of some size, spread over the project.
    let symbols: Vec<Sym> = sqlx::query_as(
        "SELECT e.name, e.qualified_name, f.path, e.start_line FROM code_elements e JOIN files f ON f.id = e.file_id \
         WHERE e.project_id = ? AND e.kind IN ('function', 'method') AND e.end_line - e.start_line >= 5 \
         AND e.is_test = 0 ORDER BY e.id",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?;
    anyhow::ensure!(
        !symbols.is_empty(),
        "no functions indexed for {}: run `mira index` first",
        path.display()
    );
    let step = (symbols.len() / queries.max(1)).max(1);
    let picked: Vec<_> = symbols.iter().step_by(step).take(queries).collect();
    println!(
        "project {} ({} functions indexed), {} tasks per shape, load {}",
        project.root.display(),
        symbols.len(),
        picked.len(),
        load_average()
    );

    // The embedder (if any) loads once, as in a running server.
    let warm = oracle
        .gather(&project, &ContextRequest::new("warm up the embedder and caches"))
        .await?;
    println!("warm-up gather {:.0} ms", warm.took_ms);

    let shapes: [Shape; 4] = [
        ("names a function", |s| {
            format!("How does {} work and where is it used?", s.0)
        }),
        ("asks what breaks", |s| {
            format!("What breaks if I change {}?", s.0)
        }),
        ("pastes a trace", |s| {
            format!(
                "thread 'main' panicked at {}:{}:5:\ncalled `Option::unwrap()` on a `None` value\n  File \"{}\", line {}, in {}",
                s.2,
                s.3 + 2,
                s.2,
                s.3 + 2,
                s.0
            )
        }),
        ("plain words", |s| format!("where do we {}", words_of(&s.0))),
    ];
    let mut all = Vec::new();
    let mut dropped: std::collections::BTreeMap<String, usize> = Default::default();
    let mut items = 0usize;
    let mut tokens = 0usize;
    let mut runs = 0usize;
    let mut per_source: std::collections::BTreeMap<String, Vec<Duration>> = Default::default();
    for (label, make) in shapes {
        let mut times = Vec::new();
        for s in &picked {
            let mut request = ContextRequest::new(make(s));
            request.level = Some(Level::Standard);
            request.explain = true;
            let started = Instant::now();
            let context = oracle.gather(&project, &request).await?;
            times.push(started.elapsed());
            items += context.items.len();
            tokens += context.tokens;
            runs += 1;
            for (source, ms) in context.source_ms.unwrap_or_default() {
                per_source
                    .entry(source)
                    .or_default()
                    .push(Duration::from_secs_f64(ms / 1000.0));
            }
            for d in context.dropped_sources {
                *dropped.entry(format!("{}: {}", d.source, d.reason)).or_default() += 1;
            }
        }
        all.extend(times.iter().copied());
        report(label, &mut times);
    }
    report("all", &mut all);
    println!("per source (time from the round's start to its answer):");
    for (source, times) in &mut per_source {
        report(&format!("  {source}"), times);
    }
    println!(
        "mean items {:.1}, mean tokens {:.0} (standard budget 6000)",
        items as f64 / runs as f64,
        tokens as f64 / runs as f64
    );
    for (what, n) in &dropped {
        println!("dropped {n}x: {what}");
    }

    if let Some(bin) = mira {
        // The store is this process's; let the child take the data dir.
        drop(oracle);
        drop(search);
        drop(lock);
        let mut times = Vec::new();
        for s in picked.iter().take(20) {
            let started = Instant::now();
            let out = std::process::Command::new(&bin)
                .args([
                    "context",
                    &format!("How does {} work?", s.0),
                    "--json",
                    "--project",
                ])
                .arg(&project.root)
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "mira context failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            times.push(started.elapsed());
        }
        report("`mira context` process", &mut times);
    }
    Ok(())
}
