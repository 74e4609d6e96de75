//! `mira memory`: what Mira remembers about the user and the projects, to see, search,
//! correct, forget, export and import.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use mira_core::Config;
use mira_memory::extract;
use mira_memory::facts::{self, Fact};
use mira_memory::recall::{self, RecallRequest};
use mira_memory::transfer::{self, Incoming};
use mira_memory::{Decision, ItemId, Scope, date as day};
use mira_memory::{patterns, summaries};
use mira_store::{Db, projects};

use super::search::bar;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Remember TEXT (a preference, decision, constraint, name or fact); a statement on
    /// the same subject supersedes the old one, which stays in the history.
    Remember(RememberArgs),
    /// Delete an item (`f12` a fact, `s5` a summary, `p3` a pattern, `t34` a turn; a bare
    /// number is a fact) for good.
    Forget(IdArgs),
    /// Correct a fact's text; its sources stay.
    Edit(EditArgs),
    /// The facts in scope, newest first (`--history`: superseded ones too).
    List(ListArgs),
    /// Facts and past turns that bear on QUERY, each with the messages it came from.
    Search(SearchArgs),
    /// Your profile: your current preferences and names (every project's), one per
    /// subject, each with the fact it comes from, and your habits (patterns seen three
    /// times or more).
    Profile(JsonArgs),
    /// What you do again and again in chats ("asks for tests"), with how often and the
    /// latest messages it was seen in.
    Patterns(JsonArgs),
    /// Rolling summaries of conversations, newest first, each citing its turns.
    Summaries(SummariesArgs),
    /// Write every item in scope (facts with sources and validity, turns) to FILE.
    Export(FileArgs),
    /// Read a memory export, or transcripts of past conversations (extracted as live
    /// chats are, keeping their message ids as sources).
    Import(FileArgs),
}

#[derive(clap::Args)]
pub struct JsonArgs {
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct SummariesArgs {
    /// Only this conversation's (a chat's id or an imported conversation_id).
    #[arg(long)]
    conversation: Option<String>,
    #[arg(long)]
    project: Option<String>,
    #[arg(long, default_value_t = 20)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RememberArgs {
    text: String,
    /// Keep it for this project only (the project containing the current directory when
    /// no id or path is given); default: for the user, in every project.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    project: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct IdArgs {
    id: String,
}

#[derive(clap::Args)]
pub struct EditArgs {
    id: String,
    text: String,
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Superseded facts too, with when they stopped holding.
    #[arg(long)]
    history: bool,
    /// Project id or path; default: the project containing the current directory, if any
    /// (user-wide items are always included).
    #[arg(long)]
    project: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct SearchArgs {
    /// What to recall (or give --queries).
    query: Option<String>,
    /// Only items from this conversation (a chat's id or an imported conversation_id).
    #[arg(long)]
    conversation: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long)]
    project: Option<String>,
    /// A JSON array of queries, answered in order as a JSON array (one process for many).
    #[arg(long, value_name = "FILE", conflicts_with = "query")]
    queries: Option<PathBuf>,
    /// Past turns scored at most per query: more is slower and finds turns that share
    /// only common words with the query.
    #[arg(long, default_value_t = mira_memory::gate::CANDIDATE_TURNS as u32, value_parser = clap::value_parser!(u32).range(1..))]
    candidates: u32,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct FileArgs {
    file: PathBuf,
    /// Import: leave facts and summaries without vectors (recall by keyword until a later
    /// import or the server embeds them).
    #[arg(long)]
    no_embed: bool,
    /// Export: this project's items and the user's; import: put transcripts' turns and
    /// facts in this project.
    #[arg(long)]
    project: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(config: Config, command: Command) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    match command {
        Command::Remember(args) => remember(&config, &db, args).await,
        Command::Forget(args) => forget(&db, &args.id).await,
        Command::Edit(args) => edit(&db, &args).await,
        Command::List(args) => list(&db, args).await,
        Command::Search(args) => search(&config, &db, args).await,
        Command::Profile(args) => profile(&db, args).await,
        Command::Patterns(args) => patterns(&db, args).await,
        Command::Summaries(args) => summaries(&db, args).await,
        Command::Export(args) => export(&db, args).await,
        Command::Import(args) => import(&config, &db, args).await,
    }
}

async fn profile(db: &Db, args: JsonArgs) -> anyhow::Result<ExitCode> {
    let entries = mira_memory::profile::list(db, mira_memory::scope::LOCAL_USER).await?;
    let habits = patterns::list(db, &Scope::user(), patterns::HABIT_EVIDENCE).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "profile": entries, "habits": habits }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!(
            "No preferences or names yet: state one in a chat, or `mira memory remember \"I prefer ...\"`."
        );
    }
    for e in &entries {
        println!("{}  {}  ({})", e.key, e.value, e.fact);
    }
    if !habits.is_empty() {
        println!("Habits:");
        for h in &habits {
            println!(
                "  {} ({} times, last {})  ({})",
                h.behaviour,
                h.evidence_count,
                day(h.last_seen),
                h.id
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn patterns(db: &Db, args: JsonArgs) -> anyhow::Result<ExitCode> {
    let found = patterns::list(db, &Scope::user(), 1).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "patterns": found }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!(
            "No patterns yet: they are learned from your chat messages (asking for tests, pasting traces, ...)."
        );
    }
    for p in &found {
        println!(
            "{:<6} {:>4}x  {} to {}  {}",
            p.id,
            p.evidence_count,
            day(p.first_seen),
            day(p.last_seen),
            p.behaviour
        );
        print_sources(&p.sources);
    }
    Ok(ExitCode::SUCCESS)
}

async fn summaries(db: &Db, args: SummariesArgs) -> anyhow::Result<ExitCode> {
    let scope = read_scope(db, args.project.as_deref()).await?;
    let found = summaries::list(db, &scope, args.conversation.as_deref(), i64::from(args.limit)).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "summaries": found }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!(
            "No summaries yet: one is written every MEMORY_SUMMARY_WINDOW turns of a conversation (fewer when a session ends)."
        );
    }
    for sm in &found {
        println!(
            "{:<6} {} turns {}-{} ({}, {})  {}",
            sm.id,
            sm.conversation,
            sm.first_seq,
            sm.last_seq,
            day(sm.from),
            sm.origin,
            sm.text
        );
        print_sources(&sm.sources);
    }
    Ok(ExitCode::SUCCESS)
}

/// Embeds the facts and summaries that have no vector of the configured embedder yet
/// (with a progress bar). Returns how many were embedded; a missing model is said and
/// leaves recall to keywords.
async fn embed_memory(config: &Config, db: &Db, gateway: &mira_llm::Gateway, quiet: bool) -> usize {
    let embedder = match mira_search::embedder::from_config(config, Some(gateway)).await {
        Ok(e) => e,
        Err(e) => {
            if !quiet {
                eprintln!("Memory is not embedded (recall by keyword only): {e}");
            }
            return 0;
        }
    };
    let embedding = bar(quiet, "items", "Embedding facts and summaries");
    let result = mira_memory::dense::embed_pending(db, embedder.as_ref(), |done, total| {
        embedding.set_length(total as u64);
        embedding.set_position(done as u64);
    })
    .await;
    embedding.finish_and_clear();
    match result {
        Ok(n) => n,
        Err(e) => {
            eprintln!("Memory embedding stopped (recall by keyword only for the rest): {e}");
            0
        }
    }
}

/// The messages an item came from, on the line under it.
fn print_sources(sources: &[mira_memory::Source]) {
    if !sources.is_empty() {
        let list: Vec<String> = sources
            .iter()
            .map(|s| format!("{}#{}", s.conversation, s.message))
            .collect();
        println!("       from {}", list.join(", "));
    }
}

/// The scope of a read: the named project, else the registered project containing the
/// current directory, else the user's items only.
async fn read_scope(db: &Db, project: Option<&str>) -> anyhow::Result<Scope> {
    if let Some(p) = project {
        return Ok(Scope::project(projects::find(db, p).await?.id));
    }
    let cwd = std::env::current_dir()?.canonicalize()?;
    Ok(match projects::innermost_containing(db, &cwd).await? {
        Some(p) => Scope::project(p.id),
        None => Scope::user(),
    })
}

async fn remember(config: &Config, db: &Db, args: RememberArgs) -> anyhow::Result<ExitCode> {
    let keys = mira_memory::configured_keys(config);
    let text = mira_memory::scrub::clean(args.text.trim(), &keys);
    if facts::normalize(&text).is_empty() {
        bail!("give the text to remember, e.g. `mira memory remember \"we deploy on Fridays only\"`");
    }
    let scope = match args.project.as_deref() {
        None => Scope::user(),
        Some("") => Scope::project(super::target::project(db, None).await?.id),
        Some(p) => Scope::project(projects::find(db, p).await?.id),
    };
    let new = facts::told(text, chrono::Utc::now().timestamp_millis());
    let decision = facts::learn(db, &scope, &new).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&decision)?);
        return Ok(ExitCode::SUCCESS);
    }
    let where_ = if scope.project_id.is_some() {
        "for this project"
    } else {
        "for you, in every project"
    };
    match decision {
        Decision::Added { id } => println!("Remembered f{id} {where_}."),
        Decision::Updated { id } => println!("Updated f{id} {where_}."),
        Decision::Unchanged { id } => println!("Already remembered as f{id}."),
        Decision::Superseded { id, old } => println!(
            "Remembered f{id} {where_}; it supersedes {} (still listed with `mira memory list --history`).",
            old.iter().map(|o| format!("f{o}")).collect::<Vec<_>>().join(", ")
        ),
    }
    Ok(ExitCode::SUCCESS)
}

async fn forget(db: &Db, id: &str) -> anyhow::Result<ExitCode> {
    ItemId::parse(id)?.forget(db).await?;
    println!("Forgot {id}.");
    Ok(ExitCode::SUCCESS)
}

async fn edit(db: &Db, args: &EditArgs) -> anyhow::Result<ExitCode> {
    let ItemId::Fact(n) = ItemId::parse(&args.id)? else {
        bail!("only facts can be edited; a turn, summary or pattern is what was seen (forget it instead)");
    };
    let fact = facts::edit(db, n, args.text.trim()).await?;
    println!("f{}: {}", fact.id, fact.text);
    Ok(ExitCode::SUCCESS)
}

fn print_fact(f: &Fact) {
    let scope = if f.project_id.is_some() { "project" } else { "user" };
    let validity = match f.valid_to {
        Some(to) => format!(
            "{} to {}{}",
            day(f.valid_from),
            day(to),
            f.superseded_by
                .map(|s| format!(", superseded by f{s}"))
                .unwrap_or_default()
        ),
        None => format!("since {}", day(f.valid_from)),
    };
    println!(
        "f{:<5} {:<10} {:<7} {}  {}",
        f.id, f.category, scope, validity, f.text
    );
    print_sources(&f.sources);
}

async fn list(db: &Db, args: ListArgs) -> anyhow::Result<ExitCode> {
    let scope = read_scope(db, args.project.as_deref()).await?;
    let found = facts::list(db, &scope, args.history).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "facts": found }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!("Nothing remembered yet: tell Mira with `mira memory remember \"...\"`, or chat.");
    }
    for f in &found {
        print_fact(f);
    }
    Ok(ExitCode::SUCCESS)
}

/// The embedder that made memory's vectors, when there are any and it loads (recall
/// then finds facts and summaries by meaning too); `None` otherwise, said once.
async fn query_embedder(
    config: &Config,
    db: &Db,
) -> Option<std::sync::Arc<dyn mira_search::embedder::DenseEmbedder>> {
    let any: Option<String> = sqlx::query_scalar("SELECT model FROM memory_vectors LIMIT 1")
        .fetch_optional(db.pool())
        .await
        .ok()
        .flatten();
    any.as_ref()?;
    match mira_search::embedder::from_config(config, None).await {
        Ok(e) => Some(e),
        Err(e) => {
            eprintln!("Recall by keyword only: {e}");
            None
        }
    }
}

async fn search(config: &Config, db: &Db, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let scope = read_scope(db, args.project.as_deref()).await?;
    let embedder = query_embedder(config, db).await;
    let dense = embedder.map(mira_memory::dense::Meaning::Embedder);
    let request = |query: String| RecallRequest {
        query,
        scope: scope.clone(),
        conversation: args.conversation.clone(),
        limit: args.limit,
        budget_tokens: None,
        include_turns: true,
        dense: dense.clone(),
        candidates: args.candidates as usize,
    };
    if let Some(file) = &args.queries {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let queries: Vec<String> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON array of strings", file.display()))?;
        let mut answers = Vec::with_capacity(queries.len());
        for q in queries {
            let items = recall::recall(db, &request(q)).await?;
            answers.push(serde_json::json!({ "items": items }));
        }
        println!("{}", serde_json::to_string(&answers)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(query) = args.query.clone() else {
        bail!("give what to recall, e.g. `mira memory search \"which test runner\"` (or --queries FILE)");
    };
    let items = recall::recall(db, &request(query)).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "items": items }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if items.is_empty() {
        println!("Nothing in memory matches.");
    }
    for item in &items {
        let who = item
            .speaker
            .as_deref()
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        let until = item
            .valid_to
            .map(|t| format!(" (until {})", day(t)))
            .unwrap_or_default();
        println!(
            "{:<6} {:<7} {:.4}  {who}{}{until}",
            item.id, item.kind, item.score, item.text
        );
        print_sources(&item.sources);
    }
    Ok(ExitCode::SUCCESS)
}

async fn export(db: &Db, args: FileArgs) -> anyhow::Result<ExitCode> {
    let scope = read_scope(db, args.project.as_deref()).await?;
    let file = transfer::export(db, &scope, chrono::Utc::now().timestamp_millis()).await?;
    let json = serde_json::to_vec_pretty(&file)?;
    // Written beside the target and renamed, so a failed export never leaves half a file.
    let tmp = args.file.with_extension("partial");
    std::fs::write(&tmp, json).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.file).with_context(|| format!("cannot write {}", args.file.display()))?;
    println!(
        "Exported {} facts and {} turns to {}.",
        file.facts.len(),
        file.turns.len(),
        args.file.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn import(config: &Config, db: &Db, args: FileArgs) -> anyhow::Result<ExitCode> {
    let keys = mira_memory::configured_keys(config);
    let quiet = args.json;
    match transfer::read(&args.file)? {
        Incoming::Export(file) => {
            let report = transfer::import_export(db, mira_memory::scope::LOCAL_USER, &file, &keys).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "Imported {} facts ({} already known), {} turns, {} summaries and {} patterns.",
                    report.facts, report.facts_known, report.turns, report.summaries, report.patterns
                );
            }
        }
        Incoming::Transcripts(transcripts) => {
            let scope = match args.project.as_deref() {
                Some(p) => Scope::project(projects::find(db, p).await?.id),
                None => Scope::user(),
            };
            let all = transfer::transcript_turns(&transcripts)?;
            let storing = bar(quiet, "turns", "Storing turns");
            storing.set_length(all.len() as u64);
            let stored =
                transfer::import_turns(db, &scope, &all, &keys, |n| storing.set_position(n as u64)).await?;
            storing.finish_and_clear();
            // The same extraction as a followed chat: a provider model beside the rules
            // when one is configured (its calls go through the budget).
            let local = std::sync::Arc::new(mira_llm::providers::local::Local::unavailable(
                "memory extraction never asks the bundled model",
            ));
            let gateway = mira_llm::setup::gateway(config, db, local)
                .await
                .map_err(anyhow::Error::msg)?;
            let model = mira_memory::model::ModelExtractor::configured(config, &gateway);
            let learning = bar(quiet, "turns", "Learning facts");
            learning.set_length(stored as u64);
            let report = extract::run_pending_with(db, &scope.user, model.as_ref(), |n| {
                learning.set_position(n as u64)
            })
            .await?;
            learning.finish_and_clear();
            let summarising = if quiet {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new_spinner()
            };
            summarising.set_message("Summarising conversations");
            summarising.enable_steady_tick(std::time::Duration::from_millis(200));
            let summaries = mira_memory::summaries::run_pending(
                db,
                &scope.user,
                config.llm.memory_summary_window,
                model.as_ref(),
            )
            .await?;
            summarising.finish_and_clear();
            let embedded = if args.no_embed {
                0
            } else {
                embed_memory(config, db, &gateway, quiet).await
            };
            gateway.flush().await;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "conversations": transcripts.len(), "turns": stored, "extraction": report,
                        "summaries": summaries, "embedded": embedded
                    }))?
                );
            } else {
                println!(
                    "Imported {} conversations: {stored} new turns of {}; facts learned: {} added, {} updated, {} superseded, {} already known; {} summaries written, {} behaviours seen.",
                    transcripts.len(),
                    all.len(),
                    report.added,
                    report.updated,
                    report.superseded,
                    report.unchanged,
                    summaries.written,
                    report.behaviours
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
