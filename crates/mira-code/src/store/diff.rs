//! Rewriting a re-indexed file's rows by difference: most edits leave a file's
//! definitions and calls as they were, only moved to other lines, and updating the
//! positions of rows in place (columns no index covers) costs a fraction of deleting
//! them and inserting them again with every index of the big tables.
//!
//! What is stored afterwards is what a delete and insert would have stored, row for row;
//! only row ids differ, and within a file element ids stay in source order (the symbol
//! table reads them back in that order).

use std::collections::{HashMap, VecDeque};

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::model::{Element, ElementKind, ParsedFile};
use crate::resolve::Edge;

/// Rows per statement; under SQLite's 32766 bound variables at 11 per row.
const BATCH: usize = 1000;

type OldElement = (
    i64,
    Option<i64>,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    bool,
);

/// Updates a file's elements in place when it still defines the same elements (kind,
/// name, qualified name, parent) in the same order; returns false, writing nothing,
/// when it does not (then they are replaced).
pub async fn update_elements(
    conn: &mut SqliteConnection,
    file_id: i64,
    file: &ParsedFile,
) -> Result<bool, sqlx::Error> {
    let old: Vec<OldElement> = sqlx::query_as(
        "SELECT id, parent_id, kind, name, qualified_name, start_line, start_col, end_line, end_col, signature, doc, \
         visibility, bases, type_ref, is_test FROM code_elements WHERE file_id = ? ORDER BY id",
    )
    .bind(file_id)
    .fetch_all(&mut *conn)
    .await?;
    if old.len() != file.elements.len() {
        return Ok(false);
    }
    let same_shape = old.iter().zip(&file.elements).all(|(o, e)| {
        o.2 == e.kind.as_str()
            && o.3 == e.name
            && o.4 == e.qualified_name
            && o.1 == e.parent.and_then(|p| old.get(p)).map(|p| p.0)
    });
    if !same_shape {
        return Ok(false);
    }
    let changed: Vec<(i64, &Element)> = old
        .iter()
        .zip(&file.elements)
        .filter(|(o, e)| !same_details(o, e))
        .map(|(o, e)| (o.0, e))
        .collect();
    for chunk in changed.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "UPDATE code_elements SET start_line = v.column2, start_col = v.column3, end_line = v.column4, \
             end_col = v.column5, signature = v.column6, doc = v.column7, visibility = v.column8, \
             bases = v.column9, type_ref = v.column10, is_test = v.column11 FROM (",
        );
        q.push_values(chunk, |mut row, (id, e)| {
            row.push_bind(*id)
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
        q.push(") AS v WHERE code_elements.id = v.column1");
        q.build().execute(&mut *conn).await?;
    }
    Ok(true)
}

fn same_details(o: &OldElement, e: &Element) -> bool {
    o.5 == e.span.start_line as i64
        && o.6 == e.span.start_col as i64
        && o.7 == e.span.end_line as i64
        && o.8 == e.span.end_col as i64
        && o.9 == e.signature
        && o.10 == e.doc
        && o.11 == e.visibility.as_str()
        && o.12 == e.bases.join("\n")
        && o.13 == e.type_ref
        && o.14 == e.is_test
}

type OldEdge = (i64, String, String, String, Option<String>, String, i64, i64);

/// An edge without its position.
type EdgeKey<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a str);

fn key(e: &Edge) -> EdgeKey<'_> {
    (
        &e.caller,
        &e.callee,
        &e.callee_name,
        e.callee_kind.map(ElementKind::as_str),
        e.resolution.as_str(),
    )
}

/// A file's stored edges in (line, column, id) order.
async fn old_edges(conn: &mut SqliteConnection, file_id: i64) -> Result<Vec<OldEdge>, sqlx::Error> {
    let sql = format!(
        "SELECT group_concat({}, char(30) ORDER BY line, col, id) FROM call_graph WHERE file_id = ?",
        super::packed::record(&[
            "id",
            "caller",
            "callee",
            "callee_name",
            "callee_kind",
            "resolution",
            "line",
            "col"
        ])
    );
    if let Some(records) = super::packed::fetch(conn, &sql, file_id, 8).await? {
        let edges: Option<Vec<OldEdge>> = records
            .into_iter()
            .map(|mut r| {
                let take = |r: &mut Vec<String>, i: usize| std::mem::take(&mut r[i]);
                Some((
                    r[0].parse().ok()?,
                    take(&mut r, 1),
                    take(&mut r, 2),
                    take(&mut r, 3),
                    Some(take(&mut r, 4)).filter(|k| !k.is_empty()),
                    take(&mut r, 5),
                    r[6].parse().ok()?,
                    r[7].parse().ok()?,
                ))
            })
            .collect();
        if let Some(edges) = edges {
            return Ok(edges);
        }
    }
    sqlx::query_as(
        "SELECT id, caller, callee, callee_name, callee_kind, resolution, line, col FROM call_graph \
         WHERE file_id = ? ORDER BY line, col, id",
    )
    .bind(file_id)
    .fetch_all(&mut *conn)
    .await
}

fn old_key(o: &OldEdge) -> EdgeKey<'_> {
    (&o.1, &o.2, &o.3, o.4.as_deref(), &o.5)
}

/// Brings a file's stored edges to `edges`: edges already stored stay, edges that only
/// moved get their new position, the rest are deleted or inserted.
pub async fn write_edges(
    conn: &mut SqliteConnection,
    project_id: i64,
    file_id: i64,
    edges: &[Edge],
) -> Result<(), sqlx::Error> {
    let old = old_edges(conn, file_id).await?;
    // Exactly stored already (same position too).
    let mut at_place: HashMap<(EdgeKey<'_>, i64, i64), VecDeque<usize>> = HashMap::new();
    for (i, o) in old.iter().enumerate() {
        at_place.entry((old_key(o), o.6, o.7)).or_default().push_back(i);
    }
    let mut used = vec![false; old.len()];
    let mut pending: Vec<&Edge> = Vec::new();
    for e in edges {
        let slot = at_place
            .get_mut(&(key(e), e.line as i64, e.col as i64))
            .and_then(VecDeque::pop_front);
        match slot {
            Some(i) => used[i] = true,
            None => pending.push(e),
        }
    }
    // Moved: the same edge at another place, paired in source order.
    let mut by_key: HashMap<EdgeKey<'_>, VecDeque<usize>> = HashMap::new();
    for (i, o) in old.iter().enumerate() {
        if !used[i] {
            by_key.entry(old_key(o)).or_default().push_back(i);
        }
    }
    let mut moved: Vec<(i64, &Edge)> = Vec::new();
    let mut inserted: Vec<&Edge> = Vec::new();
    for e in pending {
        match by_key.get_mut(&key(e)).and_then(VecDeque::pop_front) {
            Some(i) => {
                used[i] = true;
                moved.push((old[i].0, e));
            }
            None => inserted.push(e),
        }
    }
    let deleted: Vec<i64> = old
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(o, _)| o.0)
        .collect();
    for chunk in deleted.chunks(BATCH) {
        let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM call_graph WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await?;
    }
    for chunk in moved.chunks(BATCH) {
        let mut q =
            QueryBuilder::<Sqlite>::new("UPDATE call_graph SET line = v.column2, col = v.column3 FROM (");
        q.push_values(chunk, |mut row, (id, e)| {
            row.push_bind(*id)
                .push_bind(e.line as i64)
                .push_bind(e.col as i64);
        });
        q.push(") AS v WHERE call_graph.id = v.column1");
        q.build().execute(&mut *conn).await?;
    }
    super::insert_edges(conn, project_id, file_id, &inserted).await
}
