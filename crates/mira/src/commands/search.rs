//! `mira search` and `mira concepts`, and the search part of `mira index`. The vector
//! store belongs to one process: when a server holds the data dir, it is asked instead.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use mira_core::Config;
use mira_search::query::{Mode, SearchRequest, SearchResponse};
use mira_search::service::SearchService;
use mira_store::projects::Project;
use mira_store::{DataDirLock, Db, StoreError, vectors};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::git::ProjectArg;
use super::target;

#[derive(clap::Args)]
pub struct SearchArgs {
    /// What to look for: an identifier, words, or a question in plain language.
    query: String,
    /// Only this language (rust, python, typescript, tsx, javascript, go, markdown).
    #[arg(long)]
    lang: Option<String>,
    /// Only under this directory or file.
    #[arg(long)]
    path: Option<String>,
    /// Only symbols of this kind (function, method, class, struct, doc, file, ...).
    #[arg(long)]
    kind: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// hybrid (keyword and meaning, fused), keyword, or dense.
    #[arg(long, default_value = "hybrid")]
    mode: String,
    /// What to search: code (and docs), git (commit messages) or conversation.
    #[arg(long = "in", default_value = "code")]
    collection: String,
    #[arg(long)]
    json: bool,
    /// Files instead of symbols: each file's matching symbols added up (and, for code,
    /// its whole-file keyword rank), best first. The JSON has both lists either way.
    #[arg(long)]
    files: bool,
    #[command(flatten)]
    target: ProjectArg,
}

#[derive(clap::Subcommand)]
pub enum ConceptsCommand {
    /// Concepts found in the project, with the number of symbols tagged.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: ProjectArg,
    },
    /// The symbols tagged with CONCEPT (or a concept CONCEPT is a synonym of).
    Show {
        concept: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: ProjectArg,
    },
    /// Adds a rule: KIND is package (a package that marks code as about CONCEPT),
    /// identifier (a word in names and doc comments) or synonym (a word of queries).
    Add {
        kind: String,
        pattern: String,
        concept: String,
    },
}

async fn open_db(config: &Config) -> anyhow::Result<Db> {
    Ok(Db::open(&mira_server::db_path(config)).await?)
}

/// A search service over the embedded store, when this process can take the data dir.
pub enum Access {
    Local(SearchService, DataDirLock),
    Server,
}

pub async fn access(config: &Config, db: &Db) -> anyhow::Result<Access> {
    match DataDirLock::acquire(&config.data_dir) {
        Ok(lock) => local(config, db, lock).await,
        Err(StoreError::Locked { .. }) => Ok(Access::Server),
        Err(e) => Err(e.into()),
    }
}

/// The search service of this process, which holds the data dir's `lock`.
async fn local(config: &Config, db: &Db, lock: DataDirLock) -> anyhow::Result<Access> {
    let store = vectors::open(&config.vectors, &config.data_dir).await?;
    let mut service = SearchService::new(Arc::new(config.clone()), db.clone(), store);
    // A provider embedder calls through the gateway (budget, spend, cache); the
    // local model needs none. Search never chats, so no local chat model either.
    if config.vectors.embedder != "local" {
        let local = Arc::new(mira_llm::providers::local::Local::unavailable(
            "not used by search",
        ));
        let gateway = mira_llm::setup::gateway(config, db, local)
            .await
            .map_err(anyhow::Error::msg)?;
        service = service.with_gateway(gateway);
    }
    Ok(Access::Local(service, lock))
}

/// How often `mira index` looks again while another command holds the data dir.
const WAIT_POLL: Duration = Duration::from_millis(250);

/// [`access`] for `mira index`: when the data dir is held by another command rather than a
/// server (a second `mira index`, say), waits for it to finish, saying so, instead of
/// failing; the run then finds little or nothing left to do.
pub async fn access_waiting(config: &Config, db: &Db, quiet: bool) -> anyhow::Result<Access> {
    let mut said = false;
    loop {
        let holder = match DataDirLock::acquire(&config.data_dir) {
            Ok(lock) => return local(config, db, lock).await,
            Err(StoreError::Locked { pid, .. }) => pid,
            Err(e) => return Err(e.into()),
        };
        let server = mira_server::client::read_runtime_info(&config.data_dir);
        if server.is_some_and(|s| s.pid.to_string() == holder) {
            return Ok(Access::Server);
        }
        if !said {
            said = true;
            if !quiet {
                eprintln!(
                    "Another Mira command (pid {holder}) is using {}; waiting for it to finish...",
                    config.data_dir.display()
                );
            }
        }
        tokio::time::sleep(WAIT_POLL).await;
    }
}

pub(crate) fn bar(quiet: bool, unit: &str, message: &str) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)"
        ))
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

pub(crate) fn progress_of(bar: &ProgressBar) -> mira_search::Progress {
    let bar = bar.clone();
    Arc::new(move |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    })
}

/// The search part of `mira index`: keyword index, then dense vectors (with progress),
/// or a request to the running server. Returns what to add to the JSON summary.
pub async fn index(
    config: &Config,
    db: &Db,
    project: &Project,
    quiet: bool,
    embed: bool,
) -> anyhow::Result<Value> {
    match access_waiting(config, db, quiet).await? {
        Access::Local(service, _lock) => {
            let b = bar(quiet, "files", "Search index");
            let keyword = service.index_project(project, progress_of(&b)).await;
            b.finish_and_clear();
            let keyword = keyword?;
            let r = &keyword.repaired;
            if !quiet && !r.is_empty() {
                println!(
                    "Search index mended first: the vector store had lost what an earlier run wrote ({} chunk(s) of {} file(s) made again, {} dense vector(s) to embed again, {} stray vector(s) removed)",
                    r.rows_dropped, r.files_marked, r.dense_reset, r.orphans_deleted
                );
            }
            let mut dense_json = Value::Null;
            if keyword.pending_dense > 0 && !embed {
                if !quiet {
                    println!(
                        "{} chunk(s) wait for dense vectors (--no-embed); search works by keyword meanwhile",
                        keyword.pending_dense
                    );
                }
            } else if keyword.pending_dense > 0 {
                match service.embedder().await {
                    Ok(_) => {
                        let b = bar(quiet, "chunks", "Embedding for semantic search");
                        let dense = service
                            .fill_dense(project.id, progress_of(&b), &CancellationToken::new())
                            .await;
                        b.finish_and_clear();
                        // The spend of the embedding calls is written before exiting.
                        service.flush().await;
                        match dense {
                            Ok(dense) => {
                                if !quiet {
                                    println!(
                                        "Embedded {} chunk(s) with {} in {:.1} s ({:.0} chunks/s)",
                                        dense.embedded,
                                        dense.embedder,
                                        dense.elapsed_ms as f64 / 1000.0,
                                        dense.chunks_per_second
                                    );
                                }
                                dense_json = serde_json::to_value(dense)?;
                            }
                            // A refused budget or a failing provider: what was embedded
                            // stays, search goes on by keyword for the rest.
                            Err(mira_search::SearchError::Embedder(why)) => {
                                let pending = mira_search::index::pending(db, project.id).await?;
                                if !quiet {
                                    println!(
                                        "Embedding stopped ({why}); {pending} chunk(s) are found by keyword until `mira index` runs again"
                                    );
                                }
                                dense_json = json!({ "error": why, "pending": pending });
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    Err(why) => {
                        if !quiet {
                            println!("Semantic search runs by keyword only: {why}");
                        }
                        dense_json = json!({ "error": why });
                    }
                }
            }
            if !quiet {
                println!(
                    "Search index: {} file(s) chunked, {} unchanged, {} removed; {} chunk(s) in all ({} written, {} moved); {} commit(s), {} message(s) added; {} ms",
                    keyword.files_indexed,
                    keyword.files_unchanged,
                    keyword.files_removed,
                    keyword.chunks,
                    keyword.chunks_written,
                    keyword.chunks_moved,
                    keyword.commits_indexed,
                    keyword.messages_indexed,
                    keyword.elapsed_ms
                );
            }
            Ok(json!({ "keyword": keyword, "dense": dense_json }))
        }
        Access::Server => {
            let answer = mira_server::client::request_json(
                config,
                "POST",
                &format!("/api/projects/{}/search/index", project.id),
                &[],
            )
            .await?;
            if !quiet {
                println!(
                    "The running server is updating the search index (its progress shows in the web UI)."
                );
            }
            Ok(json!({ "server": answer }))
        }
    }
}

pub async fn search(config: Config, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let db = open_db(&config).await?;
    let project = target::project(&db, args.target.project.as_deref()).await?;
    let path = match &args.path {
        Some(p) => Some(target::relative_path(&project, p)?),
        None => None,
    };
    let mut request = SearchRequest::new(project.id, &args.query);
    request.language = args.lang.clone();
    request.path = path.clone();
    request.kind = args.kind.clone();
    request.limit = args.limit;
    request.mode = Mode::parse(&args.mode)?;
    request.collection = Some(args.collection.clone());
    let answer: SearchResponse = match access(&config, &db).await? {
        Access::Local(service, _lock) => {
            let answer = service.search(&request).await;
            // The query's embedding call is recorded before exiting.
            service.flush().await;
            answer?
        }
        Access::Server => {
            let mut query = vec![
                ("q", args.query.clone()),
                ("limit", args.limit.to_string()),
                ("mode", args.mode.clone()),
                ("collection", args.collection.clone()),
            ];
            for (k, v) in [("lang", &args.lang), ("path", &path), ("kind", &args.kind)] {
                if let Some(v) = v {
                    query.push((k, v.clone()));
                }
            }
            let value = mira_server::client::request_json(
                &config,
                "GET",
                &format!("/api/projects/{}/search", project.id),
                &query,
            )
            .await?;
            serde_json::from_value(value)?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.files {
        print_files(&answer);
    } else {
        print_results(&answer);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_files(answer: &SearchResponse) {
    if let Some(notice) = &answer.notice {
        println!("({notice})");
    }
    if answer.files.is_empty() {
        println!("No files for {:?}.", answer.query);
        return;
    }
    for f in &answer.files {
        let names: Vec<&str> = f
            .symbols
            .iter()
            .map(|s| s.rsplit(['.', ':']).next().unwrap_or(s))
            .collect();
        println!(
            "{}  ({:.3}, {} matching)  {}",
            f.path,
            f.score,
            f.hits,
            names.join(", ")
        );
    }
    println!("{} file(s), {:.1} ms", answer.files.len(), answer.took_ms);
}

fn print_results(answer: &SearchResponse) {
    if let Some(notice) = &answer.notice {
        println!("({notice})");
    }
    if !answer.concepts.is_empty() {
        println!("(concepts: {})", answer.concepts.join(", "));
    }
    if answer.results.is_empty() {
        println!("No good match for {:?}.", answer.query);
        return;
    }
    for hit in &answer.results {
        let place = if hit.lines[0] > 0 {
            format!("{}:{}-{}", hit.path, hit.lines[0], hit.lines[1])
        } else {
            hit.path.clone()
        };
        println!(
            "{place}  {} {}  ({:.4})",
            hit.kind,
            hit.symbol.as_deref().unwrap_or(""),
            hit.score
        );
        for (i, line) in hit.snippet.lines().enumerate() {
            let n = hit.snippet_line + i as u32;
            let mark = if hit.matched_lines.contains(&n) { '>' } else { ' ' };
            if hit.lines[0] > 0 {
                println!("  {mark}{n:>5} | {line}");
            } else {
                println!("  {mark} {line}");
            }
        }
    }
    println!(
        "{} result(s), {} mode, {:.1} ms",
        answer.results.len(),
        match answer.mode {
            Mode::Hybrid => "hybrid",
            Mode::Keyword => "keyword",
            Mode::Dense => "dense",
        },
        answer.took_ms
    );
}

pub async fn concepts(config: Config, cmd: ConceptsCommand) -> anyhow::Result<ExitCode> {
    let db = open_db(&config).await?;
    match cmd {
        ConceptsCommand::List { json, target } => {
            let project = target::project(&db, target.project.as_deref()).await?;
            let counts = mira_search::concepts::counts(&db, project.id).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "concepts": counts }))?
                );
            } else if counts.is_empty() {
                println!("No concepts yet: run `mira index` first.");
            } else {
                for c in counts {
                    println!("{:>6}  {}", c.symbols, c.concept);
                }
            }
        }
        ConceptsCommand::Show {
            concept,
            json,
            target,
        } => {
            let project = target::project(&db, target.project.as_deref()).await?;
            let rules = mira_search::concepts::load(&db).await?;
            let tagged = mira_search::concepts::symbols_with(&db, &rules, project.id, &concept).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "concept": concept, "symbols": tagged }))?
                );
            } else if tagged.is_empty() {
                println!("No symbol is tagged with {concept:?}.");
            } else {
                for t in tagged {
                    println!(
                        "{}  {}  ({} {}: {})",
                        t.path, t.symbol, t.concept, t.source, t.evidence
                    );
                }
            }
        }
        ConceptsCommand::Add {
            kind,
            pattern,
            concept,
        } => {
            mira_search::concepts::add_rule(&db, &kind, &pattern, &concept).await?;
            println!(
                "Added: {kind} {pattern:?} -> {concept}. It applies to files indexed from now on; `mira index` re-tags changed files."
            );
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
