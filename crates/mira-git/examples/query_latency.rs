//! Query latency of co-change and experts on an indexed project, for docs/benchmarks.md.
//!
//! Usage: cargo run --release -p mira-git --example query_latency -- DATA_DIR PROJECT_ROOT
//! (index the project first with `MIRA_DATA_DIR=DATA_DIR mira index PROJECT_ROOT`).
//! Queries the 200 most-changed files and their directories and prints p50/p95/max.

use std::time::Instant;

use mira_core::config::Config;
use mira_git::queries;
use mira_store::{Db, projects};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name}: {} queries, p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ms.len(),
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[ms.len() - 1]
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(data), Some(root)) = (args.get(1), args.get(2)) else {
        return Err("usage: query_latency DATA_DIR PROJECT_ROOT".into());
    };
    let config = Config::with_data_dir(data);
    let db = Db::open(&config.data_dir.join("mira.db")).await?;
    let project = projects::find(&db, root).await?;
    let files: Vec<String> = sqlx::query_scalar(
        "SELECT path FROM git_file_stats WHERE project_id = ? ORDER BY commits DESC LIMIT 200",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?;
    // Warm the page cache once, as a running server would be.
    for f in &files {
        queries::cochange(&db, project.id, f, 10, &config.git).await?;
    }
    let mut cochange = Vec::new();
    let mut experts = Vec::new();
    for _ in 0..5 {
        for f in &files {
            let t = Instant::now();
            queries::cochange(&db, project.id, f, 10, &config.git).await?;
            cochange.push(t.elapsed().as_secs_f64() * 1000.0);
            let dir = f.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            for scope in [f.as_str(), dir] {
                let t = Instant::now();
                queries::experts(&db, project.id, scope, false, 10).await?;
                experts.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    report("cochange FILE", cochange);
    report("experts FILE and its directory", experts);
    Ok(())
}
