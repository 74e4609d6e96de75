//! Keeping a project's code index live: file events are debounced per file, gathered
//! into batches, held back while git rewrites the work tree (a branch switch, a rebase),
//! and then handed to the incremental index, whose content hashes skip saves that did
//! not change a file. Every change seen is recorded in `local_changes`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_store::Db;
use mira_store::projects::Project;
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::CodeError;
use crate::index::{IndexSummary, index_project};
use crate::lang::Language;

#[derive(Debug, Clone, Copy)]
pub struct WatchConfig {
    /// Quiet time per file before its events count (an editor writes a file in bursts).
    pub debounce: Duration,
    /// Changes arriving within this window of the first are indexed together.
    pub batch: Duration,
    /// After git touches `.git/` (checkout, rebase, pull), wait this long without git
    /// activity before indexing, so a half-switched tree is never indexed.
    pub git_cooldown: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(300),
            batch: Duration::from_millis(1000),
            git_cooldown: Duration::from_millis(3000),
        }
    }
}

/// What one batch of changes did.
#[derive(Debug, Clone, Serialize)]
pub struct WatchBatch {
    /// Source files seen changing, with what happened to them.
    pub changes: BTreeMap<String, &'static str>,
    /// A git operation happened during the batch.
    pub after_git: bool,
    pub summary: IndexSummary,
}

pub type OnBatch = Arc<dyn Fn(Result<WatchBatch, CodeError>) + Send + Sync>;

/// A running watcher; dropping it (or [`ProjectWatcher::stop`]) stops watching.
pub struct ProjectWatcher {
    _debouncer: Box<dyn std::any::Any + Send>,
    task: tokio::task::JoinHandle<()>,
}

impl ProjectWatcher {
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for ProjectWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts watching `project`. Must be called inside a tokio runtime.
pub fn watch(
    db: Db,
    project: Project,
    config: WatchConfig,
    on_batch: OnBatch,
) -> Result<ProjectWatcher, CodeError> {
    let (tx, rx) = mpsc::unbounded_channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(config.debounce, None, move |r: DebounceEventResult| {
        let _ = tx.send(r);
    })
    .map_err(|e| {
        CodeError::Task(format!(
            "cannot watch files ({e}); check the inotify limits (fs.inotify.max_user_watches)"
        ))
    })?;
    debouncer.watch(&project.root, RecursiveMode::Recursive).map_err(|e| {
        CodeError::Task(format!(
            "cannot watch {} ({e}); check that it exists and the inotify limits (fs.inotify.max_user_watches)",
            project.root.display()
        ))
    })?;
    let task = tokio::spawn(run(db, project, config, rx, on_batch));
    Ok(ProjectWatcher {
        _debouncer: Box::new(debouncer),
        task,
    })
}

/// Events gathered for one batch.
#[derive(Default)]
struct Pending {
    changes: BTreeMap<String, &'static str>,
    git_at: Option<Instant>,
}

impl Pending {
    fn add(&mut self, root: &Path, result: DebounceEventResult) {
        let Ok(events) = result else { return };
        for event in events {
            let kind = match event.event.kind {
                EventKind::Create(_) => "created",
                EventKind::Remove(_) => "removed",
                EventKind::Modify(notify_debouncer_full::notify::event::ModifyKind::Name(_)) => "renamed",
                EventKind::Modify(_) => "modified",
                _ => continue,
            };
            for path in &event.event.paths {
                let Some(rel) = relative(root, path) else { continue };
                if rel == ".git" || rel.starts_with(".git/") {
                    // Objects and logs change on every commit; the work tree changes with
                    // HEAD, the index and refs.
                    if !rel.starts_with(".git/objects") && !rel.starts_with(".git/logs") {
                        self.git_at = Some(Instant::now());
                    }
                    continue;
                }
                if Language::from_path(&rel).is_none() {
                    continue;
                }
                let kind = if kind == "renamed" && !path.exists() {
                    "removed"
                } else {
                    kind
                };
                let kind = if kind == "renamed" { "created" } else { kind };
                self.changes.insert(rel, kind);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.git_at.is_none()
    }
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(rel.to_str()?.replace('\\', "/"))
}

async fn run(
    db: Db,
    project: Project,
    config: WatchConfig,
    mut rx: mpsc::UnboundedReceiver<DebounceEventResult>,
    on_batch: OnBatch,
) {
    let root: PathBuf = project.root.clone();
    loop {
        let mut pending = Pending::default();
        let Some(first) = rx.recv().await else { return };
        pending.add(&root, first);
        if pending.is_empty() {
            continue;
        }
        // Gather for the batch window, then for as long as git keeps working.
        let batch_end = Instant::now() + config.batch;
        loop {
            let until = match pending.git_at {
                Some(at) => (at + config.git_cooldown).max(batch_end),
                None => batch_end,
            };
            let now = Instant::now();
            if now >= until {
                break;
            }
            match tokio::time::timeout(until - now, rx.recv()).await {
                Ok(Some(more)) => pending.add(&root, more),
                Ok(None) => return,
                Err(_) => {}
            }
        }
        let result = index_project(&db, &project, Arc::new(|_, _| {})).await;
        let result = match result {
            Ok(summary) => record(&db, project.id, &pending, summary.parsed + summary.removed > 0)
                .await
                .map(|()| WatchBatch {
                    changes: pending.changes,
                    after_git: pending.git_at.is_some(),
                    summary,
                }),
            Err(e) => Err(e),
        };
        on_batch(result);
    }
}

async fn record(db: &Db, project_id: i64, pending: &Pending, reindexed: bool) -> Result<(), CodeError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut tx = db.pool().begin().await?;
    for (path, kind) in &pending.changes {
        sqlx::query("INSERT INTO local_changes (project_id, path, kind, detected_at, reindexed) VALUES (?, ?, ?, ?, ?)")
            .bind(project_id)
            .bind(path)
            .bind(*kind)
            .bind(now)
            .bind(reindexed)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
