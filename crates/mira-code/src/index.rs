//! The index driver: walk the project (reading only files whose stamp changed), parse
//! only new or changed files, patch the symbol table with them, re-link the unchanged
//! files whose calls a change can affect, and write it all in one transaction. Running
//! it twice changes nothing the second time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use mira_store::Db;
use mira_store::projects::Project;
use rayon::prelude::*;
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

use crate::CodeError;
use crate::extract::{self, FileInfo, KeptTree};
use crate::globs;
use crate::lease::Lease;
use crate::memory::{self, Memory, Table};
use crate::model::{ElementKind, ParsedFile};
use crate::resolve::{self, Edge, SymbolTable};
use crate::store::{self, StoredFile};
use crate::walk::{self, Skipped, SourceFile};

/// Changed files, re-parsed dependents by file id, the edges of both in that order, the
/// patched symbol table, and the dependents' trees to keep again.
type Linked = (
    Vec<ParsedFile>,
    Vec<(i64, ParsedFile)>,
    Vec<Vec<Edge>>,
    Table,
    Vec<Option<KeptTree>>,
);

/// Called with (files parsed, files to parse), from a blocking thread.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ParseProblem {
    pub path: String,
    /// Lines where the parser found a syntax error; the rest of the file is indexed.
    pub lines: Vec<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndexSummary {
    /// Source files in the index after this run.
    pub files: usize,
    /// New or changed files parsed by this run.
    pub parsed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Unchanged files whose calls were resolved again because a definition they may
    /// call was added, removed or changed.
    pub relinked: usize,
    pub symbols: i64,
    pub edges: i64,
    /// Edge counts by resolution (exact, probable, external, unresolved).
    pub resolution: BTreeMap<String, i64>,
    pub skipped: Vec<Skipped>,
    pub parse_errors: Vec<ParseProblem>,
    pub elapsed_ms: u64,
}

/// Parsing recurses over syntax trees; generated-looking but hand-kept code can nest
/// deeply, so the workers get more stack than the default.
const WORKER_STACK: usize = 16 * 1024 * 1024;

/// One pool for the process: starting threads on every re-index would cost more than
/// parsing the one file that changed.
fn pool() -> Result<&'static rayon::ThreadPool, CodeError> {
    static POOL: OnceLock<Result<rayon::ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(WORKER_STACK)
            .thread_name(|i| format!("mira-code-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| CodeError::Task(format!("cannot start parser threads: {e}")))
}

/// Parses a walked file, reading it first when the walk did not (its stamp said it was
/// unchanged, but it has to be parsed again: a re-link, or a stored hash that differs),
/// from the tree of its previous version when one was kept.
fn parse_source(root: &Path, f: &SourceFile, previous: Option<KeptTree>) -> (ParsedFile, Option<KeptTree>) {
    let read;
    let text = match &f.text {
        Some(t) => t.as_str(),
        None => {
            read = std::fs::read_to_string(root.join(&f.path)).unwrap_or_default();
            read.as_str()
        }
    };
    extract::parse_reusing(
        &FileInfo {
            path: &f.path,
            language: f.language,
            module: f.module.clone(),
            crate_alias: f.crate_alias.clone(),
        },
        text,
        previous,
    )
}

/// How long a run waits for another process indexing the same project before it gives
/// up with [`CodeError::Busy`]: a cold index of a large project takes about this long.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(20);

/// Indexes (or brings up to date) the code of a project, waiting up to [`DEFAULT_WAIT`]
/// for another process's run on the same project.
pub async fn index_project(
    db: &Db,
    project: &Project,
    progress: Progress,
) -> Result<IndexSummary, CodeError> {
    index_project_waiting(db, project, progress, DEFAULT_WAIT).await
}

/// [`index_project`], waiting up to `wait` for a run of another process to finish. A run
/// that waited then indexes only what that run left to do (usually nothing).
pub async fn index_project_waiting(
    db: &Db,
    project: &Project,
    progress: Progress,
    wait: Duration,
) -> Result<IndexSummary, CodeError> {
    // One run at a time per project in this process (the watcher, the API and a test may
    // all ask): a second run waits and then finds little or nothing left to do.
    let gate = gate(&(db.path().to_path_buf(), project.id))?;
    let _running = gate.lock().await;
    // Across processes: the lease is taken before the stored files are read, so what this
    // run compares against is what it will write over.
    let lease = Lease::take(db, project.id, wait).await?;
    let result = index_locked(db, project, progress, &lease).await;
    lease.release().await;
    result
}

/// For a long-lived process that will re-index edits (a watcher after its start-up
/// sweep): builds the symbol table into memory if it is not there, so the first save
/// re-links from memory instead of loading every file's facts while a query waits.
pub async fn warm_symbol_table(db: &Db, project: &Project) -> Result<(), CodeError> {
    let key: memory::Key = (db.path().to_path_buf(), project.id);
    let gate = gate(&key)?;
    let _running = gate.lock().await;
    let mut memory = memory::take(&key);
    let mut conn = db.pool().acquire().await?;
    let stored = store::stored_files_by_path(&mut conn, project.id).await?;
    let table = current_table(&mut conn, project.id, &stored, memory.table.take()).await;
    let built = table.map(|t| memory.table = Some(t));
    memory::put(key, memory);
    built
}

/// The lock that keeps this process's runs on one project one at a time.
fn gate(key: &memory::Key) -> Result<Arc<tokio::sync::Mutex<()>>, CodeError> {
    let mut gates = RUNS
        .lock()
        .map_err(|_| CodeError::Task("index lock poisoned".into()))?;
    Ok(Arc::clone(gates.entry(key.clone()).or_default()))
}

/// The symbol table as of the last run: `remembered` if it was built from exactly the
/// `stored` files, else built from the database.
async fn current_table(
    conn: &mut sqlx::SqliteConnection,
    project_id: i64,
    stored: &HashMap<String, StoredFile>,
    remembered: Option<Table>,
) -> Result<Table, CodeError> {
    if let Some(t) = remembered.filter(|t| t.matches(stored)) {
        return Ok(t);
    }
    let facts = store::load_facts(conn, project_id, &HashSet::new()).await?;
    let hash_of: HashMap<i64, &str> = stored.values().map(|s| (s.id, s.hash.as_str())).collect();
    let files: HashMap<i64, (String, String)> = facts
        .iter()
        .map(|(id, f)| {
            let hash = hash_of.get(id).copied().unwrap_or("").to_string();
            (*id, (f.path.clone(), hash))
        })
        .collect();
    tokio::task::spawn_blocking(move || Table {
        table: SymbolTable::new(facts.values()),
        files,
    })
    .await
    .map_err(|e| CodeError::Task(format!("building the symbol table failed: {e}")))
}

static RUNS: LazyLock<Mutex<HashMap<memory::Key, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

async fn index_locked(
    db: &Db,
    project: &Project,
    progress: Progress,
    lease: &Lease,
) -> Result<IndexSummary, CodeError> {
    let started = Instant::now();
    let key: memory::Key = (db.path().to_path_buf(), project.id);
    // Taken out for the run and put back only when it succeeds.
    let memory = memory::take(&key);
    let root = project.root.clone();
    let (walked, mut memory) = tokio::task::spawn_blocking(move || {
        let mut memory: Memory = memory;
        let walked = walk::walk_with(&root, Some(&mut memory.stamps));
        (walked, memory)
    })
    .await
    .map_err(|e| CodeError::Task(format!("walking the project failed: {e}")))?;
    let walked_at = started.elapsed();

    let mut conn = db.pool().acquire().await?;
    let stored = store::stored_files_by_path(&mut conn, project.id).await?;
    let present: HashSet<&str> = walked.files.iter().map(|f| f.path.as_str()).collect();
    let removed: Vec<&StoredFile> = stored
        .values()
        .filter(|s| !s.skipped() && !present.contains(s.path.as_str()))
        .collect();
    let changed: Vec<usize> = (0..walked.files.len())
        .filter(|&i| match stored.get(&walked.files[i].path) {
            Some(s) => {
                s.skipped()
                    || s.hash != walked.files[i].hash
                    || (!s.module.is_empty() && s.module != walked.files[i].module)
            }
            None => true,
        })
        .collect();
    let changed_ids: HashSet<i64> = changed
        .iter()
        .filter_map(|&i| {
            stored
                .get(&walked.files[i].path)
                .filter(|s| !s.skipped())
                .map(|s| s.id)
        })
        .collect();
    let removed_ids: HashSet<i64> = removed.iter().map(|s| s.id).collect();
    let removed_paths: Vec<String> = removed.iter().map(|s| s.path.clone()).collect();
    let skipped_changed = skipped_differ(&stored, &walked.skipped);

    if changed.is_empty() && removed.is_empty() && !skipped_changed {
        drop(conn);
        memory::put(key, memory);
        return summary(
            db,
            project.id,
            walked.files.len(),
            0,
            0,
            0,
            walked.skipped,
            started,
        )
        .await;
    }

    // Parse what changed, off the async runtime, from the trees kept of earlier versions.
    // Only a run of a few files (an edit, not a first index or a branch switch) keeps the
    // new trees: they are for the files the user is editing.
    let keep_trees = changed.len() <= memory::MAX_TREES;
    let to_parse: Vec<(usize, Option<KeptTree>)> = changed
        .iter()
        .map(|&i| (i, memory.trees.take(&walked.files[i].path)))
        .collect();
    for path in &removed_paths {
        memory.trees.take(path);
    }
    let walked = Arc::new(walked);
    let parse_walked = Arc::clone(&walked);
    let parse_progress = Arc::clone(&progress);
    let parse_root = project.root.clone();
    let (parsed, kept): (Vec<ParsedFile>, Vec<Option<KeptTree>>) =
        tokio::task::spawn_blocking(move || -> Result<_, CodeError> {
            let total = to_parse.len() as u64;
            let done = std::sync::atomic::AtomicU64::new(0);
            parse_progress(0, total);
            let pool = pool()?;
            Ok(pool.install(|| {
                to_parse
                    .into_par_iter()
                    .map(|(i, previous)| {
                        let (p, tree) = parse_source(&parse_root, &parse_walked.files[i], previous);
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n.is_multiple_of(64) || n == total {
                            parse_progress(n, total);
                        }
                        (p, tree.filter(|_| keep_trees))
                    })
                    .unzip()
            }))
        })
        .await
        .map_err(|e| CodeError::Task(format!("parsing failed: {e}")))??;
    for (p, tree) in parsed.iter().zip(kept) {
        if let Some(tree) = tree {
            memory.trees.put(p.path.clone(), tree);
        }
    }
    let parsed_at = started.elapsed();

    let table = current_table(&mut conn, project.id, &stored, memory.table.take()).await?;

    // What other files may resolve differently now: the names whose definitions or
    // imports the change added, removed or altered.
    let mut affected: HashSet<String> = HashSet::new();
    // Types whose members callers elsewhere may now reach differently: a call such as
    // `self.repo.save()` names neither the field nor the class whose bases changed, so
    // the names of those types' members are affected too.
    let mut types: HashSet<String> = HashSet::new();
    // Modules whose exported names changed: files glob-importing them see other names.
    let mut changed_modules: HashSet<String> = HashSet::new();
    for p in &parsed {
        let new_sig = store::resolution_signature(p);
        match table.table.signature(&p.path) {
            Some(old_sig) => {
                if old_sig != new_sig {
                    changed_modules.insert(p.module.clone());
                    let old_set: HashSet<&String> = old_sig.iter().collect();
                    let new_set: HashSet<&String> = new_sig.iter().collect();
                    for entry in old_set.symmetric_difference(&new_set) {
                        affected.insert(simple_name_of(entry));
                        type_words_of(entry, &mut types);
                    }
                }
            }
            None => {
                changed_modules.insert(p.module.clone());
                for entry in &new_sig {
                    affected.insert(simple_name_of(entry));
                    type_words_of(entry, &mut types);
                }
            }
        }
    }
    for path in &removed_paths {
        if let Some(module) = table.table.file_module(path) {
            changed_modules.insert(module.to_string());
        }
        if let Some(old_sig) = table.table.signature(path) {
            for entry in &old_sig {
                affected.insert(simple_name_of(entry));
                type_words_of(entry, &mut types);
            }
        }
    }
    if !types.is_empty() {
        // The table is the one before this run: the changed files' new definitions are
        // added from their parsed facts (bases first, so their members are found too).
        let new_bases: Vec<String> = parsed
            .iter()
            .flat_map(|p| p.elements.iter())
            .filter(|e| types.contains(&e.name))
            .flat_map(|e| e.bases.iter().flat_map(|b| resolve::type_words(b)))
            .map(str::to_string)
            .collect();
        types.extend(new_bases);
        let mut members = table.table.member_names_of(&mut types);
        for p in &parsed {
            for e in &p.elements {
                if e.parent.is_some_and(|i| types.contains(&p.elements[i].name)) {
                    members.insert(e.name.clone());
                }
            }
        }
        affected.extend(types);
        affected.extend(members);
    }
    let unchanged: HashSet<i64> = table
        .files
        .keys()
        .copied()
        .filter(|id| !changed_ids.contains(id) && !removed_ids.contains(id))
        .collect();
    let mut dependents = dependent_files(&mut conn, project.id, &affected, &unchanged).await?;
    if !changed_modules.is_empty() {
        let globs: Vec<globs::GlobImport> = sqlx::query_as(
            "SELECT i.file_id, i.module, i.scope, i.reexport, f.language FROM imports i \
             JOIN files f ON f.id = i.file_id WHERE i.project_id = ? AND i.name = '*'",
        )
        .bind(project.id)
        .fetch_all(&mut *conn)
        .await?;
        dependents.extend(
            globs::reached(&globs, &changed_modules, &|m| {
                table.table.module_path(m).is_some()
            })
            .into_iter()
            .filter(|id| unchanged.contains(id)),
        );
    }
    drop(conn);

    let by_path: HashMap<&str, usize> = walked
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.as_str(), i))
        .collect();
    let relink: Vec<(i64, usize)> = dependents
        .iter()
        .filter_map(|id| {
            table
                .files
                .get(id)
                .and_then(|(p, _)| by_path.get(p.as_str()))
                .map(|&i| (*id, i))
        })
        .collect();

    // A dependent's tree is used when one is kept (a file edited earlier), and kept
    // again; dependents do not get new ones, which are for the files being edited.
    let relink: Vec<(i64, usize, Option<KeptTree>)> = relink
        .into_iter()
        .map(|(id, i)| (id, i, memory.trees.take(&walked.files[i].path)))
        .collect();
    let resolve_walked = Arc::clone(&walked);
    let resolve_root = project.root.clone();
    let (parsed, relinked, edges, mut table, relink_trees) =
        tokio::task::spawn_blocking(move || -> Result<Linked, CodeError> {
            let mut table = table;
            let pool = pool()?;
            let (relinked, trees): (Vec<(i64, ParsedFile)>, Vec<Option<KeptTree>>) = pool.install(|| {
                relink
                    .into_par_iter()
                    .map(|(id, i, previous)| {
                        let had_tree = previous.is_some();
                        let (p, tree) = parse_source(&resolve_root, &resolve_walked.files[i], previous);
                        ((id, p), tree.filter(|_| had_tree))
                    })
                    .unzip()
            });
            for path in &removed_paths {
                table.table.remove_file(path);
            }
            for p in &parsed {
                table.table.add_file(p);
            }
            let edges: Vec<Vec<Edge>> = pool.install(|| {
                parsed
                    .par_iter()
                    .chain(relinked.par_iter().map(|(_, f)| f))
                    .map(|f| resolve::resolve_file(f, &table.table))
                    .collect()
            });
            Ok((parsed, relinked, edges, table, trees))
        })
        .await
        .map_err(|e| CodeError::Task(format!("resolving calls failed: {e}")))??;
    for ((_, p), tree) in relinked.iter().zip(relink_trees) {
        if let Some(tree) = tree {
            memory.trees.put(p.path.clone(), tree);
        }
    }
    let resolved_at = started.elapsed();

    // One transaction: a crash leaves the previous index, never half of this one.
    let now = chrono_now();
    // IMMEDIATE: the write lock is taken first, so the lease check below holds until the
    // commit and no read in this transaction can go stale.
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    lease.confirm(&mut tx).await?;
    store::delete_files(&mut tx, &removed_ids.iter().copied().collect::<Vec<_>>()).await?;
    let mut next_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM code_elements")
        .fetch_one(&mut *tx)
        .await?;
    let mut edge_sets = edges.into_iter();
    let mut written = Vec::with_capacity(parsed.len());
    for p in &parsed {
        let existing = stored.get(&p.path).map(|s| s.id);
        let source = by_path.get(p.path.as_str()).map(|&i| &walked.files[i]);
        let (hash, size) = source.map(|f| (f.hash.as_str(), f.size)).unwrap_or(("", 0));
        let file_id = store::write_file(
            &mut tx,
            project.id,
            existing,
            p,
            hash,
            size as usize,
            now,
            &mut next_id,
        )
        .await?;
        let file_edges = edge_sets.next().unwrap_or_default();
        store::replace_edges(&mut tx, project.id, file_id, &file_edges, existing.is_none()).await?;
        written.push((file_id, p.path.clone(), hash.to_string()));
    }
    for (id, _) in &relinked {
        let file_edges = edge_sets.next().unwrap_or_default();
        store::replace_edges(&mut tx, project.id, *id, &file_edges, false).await?;
    }
    // Rewriting the skipped files' rows every run would cost more than the edit itself.
    if skipped_changed {
        store::write_skipped(&mut tx, project.id, &walked.skipped, now).await?;
    }
    tx.commit().await?;

    for id in changed_ids.iter().chain(removed_ids.iter()) {
        table.files.remove(id);
    }
    for (id, path, hash) in written {
        table.files.insert(id, (path, hash));
    }
    memory.table = Some(table);
    memory::put(key, memory);
    tracing::debug!(?walked_at, ?parsed_at, ?resolved_at, total = ?started.elapsed(), "code index phases");

    let files = walked.files.len();
    let skipped = walked.skipped.clone();
    summary(
        db,
        project.id,
        files,
        parsed.len(),
        removed_ids.len(),
        relinked.len(),
        skipped,
        started,
    )
    .await
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The simple name an entry of a resolution signature defines or binds.
fn simple_name_of(entry: &str) -> String {
    let mut parts = entry.split('\u{1}');
    let tag = parts.next().unwrap_or("");
    let first = parts.next().unwrap_or("");
    if tag == "i" {
        // Imports: the alias is what callers name.
        let alias = entry.split('\u{1}').nth(3).unwrap_or("");
        return alias.to_string();
    }
    first.rsplit(['.', ':', '/']).next().unwrap_or(first).to_string()
}

/// Adds the type names a changed entry of a resolution signature is about, when it is
/// a type-level fact: a type, impl or field, or anything with bases or a declared type.
/// Those are the owner (for a member), the definition itself, and the types its bases
/// and declared type name.
fn type_words_of(entry: &str, types: &mut HashSet<String>) {
    let mut parts = entry.split('\u{1}');
    if parts.next() != Some("e") {
        return;
    }
    let (Some(qualified), Some(kind), Some(bases), Some(type_ref)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let kind = ElementKind::parse(kind);
    let type_level = matches!(
        kind,
        Some(
            ElementKind::Class
                | ElementKind::Struct
                | ElementKind::Enum
                | ElementKind::Trait
                | ElementKind::Interface
                | ElementKind::Impl
                | ElementKind::Field
                | ElementKind::TypeAlias
        )
    );
    if !type_level && bases.is_empty() && type_ref.is_empty() {
        return;
    }
    types.insert(resolve::simple_name(qualified).to_string());
    if matches!(kind, Some(ElementKind::Field | ElementKind::Method)) {
        let owner = &qualified[..qualified.len() - resolve::simple_name(qualified).len()];
        let owner = owner.trim_end_matches(['.', ':', '/']);
        if !owner.is_empty() {
            types.insert(resolve::simple_name(owner).to_string());
        }
    }
    types.extend(resolve::type_words(bases).map(str::to_string));
    types.extend(resolve::type_words(type_ref).map(str::to_string));
}

/// Whether the skipped files or their reasons changed since they were stored.
fn skipped_differ(stored: &HashMap<String, StoredFile>, skipped: &[Skipped]) -> bool {
    let mut before: Vec<(&str, &str)> = stored
        .values()
        .filter_map(|s| s.skip_reason.as_deref().map(|r| (s.path.as_str(), r)))
        .collect();
    before.sort();
    let now: Vec<(&str, &str)> = skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    before != now
}

/// Files of `unchanged` with a call to one of `names`, or importing one by name (glob
/// imports are [`globs::reached`]'s).
async fn dependent_files(
    conn: &mut sqlx::SqliteConnection,
    project_id: i64,
    names: &HashSet<String>,
    unchanged: &HashSet<i64>,
) -> Result<HashSet<i64>, sqlx::Error> {
    let mut out = HashSet::new();
    if unchanged.is_empty() || names.is_empty() {
        return Ok(out);
    }
    let names: Vec<&String> = names.iter().filter(|n| !n.is_empty()).collect();
    for chunk in names.chunks(500) {
        let mut q =
            QueryBuilder::<Sqlite>::new("SELECT DISTINCT file_id FROM call_graph WHERE project_id = ");
        q.push_bind(project_id).push(" AND callee_name IN (");
        let mut sep = q.separated(", ");
        for n in chunk {
            sep.push_bind(n.as_str());
        }
        q.push(")");
        let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *conn).await?;
        out.extend(ids.into_iter().filter(|id| unchanged.contains(id)));
        // Calls through an alias (`import connect as open_repository`) are named by the
        // alias; the import names the definition.
        let mut q = QueryBuilder::<Sqlite>::new("SELECT DISTINCT file_id FROM imports WHERE project_id = ");
        q.push_bind(project_id).push(" AND (name IN (");
        let mut sep = q.separated(", ");
        for n in chunk {
            sep.push_bind(n.as_str());
        }
        q.push("))");
        let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *conn).await?;
        out.extend(ids.into_iter().filter(|id| unchanged.contains(id)));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn summary(
    db: &Db,
    project_id: i64,
    files: usize,
    parsed: usize,
    removed: usize,
    relinked: usize,
    skipped: Vec<Skipped>,
    started: Instant,
) -> Result<IndexSummary, CodeError> {
    // Per-file counts, summed: the element and edge tables are too big to count each run.
    let (symbols, exact, probable, external, unresolved): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(symbols), 0), COALESCE(SUM(edges_exact), 0), COALESCE(SUM(edges_probable), 0), \
         COALESCE(SUM(edges_external), 0), COALESCE(SUM(edges_unresolved), 0) FROM files WHERE project_id = ?",
    )
    .bind(project_id)
    .fetch_one(db.pool())
    .await?;
    let by: Vec<(String, i64)> = [
        ("exact", exact),
        ("probable", probable),
        ("external", external),
        ("unresolved", unresolved),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    let edges = exact + probable + external + unresolved;
    let problems: Vec<(String, String)> = sqlx::query_as(
        "SELECT path, error_lines FROM files WHERE project_id = ? AND error_lines != '' ORDER BY path",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    Ok(IndexSummary {
        files,
        parsed,
        unchanged: files.saturating_sub(parsed),
        removed,
        relinked,
        symbols,
        edges,
        resolution: by.into_iter().collect(),
        skipped,
        parse_errors: problems
            .into_iter()
            .map(|(path, lines)| ParseProblem {
                path,
                lines: lines.split(',').filter_map(|l| l.parse().ok()).collect(),
            })
            .collect(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
