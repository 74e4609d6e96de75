//! `mira context "TASK"`: what the context oracle would give a model for a task: the
//! files that matter, best first, with why, and the items that fit the token budget.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use mira_core::Config;
use mira_oracle::{Context, ContextRequest, Level, Oracle, Selection};
use mira_store::Db;
use mira_store::projects::Project;

use super::git::ProjectArg;
use super::search::{Access, access};
use super::target;

#[derive(clap::Args)]
pub struct ContextArgs {
    /// The task: a question, a bug report, a pasted error or stack trace ("-" reads it
    /// from standard input).
    task: String,
    /// The file open in your editor (relative to the current directory, or absolute).
    #[arg(long)]
    file: Option<String>,
    /// Selected lines of --file, as A-B.
    #[arg(long, requires = "file", value_parser = parse_lines)]
    lines: Option<Selection>,
    /// Token budget of the context (default: the level's).
    #[arg(long)]
    tokens: Option<usize>,
    /// minimal, standard or full (default: chosen from the budget's headroom).
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
    /// Give each source this many milliseconds instead of the level's deadline (a slow
    /// machine; a benchmark of the ranking alone).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=mira_oracle::MAX_DEADLINE_MS))]
    deadline_ms: Option<u64>,
    /// Also show each source's own file list (why files rank as they do).
    #[arg(long)]
    explain: bool,
    /// Print the context exactly as a model reads it.
    #[arg(long, conflicts_with = "json")]
    prompt: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

fn parse_level(text: &str) -> Result<Level, String> {
    Level::parse(text).ok_or_else(|| format!("unknown level `{text}`: use minimal, standard or full"))
}

fn parse_lines(text: &str) -> Result<Selection, String> {
    let bad = || format!("`{text}` is not a line range: write A-B, as in 10-42");
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let start_line: u32 = a.trim().parse().map_err(|_| bad())?;
    let end_line: u32 = b.trim().parse().map_err(|_| bad())?;
    if start_line == 0 || end_line < start_line {
        return Err(bad());
    }
    Ok(Selection { start_line, end_line })
}

pub async fn context(config: Config, args: ContextArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = target::project(&db, args.target.project.as_deref()).await?;
    let task = if args.task == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        args.task.clone()
    };
    if task.trim().is_empty() {
        bail!(
            "the task is empty: say what you want to know or do, e.g. mira context \"where are tokens checked?\""
        );
    }
    let file = match &args.file {
        Some(f) => Some(target::relative_path(&project, f)?),
        None => None,
    };
    let request = ContextRequest {
        task,
        file,
        selection: args.lines,
        tokens: args.tokens,
        level: args.level,
        room: None,
        deadline_ms: args.deadline_ms,
        explain: args.explain,
    };
    let context = gather(&config, &db, &project, &request).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&context)?);
    } else if args.prompt {
        print!("{}", context.to_prompt());
    } else {
        print_human(&context);
    }
    Ok(ExitCode::SUCCESS)
}

/// Gathers in this process when it can open the vector store, else asks the running
/// server, which holds it.
pub async fn gather(
    config: &Config,
    db: &Db,
    project: &Project,
    request: &ContextRequest,
) -> anyhow::Result<Context> {
    match access(config, db).await? {
        Access::Local(service, _lock) => {
            let local = Arc::new(mira_llm::providers::local::Local::unavailable(
                "not used by the context oracle",
            ));
            let gateway = mira_llm::setup::gateway(config, db, local)
                .await
                .map_err(anyhow::Error::msg)?;
            let oracle = Oracle::new(db.clone(), Arc::new(config.clone()), Some(service.clone()))
                .with_gateway(gateway);
            let context = oracle.gather(project, request).await;
            service.flush().await;
            Ok(context?)
        }
        Access::Server => {
            let value = mira_server::client::post_json(
                config,
                &format!("/api/projects/{}/context", project.id),
                &serde_json::to_value(request)?,
            )
            .await?;
            Ok(serde_json::from_value(value)?)
        }
    }
}

fn print_human(context: &Context) {
    if context.files.is_empty() && context.items.is_empty() {
        println!("Nothing in the project's index matches this task. Is it indexed? Run `mira index`.");
    }
    if !context.files.is_empty() {
        println!("Files, best first:");
        for (i, f) in context.files.iter().enumerate().take(10) {
            println!(
                "{:>3}. {}  ({:.2}: {})",
                i + 1,
                f.path,
                f.score,
                f.reasons.join("; ")
            );
        }
    }
    if !context.items.is_empty() {
        println!(
            "\nContext ({} of {} tokens, {} level):",
            context.tokens, context.budget, context.config
        );
        for (i, item) in context.items.iter().enumerate() {
            println!(
                "  [{}] {} ({}, {} tokens)",
                i + 1,
                item.citation,
                item.source,
                item.tokens
            );
        }
    }
    for d in &context.dropped_sources {
        println!("\nLeft out {}: {}", d.source, d.reason);
    }
    if let Some(ballots) = &context.ballots {
        println!("\nEach source's files (weight; first five):");
        for b in ballots {
            let first: Vec<&str> = b.files.iter().take(5).map(String::as_str).collect();
            println!("  {} ({}): {}", b.source, b.weight, first.join(", "));
        }
    }
    eprintln!(
        "({:.0} ms; `--prompt` prints what a model reads, `--json` all of it)",
        context.took_ms
    );
}

#[cfg(test)]
mod tests {
    use super::parse_lines;

    #[test]
    fn line_ranges() {
        let s = parse_lines("10-42").unwrap();
        assert_eq!((s.start_line, s.end_line), (10, 42));
        let s = parse_lines("7").unwrap();
        assert_eq!((s.start_line, s.end_line), (7, 7));
        assert!(parse_lines("9-3").is_err());
        assert!(parse_lines("a-b").is_err());
        assert!(parse_lines("0-3").is_err());
    }
}
