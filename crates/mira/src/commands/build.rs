//! Build integration commands: `mira build -- CMD...` runs and records a build or test
//! command with its output live; `mira errors` lists what is still broken.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use mira_build::queries::{self, ErrorFilter};
use mira_build::runner::{RunRequest, RunStatus, Stream};
use mira_core::Config;
use mira_store::Db;
use mira_store::projects::{self, Project};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::target;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// The command to run, after `--`: `mira build -- cargo test`.
    #[arg(last = true)]
    command: Vec<String>,
    /// Stop the command after this many seconds (default: BUILD_TIMEOUT_SECS).
    #[arg(long)]
    timeout: Option<u64>,
    /// List the project's recent runs instead of running anything.
    #[arg(long, conflicts_with = "command")]
    list: bool,
    /// Show one run: its diagnostics (with --log, its raw output).
    #[arg(long, value_name = "RUN", conflicts_with = "command")]
    show: Option<i64>,
    #[arg(long, requires = "show")]
    log: bool,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print the outcome as JSON instead of streaming the output.
    #[arg(long)]
    json: bool,
    /// Project id or path; default: the registered project containing the current
    /// directory (registered now if there is none).
    #[arg(long)]
    project: Option<String>,
}

#[derive(clap::Args)]
pub struct ErrorsArgs {
    /// One error's id: every run that reported it and its known fixes.
    id: Option<i64>,
    /// Resolved errors too.
    #[arg(long)]
    all: bool,
    /// Only resolved errors.
    #[arg(long, conflicts_with = "all")]
    resolved: bool,
    #[arg(long, default_value_t = 30)]
    limit: usize,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    project: Option<String>,
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// The project for a build: named, containing the current directory, or the current
/// directory registered now, so `mira build` works in a fresh checkout.
async fn project_for_build(db: &Db, explicit: Option<&str>) -> anyhow::Result<Project> {
    match target::project(db, explicit).await {
        Ok(p) => Ok(p),
        Err(_) if explicit.is_none() => {
            let cwd = std::env::current_dir()?;
            let root = projects::canonical_root(&cwd)?;
            Ok(projects::add(db, &root, None).await?)
        }
        Err(e) => Err(e),
    }
}

/// Where the user is, relative to the project root: the command runs there.
fn current_dir_in(project: &Project) -> anyhow::Result<String> {
    let cwd = std::env::current_dir()?.canonicalize()?;
    Ok(cwd
        .strip_prefix(&project.root)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default())
}

pub async fn build(config: Config, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = project_for_build(&db, args.project.as_deref()).await?;
    if args.list {
        return list_runs(&db, &project, args.limit, args.json).await;
    }
    if let Some(run) = args.show {
        return show_run(&db, run, args.log, args.json).await;
    }
    if args.command.is_empty() {
        anyhow::bail!(
            "give the command to run after `--`, e.g. `mira build -- cargo test` (or --list to see past runs)"
        );
    }
    let mut request = RunRequest::new(args.command.clone());
    request.timeout = args.timeout.map(std::time::Duration::from_secs);
    if args.project.is_none() {
        request.dir = current_dir_in(&project)?;
    }
    let streaming = !args.json;
    if streaming && std::io::stdout().is_terminal() {
        // The command writes to a pipe, where tools drop their colours; the user is at a
        // terminal and expects them. The parser reads through the escapes.
        for (k, v) in [
            ("CARGO_TERM_COLOR", "always"),
            ("FORCE_COLOR", "1"),
            ("CLICOLOR_FORCE", "1"),
        ] {
            request.env.push((k.into(), v.into()));
        }
    }
    let on_output: mira_build::runner::OnOutput = if streaming {
        Arc::new(|stream, bytes: &[u8]| {
            // Each chunk is written and flushed at once: no line buffering in between.
            let _ = match stream {
                Stream::Stdout => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(bytes).and_then(|_| out.flush())
                }
                Stream::Stderr => {
                    let mut err = std::io::stderr().lock();
                    err.write_all(bytes).and_then(|_| err.flush())
                }
            };
        })
    } else {
        Arc::new(|_, _| {})
    };
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_interrupt.cancel();
        }
    });
    let outcome = match mira_build::run(&db, &project, &config.build, request, on_output, cancel).await {
        Ok(o) => o,
        Err(e @ mira_build::BuildError::CannotStart { .. }) => {
            eprintln!("mira: {e}");
            return Ok(ExitCode::from(127));
        }
        Err(e) => return Err(e.into()),
    };
    let run = &outcome.run;
    if args.json {
        print_json(&outcome)?;
    } else {
        let words = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut extra = Vec::new();
        if outcome.new_errors > 0 {
            extra.push(format!("{} new", outcome.new_errors));
        }
        if !outcome.recurring.is_empty() {
            extra.push(format!("{} recurring", outcome.recurring.len()));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(" ({})", extra.join(", "))
        };
        eprintln!();
        eprintln!(
            "mira: run {} {} in {:.1} s{}: {}{extra}, {}",
            run.id,
            run.status.as_str().replace('_', " "),
            run.duration_ms.unwrap_or(0) as f64 / 1000.0,
            run.failure
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default(),
            words(run.errors, "error"),
            words(run.warnings, "warning"),
        );
        for r in &outcome.resolved {
            let how = match r.commits.last() {
                Some(c) => format!("fixed by commit {}", &c[..c.len().min(10)]),
                None if r.unchanged => format!(
                    "no change in the work tree since run {}: the environment changed or the failure is flaky",
                    r.failing_run_id
                ),
                None => "fixed in the work tree".to_string(),
            };
            eprintln!(
                "mira: resolved: {}{} ({how})",
                r.message,
                r.file.as_deref().map(|f| format!(" in {f}")).unwrap_or_default()
            );
        }
        if run.errors > 0 {
            eprintln!("mira: `mira errors` lists what is still broken, with known fixes");
        }
    }
    Ok(match run.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::TimedOut => ExitCode::from(124),
        RunStatus::Cancelled => ExitCode::from(130),
        _ => ExitCode::from(
            run.exit_code
                .and_then(|c| u8::try_from(c).ok())
                .filter(|c| *c != 0)
                .unwrap_or(1),
        ),
    })
}

async fn list_runs(db: &Db, project: &Project, limit: usize, json: bool) -> anyhow::Result<ExitCode> {
    let runs = queries::runs(db, project.id, limit).await?;
    if json {
        print_json(&json!({ "runs": runs }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if runs.is_empty() {
        println!("No runs yet: `mira build -- CMD` runs and records one.");
    }
    for r in runs {
        println!(
            "{:>5}  {}  {:<15} {:>7.1}s  {:>3} err {:>3} warn  {}{}",
            r.id,
            when(r.started_at),
            r.status.as_str(),
            r.duration_ms.unwrap_or(0) as f64 / 1000.0,
            r.errors,
            r.warnings,
            if r.dir.is_empty() {
                String::new()
            } else {
                format!("({}) ", r.dir)
            },
            r.command_line
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn show_run(db: &Db, run_id: i64, log: bool, json: bool) -> anyhow::Result<ExitCode> {
    let run = queries::run(db, run_id).await?;
    if log {
        let bytes = queries::run_log(db, run_id).await?;
        std::io::stdout().write_all(&bytes).context("writing the log")?;
        return Ok(ExitCode::SUCCESS);
    }
    let diagnostics = queries::run_diagnostics(db, run_id).await?;
    if json {
        let diagnostics: Vec<_> = diagnostics
            .into_iter()
            .map(|(error_id, d)| json!({ "error_id": error_id, "diagnostic": d }))
            .collect();
        print_json(&json!({ "run": run, "diagnostics": diagnostics }))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "run {}: {} ({}), {} errors, {} warnings, started {}",
        run.id,
        run.command_line,
        run.status.as_str(),
        run.errors,
        run.warnings,
        when(run.started_at)
    );
    for (error_id, d) in diagnostics {
        println!(
            "  [{error_id}] {}{}: {} {}",
            d.severity.as_str(),
            d.code.as_deref().map(|c| format!("[{c}]")).unwrap_or_default(),
            d.message,
            if d.file.is_some() {
                format!("at {}", d.location())
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn errors(config: Config, args: ErrorsArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = target::project(&db, args.project.as_deref()).await?;
    if let Some(id) = args.id {
        let detail = queries::error(&db, &project, id).await?;
        if args.json {
            print_json(&detail)?;
        } else {
            print_error(&detail.error, true);
            println!("  reported by {} run(s):", detail.occurrences.len());
            for o in detail.occurrences.iter().take(10) {
                println!(
                    "    run {} at {} {}",
                    o.run_id,
                    when(o.started_at),
                    o.diagnostic.location()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let filter = if args.all {
        ErrorFilter::All
    } else if args.resolved {
        ErrorFilter::Resolved
    } else {
        ErrorFilter::Unresolved
    };
    let errors = queries::errors(&db, &project, filter, args.limit).await?;
    if args.json {
        print_json(&json!({ "errors": errors }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if errors.is_empty() {
        println!(
            "No errors recorded{}.",
            if filter == ErrorFilter::Unresolved {
                " that are still open"
            } else {
                ""
            }
        );
    }
    for e in &errors {
        print_error(e, false);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_error(e: &queries::ErrorSummary, full: bool) {
    let place = match (&e.file, e.line, e.column) {
        (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
        (Some(f), Some(l), None) => format!("{f}:{l}"),
        (Some(f), None, _) => f.clone(),
        _ => "(no location)".into(),
    };
    let mut flags = vec![format!(
        "seen {} time(s) in {} run(s)",
        e.occurrences, e.run_count
    )];
    if e.recurring {
        flags.push(format!("recurring: came back {} time(s) after a fix", e.reopened));
    }
    if e.resolved_at.is_some() {
        flags.push(if e.resolved_unchanged {
            "resolved, no change in the work tree (the environment changed or the failure is flaky)".into()
        } else {
            "resolved".into()
        });
    }
    println!(
        "[{}] {} {}{}: {}",
        e.id,
        place,
        e.severity,
        e.code.as_deref().map(|c| format!("[{c}]")).unwrap_or_default(),
        e.message
    );
    println!("      {} ({})", flags.join("; "), e.tool);
    for l in &e.excerpt {
        let mark = if Some(l.line) == e.line { ">" } else { " " };
        println!("    {mark}{:>5} | {}", l.line, l.text);
    }
    for fix in e.known_fixes.iter().take(if full { 5 } else { 1 }) {
        let what = match &fix.commit {
            Some(c) => format!("commit {}", &c[..c.len().min(10)]),
            None => format!(
                "a change in the work tree (run {})",
                fix.fixing_run_id.unwrap_or(0)
            ),
        };
        println!("      known fix ({}): {what}", fix.source);
        if let (true, Some(diff)) = (full, &fix.diff) {
            for line in diff.lines().take(30) {
                println!("        {line}");
            }
        }
    }
}
