//! Reading the index back: symbols, callers, callees, impact, definitions, the graph.

use std::collections::{HashMap, HashSet, VecDeque};

use mira_store::Db;
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite};

use crate::CodeError;
use crate::extract::is_test_path;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Symbol {
    pub qualified_name: String,
    pub name: String,
    pub kind: String,
    pub file: String,
    pub language: String,
    pub start_line: u32,
    pub start_col: u32,
    pub end_line: u32,
    pub end_col: u32,
    pub signature: String,
    pub doc: Option<String>,
    pub visibility: String,
    /// Qualified name of the enclosing element (`None` for a module).
    pub parent: Option<String>,
    pub is_test: bool,
}

type SymbolRow = (
    String,
    String,
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
    Option<String>,
    bool,
);

const SYMBOL_SELECT: &str = "SELECT e.qualified_name, e.name, e.kind, f.path, f.language, e.start_line, e.start_col, \
     e.end_line, e.end_col, e.signature, e.doc, e.visibility, p.qualified_name, e.is_test \
     FROM code_elements e JOIN files f ON f.id = e.file_id LEFT JOIN code_elements p ON p.id = e.parent_id ";

fn symbol(r: SymbolRow) -> Symbol {
    Symbol {
        qualified_name: r.0,
        name: r.1,
        kind: r.2,
        is_test: r.13 || is_test_path(&r.3),
        file: r.3,
        language: r.4,
        start_line: r.5 as u32,
        start_col: r.6 as u32,
        end_line: r.7 as u32,
        end_col: r.8 as u32,
        signature: r.9,
        doc: r.10,
        visibility: r.11,
        parent: r.12,
    }
}

/// The outline of one file, in source order.
pub async fn file_symbols(db: &Db, project_id: i64, path: &str) -> Result<Vec<Symbol>, CodeError> {
    let rows: Vec<SymbolRow> = sqlx::query_as(&format!(
        "{SYMBOL_SELECT} WHERE e.project_id = ? AND f.path = ? ORDER BY e.start_line, e.start_col, e.id"
    ))
    .bind(project_id)
    .bind(path)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(symbol).collect())
}

/// Symbols matching `query`: the exact qualified name, else the exact name, else names
/// and qualified names containing it (case-insensitive), best first. Fields and impl
/// blocks are left out unless asked for by qualified name.
pub async fn find_symbols(
    db: &Db,
    project_id: i64,
    query: &str,
    limit: usize,
) -> Result<Vec<Symbol>, CodeError> {
    let exact: Vec<SymbolRow> = sqlx::query_as(&format!(
        "{SYMBOL_SELECT} WHERE e.project_id = ? AND e.qualified_name = ? AND e.kind != 'impl' ORDER BY e.id LIMIT ?"
    ))
    .bind(project_id)
    .bind(query)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    let exact: Vec<Symbol> = exact.into_iter().map(symbol).collect();
    // A Python module's qualified name is its file's stem, so `checkout` names both the
    // module checkout.py and the function `checkout.checkout` in it; a module alone
    // would answer "no callers" for the function the user meant, so both are kept.
    if !exact.is_empty() && !exact.iter().all(|s| s.kind == "module") {
        return Ok(exact);
    }
    let by_name: Vec<SymbolRow> = sqlx::query_as(&format!(
        "{SYMBOL_SELECT} WHERE e.project_id = ? AND e.name = ? AND e.kind NOT IN ('impl', 'field') \
         ORDER BY length(e.qualified_name), e.qualified_name LIMIT ?"
    ))
    .bind(project_id)
    .bind(query)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    if !exact.is_empty() || !by_name.is_empty() {
        let mut found = exact;
        for s in by_name.into_iter().map(symbol) {
            if found.len() < limit && !found.iter().any(|f| f.qualified_name == s.qualified_name) {
                found.push(s);
            }
        }
        return Ok(found);
    }
    let pattern = format!(
        "%{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let prefix = format!(
        "{}%",
        query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let fuzzy: Vec<SymbolRow> = sqlx::query_as(&format!(
        "{SYMBOL_SELECT} WHERE e.project_id = ? AND e.kind NOT IN ('impl', 'field') \
         AND (e.name LIKE ? ESCAPE '\\' OR e.qualified_name LIKE ? ESCAPE '\\') \
         ORDER BY (e.name LIKE ? ESCAPE '\\') DESC, length(e.name), e.qualified_name LIMIT ?"
    ))
    .bind(project_id)
    .bind(&pattern)
    .bind(&pattern)
    .bind(&prefix)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(fuzzy.into_iter().map(symbol).collect())
}

/// Every symbol of the project (or of files under `prefix`), for listings.
pub async fn all_symbols(
    db: &Db,
    project_id: i64,
    prefix: Option<&str>,
    limit: usize,
) -> Result<Vec<Symbol>, CodeError> {
    let like = format!(
        "{}%",
        prefix.unwrap_or("").replace('%', "\\%").replace('_', "\\_")
    );
    let rows: Vec<SymbolRow> = sqlx::query_as(&format!(
        "{SYMBOL_SELECT} WHERE e.project_id = ? AND f.path LIKE ? ESCAPE '\\' AND e.kind != 'impl' \
         ORDER BY f.path, e.start_line, e.id LIMIT ?"
    ))
    .bind(project_id)
    .bind(like)
    .bind(limit as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(symbol).collect())
}

/// One call site, seen from either end.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CallRef {
    /// The other end: the caller for `callers`, the callee for `callees`.
    pub symbol: String,
    /// Its kind when it is defined in the project; `external` or `unresolved` otherwise.
    pub kind: String,
    /// Where the call is.
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub resolution: String,
    /// The caller is a test, or lives in a test file.
    pub is_test: bool,
}

type CallRow = (String, Option<String>, String, i64, i64, String, Option<bool>);

fn call_ref(r: CallRow) -> CallRef {
    let kind = r.1.unwrap_or_else(|| match r.5.as_str() {
        "external" => "external".into(),
        "unresolved" => "unresolved".into(),
        _ => "unknown".into(),
    });
    CallRef {
        symbol: r.0,
        kind,
        is_test: r.6.unwrap_or(false) || is_test_path(&r.2),
        file: r.2,
        line: r.3 as u32,
        col: r.4 as u32,
        resolution: r.5,
    }
}

/// Call sites that call `qualified_name`.
pub async fn callers(db: &Db, project_id: i64, qualified_name: &str) -> Result<Vec<CallRef>, CodeError> {
    let rows: Vec<CallRow> = sqlx::query_as(
        "SELECT c.caller, \
           (SELECT e.kind FROM code_elements e WHERE e.project_id = c.project_id AND e.qualified_name = c.caller AND e.kind != 'impl' LIMIT 1), \
           f.path, c.line, c.col, c.resolution, \
           (SELECT MAX(e.is_test) FROM code_elements e WHERE e.project_id = c.project_id AND e.qualified_name = c.caller) \
         FROM call_graph c JOIN files f ON f.id = c.file_id \
         WHERE c.project_id = ? AND c.callee = ? ORDER BY f.path, c.line, c.col",
    )
    .bind(project_id)
    .bind(qualified_name)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(call_ref).collect())
}

/// Call sites in the body of `qualified_name`, with what they call.
pub async fn callees(db: &Db, project_id: i64, qualified_name: &str) -> Result<Vec<CallRef>, CodeError> {
    let rows: Vec<CallRow> = sqlx::query_as(
        "SELECT c.callee, c.callee_kind, f.path, c.line, c.col, c.resolution, \
           (SELECT MAX(e.is_test) FROM code_elements e WHERE e.project_id = c.project_id AND e.qualified_name = c.caller) \
         FROM call_graph c JOIN files f ON f.id = c.file_id \
         WHERE c.project_id = ? AND c.caller = ? ORDER BY f.path, c.line, c.col",
    )
    .bind(project_id)
    .bind(qualified_name)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(call_ref).collect())
}

/// A symbol reached by impact analysis.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Impacted {
    pub symbol: String,
    pub kind: String,
    pub depth: u32,
    /// From the changed symbol to this one: each element calls the one before it.
    pub path: Vec<String>,
    /// Where it calls the previous symbol of the path.
    pub file: String,
    pub line: u32,
    pub resolution: String,
    pub is_test: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub symbol: String,
    pub depth: u32,
    pub impacted: Vec<Impacted>,
    pub tests: usize,
}

type ImpactRow = (String, String, String, i64, String);

/// What may break if `qualified_name` changes: its callers, theirs, up to `depth`
/// levels, each with the shortest call path that reaches it. Unresolved edges are not
/// followed (their callee is only a name). Level by level, symbols are visited in name
/// order and their callers in (file, line, column, caller) order; the first path that
/// reaches a symbol is the one given.
///
/// A process that asks more than once answers from the call graph kept in memory (see
/// `impact_graph`); the answer is the same as [`impact_uncached`] gives.
pub async fn impact(db: &Db, project_id: i64, qualified_name: &str, depth: u32) -> Result<Impact, CodeError> {
    if let Some(graph) = crate::impact_graph::graph(db, project_id).await? {
        return Ok(graph.impact(qualified_name, depth));
    }
    impact_uncached(db, project_id, qualified_name, depth).await
}

/// [`impact`] read from SQLite level by level, without keeping anything in memory.
pub async fn impact_uncached(
    db: &Db,
    project_id: i64,
    qualified_name: &str,
    depth: u32,
) -> Result<Impact, CodeError> {
    let mut seen: HashSet<String> = HashSet::from([qualified_name.to_string()]);
    let mut paths: HashMap<String, Vec<String>> =
        HashMap::from([(qualified_name.to_string(), vec![qualified_name.to_string()])]);
    let mut frontier: VecDeque<String> = VecDeque::from([qualified_name.to_string()]);
    let mut impacted = Vec::new();
    for level in 1..=depth {
        if frontier.is_empty() {
            break;
        }
        let mut current: Vec<String> = frontier.drain(..).collect();
        // Chunks of a sorted frontier, each answer sorted by callee: the whole level
        // comes in callee order.
        current.sort();
        for chunk in current.chunks(400) {
            // Kinds and test flags are looked up once for all reached symbols, below.
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT c.callee, c.caller, f.path, c.line, c.resolution \
                 FROM call_graph c JOIN files f ON f.id = c.file_id WHERE c.project_id = ",
            );
            q.push_bind(project_id);
            q.push(" AND c.resolution IN ('exact', 'probable') AND c.callee IN (");
            let mut sep = q.separated(", ");
            for s in chunk {
                sep.push_bind(s.as_str());
            }
            // A full order, so which call path reaches a symbol first never depends on
            // how the rows happen to be stored.
            q.push(") ORDER BY c.callee, f.path, c.line, c.col, c.caller");
            let rows: Vec<ImpactRow> = q.build_query_as().fetch_all(db.pool()).await?;
            for (callee, caller, file, line, resolution) in rows {
                if !seen.insert(caller.clone()) {
                    continue;
                }
                let mut path = paths.get(&callee).cloned().unwrap_or_default();
                path.push(caller.clone());
                paths.insert(caller.clone(), path.clone());
                frontier.push_back(caller.clone());
                impacted.push(Impacted {
                    is_test: is_test_path(&file),
                    symbol: caller,
                    kind: "unknown".into(),
                    depth: level,
                    path,
                    file,
                    line: line as u32,
                    resolution,
                });
            }
        }
    }
    let names: Vec<&str> = impacted.iter().map(|i| i.symbol.as_str()).collect();
    let mut facts: HashMap<String, (String, bool)> = HashMap::new();
    for chunk in names.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT qualified_name, kind, is_test FROM code_elements WHERE kind != 'impl' AND project_id = ",
        );
        q.push_bind(project_id).push(" AND qualified_name IN (");
        let mut sep = q.separated(", ");
        for n in chunk {
            sep.push_bind(*n);
        }
        // The kind of the first definition (by id) of a name, as the graph keeps it.
        q.push(") ORDER BY qualified_name, id");
        let rows: Vec<(String, String, bool)> = q.build_query_as().fetch_all(db.pool()).await?;
        for (name, kind, is_test) in rows {
            let entry = facts.entry(name).or_insert((kind, false));
            entry.1 |= is_test;
        }
    }
    for i in &mut impacted {
        if let Some((kind, is_test)) = facts.get(&i.symbol) {
            i.kind = kind.clone();
            i.is_test |= *is_test;
        }
    }
    let tests = impacted.iter().filter(|i| i.is_test).count();
    Ok(Impact {
        symbol: qualified_name.to_string(),
        depth,
        impacted,
        tests,
    })
}

/// Go to definition: the definition called at (`path`, `line`, `col`) when a resolved
/// call is there, else the innermost element whose span holds the position.
pub async fn definition_at(
    db: &Db,
    project_id: i64,
    path: &str,
    line: u32,
    col: u32,
) -> Result<Option<Symbol>, CodeError> {
    let calls: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.callee, c.col FROM call_graph c JOIN files f ON f.id = c.file_id \
         WHERE c.project_id = ? AND f.path = ? AND c.line = ? AND c.resolution IN ('exact', 'probable') \
         AND c.col <= ? ORDER BY c.col DESC",
    )
    .bind(project_id)
    .bind(path)
    .bind(line as i64)
    .bind(col as i64)
    .fetch_all(db.pool())
    .await?;
    for (callee, _) in calls {
        let found = find_symbols(db, project_id, &callee, 1).await?;
        if let Some(s) = found.into_iter().find(|s| s.qualified_name == callee) {
            return Ok(Some(s));
        }
    }
    let rows: Vec<SymbolRow> = sqlx::query_as(&format!(
        "{SYMBOL_SELECT} WHERE e.project_id = ? AND f.path = ? AND e.kind NOT IN ('module', 'impl') \
         AND (e.start_line < ? OR (e.start_line = ? AND e.start_col <= ?)) \
         AND (e.end_line > ? OR (e.end_line = ? AND e.end_col >= ?)) \
         ORDER BY (e.end_line - e.start_line), e.id DESC LIMIT 1"
    ))
    .bind(project_id)
    .bind(path)
    .bind(line as i64)
    .bind(line as i64)
    .bind(col as i64)
    .bind(line as i64)
    .bind(line as i64)
    .bind(col as i64)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().next().map(symbol))
}

/// A node of `mira callgraph --json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub kind: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GraphEdge {
    pub caller: String,
    pub callee: String,
    pub resolution: String,
    pub file: String,
    pub line: u32,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<GraphEdge>,
}

type GraphRow = (String, String, String, String, i64, String, Option<String>);

/// The call graph of the project, or of the files under `prefix`: every function,
/// method and module there, each call made from there, and the external and unresolved
/// nodes those calls reach.
pub async fn callgraph(db: &Db, project_id: i64, prefix: Option<&str>) -> Result<Graph, CodeError> {
    let like = format!(
        "{}%",
        prefix.unwrap_or("").replace('%', "\\%").replace('_', "\\_")
    );
    let nodes: Vec<(String, String, String, i64, String)> = sqlx::query_as(
        "SELECT e.qualified_name, e.kind, f.path, e.start_line, f.language FROM code_elements e \
         JOIN files f ON f.id = e.file_id WHERE e.project_id = ? AND f.path LIKE ? ESCAPE '\\' \
         AND e.kind IN ('module', 'function', 'method', 'class', 'struct') ORDER BY f.path, e.start_line, e.id",
    )
    .bind(project_id)
    .bind(&like)
    .fetch_all(db.pool())
    .await?;
    let mut graph = Graph::default();
    let mut ids: HashSet<String> = HashSet::new();
    for (id, kind, file, line, language) in nodes {
        if ids.insert(id.clone()) {
            graph.nodes.push(Node {
                id,
                kind,
                file: Some(file),
                line: Some(line as u32),
                language: Some(language),
            });
        }
    }
    let edges: Vec<GraphRow> = sqlx::query_as(
        "SELECT c.caller, c.callee, c.resolution, f.path, c.line, f.language, c.callee_kind FROM call_graph c \
         JOIN files f ON f.id = c.file_id WHERE c.project_id = ? AND f.path LIKE ? ESCAPE '\\' \
         ORDER BY f.path, c.line, c.col",
    )
    .bind(project_id)
    .bind(&like)
    .fetch_all(db.pool())
    .await?;
    let mut defined_elsewhere: Vec<String> = Vec::new();
    for (caller, callee, resolution, file, line, language, callee_kind) in edges {
        if !ids.contains(&callee) {
            match resolution.as_str() {
                "external" | "unresolved" => {
                    ids.insert(callee.clone());
                    graph.nodes.push(Node {
                        id: callee.clone(),
                        kind: resolution.clone(),
                        file: None,
                        line: None,
                        language: Some(language),
                    });
                }
                _ => {
                    if callee_kind.is_some() {
                        defined_elsewhere.push(callee.clone());
                    }
                }
            }
        }
        graph.edges.push(GraphEdge {
            caller,
            callee,
            resolution,
            file,
            line: line as u32,
        });
    }
    // Callees defined outside `prefix` are nodes too, so every edge has both ends.
    defined_elsewhere.sort();
    defined_elsewhere.dedup();
    for q in defined_elsewhere {
        if ids.contains(&q) {
            continue;
        }
        let row: Option<(String, String, i64, String)> = sqlx::query_as(
            "SELECT e.kind, f.path, e.start_line, f.language FROM code_elements e JOIN files f ON f.id = e.file_id \
             WHERE e.project_id = ? AND e.qualified_name = ? AND e.kind != 'impl' LIMIT 1",
        )
        .bind(project_id)
        .bind(&q)
        .fetch_optional(db.pool())
        .await?;
        if let Some((kind, file, line, language)) = row {
            ids.insert(q.clone());
            graph.nodes.push(Node {
                id: q,
                kind,
                file: Some(file),
                line: Some(line as u32),
                language: Some(language),
            });
        }
    }
    Ok(graph)
}

/// Files with their tags, for the file browser: language, symbol count, tests, problems.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileTags {
    pub path: String,
    pub language: Option<String>,
    pub symbols: i64,
    pub has_tests: bool,
    pub error_lines: Vec<u32>,
    pub skip_reason: Option<String>,
}

type TagRow = (String, Option<String>, i64, bool, String, Option<String>);

pub async fn file_tags(db: &Db, project_id: i64) -> Result<Vec<FileTags>, CodeError> {
    let rows: Vec<TagRow> = sqlx::query_as(
        "SELECT f.path, f.language, (SELECT COUNT(*) FROM code_elements e WHERE e.file_id = f.id AND e.kind != 'module'), \
         f.has_tests, f.error_lines, f.skip_reason FROM files f WHERE f.project_id = ? ORDER BY f.path",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(path, language, symbols, has_tests, errors, skip_reason)| FileTags {
                path,
                language,
                symbols,
                has_tests,
                error_lines: errors.split(',').filter_map(|l| l.parse().ok()).collect(),
                skip_reason,
            },
        )
        .collect())
}

/// The qualified names a user's SYMBOL stands for: the definitions it finds (callable
/// ones first), or SYMBOL itself when nothing matches (it may name an external node,
/// such as `json.dumps`).
pub async fn lookup(db: &Db, project_id: i64, query: &str) -> Result<Vec<String>, CodeError> {
    let found = find_symbols(db, project_id, query, 20).await?;
    let callable: Vec<String> = found
        .iter()
        .filter(|s| {
            matches!(
                s.kind.as_str(),
                "function" | "method" | "module" | "class" | "struct"
            )
        })
        .map(|s| s.qualified_name.clone())
        .collect();
    if !callable.is_empty() {
        return Ok(dedup(callable));
    }
    if !found.is_empty() {
        return Ok(dedup(found.into_iter().map(|s| s.qualified_name).collect()));
    }
    Ok(vec![query.to_string()])
}

fn dedup(mut names: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}
