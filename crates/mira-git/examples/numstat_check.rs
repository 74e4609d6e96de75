//! Checks a stored git index against `git log --numstat -M` on a real repository: every
//! commit's files, rename sources and line counts must be the same. The tests do this on
//! histories they build; this does it on a big one (tokio) after changing the scan.
//!
//! Usage: cargo run -p mira-git --example numstat_check -- DATA_DIR PROJECT_ROOT
//! (index the project first with `MIRA_DATA_DIR=DATA_DIR mira index PROJECT_ROOT`).

use std::collections::{BTreeSet, HashMap};

use mira_core::config::Config;
use mira_store::{Db, projects};

/// (path, old path of a rename or copy, lines added, lines removed); counts are `None`
/// for binary files.
type Change = (String, Option<String>, Option<i64>, Option<i64>);
/// A stored change with its commit: (sha, path, old path, added, removed).
type Row = (String, String, Option<String>, Option<i64>, Option<i64>);

fn git_numstat(root: &str) -> Result<HashMap<String, BTreeSet<Change>>, Box<dyn std::error::Error>> {
    let out = std::process::Command::new("git")
        .current_dir(root)
        .args(["log", "--numstat", "-z", "-M", "--format=format:%x01%H"])
        .output()?;
    if !out.status.success() {
        return Err(format!("git log failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut result: HashMap<String, BTreeSet<Change>> = HashMap::new();
    for chunk in text.split('\u{1}').filter(|c| !c.is_empty()) {
        let (sha, rest) = chunk.split_once('\n').unwrap_or((chunk, ""));
        let entry = result.entry(sha.trim_matches('\0').to_string()).or_default();
        let mut fields = rest.split('\0').filter(|f| !f.is_empty());
        while let Some(stat) = fields.next() {
            let mut parts = stat.trim_start_matches('\n').splitn(3, '\t');
            let added = parts.next().and_then(|s| s.parse::<i64>().ok());
            let removed = parts.next().and_then(|s| s.parse::<i64>().ok());
            let path = parts.next().unwrap_or("");
            if path.is_empty() {
                let old = fields.next().ok_or("rename without source")?.to_string();
                let new = fields.next().ok_or("rename without target")?.to_string();
                entry.insert((new, Some(old), added, removed));
            } else {
                entry.insert((path.to_string(), None, added, removed));
            }
        }
    }
    Ok(result)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(data), Some(root)) = (args.get(1), args.get(2)) else {
        return Err("usage: numstat_check DATA_DIR PROJECT_ROOT".into());
    };
    let config = Config::with_data_dir(data);
    let db = Db::open(&config.data_dir.join("mira.db")).await?;
    let project = projects::find(&db, root).await?;
    let mut ours: HashMap<String, BTreeSet<Change>> = HashMap::new();
    let shas: Vec<String> = sqlx::query_scalar("SELECT sha FROM git_commits WHERE project_id = ?")
        .bind(project.id)
        .fetch_all(db.pool())
        .await?;
    for sha in shas {
        ours.entry(sha).or_default();
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.sha, f.path, f.old_path, f.lines_added, f.lines_removed FROM git_file_changes f \
         JOIN git_commits c ON c.id = f.commit_id WHERE c.project_id = ?",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?;
    let stored_changes = rows.len();
    for (sha, path, old, added, removed) in rows {
        ours.entry(sha).or_default().insert((path, old, added, removed));
    }
    let expected = git_numstat(root)?;
    let mut differing = 0;
    for (sha, files) in &expected {
        let mine = ours.remove(sha).unwrap_or_default();
        if &mine != files {
            differing += 1;
            if differing <= 50 {
                println!("commit {sha}:");
                for f in files.difference(&mine) {
                    println!("  git only:  {f:?}");
                }
                for f in mine.difference(files) {
                    println!("  mira only: {f:?}");
                }
            }
        }
    }
    println!(
        "{} commits and {stored_changes} file changes compared with git log --numstat -M: \
         {differing} commits differ, {} stored commits git does not list",
        expected.len(),
        ours.len()
    );
    if differing > 0 || !ours.is_empty() {
        return Err("the index does not agree with git".into());
    }
    Ok(())
}
