//! Writing a file's facts and edges to SQLite and reading the symbol-table facts of
//! unchanged files back. Called inside the index transaction.

mod diff;
mod packed;

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::lang::Language;
use crate::model::{Element, ElementKind, Import, ParsedFile, Span, Visibility};
use crate::resolve::{Edge, Resolution};

/// Rows per multi-row INSERT, under SQLite's 32766 bound variables for 18 columns.
const BATCH: usize = 1000;

/// A file row as the indexer compares it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: i64,
    pub path: String,
    pub hash: String,
    /// The module name it was indexed under: a layout change (a `src/` root, a
    /// manifest) renames modules of files whose bytes did not change.
    pub module: String,
    pub skip_reason: Option<String>,
}

impl StoredFile {
    pub fn skipped(&self) -> bool {
        self.skip_reason.is_some()
    }
}

/// The project's stored files by path.
pub async fn stored_files_by_path(
    conn: &mut SqliteConnection,
    project_id: i64,
) -> Result<std::collections::HashMap<String, StoredFile>, sqlx::Error> {
    Ok(stored_files(conn, project_id)
        .await?
        .into_iter()
        .map(|f| (f.path.clone(), f))
        .collect())
}

pub async fn stored_files(
    conn: &mut SqliteConnection,
    project_id: i64,
) -> Result<Vec<StoredFile>, sqlx::Error> {
    let sql = format!(
        "SELECT group_concat({}, char(30)) FROM files WHERE project_id = ?",
        packed::record(&[
            "id",
            "path",
            "content_hash",
            "skip_reason IS NOT NULL",
            "skip_reason",
            "module"
        ])
    );
    if let Some(records) = packed::fetch(conn, &sql, project_id, 6).await? {
        let files: Option<Vec<StoredFile>> = records
            .into_iter()
            .map(|mut r| {
                Some(StoredFile {
                    id: r[0].parse().ok()?,
                    skip_reason: (r[3] == "1").then(|| std::mem::take(&mut r[4])),
                    hash: std::mem::take(&mut r[2]),
                    path: std::mem::take(&mut r[1]),
                    module: std::mem::take(&mut r[5]),
                })
            })
            .collect();
        if let Some(files) = files {
            return Ok(files);
        }
    }
    let rows: Vec<(i64, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT id, path, content_hash, skip_reason, COALESCE(module, '') FROM files WHERE project_id = ?",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, path, hash, skip_reason, module)| StoredFile {
            id,
            path,
            hash,
            module,
            skip_reason,
        })
        .collect())
}

pub async fn delete_files(conn: &mut SqliteConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM files WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Replaces a file's row, symbols and imports (its edges are written separately).
#[allow(clippy::too_many_arguments)] // one call site, each argument a different fact
pub async fn write_file(
    conn: &mut SqliteConnection,
    project_id: i64,
    existing: Option<i64>,
    file: &ParsedFile,
    hash: &str,
    size: usize,
    now: i64,
    next_element_id: &mut i64,
) -> Result<i64, sqlx::Error> {
    let errors = file
        .error_lines
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let file_id = match existing {
        Some(id) => {
            sqlx::query("DELETE FROM imports WHERE file_id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "UPDATE files SET language = ?, module = ?, content_hash = ?, size_bytes = ?, line_count = ?, \
                 error_lines = ?, has_tests = ?, symbols = ?, skip_reason = NULL, indexed_at = ? WHERE id = ?",
            )
            .bind(file.language.as_str())
            .bind(&file.module)
            .bind(hash)
            .bind(size as i64)
            .bind(file.line_count as i64)
            .bind(&errors)
            .bind(file.has_tests())
            .bind(file.elements.len() as i64)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            id
        }
        None => sqlx::query_scalar(
            "INSERT INTO files (project_id, path, language, module, content_hash, size_bytes, line_count, \
                 error_lines, has_tests, symbols, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(project_id)
        .bind(&file.path)
        .bind(file.language.as_str())
        .bind(&file.module)
        .bind(hash)
        .bind(size as i64)
        .bind(file.line_count as i64)
        .bind(&errors)
        .bind(file.has_tests())
        .bind(file.elements.len() as i64)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?,
    };
    insert_imports(conn, project_id, file_id, file).await?;
    if existing.is_some() {
        if diff::update_elements(conn, file_id, file).await? {
            return Ok(file_id);
        }
        sqlx::query("DELETE FROM code_elements WHERE file_id = ?")
            .bind(file_id)
            .execute(&mut *conn)
            .await?;
    }
    // Ids are given here, inside the write transaction, so parents can be referenced
    // within one multi-row insert.
    let base = *next_element_id;
    *next_element_id += file.elements.len() as i64;
    let indexed: Vec<(usize, &Element)> = file.elements.iter().enumerate().collect();
    for chunk in indexed.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO code_elements (id, project_id, file_id, parent_id, kind, name, qualified_name, \
             start_line, start_col, end_line, end_col, signature, doc, visibility, bases, type_ref, is_test) ",
        );
        q.push_values(chunk, |mut row, (i, e)| {
            row.push_bind(base + *i as i64)
                .push_bind(project_id)
                .push_bind(file_id)
                .push_bind(e.parent.map(|p| base + p as i64))
                .push_bind(e.kind.as_str())
                .push_bind(&e.name)
                .push_bind(&e.qualified_name)
                .push_bind(e.span.start_line as i64)
                .push_bind(e.span.start_col as i64)
                .push_bind(e.span.end_line as i64)
                .push_bind(e.span.end_col as i64)
                .push_bind(&e.signature)
                .push_bind(&e.doc)
                .push_bind(e.visibility.as_str())
                .push_bind(e.bases.join("\n"))
                .push_bind(&e.type_ref)
                .push_bind(e.is_test);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(file_id)
}

async fn insert_imports(
    conn: &mut SqliteConnection,
    project_id: i64,
    file_id: i64,
    file: &ParsedFile,
) -> Result<(), sqlx::Error> {
    for chunk in file.imports.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO imports (project_id, file_id, module, name, alias, line, reexport, scope) ",
        );
        q.push_values(chunk, |mut row, i| {
            row.push_bind(project_id)
                .push_bind(file_id)
                .push_bind(&i.module)
                .push_bind(&i.name)
                .push_bind(&i.alias)
                .push_bind(i.line as i64)
                .push_bind(i.reexport)
                .push_bind(&i.scope);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn write_skipped(
    conn: &mut SqliteConnection,
    project_id: i64,
    skipped: &[crate::walk::Skipped],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM files WHERE project_id = ? AND skip_reason IS NOT NULL")
        .bind(project_id)
        .execute(&mut *conn)
        .await?;
    for chunk in skipped.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT OR REPLACE INTO files (project_id, path, language, content_hash, size_bytes, line_count, skip_reason, indexed_at) ",
        );
        q.push_values(chunk, |mut row, s| {
            row.push_bind(project_id)
                .push_bind(&s.path)
                .push_bind(Language::from_path(&s.path).map(Language::as_str))
                .push_bind("")
                .push_bind(0i64)
                .push_bind(0i64)
                .push_bind(&s.reason)
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Sets a file's edges; `fresh` when the file was just inserted (it has none yet).
pub async fn replace_edges(
    conn: &mut SqliteConnection,
    project_id: i64,
    file_id: i64,
    edges: &[Edge],
    fresh: bool,
) -> Result<(), sqlx::Error> {
    let count = |r: Resolution| edges.iter().filter(|e| e.resolution == r).count() as i64;
    sqlx::query(
        "UPDATE files SET edges_exact = ?, edges_probable = ?, edges_external = ?, edges_unresolved = ? WHERE id = ?",
    )
    .bind(count(Resolution::Exact))
    .bind(count(Resolution::Probable))
    .bind(count(Resolution::External))
    .bind(count(Resolution::Unresolved))
    .bind(file_id)
    .execute(&mut *conn)
    .await?;
    if fresh {
        insert_edges(conn, project_id, file_id, &edges.iter().collect::<Vec<_>>()).await
    } else {
        diff::write_edges(conn, project_id, file_id, edges).await
    }
}

async fn insert_edges(
    conn: &mut SqliteConnection,
    project_id: i64,
    file_id: i64,
    edges: &[&Edge],
) -> Result<(), sqlx::Error> {
    for chunk in edges.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO call_graph (project_id, file_id, caller, callee, callee_name, callee_kind, resolution, line, col) ",
        );
        q.push_values(chunk, |mut row, e| {
            row.push_bind(project_id)
                .push_bind(file_id)
                .push_bind(&e.caller)
                .push_bind(&e.callee)
                .push_bind(&e.callee_name)
                .push_bind(e.callee_kind.map(ElementKind::as_str))
                .push_bind(e.resolution.as_str())
                .push_bind(e.line as i64)
                .push_bind(e.col as i64);
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

type ElementRow = (i64, String, String, String, String, Option<String>, Option<i64>);
type ImportRow = (i64, String, Option<String>, String, i64, bool, String);

/// The facts the resolver needs from files that did not change: elements and imports,
/// without spans, calls or bindings.
pub async fn load_facts(
    conn: &mut SqliteConnection,
    project_id: i64,
    skip: &std::collections::HashSet<i64>,
) -> Result<HashMap<i64, ParsedFile>, sqlx::Error> {
    let files: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, path, language, module FROM files WHERE project_id = ? AND skip_reason IS NULL",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, ParsedFile> = HashMap::new();
    for (id, path, language, module) in files {
        if skip.contains(&id) {
            continue;
        }
        let Some(language) = Language::parse(&language) else {
            continue;
        };
        out.insert(
            id,
            ParsedFile {
                path,
                language,
                module,
                elements: Vec::new(),
                imports: Vec::new(),
                calls: Vec::new(),
                bindings: Vec::new(),
                error_lines: Vec::new(),
                line_count: 0,
            },
        );
    }
    let elements: Vec<ElementRow> = sqlx::query_as(
        "SELECT file_id, kind, name, qualified_name, bases, type_ref, parent_id FROM code_elements \
         WHERE project_id = ? ORDER BY id",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    for (file_id, kind, name, qualified_name, bases, type_ref, parent) in elements {
        let Some(f) = out.get_mut(&file_id) else { continue };
        let Some(kind) = ElementKind::parse(&kind) else {
            continue;
        };
        f.elements.push(Element {
            kind,
            name,
            qualified_name,
            span: Span::default(),
            signature: String::new(),
            doc: None,
            visibility: Visibility::Public,
            // Only "is this the file's module element" matters to the symbol table.
            parent: parent.map(|_| 0),
            bases: bases
                .split('\n')
                .filter(|b| !b.is_empty())
                .map(str::to_string)
                .collect(),
            type_ref,
            is_test: false,
        });
    }
    let imports: Vec<ImportRow> = sqlx::query_as(
        "SELECT file_id, module, name, alias, line, reexport, scope FROM imports WHERE project_id = ? ORDER BY id",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    for (file_id, module, name, alias, line, reexport, scope) in imports {
        let Some(f) = out.get_mut(&file_id) else { continue };
        f.imports.push(Import {
            module,
            name,
            alias,
            line: line as u32,
            reexport,
            scope,
        });
    }
    Ok(out)
}

/// What other files' resolution can depend on in a file: its definitions (names, kinds,
/// bases, types) and its imports. Two equal signatures resolve every caller the same.
pub fn resolution_signature(file: &ParsedFile) -> Vec<String> {
    let mut sig: Vec<String> = file
        .elements
        .iter()
        .map(|e| element_entry(&e.qualified_name, e.kind, &e.bases, e.type_ref.as_deref()))
        .chain(file.imports.iter().map(import_entry))
        .collect();
    sig.sort();
    sig.dedup();
    sig
}

/// A definition's entry in a resolution signature.
pub fn element_entry(
    qualified_name: &str,
    kind: ElementKind,
    bases: &[String],
    type_ref: Option<&str>,
) -> String {
    format!(
        "e\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
        qualified_name,
        kind.as_str(),
        bases.join("\n"),
        type_ref.unwrap_or("")
    )
}

/// An import's entry in a resolution signature.
pub fn import_entry(i: &Import) -> String {
    format!(
        "i\u{1}{}\u{1}{}\u{1}{}\u{1}{}",
        i.module,
        i.name.as_deref().unwrap_or(""),
        i.alias,
        i.scope
    )
}
