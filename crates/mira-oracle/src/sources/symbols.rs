//! What the task names on its face: files it quotes (and stack-trace frames, innermost
//! first), modules it imports, and the definitions of identifiers it writes as code.
//! These are the strongest evidence the oracle has.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite};

use super::{Found, Query, Scored, cite_lines, excerpt, item};
use crate::rank::Ballot;

/// Names looked up at most (strong ones first).
const MAX_NAMES: usize = 40;

/// Member names so common across code bases that defining one says little about a
/// file (measured on real bug reports: they put the wrong file first).
const COMMON_MEMBERS: &[&str] = &[
    "id",
    "name",
    "names",
    "value",
    "values",
    "data",
    "attrs",
    "args",
    "kwargs",
    "real",
    "use",
    "default",
    "write",
    "read",
    "open",
    "close",
    "run",
    "call",
    "copy",
    "update",
    "items",
    "keys",
    "format",
    "parse",
    "load",
    "dump",
    "save",
    "add",
    "apply",
    "show",
    "render",
    "build",
    "create",
    "delete",
    "remove",
    "reset",
    "start",
    "stop",
    "size",
    "shape",
    "type",
    "text",
    "path",
    "file",
    "config",
    "options",
    "result",
    "results",
    "state",
    "context",
    "request",
    "response",
    "error",
    "errors",
    "message",
    "level",
    "index",
    "key",
    "node",
    "nodes",
    "model",
    "fit",
    "transform",
    "predict",
    "plot",
    "draw",
    "test",
    "setup",
    "teardown",
    "main",
    "run_test",
    "clean",
    "validate",
];

/// How much naming `name` says: strong mentions (code, calls, frames) much more than a
/// code-like word in prose; short or very common member names little.
fn strength(name: &str, strong: bool) -> f64 {
    let base = if strong { 1.0 } else { 0.25 };
    let common = name.len() <= 3 || COMMON_MEMBERS.contains(&name.to_ascii_lowercase().as_str());
    if common { base * 0.2 } else { base }
}

pub async fn mentioned(q: &Query<'_>) -> Result<Found, String> {
    let mut found = Found::default();
    let mut trace = Ballot::new("trace", 4.0);
    let mut paths = Ballot::new("path", 3.0);
    let mut modules = Ballot::new("module", 1.2);
    // Python prints the innermost frame last; it is usually nearest the fault. Frames
    // of other languages (Rust, JS, Go) come innermost first already.
    let python_trace = q.request.task.contains("Traceback (most recent call last)");
    let mut frames: Vec<_> = q.evidence.mentions.iter().filter(|m| m.in_trace).collect();
    if python_trace {
        frames.reverse();
    }
    let mut quoted = 0;
    for (rank, m) in frames.iter().enumerate() {
        let Some(path) = q.files.resolve(&m.path) else {
            continue;
        };
        trace.push(
            &path,
            format!(
                "frame of the stack trace in the task ({})",
                m.path.rsplit('/').next().unwrap_or(&m.path)
            ),
        );
        if let Some(line) = m.line
            && quoted < 4
            && let Some((text, lines)) =
                excerpt(&q.project.root, &path, line.saturating_sub(8), line + 8, 17, 300).await
        {
            quoted += 1;
            found.items.push(Scored {
                item: item("trace", Some(&path), Some(lines), text, cite_lines(&path, lines)),
                base: 0.95 - rank as f64 * 0.03,
            });
        }
    }
    for m in q.evidence.mentions.iter().filter(|m| !m.in_trace) {
        let Some(path) = q.files.resolve(&m.path) else {
            continue;
        };
        paths.push(&path, "named in the task");
        if let Some(line) = m.line
            && let Some((text, lines)) = excerpt(
                &q.project.root,
                &path,
                line.saturating_sub(10),
                line + 10,
                21,
                300,
            )
            .await
        {
            found.items.push(Scored {
                item: item("path", Some(&path), Some(lines), text, cite_lines(&path, lines)),
                base: 0.85,
            });
        }
    }
    for stem in &q.evidence.modules {
        for path in q.files.module_files(stem) {
            modules.push(
                &path,
                format!("module `{}` named in the task", stem.replace('/', ".")),
            );
        }
    }
    found.ballots.extend([trace, paths, modules]);
    Ok(found)
}

type DefRow = (String, String, String, String, i64, i64, bool);

/// Definitions of the identifiers the task writes as code. A name defined in many
/// places says little about any one of them, so each file's share is divided by the
/// number of definitions; a qualified name (`Foo.bar`) that matches picks its own.
pub async fn named(q: &Query<'_>) -> Result<Found, String> {
    let mut names: Vec<_> = q.evidence.names.iter().collect();
    names.sort_by_key(|n| !n.strong);
    names.truncate(MAX_NAMES);
    let mut found = Found::default();
    if names.is_empty() {
        return Ok(found);
    }
    let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT e.name, e.qualified_name, e.kind, f.path, e.start_line, e.end_line, e.is_test \
         FROM code_elements e JOIN files f ON f.id = e.file_id \
         WHERE e.project_id = ",
    );
    sql.push_bind(q.project.id);
    sql.push(
        " AND e.kind NOT IN ('impl', 'module', 'import', 'variable', 'field', 'parameter') AND e.name IN (",
    );
    let mut list = sql.separated(", ");
    for n in &names {
        list.push_bind(n.name.as_str());
    }
    sql.push(") ORDER BY f.path, e.start_line");
    let rows: Vec<DefRow> = sql
        .build_query_as()
        .fetch_all(q.db.pool())
        .await
        .map_err(|e| e.to_string())?;
    let mut by_name: HashMap<&str, Vec<&DefRow>> = HashMap::new();
    for r in &rows {
        by_name.entry(r.0.as_str()).or_default().push(r);
    }
    // File -> (weight, names it defines).
    let mut files: HashMap<String, (f64, Vec<String>)> = HashMap::new();
    let mut defs: Vec<(f64, &DefRow)> = Vec::new();
    for n in &names {
        let Some(list) = by_name.get(n.name.as_str()) else {
            continue;
        };
        let narrowed: Vec<&&DefRow> = match &n.qualified {
            Some(qn) => {
                let tail = qn.replace("::", ".");
                let own: Vec<_> = list
                    .iter()
                    .filter(|r| {
                        r.1.replace("::", ".").ends_with(&tail) || tail.ends_with(&r.1.replace("::", "."))
                    })
                    .collect();
                if own.is_empty() {
                    list.iter().collect()
                } else {
                    own
                }
            }
            None => list.iter().collect(),
        };
        if n.name.to_ascii_lowercase().starts_with("test") && narrowed.iter().all(|r| r.6) {
            found.names_tests = true;
        }
        let share = strength(&n.name, n.strong) / narrowed.len() as f64;
        for r in narrowed {
            let weight = if r.6 { share * 0.3 } else { share };
            let entry = files.entry(r.3.clone()).or_default();
            entry.0 += weight;
            if !entry.1.contains(&n.name) {
                entry.1.push(n.name.clone());
            }
            defs.push((weight, r));
        }
    }
    let mut ranked: Vec<_> = files.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let mut ballot = Ballot::new("symbol", 2.5);
    for (path, (_, defined)) in &ranked {
        let shown: Vec<String> = defined.iter().take(3).map(|d| format!("`{d}`")).collect();
        ballot.push(path, format!("defines {} named in the task", shown.join(", ")));
    }
    found.ballots.push(ballot);
    defs.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.3.cmp(&b.1.3))
            .then(a.1.4.cmp(&b.1.4))
    });
    let mut seen = std::collections::HashSet::new();
    for (rank, (weight, r)) in defs.iter().enumerate() {
        if found.items.len() >= q.config.symbols {
            break;
        }
        if *weight < 0.2 || !seen.insert((r.3.clone(), r.4)) {
            continue;
        }
        let (path, start, end) = (&r.3, r.4 as u32, r.5 as u32);
        let Some((text, lines)) = excerpt(&q.project.root, path, start, end, 80, 800).await else {
            continue;
        };
        found.items.push(Scored {
            item: item("symbol", Some(path), Some(lines), text, cite_lines(path, lines)),
            base: 0.8 * weight.min(1.0) / (1.0 + rank as f64 * 0.2),
        });
        if matches!(r.2.as_str(), "function" | "method" | "class" | "struct") {
            found.symbols.push(r.1.clone());
        }
    }
    Ok(found)
}
