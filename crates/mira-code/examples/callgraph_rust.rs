//! Mira's call graph of one Rust project, with every node placed at its definition, for
//! comparison with a truth built elsewhere (scripts/bench-callgraph-rust.py compares it
//! with rustc's MIR):
//!
//! ```sh
//! cargo run -p mira-code --example callgraph_rust -- PATH > edges.json
//! ```
//!
//! It runs what the indexer runs (walk, parse, symbol table, resolution) without the
//! database, and prints one JSON object: `defs`, every function and method with its file
//! and lines, and `edges`, every resolved call with its caller's definition and the
//! definitions its callee's qualified name stands for (more than one when several
//! functions share a qualified name, which is how a user sees such a node).

use std::collections::HashMap;
use std::path::Path;

use mira_code::lang::Language;
use mira_code::model::{Callee, ElementKind, Receiver};
use mira_code::resolve::{SymbolTable, resolve_file};
use serde_json::json;

/// The shape of a call as written, for figures by construct.
fn construct(callee: &Callee) -> &'static str {
    match callee {
        Callee::Name(_) => "name",
        Callee::Path(_) => "path",
        Callee::New(_) => "new",
        Callee::Member { receiver, .. } => match receiver {
            Receiver::SelfRef => "method on self",
            Receiver::Path(p) if p.first().is_some_and(|s| s == "self") => "method on field",
            Receiver::Path(_) => "method on field",
            Receiver::Name(_) => "method on local or param",
            Receiver::Call(_) => "method on call result",
            Receiver::Super | Receiver::Unknown => "method on other expression",
        },
    }
}

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: callgraph_rust PATH");
        std::process::exit(2);
    };
    let walked = mira_code::walk::walk(Path::new(&root));
    let files: Vec<_> = walked
        .files
        .iter()
        .filter(|f| f.language == Language::Rust)
        .map(|f| {
            mira_code::extract::parse(
                &mira_code::extract::FileInfo {
                    path: &f.path,
                    language: f.language,
                    module: f.module.clone(),
                    crate_alias: f.crate_alias.clone(),
                },
                f.text.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let table = SymbolTable::new(&files);
    let mut defs = Vec::new();
    let mut by_qname: HashMap<&str, Vec<(String, u32)>> = HashMap::new();
    for f in &files {
        for e in &f.elements {
            if matches!(e.kind, ElementKind::Function | ElementKind::Method) {
                defs.push(json!({
                    "file": f.path, "line": e.span.start_line, "end_line": e.span.end_line,
                    "qname": e.qualified_name, "name": e.name,
                }));
                by_qname
                    .entry(e.qualified_name.as_str())
                    .or_default()
                    .push((f.path.clone(), e.span.start_line));
            }
        }
    }
    let mut edges = Vec::new();
    for f in &files {
        let sites: HashMap<(u32, u32), &Callee> =
            f.calls.iter().map(|c| ((c.line, c.col), &c.callee)).collect();
        for edge in resolve_file(f, &table) {
            let caller = f
                .calls
                .iter()
                .find(|c| c.line == edge.line && c.col == edge.col)
                .map(|c| &f.elements[c.caller]);
            let Some(caller) = caller else { continue };
            let callee_defs = by_qname.get(edge.callee.as_str()).cloned().unwrap_or_default();
            edges.push(json!({
                "caller_file": f.path, "caller_line": caller.span.start_line,
                "callee": edge.callee, "callee_defs": callee_defs,
                "resolution": edge.resolution.as_str(), "name": edge.callee_name,
                "line": edge.line, "col": edge.col,
                "construct": sites.get(&(edge.line, edge.col)).map(|c| construct(c)),
            }));
        }
    }
    println!("{}", json!({ "defs": defs, "edges": edges }));
}
