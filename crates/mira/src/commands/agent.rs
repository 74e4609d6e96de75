//! `mira agent "TASK"` runs an operation in the terminal: steps stream as they happen,
//! each change is shown as a diff and waits for y/n (unless --auto); `--json` prints
//! the events as JSON lines. `mira checkpoints` lists the checkpoints taken before each
//! change, `mira rewind ID` puts the files back as they were at one.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use mira_agent::tools::user::NO_USER;
use mira_agent::{AgentDeps, AgentEvent, Decision, Mode, OperationHandle, OperationRequest};
use mira_core::Config;
use mira_llm::Tier;
use mira_store::Db;

use super::search::{Access, access};
use super::target;

#[derive(clap::Args)]
pub struct AgentArgs {
    /// What to do (several words are joined).
    #[arg(required = true)]
    task: Vec<String>,
    /// The project (id or path); default: the one containing the current directory.
    #[arg(long)]
    project: Option<String>,
    /// Apply each change at once instead of asking y/n.
    #[arg(long)]
    auto: bool,
    /// Most model calls before stopping.
    #[arg(long, default_value_t = mira_agent::engine::DEFAULT_MAX_STEPS)]
    max_steps: usize,
    /// Force a tier: fast, voice or thinker.
    #[arg(long, value_parser = parse_tier)]
    tier: Option<Tier>,
    /// Force a model, e.g. gpt-5.1, claude-sonnet-4-5, compat:qwen2.5-coder.
    #[arg(long)]
    model: Option<String>,
    /// Print the events as JSON lines.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct CheckpointsArgs {
    #[arg(long)]
    project: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct RewindArgs {
    /// A checkpoint id, or its first 4 or more hex digits.
    id: String,
    #[arg(long)]
    json: bool,
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    Tier::parse(text).ok_or_else(|| format!("unknown tier `{text}`: use fast, voice or thinker"))
}

/// One line from stdin (`None` at its end), read off the runtime.
async fn read_line() -> Option<String> {
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_string()),
        }
    })
    .await
    .ok()
    .flatten()
}

pub async fn agent(config: Config, args: AgentArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = target::project(&db, args.project.as_deref()).await?;
    // The in-process model cannot drive tools, so it is not loaded: the route check
    // refuses with what to configure instead.
    let local = Arc::new(mira_llm::providers::local::Local::unavailable(
        "the in-process local model cannot call tools",
    ));
    let gateway = mira_llm::setup::gateway(&config, &db, local)
        .await
        .map_err(anyhow::Error::msg)?;
    mira_agent::check_route(&gateway, args.tier, args.model.as_deref())?;
    let access = access(&config, &db).await?;
    let search = match &access {
        Access::Local(service, _) => Some(service.clone()),
        Access::Server => {
            eprintln!(
                "mira: a Mira server holds the data dir, so the agent runs without the search tool (grep and the code tools still work)"
            );
            None
        }
    };
    let deps = AgentDeps {
        db: db.clone(),
        gateway: gateway.clone(),
        config: Arc::new(config),
        search,
        extensions: Some(Arc::new(mira_agent::extensions::Extensions::load(
            &project.root,
            dirs::home_dir().as_deref(),
        ))),
    };
    let task = args.task.join(" ");
    if let Some((name, _)) = mira_agent::commands::invoke::split(&task)
        && mira_agent::commands::builtin::find(name).is_some()
    {
        anyhow::bail!("`/{name}` is a built-in: run it with `mira ask \"/{name}\"`, not as an agent task");
    }
    let resolved =
        super::slash::resolve_input(&deps.config, &db, Some(&gateway), Some(&project), &task).await?;
    let mut request = OperationRequest::new(project, &task);
    request.mode = if args.auto { Mode::Auto } else { Mode::Ask };
    request.max_steps = args.max_steps;
    request.tier = args.tier;
    request.model = args.model;
    if let mira_agent::commands::resolve::Resolved::Prompt(prepared) = resolved {
        request.task = prepared.prompt;
        request.filter = prepared.tools;
        if request.tier.is_none() && request.model.is_none() {
            request.tier = prepared.model.tier;
            request.model = prepared.model.model;
        }
    }
    // Ask mode reads decisions from stdin, so questions can be answered there too.
    request.user_available = !args.auto || std::io::stdin().is_terminal();
    let user_available = request.user_available;
    // Sub-agents' operations register here, so their changes can be decided too.
    let registry = mira_agent::Registry::default();
    let mut operation = mira_agent::start(deps, request, Some(registry.clone())).await?;
    let handle = operation.handle.clone();
    let on_signal = handle.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let mut printer = Printer {
        json: args.json,
        at_line_start: true,
    };
    while let Some(event) = operation.events.recv().await {
        printer.print(&event)?;
        match &event {
            AgentEvent::Artifact {
                artifact_id,
                path,
                status,
                ..
            } if status == "pending" => {
                let decision = ask_decision(path).await;
                if let Err(e) = handle.decide(*artifact_id, decision) {
                    eprintln!("mira: {e}");
                }
            }
            AgentEvent::AskUser { .. } => answer(&handle, user_available).await,
            AgentEvent::Nested { operation_id, inner } => {
                if let AgentEvent::Artifact {
                    artifact_id,
                    path,
                    status,
                    ..
                } = &**inner
                    && status == "pending"
                {
                    let decision = ask_decision(path).await;
                    match registry.get(*operation_id) {
                        Some(child) => {
                            if let Err(e) = child.decide(*artifact_id, decision) {
                                eprintln!("mira: {e}");
                            }
                        }
                        None => eprintln!("mira: the sub-agent's operation {operation_id} has ended"),
                    }
                }
            }
            _ => {}
        }
    }
    let outcome = operation.join.await?;
    gateway.flush().await;
    if let Access::Local(service, _) = &access {
        service.flush().await;
    }
    Ok(if outcome.status == "complete" {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn ask_decision(path: &str) -> Decision {
    eprint!("Apply this change to {path}? [y/n] ");
    let _ = std::io::stderr().flush();
    loop {
        match read_line().await {
            None => {
                eprintln!("(no answer: rejected)");
                return Decision::Reject;
            }
            Some(line) => match Decision::parse(&line) {
                Some(d) => return d,
                None => eprint!("Answer y or n: "),
            },
        }
    }
}

async fn answer(handle: &OperationHandle, user_available: bool) {
    let text = if user_available {
        eprint!("Your answer: ");
        let _ = std::io::stderr().flush();
        read_line().await.unwrap_or_else(|| NO_USER.to_string())
    } else {
        NO_USER.to_string()
    };
    if let Err(e) = handle.answer(&text) {
        eprintln!("mira: {e}");
    }
}

struct Printer {
    json: bool,
    at_line_start: bool,
}

impl Printer {
    fn print(&mut self, event: &AgentEvent) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        if self.json {
            writeln!(out, "{}", serde_json::to_string(event).expect("events serialise"))?;
            return out.flush();
        }
        if !matches!(event, AgentEvent::Text { .. }) && !self.at_line_start {
            writeln!(out)?;
            self.at_line_start = true;
        }
        match event {
            AgentEvent::Started {
                operation_id, mode, ..
            } => writeln!(out, "[operation {operation_id}, {mode} mode]")?,
            AgentEvent::Step { n } => writeln!(out, "[step {n}]")?,
            AgentEvent::Text { text } => {
                write!(out, "{text}")?;
                self.at_line_start = text.ends_with('\n');
            }
            AgentEvent::ToolCall { name, arguments, .. } => {
                let args = arguments.to_string();
                let args: String = args.chars().take(200).collect();
                writeln!(out, "> {name} {args}")?
            }
            AgentEvent::ToolResult {
                ok,
                output,
                duration_ms,
                ..
            } => {
                let first: Vec<&str> = output.lines().take(3).collect();
                let more = output.lines().count().saturating_sub(3);
                writeln!(
                    out,
                    "  {} ({duration_ms} ms): {}{}",
                    if *ok { "ok" } else { "failed" },
                    first.join("\n    "),
                    if more > 0 {
                        format!("\n    [{more} more lines]")
                    } else {
                        String::new()
                    }
                )?
            }
            AgentEvent::Artifact {
                path,
                diff,
                status,
                checkpoint_id,
                ..
            } => {
                writeln!(
                    out,
                    "change to {path} ({status}; checkpoint {}):",
                    &checkpoint_id[..12]
                )?;
                write!(out, "{diff}")?;
            }
            AgentEvent::ArtifactDecided { status, .. } => writeln!(out, "  change {status}")?,
            AgentEvent::AskUser { question } => writeln!(out, "The agent asks: {question}")?,
            AgentEvent::Usage { .. } => {}
            AgentEvent::Rewound { checkpoint_id, files } => {
                writeln!(out, "rewound to {checkpoint_id}: {}", files.join(", "))?
            }
            AgentEvent::Done {
                status,
                steps,
                cost_usd,
                summary,
            } => {
                if status != "complete" {
                    writeln!(out, "{summary}")?;
                }
                writeln!(out, "[{status} | {steps} steps | ${cost_usd:.4}]")?
            }
            AgentEvent::Failed { error, .. } => writeln!(out, "mira: {error}")?,
            AgentEvent::Hook {
                hook_event,
                command,
                outcome,
                message,
                ..
            } => {
                let said = if message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", message.lines().next().unwrap_or(""))
                };
                writeln!(out, "[{hook_event} hook `{command}` {outcome}{said}]")?
            }
            AgentEvent::SubagentStarted {
                operation_id,
                agent,
                note,
                ..
            } => {
                writeln!(out, "[sub-agent {agent}: operation {operation_id}]")?;
                if let Some(note) = note {
                    writeln!(out, "  ({note})")?;
                }
            }
            AgentEvent::SubagentDone {
                agent,
                status,
                steps,
                cost_usd,
                ..
            } => writeln!(
                out,
                "[sub-agent {agent} {status} | {steps} steps | ${cost_usd:.4}]"
            )?,
            AgentEvent::Nested { inner, .. } => match &**inner {
                // The sub-agent's words arrive whole in subagent_done's summary.
                AgentEvent::Text { .. } | AgentEvent::Usage { .. } | AgentEvent::Step { .. } => {}
                AgentEvent::ToolCall { name, arguments, .. } => {
                    let args: String = arguments.to_string().chars().take(160).collect();
                    writeln!(out, "  | > {name} {args}")?
                }
                AgentEvent::ToolResult { ok, output, .. } => writeln!(
                    out,
                    "  |   {}: {}",
                    if *ok { "ok" } else { "failed" },
                    output.lines().next().unwrap_or("")
                )?,
                AgentEvent::Artifact {
                    path, status, diff, ..
                } => {
                    writeln!(out, "  | change to {path} ({status}):")?;
                    write!(out, "{diff}")?;
                }
                other => writeln!(out, "  | {}", other.kind())?,
            },
        }
        out.flush()
    }
}

pub async fn checkpoints(config: Config, args: CheckpointsArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = target::project(&db, args.project.as_deref()).await?;
    let list = mira_agent::checkpoints::list(&db, project.id, args.limit).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "checkpoints": list }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        println!(
            "no checkpoints in {} yet: `mira agent` takes one before each change",
            project.name
        );
    }
    for c in list {
        let when = chrono::DateTime::from_timestamp_millis(c.created_at)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let files: Vec<String> = c
            .files
            .iter()
            .map(|f| {
                if c.new_files.contains(f) {
                    format!("{f} (new)")
                } else {
                    f.clone()
                }
            })
            .collect();
        let task: String = c.task.chars().take(50).collect();
        println!(
            "{}  op {:<4} {when}  {:<8}  {}  \"{task}\"",
            &c.id[..12],
            c.operation_id,
            c.artifact_status.as_deref().unwrap_or("-"),
            files.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn rewind(config: Config, args: RewindArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let done = mira_agent::checkpoints::rewind(&db, &args.id).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&done)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "rewound operation {} to checkpoint {}",
        done.operation_id, done.checkpoint_id
    );
    for f in &done.files {
        println!("  {:<9} {}", f.action, f.path);
    }
    Ok(ExitCode::SUCCESS)
}
