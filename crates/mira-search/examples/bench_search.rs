//! Benchmark of semantic search on a real code base:
//!
//! ```sh
//! cargo run -p mira-search --example bench_search -- PATH [--queries N] [--max-files N] \
//!     [--work DIR] [--grid]
//! ```
//!
//! PATH is copied to a temporary directory with the `///` doc comment of every Rust
//! function and the docstring of every Python function taken out (a sample of them, up to
//! `--queries`, becomes the retrieval benchmark: the doc's first sentence is the query,
//! its function the answer). Then, as `mira index` does: code index, keyword search
//! index, dense vectors with the local model (chunks/s), index size on disk and peak
//! memory; then search latency and MRR@10 / recall@10 of each mode: keyword, dense,
//! hybrid by plain RRF (the baseline: search before tuning) and hybrid as tuned.
//!
//! `--work DIR` keeps the copy and its index in DIR (a second run embeds nothing);
//! `--grid` also prints MRR@10 for a grid of ranking weights (how the defaults in
//! `mira_search::rank::Weights::DEFAULT` were chosen).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_search::embedder::LocalEmbedder;
use mira_search::query::{Mode, SearchRequest};
use mira_search::rank::Weights;
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects;
use mira_store::vectors::{EdgeStore, VectorStore};
use tokio_util::sync::CancellationToken;

const USAGE: &str = "usage: bench_search PATH [--queries N] [--max-files N] [--work DIR] [--grid]";

/// A function whose doc was taken out: the query and where the answer is.
#[derive(Debug, Clone)]
struct Case {
    query: String,
    path: String,
    /// Line of the function's first line after the doc was removed.
    line: u32,
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// (apparent bytes, bytes allocated on disk): the engine's files are sparse, preallocated
/// then filled, so the two differ.
fn dir_size(path: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut apparent, mut allocated) = (0, 0);
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                let (a, b) = dir_size(&e.path());
                apparent += a;
                allocated += b;
            } else if let Ok(m) = e.metadata() {
                apparent += m.len();
                allocated += m.blocks() * 512;
            }
        }
    }
    (apparent, allocated)
}

/// The doc's first sentence (or paragraph), cleaned of markup; `None` when too short to
/// be a query someone would type.
fn summary(doc_lines: &[String]) -> Option<String> {
    let mut words = Vec::new();
    for l in doc_lines {
        let t = l.trim();
        if t.is_empty() || t.starts_with("```") || t.starts_with('#') || t.starts_with(">>>") {
            if !words.is_empty() {
                break;
            }
            continue;
        }
        words.extend(
            t.split_whitespace()
                .map(|w| w.trim_matches(['`', '[', ']', '*']).to_string()),
        );
        if t.ends_with('.') {
            break;
        }
    }
    let text = words.join(" ");
    let text = text
        .split(". ")
        .next()
        .unwrap_or(&text)
        .trim_end_matches('.')
        .to_string();
    (text.split_whitespace().count() >= 5).then_some(text)
}

/// Rust: removes `///` runs directly above a `fn` (attributes in between allowed).
fn strip_rust(text: &str, path: &str, cases: &mut Vec<Case>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<&str> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start().starts_with("///") {
            let start = i;
            while i < lines.len() && lines[i].trim_start().starts_with("///") {
                i += 1;
            }
            let mut j = i;
            while j < lines.len() && lines[j].trim_start().starts_with("#[") {
                j += 1;
            }
            let item = lines.get(j).map(|l| l.trim_start()).unwrap_or("");
            let is_fn = item.contains("fn ") && !item.starts_with("//");
            if is_fn {
                let doc: Vec<String> = lines[start..i]
                    .iter()
                    .map(|l| l.trim_start().trim_start_matches("///").to_string())
                    .collect();
                if let Some(query) = summary(&doc) {
                    cases.push(Case {
                        query,
                        path: path.to_string(),
                        line: (out.len() + (j - i) + 1) as u32,
                    });
                }
                continue;
            }
            out.extend(&lines[start..i]);
            continue;
        }
        out.push(lines[i]);
        i += 1;
    }
    out.join("\n") + "\n"
}

/// Python: removes the docstring that opens a `def` body.
fn strip_python(text: &str, path: &str, cases: &mut Vec<Case>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push(line.to_string());
        i += 1;
        let t = line.trim_start();
        if !(t.starts_with("def ") || t.starts_with("async def ")) || !line.trim_end().ends_with(':') {
            continue;
        }
        let def_line = out.len() as u32;
        let Some(next) = lines.get(i) else { continue };
        let n = next.trim_start();
        let quote = if n.starts_with("\"\"\"") || n.starts_with("r\"\"\"") {
            "\"\"\""
        } else if n.starts_with("'''") {
            "'''"
        } else {
            continue;
        };
        let body_start = n.find(quote).unwrap() + 3;
        let mut doc = Vec::new();
        let first = &n[body_start..];
        let mut end = i;
        if let Some(close) = first.find(quote) {
            doc.push(first[..close].to_string());
        } else {
            doc.push(first.to_string());
            end += 1;
            while end < lines.len() && !lines[end].contains(quote) {
                doc.push(lines[end].to_string());
                end += 1;
            }
            if end < lines.len() {
                let l = lines[end];
                doc.push(l[..l.find(quote).unwrap()].to_string());
            }
        }
        // A body that was only a docstring needs a statement to stay valid.
        let body_after = lines.get(end + 1).map(|l| l.trim_start()).unwrap_or("");
        let indent = &next[..next.len() - n.len()];
        i = end + 1;
        if body_after.is_empty()
            || lines
                .get(end + 1)
                .is_none_or(|l| l.len() - l.trim_start().len() < indent.len())
        {
            out.push(format!("{indent}pass"));
        }
        if let Some(query) = summary(&doc) {
            cases.push(Case {
                query,
                path: path.to_string(),
                line: def_line,
            });
        }
    }
    out.join("\n") + "\n"
}

/// Copies the source files of `from` (as the code index would see them) into `to`,
/// taking the docs out; returns the benchmark cases.
fn prepare(from: &Path, to: &Path, max_files: usize) -> std::io::Result<(Vec<Case>, usize, usize)> {
    let mut cases = Vec::new();
    let (mut files, mut lines) = (0, 0);
    let mut walker = ignore::WalkBuilder::new(from);
    walker
        .require_git(false)
        .hidden(true)
        .sort_by_file_path(|a, b| a.cmp(b));
    for entry in walker.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) || files >= max_files {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(from)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let is_rust = rel.ends_with(".rs");
        let is_python = rel.ends_with(".py");
        let is_doc = rel.ends_with(".md") || rel == "Cargo.toml";
        if !(is_rust || is_python || is_doc) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let text = if is_rust {
            strip_rust(&text, &rel, &mut cases)
        } else if is_python {
            strip_python(&text, &rel, &mut cases)
        } else {
            text
        };
        if is_rust || is_python {
            files += 1;
            lines += text.lines().count();
        }
        let target = to.join(&rel);
        // Unchanged files are left alone, so a kept index stays valid.
        if std::fs::read_to_string(&target).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        std::fs::create_dir_all(target.parent().unwrap())?;
        std::fs::write(target, text)?;
    }
    Ok((cases, files, lines))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut source: Option<PathBuf> = None;
    let (mut queries, mut max_files) = (300usize, usize::MAX);
    let (mut keep, mut grid) = (None::<PathBuf>, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--work" => keep = Some(args.next().map(PathBuf::from).ok_or(USAGE)?),
            "--grid" => grid = true,
            "--queries" => queries = args.next().and_then(|v| v.parse().ok()).ok_or(USAGE)?,
            "--max-files" => max_files = args.next().and_then(|v| v.parse().ok()).ok_or(USAGE)?,
            _ if source.is_none() => source = Some(PathBuf::from(a)),
            _ => return Err(USAGE.into()),
        }
    }
    let source = source.ok_or(USAGE)?;
    let temp = tempfile::tempdir()?;
    let work_dir = match &keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => temp.path().to_path_buf(),
    };
    let root = work_dir.join("repo");
    let (all_cases, files, lines) = prepare(&source, &root, max_files)?;
    // An even sample, the same on every run.
    let step = (all_cases.len() / queries.max(1)).max(1);
    let cases: Vec<Case> = all_cases.iter().step_by(step).take(queries).cloned().collect();
    println!(
        "{}: {files} source files, {lines} lines; {} functions had docs, {} used as queries; load {}",
        source.display(),
        all_cases.len(),
        cases.len(),
        load_average()
    );

    let db = Db::open(&work_dir.join("mira.db")).await?;
    let project = match projects::find(&db, &root.to_string_lossy()).await {
        Ok(p) => p,
        Err(_) => projects::add(&db, &projects::canonical_root(&root)?, None).await?,
    };
    let started = Instant::now();
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    println!("code index: {:.1} s", started.elapsed().as_secs_f64());

    let models = std::env::var_os("MIRA_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/mira-models")
        });
    let model = Arc::new(mira_models::Embedder::load(&models.join("all-MiniLM-L6-v2"))?);
    let vectors_dir = work_dir.join("vectors");
    let store: Arc<dyn VectorStore> = Arc::new(EdgeStore::open(&vectors_dir, model.dim()).await?);
    let config = Arc::new(mira_core::Config::with_data_dir(&work_dir));
    let service = SearchService::new(config, db.clone(), store.clone())
        .with_embedder(Arc::new(LocalEmbedder::new(model)));

    let started = Instant::now();
    let keyword = service.index_project(&project, Arc::new(|_, _| {})).await?;
    println!(
        "keyword index: {} chunks from {} files in {:.1} s",
        keyword.chunks,
        keyword.files_indexed,
        started.elapsed().as_secs_f64()
    );
    let last = Arc::new(std::sync::Mutex::new(Instant::now()));
    let progress = {
        let last = last.clone();
        Arc::new(move |done: u64, total: u64| {
            let mut l = last.lock().unwrap();
            if l.elapsed() > Duration::from_secs(30) {
                eprintln!("  embedded {done} of {total}");
                *l = Instant::now();
            }
        })
    };
    let cpu_before = cpu_seconds();
    let dense = service
        .fill_dense(project.id, progress, &CancellationToken::new())
        .await?;
    let cpu = cpu_seconds() - cpu_before;
    println!(
        "dense vectors: {} chunks in {:.1} s = {:.1} chunks/s ({:.1} chunks per CPU-second); load {}",
        dense.embedded,
        dense.elapsed_ms as f64 / 1000.0,
        dense.chunks_per_second,
        dense.embedded as f64 / cpu.max(1e-9),
        load_average()
    );
    store.flush().await?;
    let db_bytes: u64 = ["mira.db", "mira.db-wal"]
        .iter()
        .map(|f| std::fs::metadata(work_dir.join(f)).map(|m| m.len()).unwrap_or(0))
        .sum();
    let (apparent, allocated) = dir_size(&vectors_dir);
    println!(
        "index on disk: vectors {:.1} MiB allocated ({:.1} MiB apparent), SQLite {:.1} MiB (code index included); peak RSS {:.0} MiB",
        allocated as f64 / 1048576.0,
        apparent as f64 / 1048576.0,
        db_bytes as f64 / 1048576.0,
        peak_rss_mib().unwrap_or(0.0)
    );

    // Warm-up, then each mode over every case.
    for c in cases.iter().take(5) {
        service.search(&SearchRequest::new(project.id, &c.query)).await?;
    }
    let runs = [
        ("keyword (BM25 chunks)", Mode::Keyword, Weights::PLAIN_RRF),
        ("dense (all-MiniLM-L6-v2)", Mode::Dense, Weights::PLAIN_RRF),
        (
            "hybrid, plain RRF k=60 (before)",
            Mode::Hybrid,
            Weights::PLAIN_RRF,
        ),
        ("hybrid, tuned (default)", Mode::Hybrid, Weights::DEFAULT),
    ];
    for (name, mode, weights) in runs {
        let service = service.clone().with_weights(weights);
        let (mrr, recall, mut times) = evaluate(&service, project.id, &cases, mode).await?;
        times.sort();
        println!(
            "{name}: MRR@10 {mrr:.3}, recall@10 {recall:.3}; latency p50 {} p95 {} max {} (query embedding included); load {}",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(*times.last().unwrap_or(&Duration::ZERO)),
            load_average()
        );
    }
    if grid {
        for (label, weights) in grid_weights() {
            let service = service.clone().with_weights(weights);
            let (mrr, recall, _) = evaluate(&service, project.id, &cases, Mode::Hybrid).await?;
            println!("grid {label}: MRR@10 {mrr:.3}, recall@10 {recall:.3}");
        }
    }
    Ok(())
}

/// MRR@10, recall@10 and each query's time, for one mode and weighting.
async fn evaluate(
    service: &SearchService,
    project_id: i64,
    cases: &[Case],
    mode: Mode,
) -> Result<(f64, f64, Vec<Duration>), Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(cases.len());
    let (mut rr, mut found) = (0.0, 0usize);
    for c in cases {
        let mut request = SearchRequest::new(project_id, &c.query);
        request.mode = mode;
        request.limit = 10;
        let t = Instant::now();
        let answer = service.search(&request).await?;
        times.push(t.elapsed());
        if let Some(rank) = answer
            .results
            .iter()
            .position(|h| h.path == c.path && h.lines[0] <= c.line && c.line <= h.lines[1])
        {
            rr += 1.0 / (rank as f64 + 1.0);
            found += 1;
        }
    }
    let n = cases.len().max(1) as f64;
    Ok((rr / n, found as f64 / n, times))
}

/// Weightings tried by `--grid`: the list weights and k, then each rule on its own.
fn grid_weights() -> Vec<(String, Weights)> {
    let mut out = Vec::new();
    for k in [5.0, 20.0, 60.0] {
        for (kw, dense) in [
            (1.0, 1.0),
            (1.0, 1.5),
            (1.0, 2.0),
            (1.0, 3.0),
            (1.5, 1.0),
            (0.5, 1.0),
        ] {
            let w = Weights {
                keyword: kw,
                dense,
                k,
                ..Weights::DEFAULT
            };
            out.push((format!("k={k} keyword={kw} dense={dense}"), w));
        }
    }
    for dense in [0.5, 1.0, 1.5, 2.0, 3.0] {
        out.push((
            format!("by score, keyword=1 dense={dense}"),
            Weights {
                by_score: true,
                keyword: 1.0,
                dense,
                ..Weights::DEFAULT
            },
        ));
    }
    for test_factor in [1.0, 0.7, 0.5, 0.3] {
        out.push((
            format!("test_factor={test_factor}"),
            Weights {
                test_factor,
                ..Weights::DEFAULT
            },
        ));
    }
    for exact_boost in [0.0, 0.5, 1.0, 2.0] {
        out.push((
            format!("exact_boost={exact_boost}"),
            Weights {
                exact_boost,
                ..Weights::DEFAULT
            },
        ));
    }
    out
}

/// CPU time of this process so far (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}
