//! Git intelligence commands: index (which indexes code too), log, cochange, blame, experts.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use mira_core::Config;
use mira_git::queries;
use mira_store::projects::{self, Project};
use mira_store::{Db, StoreError};
use serde_json::json;

use super::target;

#[derive(clap::Args)]
pub struct IndexArgs {
    /// The project directory (registered if it is not yet); default: the current directory.
    path: Option<std::path::PathBuf>,
    /// Build the keyword search index only; dense vectors wait for the next `mira index`
    /// or a running server (search works by keyword meanwhile).
    #[arg(long)]
    no_embed: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ProjectArg {
    /// Project id or path; default: the registered project containing the current directory.
    #[arg(long, global = true)]
    pub project: Option<String>,
}

#[derive(clap::Args)]
pub struct LogArgs {
    /// Only commits touching this file (following renames).
    file: Option<String>,
    #[arg(long, short = 'n', default_value_t = 20)]
    limit: usize,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

#[derive(clap::Args)]
pub struct FileArgs {
    file: String,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

#[derive(clap::Args)]
pub struct ExpertsArgs {
    /// A file or directory; default: the whole project.
    path: Option<String>,
    /// Show bots (dependabot, renovate, ...) too.
    #[arg(long)]
    bots: bool,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

async fn open_db(config: &Config) -> anyhow::Result<Db> {
    Ok(Db::open(&mira_server::db_path(config)).await?)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn date(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub async fn index(config: Config, args: IndexArgs) -> anyhow::Result<ExitCode> {
    let db = open_db(&config).await?;
    let path = match args.path {
        Some(p) => p,
        None => std::env::current_dir()?,
    };
    let root = projects::canonical_root(&path)?;
    let project = match projects::find(&db, &root.to_string_lossy()).await {
        Ok(p) => p,
        Err(_) => match projects::add(&db, &root, None).await {
            Ok(p) => p,
            // Registered meanwhile by a run started at the same moment.
            Err(StoreError::ProjectExists(_)) => projects::find(&db, &root.to_string_lossy()).await?,
            Err(e) => return Err(e.into()),
        },
    };
    let code = super::code::index_code(&db, &project, args.json).await?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} commits ({per_sec}, {eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message("Reading git history");
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress_bar = bar.clone();
    let progress = Arc::new(move |done: u64, total: u64| {
        progress_bar.set_length(total);
        progress_bar.set_position(done);
    });
    let summary = mira_git::index::index_project(&db, &project, &config.git, progress).await;
    bar.finish_and_clear();
    // A directory that is not a git repository still has code to index.
    let summary = match summary {
        Ok(s) => Some(s),
        Err(mira_git::GitError::NotARepository { .. }) if !project.is_git => None,
        Err(e) => return Err(e.into()),
    };
    if !args.json {
        super::code::print_code_summary(&code);
    }
    // Search is made from the code and git indexes, so it comes last.
    let search = super::search::index(&config, &db, &project, args.json, !args.no_embed).await?;
    if args.json {
        print_json(&json!({ "project": project, "git": summary, "code": code, "search": search }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(summary) = summary {
        println!(
            "Indexed {} ({}): {} new commit(s), {} removed{}, {} in all; {} co-change pair(s) updated; {} ms",
            project.name,
            project.root.display(),
            summary.new_commits,
            summary.removed_commits,
            if summary.rewritten {
                " (history was rewritten)"
            } else {
                ""
            },
            summary.total_commits,
            summary.cochange_pairs,
            summary.elapsed_ms
        );
        if let Some(note) = summary.missing_note() {
            println!("Skipped: {note}.");
        }
    } else {
        println!(
            "{} is not in a git repository: its history is not indexed.",
            project.root.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn scope(config: &Config, target: &ProjectArg) -> anyhow::Result<(Db, Project)> {
    let db = open_db(config).await?;
    let project = target::project(&db, target.project.as_deref()).await?;
    Ok((db, project))
}

pub async fn log(config: Config, args: LogArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let file = args
        .file
        .as_deref()
        .map(|f| target::relative_path(&project, f))
        .transpose()?;
    let entries = queries::log(&db, project.id, file.as_deref(), args.limit).await?;
    if entries.is_empty() {
        mira_git::absence::check_history(&db, &project, file.as_deref()).await?;
    }
    if args.json {
        print_json(&json!({ "commits": entries }))?;
    } else if entries.is_empty() {
        match &file {
            Some(f) => println!("No commit touches {f} yet (it is not committed)."),
            None => println!("The repository has no commits yet."),
        }
    } else {
        for e in entries {
            let stat = match (e.status.as_deref(), e.lines_added, e.lines_removed) {
                (Some(s), Some(a), Some(r)) => format!(" [{s} +{a} -{r}]"),
                (Some(s), _, _) => format!(" [{s} binary]"),
                _ => String::new(),
            };
            println!(
                "{} {} {:<20} {}{stat}",
                &e.sha[..10],
                date(e.authored_at),
                e.author_name,
                e.summary
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn cochange(config: Config, args: FileArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let file = target::relative_path(&project, &args.file)?;
    let suggestions = queries::cochange(&db, project.id, &file, args.limit, &config.git).await?;
    if suggestions.is_empty() {
        mira_git::absence::check_history(&db, &project, Some(&file)).await?;
    }
    if args.json {
        print_json(&json!({ "file": file, "suggestions": suggestions }))?;
    } else if suggestions.is_empty() {
        if mira_git::absence::touched(&db, project.id, &file).await? {
            println!("No file changes together with {file} often enough to name.");
        } else {
            println!("No commit touches {file} yet, so nothing changes with it.");
        }
    } else {
        for s in suggestions {
            println!("{:>5.0}%  {:<40} {}", s.confidence * 100.0, s.file, s.evidence);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn blame(config: Config, args: FileArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let file = target::relative_path(&project, &args.file)?;
    mira_git::absence::check_history(&db, &project, Some(&file)).await?;
    let lines = mira_git::blame::blame(&db, &project, &file).await?;
    if args.json {
        print_json(&json!({ "file": file, "lines": lines }))?;
    } else {
        let content = std::fs::read_to_string(project.root.join(&file)).unwrap_or_default();
        let text: Vec<&str> = content.lines().collect();
        for l in lines {
            let line = text.get(l.line as usize - 1).copied().unwrap_or("");
            println!(
                "{} {:<16.16} {} {:>5}) {line}",
                &l.commit[..8],
                l.author_name,
                date(l.authored_at),
                l.line
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn experts(config: Config, args: ExpertsArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let path = match &args.path {
        Some(p) => target::relative_path(&project, p)?,
        None => String::new(),
    };
    let experts = queries::experts(&db, project.id, &path, args.bots, args.limit).await?;
    if experts.is_empty() {
        mira_git::absence::check_history(&db, &project, Some(&path)).await?;
    }
    if args.json {
        print_json(&json!({ "path": path, "experts": experts }))?;
    } else if experts.is_empty() {
        let what = if path.is_empty() { "the project" } else { &path };
        if mira_git::absence::touched(&db, project.id, &path).await? {
            println!(
                "No experts for {what}: only bulk commits, merges{} changed it.",
                if args.bots {
                    ""
                } else {
                    " or bots (--bots counts bots)"
                }
            );
        } else {
            println!("No commit touches {what} yet.");
        }
    } else {
        println!(
            "{:>6}  {:<28} {:>8} {:>8} {:>8}  LAST",
            "SCORE", "NAME", "COMMITS", "LINES", "RECENCY"
        );
        for e in experts {
            println!(
                "{:>5.1}%  {:<28} {:>7.0}% {:>7.0}% {:>7.0}%  {}{}",
                e.score,
                format!("{} <{}>", e.name, e.email),
                e.commit_part * 100.0,
                e.lines_part * 100.0,
                e.recency_part * 100.0,
                date(e.last_commit_at),
                if e.is_bot { " (bot)" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct FixesArgs {
    /// The error text (quote it); `-` reads it from standard input.
    error: String,
    #[arg(long, default_value_t = 5)]
    limit: usize,
    /// Show the whole diff of each fix, not only its first lines.
    #[arg(long)]
    full: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: ProjectArg,
}

pub async fn fixes(config: Config, args: FixesArgs) -> anyhow::Result<ExitCode> {
    let (db, project) = scope(&config, &args.target).await?;
    let error = if args.error == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        args.error.clone()
    };
    if error.trim().is_empty() {
        eprintln!("mira: {}", mira_git::fixes::EMPTY_ERROR);
        return Ok(ExitCode::from(2));
    }
    let report = mira_git::fixes::find(&db, &project, &error, args.limit).await?;
    if args.json {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("error pattern {}: {}", report.fingerprint, report.pattern);
    if report.fixes.is_empty() {
        println!("{}.", report.note.as_deref().unwrap_or(mira_git::fixes::NO_MATCH));
    }
    for fix in report.fixes {
        println!();
        println!(
            "{} {} {} (score {:.1})",
            &fix.commit[..10],
            date(fix.committed_at),
            fix.summary,
            fix.score
        );
        println!("  by {}; {}", fix.author_name, fix.reasons.join("; "));
        if !fix.files.is_empty() {
            println!("  files: {}", fix.files.join(", "));
        }
        if let Some(diff) = fix.diff {
            let lines: Vec<&str> = diff.lines().collect();
            let shown = if args.full {
                lines.len()
            } else {
                lines.len().min(20)
            };
            for line in &lines[..shown] {
                println!("  {line}");
            }
            if shown < lines.len() {
                println!("  ... ({} more lines; --full shows them)", lines.len() - shown);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
