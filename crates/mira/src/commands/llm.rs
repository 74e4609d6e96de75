//! `mira ask "..."` streams an answer to the terminal through the gateway (routing,
//! cache, budget, stored conversation); `mira budget` shows spend against the limits.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;
use mira_agent::commands::resolve::Resolved;
use mira_core::Config;
use mira_llm::chat::{ChatEvent, TurnRequest, start_turn};
use mira_llm::{Gateway, Tier};
use mira_store::Db;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct AskArgs {
    /// The question (several words are joined).
    #[arg(required = true)]
    question: Vec<String>,
    /// Force a tier: fast, voice or thinker (default: the router decides).
    #[arg(long, value_parser = parse_tier)]
    tier: Option<Tier>,
    /// Force a model, e.g. gpt-5.1, gemini-3-pro-preview, compat:llama3.2, local.
    #[arg(long)]
    model: Option<String>,
    /// Continue this conversation (its id, from `--json` or the web UI).
    #[arg(long)]
    conversation: Option<i64>,
    /// Neither read nor write the answer cache.
    #[arg(long)]
    no_cache: bool,
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Print one JSON object at the end instead of streaming text.
    #[arg(long)]
    json: bool,
    /// Answer without the project's context (by default the context oracle's context
    /// for the question goes into the prompt, with citations).
    #[arg(long)]
    no_context: bool,
    /// The file you are looking at (joins the context).
    #[arg(long)]
    file: Option<String>,
    #[command(flatten)]
    target: super::git::ProjectArg,
}

#[derive(clap::Args)]
pub struct BudgetArgs {
    #[arg(long)]
    json: bool,
}

fn parse_tier(text: &str) -> Result<Tier, String> {
    Tier::parse(text).ok_or_else(|| format!("unknown tier `{text}`: use fast, voice or thinker"))
}

async fn open(config: &Config) -> anyhow::Result<(Db, Gateway)> {
    let db = Db::open(&mira_server::db_path(config)).await?;
    let local = mira_server::llm::local_provider(config).await;
    let gateway = mira_llm::setup::gateway(config, &db, local)
        .await
        .map_err(anyhow::Error::msg)?;
    Ok((db, gateway))
}

pub async fn ask(config: Config, args: AskArgs) -> anyhow::Result<ExitCode> {
    let (db, gateway) = open(&config).await?;
    let mut message = args.question.join(" ");
    let (mut tier, mut model) = (args.tier, args.model.clone());
    if mira_agent::commands::invoke::split(&message).is_some() {
        let project = super::target::project(&db, args.target.project.as_deref())
            .await
            .ok();
        let shared = Arc::new(config.clone());
        match super::slash::resolve_input(&shared, &db, Some(&gateway), project.as_ref(), &message).await? {
            Resolved::Text => {}
            Resolved::Builtin(answer) => {
                if args.json {
                    println!("{}", serde_json::json!({ "builtin": answer }));
                } else {
                    println!("{}", answer.output.trim_end());
                }
                return Ok(ExitCode::SUCCESS);
            }
            Resolved::Prompt(prepared) => {
                message = prepared.prompt;
                if tier.is_none() && model.is_none() {
                    tier = prepared.model.tier;
                    model = prepared.model.model;
                }
                if let Some(note) = prepared.model.note {
                    eprintln!("mira: /{}: {note}", prepared.command);
                }
            }
        }
    }
    let args = AskArgs { tier, model, ..args };
    let (project_id, mut grounding) = if args.no_context {
        (None, None)
    } else {
        ground(&config, &db, &gateway, &args, &message).await?
    };
    // The project's UserPromptSubmit hooks see the question first, as in the chat.
    if let Ok(project) = super::target::project(&db, args.target.project.as_deref()).await {
        let home = dirs::home_dir();
        let session = format!("mira-ask-{}", args.conversation.unwrap_or(0));
        match mira_agent::extensions::prompt_hooks_at(&project.root, home.as_deref(), &message, &session)
            .await
        {
            Err(refused) => anyhow::bail!(refused),
            Ok(Some(context)) => mira_agent::extensions::add_hook_context(&mut grounding, &context),
            Ok(None) => {}
        }
    }
    let turn = TurnRequest {
        conversation_id: args.conversation,
        message,
        project_id,
        tier: args.tier,
        model: args.model,
        bypass_cache: args.no_cache,
        max_tokens: args.max_tokens,
        grounding,
    };
    let mut items: Vec<serde_json::Value> = Vec::new();
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let mut events = start_turn(&gateway, &db, turn, cancel).await?;
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    let mut code = ExitCode::SUCCESS;
    let mut summary = serde_json::json!({});
    while let Some(event) = events.next().await {
        match event {
            ChatEvent::Started { conversation_id, .. } => summary["conversation_id"] = conversation_id.into(),
            ChatEvent::Context { context } => {
                items = context["items"].as_array().cloned().unwrap_or_default();
                summary["context"] = context;
            }
            ChatEvent::Routed { route } => summary["route"] = serde_json::to_value(&route)?,
            ChatEvent::Delta { text: t } => {
                if !args.json {
                    out.write_all(t.as_bytes())?;
                    out.flush()?;
                }
                text.push_str(&t);
            }
            ChatEvent::ToolCall { call } => {
                if !args.json {
                    writeln!(out, "\n[tool call {} {}]", call.name, call.arguments)?;
                }
            }
            ChatEvent::Done {
                message_id,
                status,
                report,
            } => {
                summary["message_id"] = message_id.into();
                summary["status"] = status.clone().into();
                summary["report"] = serde_json::to_value(&report)?;
                if !args.json {
                    if !text.ends_with('\n') {
                        writeln!(out)?;
                    }
                    if let Some(sources) = sources_used(&text, &items) {
                        writeln!(out, "\n{sources}")?;
                    }
                    eprintln!("{}", footer(&report, &status));
                }
            }
            ChatEvent::Failed { error, kind, .. } => {
                summary["status"] = "failed".into();
                summary["error"] = serde_json::json!({"kind": kind, "message": error});
                if !args.json {
                    writeln!(out)?;
                    eprintln!("mira: {error}");
                }
                code = ExitCode::FAILURE;
            }
        }
    }
    // The call's cost and cached answer are written after it returns: before exiting.
    gateway.flush().await;
    // Memory learns from the stored turn now (a server would otherwise catch up at start).
    let keys = mira_memory::configured_keys(&config);
    let model = mira_memory::model::ModelExtractor::configured(&config, &gateway);
    if let Err(e) = mira_memory::follow::sync_chats(
        &db,
        mira_memory::scope::LOCAL_USER,
        &keys,
        model.as_ref(),
        config.llm.memory_summary_window,
    )
    .await
    {
        tracing::warn!(error = %e, "memory could not learn from this turn");
    }
    if args.json {
        summary["text"] = text.into();
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(code)
}

/// The project the question is about (`--project`, else the one containing the current
/// directory) and its context; outside any project, an answer without it.
async fn ground(
    config: &Config,
    db: &Db,
    gateway: &Gateway,
    args: &AskArgs,
    message: &str,
) -> anyhow::Result<(Option<i64>, Option<mira_llm::chat::Grounding>)> {
    let project = match super::target::project(db, args.target.project.as_deref()).await {
        Ok(p) => p,
        Err(e) if args.target.project.is_none() => {
            eprintln!("mira: answering without project context ({e})");
            return Ok((None, None));
        }
        Err(e) => return Err(e),
    };
    let file = match &args.file {
        Some(f) => Some(super::target::relative_path(&project, f)?),
        None => None,
    };
    let max_output = args.max_tokens.unwrap_or(config.llm.max_output_tokens);
    let request = mira_oracle::ContextRequest {
        task: message.to_string(),
        file,
        room: mira_oracle::ground::room(
            gateway,
            args.tier,
            args.model.as_deref(),
            max_output,
            config.models.local_context,
        ),
        ..Default::default()
    };
    let context = super::context::gather(config, db, &project, &request).await?;
    Ok((Some(project.id), Some(mira_oracle::ground::grounding(&context))))
}

/// "Sources:" with the context items the answer cites as `[n]`; when it cites none, the
/// items it was given.
fn sources_used(answer: &str, items: &[serde_json::Value]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let cited: Vec<usize> = (1..=items.len())
        .filter(|n| answer.contains(&format!("[{n}]")))
        .collect();
    let (title, shown): (&str, Vec<usize>) = if cited.is_empty() {
        ("Context given (none cited)", (1..=items.len()).collect())
    } else {
        ("Sources", cited)
    };
    let mut out = format!("{title}:");
    for n in shown {
        let item = &items[n - 1];
        out.push_str(&format!(
            "\n  [{n}] {} ({})",
            item["citation"].as_str().unwrap_or("?"),
            item["source"].as_str().unwrap_or("?")
        ));
    }
    Some(out)
}

fn footer(report: &mira_llm::CallReport, status: &str) -> String {
    let r = &report.route;
    let tier = r.tier.map(|t| t.as_str()).unwrap_or("explicit");
    let mut parts = vec![
        tier.to_string(),
        format!("{} {}", r.provider, r.model),
        format!("{} in / {} out tokens", report.usage.input, report.usage.output),
    ];
    if r.cached {
        parts.push(format!("cached, saved ${:.4}", report.saved_usd));
    } else {
        parts.push(format!("${:.4}", report.cost_usd));
    }
    if status != "complete" {
        parts.push(status.to_string());
    }
    format!("[{}]", parts.join(" | "))
}

pub async fn budget(config: Config, args: BudgetArgs) -> anyhow::Result<ExitCode> {
    // The report reads the database only: loading the chat model would cost seconds.
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let local = Arc::new(mira_llm::providers::local::Local::unavailable(
        "mira budget calls no model",
    ));
    let gateway = mira_llm::setup::gateway(&config, &db, local)
        .await
        .map_err(anyhow::Error::msg)?;
    let report = mira_llm::setup::budget_report(&gateway)
        .await
        .context("cannot read the budget")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let status = gateway.budget.status().await?;
    let bar = |spent: f64, limit: f64| {
        let width = 30usize;
        let fill = if limit > 0.0 {
            ((spent / limit).min(1.0) * width as f64).round() as usize
        } else {
            width
        };
        format!("[{}{}]", "#".repeat(fill), "-".repeat(width - fill))
    };
    for (label, p) in [("Today", &status.day), ("This month", &status.month)] {
        println!(
            "{label:<11} {} ${:.4} of ${:.2} ({} calls, ${:.4} reserved by calls under way)",
            bar(p.spent_usd + p.reserved_usd, p.limit_usd),
            p.spent_usd,
            p.limit_usd,
            p.calls,
            p.reserved_usd
        );
        if p.leased_usd > 0.0 {
            // Headroom other running processes (a server, another `mira ask`) hold in budget
            // leases: not spent, but a call that needs it waits for them to give it back.
            println!(
                "{:<11} ${:.4} held unused by running processes' budget leases (given back when they are idle or exit)",
                "", p.leased_usd
            );
        }
    }
    match status.cache_hit_rate {
        Some(rate) => println!(
            "Cache       {:.0}% hit rate this month ({} hits, {} misses), saved ${:.4}; ${:.4} without the cache",
            rate * 100.0,
            status.month.cache_hits,
            status.month.cache_misses,
            status.month.saved_usd,
            status.month_without_cache_usd
        ),
        None => println!("Cache       no cacheable calls yet this month"),
    }
    println!(
        "Projection  ${:.2} for the whole month at this rate",
        status.month_projection_usd
    );
    let mut by_model: std::collections::BTreeMap<(String, String), (i64, f64)> = Default::default();
    for row in &status.by_day {
        let tier = row.tier.clone().unwrap_or_else(|| "explicit".into());
        let e = by_model
            .entry((format!("{}:{}", row.provider, row.model), tier))
            .or_default();
        e.0 += row.calls;
        e.1 += row.cost_usd;
    }
    if !by_model.is_empty() {
        println!("\nLast 31 days by model and tier:");
        for ((model, tier), (calls, cost)) in by_model {
            println!("  {model:<40} {tier:<9} {calls:>6} calls  ${cost:.4}");
        }
    }
    let routes = mira_llm::setup::routing_summary(&gateway);
    println!(
        "\nTiers{}:",
        if routes.router_enabled {
            ""
        } else {
            " (router disabled: every call uses voice)"
        }
    );
    for t in &routes.tiers {
        match (&t.provider, &t.model) {
            (Some(p), Some(m)) => println!("  {:<8} {p}:{m} (configured {})", t.tier, t.configured),
            _ => println!("  {:<8} no usable model (configured {})", t.tier, t.configured),
        }
    }
    Ok(ExitCode::SUCCESS)
}
