//! Recall latency and memory at scale: imports the transcripts in TRANSCRIPTS_DIR (each a
//! `mira memory import` file, e.g. from `scripts/bench-memory.py --emit-transcripts`)
//! COPIES times under new conversation ids into a fresh database, runs extraction, then
//! answers every query of the QUERIES files (JSON arrays of strings) over all of it
//! (user scope, no conversation filter: the case of a chat asking memory) and prints
//! the latency percentiles, the turns stored and the peak RSS.
//!
//! cargo run --release -p mira-memory --example bench_recall -- TRANSCRIPTS_DIR COPIES QUERIES...
//!
//! With BENCH_DB=FILE the database is kept there, and a later run that finds it skips the
//! import and extraction (to compare recall changes on the same data). BENCH_CANDIDATES=N
//! sets the turns scored per query (default: mira_memory::gate::CANDIDATE_TURNS).
//! BENCH_EMBED_MODEL=DIR (a sentence model's folder, e.g. ~/.cache/mira-models/
//! all-MiniLM-L6-v2) embeds the facts and summaries and gives every query its vector
//! (the time to embed the query is counted in its latency).

use std::time::Instant;

use mira_llm::scrub::Scrubber;
use mira_memory::recall::{RecallRequest, recall};
use mira_memory::transfer::{self, Incoming};
use mira_memory::{Scope, extract};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, copies, queries @ ..] = args.as_slice() else {
        return Err("usage: bench_recall TRANSCRIPTS_DIR COPIES QUERIES.json...".into());
    };
    let copies: usize = copies.parse()?;
    let tmp = tempfile::tempdir()?;
    let path = std::env::var_os("BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("mira.db"));
    let reuse = path.exists();
    let db = mira_store::Db::open(&path).await?;
    let keys = Scrubber::default();
    let mut transcripts = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        if let Incoming::Transcripts(list) = transfer::read(&entry?.path())? {
            transcripts.extend(list);
        }
    }
    let started = Instant::now();
    let mut stored = 0;
    for copy in (0..copies).filter(|_| !reuse) {
        let mut batch = transcripts.clone();
        for t in &mut batch {
            t.conversation_id = format!("{}#{copy}", t.conversation_id);
        }
        let turns = transfer::transcript_turns(&batch)?;
        stored += transfer::import_turns(&db, &Scope::user(), &turns, &keys, |_| {}).await?;
    }
    let imported = started.elapsed();
    if reuse {
        stored = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM memory_turns")
            .fetch_one(db.pool())
            .await? as usize;
    }
    let started = Instant::now();
    let report = extract::run_pending(&db, "local", |_| {}).await?;
    let extracted = started.elapsed();
    // Rolling summaries at the default window, as a followed chat writes them.
    let started = Instant::now();
    let summarised = mira_memory::summaries::run_pending(&db, "local", 12, None).await?;
    let summary_time = started.elapsed();
    let embedder: Option<std::sync::Arc<dyn mira_search::embedder::DenseEmbedder>> =
        match std::env::var_os("BENCH_EMBED_MODEL") {
            Some(dir) => Some(std::sync::Arc::new(mira_search::embedder::LocalEmbedder::new(
                std::sync::Arc::new(mira_models::Embedder::load(std::path::Path::new(&dir))?),
            ))),
            None => None,
        };
    if let Some(e) = &embedder {
        let started = Instant::now();
        let n = mira_memory::dense::embed_pending(&db, e.as_ref(), |_, _| {}).await?;
        println!(
            "embedded {n} facts and summaries in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let mut all: Vec<String> = Vec::new();
    for q in queries {
        all.extend(serde_json::from_str::<Vec<String>>(&std::fs::read_to_string(q)?)?);
    }
    // One pass to warm SQLite's cache, as a running server's would be.
    let ask = async |q: &str| -> Result<_, Box<dyn std::error::Error>> {
        let mut r = request(q);
        r.dense = embedder.clone().map(mira_memory::dense::Meaning::Embedder);
        Ok(recall(&db, &r).await?)
    };
    for q in all.iter().take(50) {
        ask(q).await?;
    }
    let mut times = Vec::with_capacity(all.len());
    for q in &all {
        let t = Instant::now();
        let items = ask(q).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(items);
    }
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "turns {stored}, facts learned {} (import {:.1} s, extraction {:.1} s), summaries {} ({:.1} s)",
        report.added + report.updated + report.superseded,
        imported.as_secs_f64(),
        extracted.as_secs_f64(),
        summarised.written,
        summary_time.as_secs_f64()
    );
    println!(
        "recall over {} queries: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        times.len(),
        pct(0.50),
        pct(0.95),
        times.last().copied().unwrap_or(0.0)
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("peak RSS: {}", line.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}

fn request(query: &str) -> RecallRequest {
    RecallRequest {
        query: query.to_string(),
        scope: Scope::user(),
        conversation: None,
        limit: 10,
        budget_tokens: None,
        include_turns: true,
        dense: None,
        candidates: std::env::var("BENCH_CANDIDATES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(mira_memory::gate::CANDIDATE_TURNS),
    }
}
