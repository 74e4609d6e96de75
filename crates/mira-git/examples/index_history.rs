//! Indexes a project's git history alone, as `mira index` does for its git part, for
//! docs/benchmarks.md: `mira index` also indexes code, and the benchmark against
//! `git log --numstat` is about history.
//!
//! Usage: cargo run -p mira-git --example index_history -- DATA_DIR PROJECT_ROOT

use std::sync::Arc;

use mira_core::config::Config;
use mira_git::index::index_project;
use mira_store::{Db, projects};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(data), Some(root)) = (args.get(1), args.get(2)) else {
        return Err("usage: index_history DATA_DIR PROJECT_ROOT".into());
    };
    let config = Config::with_data_dir(data);
    std::fs::create_dir_all(&config.data_dir)?;
    let db = Db::open(&config.data_dir.join("mira.db")).await?;
    let root = projects::canonical_root(std::path::Path::new(root))?;
    let project = match projects::find(&db, &root.to_string_lossy()).await {
        Ok(p) => p,
        Err(_) => projects::add(&db, &root, None).await?,
    };
    let summary = index_project(&db, &project, &config.git, Arc::new(|_, _| {})).await?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}
