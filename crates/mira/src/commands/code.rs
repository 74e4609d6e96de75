//! Code intelligence commands: symbols, callers, callees, impact, callgraph, and the
//! code half of `mira index`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use mira_code::index::IndexSummary;
use mira_code::queries::{self, Symbol};
use mira_core::Config;
use mira_store::Db;
use mira_store::projects::Project;
use serde_json::json;

use super::git::ProjectArg;
use super::target;

#[derive(clap::Args)]
pub struct SymbolsArgs {
    /// A file (prints its outline) or a name to find (exact qualified name, exact name,
    /// or part of one); default: every symbol of the project.
    query: Option<String>,
    #[arg(long, default_value_t = 200)]
    limit: usize,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

#[derive(clap::Args)]
pub struct SymbolArgs {
    /// A qualified name (`crate::store::Db::open`, `pkg.mod.Class.method`) or a name.
    symbol: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

#[derive(clap::Args)]
pub struct ImpactArgs {
    /// A qualified name or a name.
    symbol: String,
    /// How many levels of callers to follow.
    #[arg(long, default_value_t = 3)]
    depth: u32,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

#[derive(clap::Args)]
pub struct CallgraphArgs {
    /// Only calls made from files under this path; default: the whole project.
    path: Option<String>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

async fn scope(config: &Config, t: &ProjectArg) -> anyhow::Result<(Db, Project)> {
    let db = Db::open(&mira_server::db_path(config)).await?;
    let project = target::project(&db, t.project.as_deref()).await?;
    Ok((db, project))
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Indexes the project's code with a progress bar; the caller prints the summary.
pub async fn index_code(db: &Db, project: &Project, quiet: bool) -> anyhow::Result<IndexSummary> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files ({per_sec}, {eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("Parsing code");
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress_bar = bar.clone();
    let progress = Arc::new(move |done: u64, total: u64| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    });
    // Another process indexing this project (a second `mira index`, the server's watcher)
    // is waited for, saying so, however long it takes; this run then finds little to do.
    let summary = match mira_code::index::index_project_waiting(db, project, progress.clone(), Duration::ZERO)
        .await
    {
        Err(mira_code::CodeError::Busy { pid, .. }) => {
            bar.suspend(|| {
                eprintln!("Another Mira process (pid {pid}) is indexing this project's code; waiting for it to finish...")
            });
            mira_code::index::index_project_waiting(db, project, progress, CODE_WAIT).await
        }
        other => other,
    };
    bar.finish_and_clear();
    Ok(summary?)
}

/// How long `mira index` waits for another process's run of the same project.
const CODE_WAIT: Duration = Duration::from_secs(24 * 3600);

/// The human-readable summary of a code index run.
pub fn print_code_summary(s: &IndexSummary) {
    let by = |k: &str| s.resolution.get(k).copied().unwrap_or(0);
    println!(
        "Code: {} file(s) ({} parsed, {} unchanged, {} removed, {} re-linked); {} symbol(s), {} call edge(s) \
         ({} exact, {} probable, {} external, {} unresolved); {} ms",
        s.files,
        s.parsed,
        s.unchanged,
        s.removed,
        s.relinked,
        s.symbols,
        s.edges,
        by("exact"),
        by("probable"),
        by("external"),
        by("unresolved"),
        s.elapsed_ms
    );
    if !s.skipped.is_empty() {
        println!("Skipped {} file(s):", s.skipped.len());
        for k in s.skipped.iter().take(20) {
            println!("  {:<50} {}", k.path, k.reason);
        }
        if s.skipped.len() > 20 {
            println!(
                "  ... and {} more (`mira index --json` lists them all)",
                s.skipped.len() - 20
            );
        }
    }
    if !s.parse_errors.is_empty() {
        println!(
            "Syntax errors (indexed as far as they parse) in {} file(s):",
            s.parse_errors.len()
        );
        for p in s.parse_errors.iter().take(20) {
            let lines: Vec<String> = p.lines.iter().take(5).map(u32::to_string).collect();
            println!("  {} (line {})", p.path, lines.join(", "));
        }
    }
}

fn location(s: &Symbol) -> String {
    format!("{}:{}", s.file, s.start_line)
}

pub async fn symbols(config: Config, args: SymbolsArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let (mode, found) = match args.query.as_deref() {
        None => (
            "all",
            queries::all_symbols(&db, project.id, None, args.limit).await?,
        ),
        Some(q) => {
            let as_file = target::relative_path(&project, q)
                .ok()
                .filter(|p| project.root.join(p).is_file());
            match as_file {
                Some(path) => ("file", queries::file_symbols(&db, project.id, &path).await?),
                None => (
                    "search",
                    queries::find_symbols(&db, project.id, q, args.limit).await?,
                ),
            }
        }
    };
    if found.is_empty() {
        // Not indexed, or indexed and nothing matched: an error either way, saying which.
        mira_code::named::ensure_indexed(&db, project.id).await?;
        if let Some(q) = args.query.as_deref().filter(|_| mode == "search") {
            let near = mira_code::named::near_names(&db, project.id, q).await?;
            return Err(mira_code::named::unknown(q, &near).into());
        }
    }
    let at_limit = mode != "file" && found.len() >= args.limit;
    if args.json {
        let mut answer = json!({ "query": args.query, "mode": mode, "symbols": found });
        if at_limit {
            // As the MCP tool says it: present only when the list was cut.
            answer["truncated"] = json!(true);
        }
        print_json(&answer)?;
    } else if found.is_empty() {
        println!("No symbols in this file.");
    } else {
        for s in &found {
            let indent = if mode == "file" && s.kind != "module" {
                "  "
            } else {
                ""
            };
            println!("{indent}{:<10} {:<60} {}", s.kind, s.qualified_name, location(s));
        }
        if at_limit {
            println!("(the first {} shown; --limit N shows more)", args.limit);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn callers(config: Config, args: SymbolArgs) -> anyhow::Result<ExitCode> {
    call_sites(config, args, true).await
}

pub async fn callees(config: Config, args: SymbolArgs) -> anyhow::Result<ExitCode> {
    call_sites(config, args, false).await
}

async fn call_sites(config: Config, args: SymbolArgs, callers: bool) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let mut results = Vec::new();
    for q in mira_code::named::resolve_symbol(&db, project.id, &args.symbol).await? {
        let calls = if callers {
            queries::callers(&db, project.id, &q).await?
        } else {
            queries::callees(&db, project.id, &q).await?
        };
        results.push((q, calls));
    }
    let key = if callers { "callers" } else { "callees" };
    if args.json {
        let matches: Vec<_> = results
            .iter()
            .map(|(q, calls)| json!({ "symbol": q, key: calls }))
            .collect();
        print_json(&json!({ "query": args.symbol, "matches": matches }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for (q, calls) in &results {
        println!("{q} ({} {key}):", calls.len());
        for c in calls {
            let test = if c.is_test { " [test]" } else { "" };
            println!("  {:<60} {}:{} {}{test}", c.symbol, c.file, c.line, c.resolution);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn impact(config: Config, args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let mut results = Vec::new();
    for q in mira_code::named::resolve_symbol(&db, project.id, &args.symbol).await? {
        results.push(queries::impact(&db, project.id, &q, args.depth).await?);
    }
    if args.json {
        print_json(&json!({ "query": args.symbol, "depth": args.depth, "results": results }))?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &results {
        println!(
            "If {} changes, {} symbol(s) within {} level(s) may break ({} test(s)):",
            r.symbol,
            r.impacted.len(),
            r.depth,
            r.tests
        );
        for i in &r.impacted {
            let test = if i.is_test { " [test]" } else { "" };
            println!(
                "  {}{:<58} {}:{}{test}",
                "  ".repeat(i.depth as usize - 1),
                i.symbol,
                i.file,
                i.line
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn callgraph(config: Config, args: CallgraphArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let prefix = args
        .path
        .as_deref()
        .map(|p| target::relative_path(&project, p))
        .transpose()?
        .filter(|p| !p.is_empty());
    let graph = queries::callgraph(&db, project.id, prefix.as_deref()).await?;
    if args.json {
        println!("{}", serde_json::to_string(&graph)?);
    } else {
        for e in &graph.edges {
            println!(
                "{} -> {} [{}] {}:{}",
                e.caller, e.callee, e.resolution, e.file, e.line
            );
        }
        println!("{} node(s), {} edge(s)", graph.nodes.len(), graph.edges.len());
    }
    Ok(ExitCode::SUCCESS)
}
