//! Prints the call graph Mira builds for a directory, as JSON, for benchmark scripts
//! that compare it with truth recorded elsewhere (scripts/bench-callgraph-python.py):
//!
//! ```sh
//! cargo run -p mira-code --example callgraph_json -- PATH > graph.json
//! ```
//!
//! PATH is indexed in place into a database in a temporary directory (nothing is written
//! under PATH). The output is `mira callgraph --json`'s shape: `nodes` (id, kind, file,
//! line) and `edges` (caller, callee, resolution, file, line).

use std::path::PathBuf;
use std::sync::Arc;

use mira_store::Db;
use mira_store::projects;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: callgraph_json PATH")?;
    let root = std::fs::canonicalize(root)?;
    let work = tempfile::tempdir()?;
    let db = Db::open(&work.path().join("mira.db")).await?;
    let project = projects::add(&db, &root, Some("callgraph")).await?;
    mira_code::index::index_project(&db, &project, Arc::new(|_, _| {})).await?;
    let graph = mira_code::queries::callgraph(&db, project.id, None).await?;
    println!("{}", serde_json::to_string(&graph)?);
    Ok(())
}
