//! The reverse call graph of a project in memory, for impact analysis: a breadth-first
//! walk over callers of callers touches thousands of edges, and reading each of them
//! through SQLite costs far more than following it in memory.
//!
//! Kept per database and project, and used only while the project's files still have
//! the ids, content hashes and edge counts it was read with (one short query per
//! answer checks it), so an index run by this or another process makes it be read again.
//! A process builds it only once it asks a second time (a server, the UI); a one-shot
//! CLI call answers from SQLite directly.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use mira_store::Db;

use crate::CodeError;
use crate::extract::is_test_path;
use crate::queries::{Impact, Impacted};

/// A call into a symbol, seen from the callee.
struct Incoming {
    caller: u32,
    file: u32,
    line: u32,
    probable: bool,
}

pub(crate) struct Graph {
    fingerprint: String,
    names: Vec<String>,
    ids: HashMap<String, u32>,
    files: Vec<String>,
    /// By callee id: its callers in (file path, line, column, caller) order.
    callers: Vec<Vec<Incoming>>,
    /// By name id: kind and test flag of the definition, when the name is one.
    facts: Vec<Option<(String, bool)>>,
}

#[derive(Default)]
struct Slot {
    graph: Option<Arc<Graph>>,
    /// Answers given from SQLite since the graph was last valid.
    asked: u32,
}

static GRAPHS: LazyLock<Mutex<HashMap<(std::path::PathBuf, i64), Slot>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// What identifies the stored call graph: every indexed file's id, content hash and
/// resolved edge counts. One row, so checking it is cheap.
async fn fingerprint(db: &Db, project_id: i64) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COALESCE(group_concat(id || ':' || content_hash || ':' || edges_exact || ':' || edges_probable, \
         ',' ORDER BY id), '') FROM files WHERE project_id = ? AND skip_reason IS NULL",
    )
    .bind(project_id)
    .fetch_one(db.pool())
    .await
}

/// The graph to answer from, if this process keeps one (or should start keeping one).
pub(crate) async fn graph(db: &Db, project_id: i64) -> Result<Option<Arc<Graph>>, CodeError> {
    let key = (db.path().to_path_buf(), project_id);
    let fp = fingerprint(db, project_id).await?;
    {
        let mut all = GRAPHS
            .lock()
            .map_err(|_| CodeError::Task("impact graph lock poisoned".into()))?;
        let slot = all.entry(key.clone()).or_default();
        if let Some(g) = slot.graph.as_ref().filter(|g| g.fingerprint == fp) {
            return Ok(Some(Arc::clone(g)));
        }
        slot.graph = None;
        slot.asked += 1;
        if slot.asked < 2 {
            return Ok(None);
        }
    }
    let Some(graph) = load(db, project_id, fp).await? else {
        return Ok(None);
    };
    let graph = Arc::new(graph);
    if let Ok(mut all) = GRAPHS.lock() {
        let slot = all.entry(key).or_default();
        slot.graph = Some(Arc::clone(&graph));
        slot.asked = 0;
    }
    Ok(Some(graph))
}

/// Fields and records of the aggregated answers below (ASCII unit and record
/// separators): one row of text instead of a row per edge, which is what reading
/// hundreds of thousands of edges costs through the driver.
const UNIT: char = '\u{1f}';
const RECORD: char = '\u{1e}';

async fn load(db: &Db, project_id: i64, fingerprint: String) -> Result<Option<Graph>, CodeError> {
    let file_rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, path FROM files WHERE project_id = ?")
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
    let edges: String = sqlx::query_scalar(
        "SELECT COALESCE(group_concat(callee || char(31) || caller || char(31) || file_id || char(31) || line \
         || char(31) || col || char(31) || resolution, char(30)), '') FROM call_graph NOT INDEXED \
         WHERE project_id = ? AND resolution IN ('exact', 'probable')",
    )
    .bind(project_id)
    .fetch_one(db.pool())
    .await?;
    let elements: String = sqlx::query_scalar(
        "SELECT COALESCE(group_concat(id || char(31) || qualified_name || char(31) || kind || char(31) || is_test, \
         char(30)), '') FROM code_elements NOT INDEXED WHERE project_id = ? AND kind != 'impl'",
    )
    .bind(project_id)
    .fetch_one(db.pool())
    .await?;
    let build = move || {
        let mut g = Graph {
            fingerprint,
            names: Vec::new(),
            ids: HashMap::new(),
            files: Vec::new(),
            callers: Vec::new(),
            facts: Vec::new(),
        };
        let mut file_index: HashMap<i64, u32> = HashMap::new();
        for (id, path) in file_rows {
            file_index.insert(id, g.files.len() as u32);
            g.files.push(path);
        }
        let mut cols: Vec<Vec<u32>> = Vec::new();
        for record in edges.split(RECORD).filter(|r| !r.is_empty()) {
            let f: Vec<&str> = record.split(UNIT).collect();
            // A name holding a separator would shift the fields: then do without.
            let [callee, caller, file_id, line, col, resolution] = f[..] else {
                return None;
            };
            let (Ok(file_id), Ok(line), Ok(col)) = (file_id.parse::<i64>(), line.parse(), col.parse()) else {
                return None;
            };
            let Some(&file) = file_index.get(&file_id) else {
                continue;
            };
            let callee = g.intern(callee);
            let caller = g.intern(caller);
            cols.resize_with(g.names.len(), Vec::new);
            cols[callee as usize].push(col);
            g.callers[callee as usize].push(Incoming {
                caller,
                file,
                line,
                probable: resolution == "probable",
            });
        }
        // The order the SQLite answer uses: file path, line, column, caller.
        for (incoming, cols) in g.callers.iter_mut().zip(cols) {
            let mut keyed: Vec<(Incoming, u32)> = incoming.drain(..).zip(cols).collect();
            keyed.sort_by(|(a, ac), (b, bc)| {
                (&g.files[a.file as usize], a.line, ac, &g.names[a.caller as usize]).cmp(&(
                    &g.files[b.file as usize],
                    b.line,
                    bc,
                    &g.names[b.caller as usize],
                ))
            });
            *incoming = keyed.into_iter().map(|(i, _)| i).collect();
        }
        // The kind of a name's first definition by id, tests among any of them.
        let mut first_id: Vec<i64> = vec![i64::MAX; g.names.len()];
        for record in elements.split(RECORD).filter(|r| !r.is_empty()) {
            let f: Vec<&str> = record.split(UNIT).collect();
            let [id, name, kind, is_test] = f[..] else {
                return None;
            };
            let Ok(element_id) = id.parse::<i64>() else {
                return None;
            };
            // Only names an answer can hold: callers.
            let Some(&id) = g.ids.get(name) else { continue };
            let is_test = is_test == "1";
            let fact = &mut g.facts[id as usize];
            let was_test = fact.as_ref().is_some_and(|(_, t)| *t);
            if element_id < first_id[id as usize] {
                first_id[id as usize] = element_id;
                *fact = Some((kind.to_string(), is_test || was_test));
            } else if let Some((_, t)) = fact {
                *t |= is_test;
            }
        }
        Some(g)
    };
    tokio::task::spawn_blocking(build)
        .await
        .map_err(|e| CodeError::Task(format!("reading the call graph failed: {e}")))
}

impl Graph {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        self.callers.push(Vec::new());
        self.facts.push(None);
        id
    }

    /// The same answer as [`crate::queries::impact`] gives from SQLite: level by level,
    /// the frontier in name order, each symbol's callers in (path, line, column, caller)
    /// order, the first call path to reach a symbol kept.
    pub fn impact(&self, qualified_name: &str, depth: u32) -> Impact {
        let mut impacted: Vec<Impacted> = Vec::new();
        let Some(&start) = self.ids.get(qualified_name) else {
            return Impact {
                symbol: qualified_name.to_string(),
                depth,
                impacted,
                tests: 0,
            };
        };
        let mut seen: HashSet<u32> = HashSet::from([start]);
        // By name id: (the index of its entry in `impacted`) to extend paths from.
        let mut entry_of: HashMap<u32, usize> = HashMap::new();
        let mut frontier = vec![start];
        for level in 1..=depth {
            if frontier.is_empty() {
                break;
            }
            frontier.sort_by(|a, b| self.names[*a as usize].cmp(&self.names[*b as usize]));
            let mut next = Vec::new();
            for &callee in &frontier {
                for inc in &self.callers[callee as usize] {
                    if !seen.insert(inc.caller) {
                        continue;
                    }
                    let mut path = match entry_of.get(&callee) {
                        Some(&i) => impacted[i].path.clone(),
                        None => vec![qualified_name.to_string()],
                    };
                    let symbol = self.names[inc.caller as usize].clone();
                    path.push(symbol.clone());
                    let file = self.files[inc.file as usize].clone();
                    let (kind, element_test) = match &self.facts[inc.caller as usize] {
                        Some((k, t)) => (k.clone(), *t),
                        None => ("unknown".to_string(), false),
                    };
                    entry_of.insert(inc.caller, impacted.len());
                    next.push(inc.caller);
                    impacted.push(Impacted {
                        is_test: is_test_path(&file) || element_test,
                        symbol,
                        kind,
                        depth: level,
                        path,
                        file,
                        line: inc.line,
                        resolution: if inc.probable { "probable" } else { "exact" }.to_string(),
                    });
                }
            }
            frontier = next;
        }
        let tests = impacted.iter().filter(|i| i.is_test).count();
        Impact {
            symbol: qualified_name.to_string(),
            depth,
            impacted,
            tests,
        }
    }
}
