//! The `code` collection: chunks of the project's source files (from the code index's
//! symbols) and Markdown documents.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use mira_store::Db;
use mira_store::projects::Project;
use mira_store::vectors::{Collection, VectorStore};
use serde_json::{Map, json};

use super::IndexSummary;
use super::points::{ChunkRow, dirs_of};
use crate::chunk::{self, Chunk, Element};
use crate::concepts::{ConceptRules, Derived, Import};
use crate::ids;
use crate::{Progress, SearchError};

/// A file of the project to chunk.
#[derive(Debug, Clone)]
struct Source {
    path: String,
    language: Option<String>,
    /// The code index's id of the file; `None` for a Markdown document.
    file_id: Option<i64>,
    /// The hash the code index stored (its `files.content_hash`), or the document's own.
    hash: String,
}

/// Files per transaction: large enough that commits do not dominate, small enough that
/// progress moves and a crash loses little.
const BATCH_FILES: usize = 64;

/// Largest document read: beyond it a Markdown file is data, not prose someone keeps.
const MAX_DOC_BYTES: u64 = 1024 * 1024;

async fn code_sources(db: &Db, project_id: i64) -> Result<Vec<Source>, SearchError> {
    let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, path, language, content_hash FROM files
         WHERE project_id = ? AND skip_reason IS NULL AND language IS NOT NULL",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, path, language, hash)| Source {
            path,
            language,
            file_id: Some(id),
            hash,
        })
        .collect())
}

/// Markdown documents under `root`, .gitignore respected and vendored directories left
/// out as the code index does; each with the hash of its content.
fn doc_sources(root: &Path) -> Vec<Source> {
    let mut walker = ignore::WalkBuilder::new(root);
    walker.require_git(false).hidden(true);
    walker.filter_entry(|entry| {
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        !(is_dir
            && entry.depth() > 0
            && mira_code::walk::VENDORED_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()))
    });
    let mut out = Vec::new();
    for entry in walker.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if !chunk::is_markdown(&rel) || entry.metadata().map(|m| m.len()).unwrap_or(0) > MAX_DOC_BYTES {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        if mira_code::walk::skip_reason(&rel, &bytes).is_some() {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        out.push(Source {
            path: rel,
            language: Some("markdown".into()),
            file_id: None,
            hash: mira_code::walk::hash(&text),
        });
    }
    out
}

/// A file's chunks as rows, with their concepts.
struct Prepared {
    source: Source,
    /// The hash to remember for the file: '' when its text no longer matched the code
    /// index (it changed after indexing), so the next run makes its chunks again.
    stored_hash: String,
    rows: Vec<ChunkRow>,
    concepts: Vec<(String, Derived)>,
    /// The whole file's BM25 terms (code files only; see `mira_store::file_terms`).
    terms: Option<String>,
}

/// A code file's document for whole-file BM25: its path and text as terms.
fn file_terms_of(path: &str, text: &str) -> String {
    crate::tokenize::terms(&format!("{path}\n{text}")).join(" ")
}

type ElementRow = (i64, Option<i64>, String, String, i64, i64, Option<String>);

async fn prepare(
    db: &Db,
    root: &Path,
    project_id: i64,
    rules: &ConceptRules,
    source: Source,
) -> Result<Prepared, SearchError> {
    let text = tokio::fs::read_to_string(root.join(&source.path))
        .await
        .unwrap_or_default();
    let stored_hash = if mira_code::walk::hash(&text) == source.hash {
        source.hash.clone()
    } else {
        String::new()
    };
    let (chunks, docs, imports): (Vec<Chunk>, HashMap<String, String>, Vec<Import>) = match source.file_id {
        Some(file_id) => {
            let rows: Vec<ElementRow> = sqlx::query_as(
                "SELECT id, parent_id, kind, qualified_name, start_line, end_line, doc FROM code_elements WHERE file_id = ?",
            )
            .bind(file_id)
            .fetch_all(db.pool())
            .await?;
            let imports: Vec<(String, String)> =
                sqlx::query_as("SELECT module, alias FROM imports WHERE file_id = ?")
                    .bind(file_id)
                    .fetch_all(db.pool())
                    .await?;
            let docs = rows
                .iter()
                .filter_map(|r| r.6.clone().map(|d| (r.3.clone(), d)))
                .collect();
            let elements: Vec<Element> = rows
                .into_iter()
                .map(|(id, parent, kind, qualified_name, start, end, _)| Element {
                    id,
                    parent,
                    kind,
                    qualified_name,
                    start_line: start.max(0) as u32,
                    end_line: end.max(0) as u32,
                })
                .collect();
            let imports = imports
                .into_iter()
                .map(|(module, alias)| Import { module, alias })
                .collect();
            (chunk::chunk_code(&text, &elements), docs, imports)
        }
        None => (chunk::chunk_markdown(&text), HashMap::new(), Vec::new()),
    };
    let terms = source.file_id.map(|_| file_terms_of(&source.path, &text));
    let dirs = dirs_of(&source.path);
    // Concepts `mira analyze` stored tag the chunks too, so the concept filter of a
    // query finds them; they are kept in concept_index across re-index (not re-derived).
    let llm = crate::concepts::llm_tags(db, project_id, &source.path).await?;
    let mut rows = Vec::with_capacity(chunks.len());
    let mut concepts = Vec::new();
    let mut seen_symbols = HashSet::new();
    for c in chunks {
        let derived = if source.file_id.is_some() {
            let doc = c.symbol.as_ref().and_then(|s| docs.get(s)).map(String::as_str);
            rules.derive(c.symbol.as_deref(), doc, &c.text, &imports)
        } else {
            Vec::new()
        };
        if let Some(symbol) = &c.symbol
            && seen_symbols.insert(symbol.clone())
        {
            concepts.extend(derived.iter().map(|d| (symbol.clone(), d.clone())));
        }
        let concepts = with_llm(derived, c.symbol.as_ref().and_then(|s| llm.get(s)));
        let mut row = ChunkRow {
            id: ids::chunk_id(project_id, "code", &source.path, &c.key),
            collection: "code",
            path: source.path.clone(),
            chunk_key: c.key,
            language: source.language.clone(),
            kind: c.kind,
            symbol: c.symbol,
            start_line: c.start_line,
            end_line: c.end_line,
            part: c.part,
            parts: c.parts,
            text: c.text,
            content_hash: String::new(),
            concepts,
            dirs: dirs.clone(),
        };
        row.content_hash = ids::content_hash(&row.embed_text());
        rows.push(row);
    }
    Ok(Prepared {
        source,
        stored_hash,
        rows,
        concepts,
        terms,
    })
}

/// The concept names of a chunk: the rules' then the model's, once each.
fn with_llm(derived: Vec<Derived>, llm: Option<&Vec<String>>) -> Vec<String> {
    let mut names: Vec<String> = derived.into_iter().map(|d| d.concept).collect();
    for c in llm.into_iter().flatten() {
        if !names.contains(c) {
            names.push(c.clone());
        }
    }
    names
}

/// (id, content_hash, start_line, end_line, concepts)
type OldChunk = (i64, String, i64, i64, String);

/// Brings the `code` collection of a project up to date with its code index and docs.
pub async fn index_code(
    db: &Db,
    store: &dyn VectorStore,
    project: &Project,
    rules: &ConceptRules,
    progress: Progress,
) -> Result<IndexSummary, SearchError> {
    let started = Instant::now();
    let mut sources = code_sources(db, project.id).await?;
    let root = project.root.clone();
    let docs = tokio::task::spawn_blocking(move || doc_sources(&root))
        .await
        .map_err(|e| SearchError::Task(format!("listing documents failed: {e}")))?;
    sources.extend(docs);
    let known: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT path, content_hash FROM search_files WHERE project_id = ?",
    )
    .bind(project.id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .collect();
    let current: HashSet<&str> = sources.iter().map(|s| s.path.as_str()).collect();
    let removed: Vec<String> = known
        .keys()
        .filter(|p| !current.contains(p.as_str()))
        .cloned()
        .collect();
    let (changed, unchanged): (Vec<Source>, Vec<Source>) = sources
        .into_iter()
        .partition(|s| known.get(&s.path).is_none_or(|h| h.is_empty() || *h != s.hash));
    // Whole-file terms: a project indexed before they existed gets them for the files
    // that did not change (the changed ones get them as they are written).
    if mira_store::file_terms::ensure(db, project.id).await? {
        backfill_terms(db, project, &unchanged).await?;
    }
    let mut summary = IndexSummary {
        files_unchanged: unchanged.len(),
        files_removed: removed.len(),
        ..IndexSummary::default()
    };
    let total = (changed.len() + removed.len()) as u64;
    progress(0, total);
    let lock = super::project_lock(db, project.id);

    if !removed.is_empty() {
        let _guard = lock.lock().await;
        for paths in removed.chunks(BATCH_FILES) {
            summary.chunks_removed += remove_files(db, store, project.id, paths).await?;
        }
    }
    let mut done = removed.len() as u64;
    progress(done, total);

    for batch in changed.chunks(BATCH_FILES) {
        let mut prepared = Vec::with_capacity(batch.len());
        for source in batch {
            prepared.push(prepare(db, &project.root, project.id, rules, source.clone()).await?);
        }
        let _guard = lock.lock().await;
        let (written, moved, gone) = write_batch(db, store, project.id, prepared).await?;
        summary.chunks_written += written;
        summary.chunks_moved += moved;
        summary.chunks_removed += gone;
        summary.files_indexed += batch.len();
        done += batch.len() as u64;
        progress(done, total);
    }
    summary.chunks =
        sqlx::query_scalar("SELECT COUNT(*) FROM search_chunks WHERE project_id = ? AND collection = 'code'")
            .bind(project.id)
            .fetch_one(db.pool())
            .await?;
    summary.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// Terms for code files whose chunks are already stored, in transactions of
/// [`BATCH_FILES`] files.
async fn backfill_terms(db: &Db, project: &Project, unchanged: &[Source]) -> Result<(), SearchError> {
    let code: Vec<&Source> = unchanged.iter().filter(|s| s.file_id.is_some()).collect();
    for batch in code.chunks(BATCH_FILES) {
        let mut docs = Vec::with_capacity(batch.len());
        for source in batch {
            let text = tokio::fs::read_to_string(project.root.join(&source.path))
                .await
                .unwrap_or_default();
            docs.push((source.path.as_str(), file_terms_of(&source.path, &text)));
        }
        let mut tx = db.pool().begin().await?;
        for (path, terms) in docs {
            let key: Option<i64> =
                sqlx::query_scalar("SELECT rowid FROM search_files WHERE project_id = ? AND path = ?")
                    .bind(project.id)
                    .bind(path)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(key) = key {
                mira_store::file_terms::put(&mut tx, project.id, key, &terms).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn remove_files(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
    paths: &[String],
) -> Result<usize, SearchError> {
    let mut ids = Vec::new();
    for path in paths {
        let rows: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM search_chunks WHERE project_id = ? AND collection = 'code' AND path = ?",
        )
        .bind(project_id)
        .bind(path)
        .fetch_all(db.pool())
        .await?;
        ids.extend(rows);
    }
    let points: Vec<u64> = ids.iter().map(|&i| i as u64).collect();
    store.delete(Collection::Code, &points).await?;
    store.flush().await?;
    let mut tx = db.pool().begin().await?;
    for path in paths {
        let key: Option<i64> =
            sqlx::query_scalar("SELECT rowid FROM search_files WHERE project_id = ? AND path = ?")
                .bind(project_id)
                .bind(path)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(key) = key {
            mira_store::file_terms::remove(&mut tx, project_id, key).await?;
        }
        for sql in [
            "DELETE FROM search_chunks WHERE project_id = ? AND collection = 'code' AND path = ?",
            "DELETE FROM concept_index WHERE project_id = ? AND path = ?",
            "DELETE FROM search_files WHERE project_id = ? AND path = ?",
        ] {
            sqlx::query(sql)
                .bind(project_id)
                .bind(path)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(ids.len())
}

/// Writes a batch of files: vectors first, then the rows in one transaction. Returns
/// (chunks written, chunks moved, chunks removed).
async fn write_batch(
    db: &Db,
    store: &dyn VectorStore,
    project_id: i64,
    prepared: Vec<Prepared>,
) -> Result<(usize, usize, usize), SearchError> {
    let mut upserts = Vec::new();
    let mut moves: Vec<&ChunkRow> = Vec::new();
    let mut deletes: Vec<u64> = Vec::new();
    let mut new_or_changed: Vec<&ChunkRow> = Vec::new();
    for p in &prepared {
        let old: Vec<OldChunk> = sqlx::query_as(
            "SELECT id, content_hash, start_line, end_line, concepts FROM search_chunks
             WHERE project_id = ? AND collection = 'code' AND path = ?",
        )
        .bind(project_id)
        .bind(&p.source.path)
        .fetch_all(db.pool())
        .await?;
        let old: HashMap<i64, (String, u32, u32, String)> = old
            .into_iter()
            .map(|(id, h, s, e, c)| (id, (h, s as u32, e as u32, c)))
            .collect();
        let new_ids: HashSet<i64> = p.rows.iter().map(|r| r.id).collect();
        deletes.extend(old.keys().filter(|id| !new_ids.contains(id)).map(|&id| id as u64));
        for row in &p.rows {
            match old.get(&row.id) {
                // Same text: the dense vector stays; only where it is (and what its
                // file's imports make it about) may have changed.
                Some((hash, s, e, c)) if *hash == row.content_hash => {
                    if (*s, *e) != (row.start_line, row.end_line) || *c != row.concepts.join(",") {
                        moves.push(row);
                    }
                }
                _ => {
                    upserts.push(row.point(project_id));
                    new_or_changed.push(row);
                }
            }
        }
    }
    store.delete(Collection::Code, &deletes).await?;
    store.upsert(Collection::Code, upserts).await?;
    for row in &moves {
        let mut payload = Map::new();
        payload.insert("start_line".into(), json!(row.start_line));
        payload.insert("end_line".into(), json!(row.end_line));
        payload.insert("concepts".into(), json!(row.concepts));
        store
            .set_payload(Collection::Code, &[row.id as u64], payload)
            .await?;
    }
    // Durable before the rows that claim them commit (see the module doc of `index`).
    store.flush().await?;

    let mut tx = db.pool().begin().await?;
    for id in &deletes {
        sqlx::query("DELETE FROM search_chunks WHERE id = ?")
            .bind(*id as i64)
            .execute(&mut *tx)
            .await?;
    }
    for row in &new_or_changed {
        // A changed text keeps the old `embedded_hash`, which no longer matches: the
        // chunk waits for a new dense vector (the upsert above dropped the old one).
        sqlx::query(
            "INSERT INTO search_chunks (id, project_id, collection, path, chunk_key, language, kind, symbol,
                 start_line, end_line, part, parts, text, concepts, content_hash, embedded_hash)
             VALUES (?, ?, 'code', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
             ON CONFLICT (id) DO UPDATE SET chunk_key = excluded.chunk_key, language = excluded.language,
                 kind = excluded.kind, symbol = excluded.symbol, start_line = excluded.start_line,
                 end_line = excluded.end_line, part = excluded.part, parts = excluded.parts,
                 text = excluded.text, concepts = excluded.concepts, content_hash = excluded.content_hash,
                 embedded_hash = NULL",
        )
        .bind(row.id)
        .bind(project_id)
        .bind(&row.path)
        .bind(&row.chunk_key)
        .bind(&row.language)
        .bind(&row.kind)
        .bind(&row.symbol)
        .bind(row.start_line as i64)
        .bind(row.end_line as i64)
        .bind(row.part as i64)
        .bind(row.parts as i64)
        .bind(&row.text)
        .bind(row.concepts.join(","))
        .bind(&row.content_hash)
        .execute(&mut *tx)
        .await?;
    }
    for row in &moves {
        sqlx::query("UPDATE search_chunks SET start_line = ?, end_line = ?, concepts = ? WHERE id = ?")
            .bind(row.start_line as i64)
            .bind(row.end_line as i64)
            .bind(row.concepts.join(","))
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
    }
    let now = crate::now_secs();
    for p in &prepared {
        sqlx::query("DELETE FROM concept_index WHERE project_id = ? AND path = ? AND source <> 'llm'")
            .bind(project_id)
            .bind(&p.source.path)
            .execute(&mut *tx)
            .await?;
        for (symbol, d) in &p.concepts {
            sqlx::query(
                "INSERT OR IGNORE INTO concept_index (project_id, path, symbol, concept, source, evidence, confidence)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(project_id)
            .bind(&p.source.path)
            .bind(symbol)
            .bind(&d.concept)
            .bind(d.source)
            .bind(&d.evidence)
            .bind(d.confidence)
            .execute(&mut *tx)
            .await?;
        }
        let key: i64 = sqlx::query_scalar(
            "INSERT INTO search_files (project_id, path, content_hash, indexed_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (project_id, path) DO UPDATE SET content_hash = excluded.content_hash, indexed_at = excluded.indexed_at
             RETURNING rowid",
        )
        .bind(project_id)
        .bind(&p.source.path)
        .bind(&p.stored_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(terms) = &p.terms {
            mira_store::file_terms::put(&mut tx, project_id, key, terms).await?;
        }
    }
    tx.commit().await?;
    Ok((new_or_changed.len(), moves.len(), deletes.len()))
}
