//! Mira's built-in slash commands: answered here, without a model, in Markdown, with an
//! action for the chat when there is one (`/clear` starts a new conversation, `/model`
//! picks the model of the next turns).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use mira_core::Config;
use mira_llm::Gateway;
use mira_store::Db;
use mira_store::projects::Project;
use serde::Serialize;

use super::Catalog;
use crate::agent_defs::AgentCatalog;
use crate::error::AgentError;
use crate::extensions::Extensions;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Builtin {
    pub name: &'static str,
    pub description: &'static str,
    pub argument_hint: Option<&'static str>,
}

const fn b(name: &'static str, description: &'static str, argument_hint: Option<&'static str>) -> Builtin {
    Builtin {
        name,
        description,
        argument_hint,
    }
}

pub const BUILTINS: &[Builtin] = &[
    b("help", "How slash commands work, and the built-ins", None),
    b(
        "commands",
        "Every command: built-in, the project's, the user's, MCP prompts",
        None,
    ),
    b(
        "reload-commands",
        "Read the command, agent and hook files again",
        None,
    ),
    b("clear", "Start a new conversation", None),
    b(
        "model",
        "Show the models each tier uses, or pick one for this chat",
        Some("[model|tier|default]"),
    ),
    b("budget", "Spend today and this month against the limits", None),
    b(
        "context",
        "What the context oracle would give the model for a task",
        Some("<task>"),
    ),
    b("checkpoints", "The project's checkpoints, newest first", None),
    b(
        "rewind",
        "Put files back as they were at a checkpoint",
        Some("<checkpoint id>"),
    ),
    b(
        "mcp",
        "MCP servers: state, tools, resources, prompts, last error",
        None,
    ),
    b("agents", "Sub-agents the agent can delegate to", None),
    b("hooks", "Hooks that run at the agent's events", None),
    b(
        "memory",
        "What Mira remembers; `/memory <words>` searches it",
        Some("[words]"),
    ),
];

pub fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// What the chat does besides showing the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Start a new conversation.
    Clear,
    /// Use this model (`None`: the default routing) for the next turns.
    Model {
        model: Option<String>,
        tier: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub command: String,
    /// Markdown.
    pub output: String,
    pub action: Option<Action>,
}

/// What built-ins read.
pub struct BuiltinContext<'a> {
    pub db: &'a Db,
    pub config: &'a Arc<Config>,
    pub gateway: Option<&'a Gateway>,
    pub project: Option<&'a Project>,
    pub home: Option<&'a Path>,
    pub search: Option<mira_search::service::SearchService>,
    /// Hooks, MCP servers and agents of the project; `None` outside a project.
    pub extensions: Option<&'a Extensions>,
}

impl BuiltinContext<'_> {
    fn root(&self) -> Option<&Path> {
        self.project.map(|p| p.root.as_path())
    }

    fn need_project(&self, command: &str) -> Result<&Project, AgentError> {
        self.project.ok_or_else(|| {
            AgentError::Invalid(format!(
                "`/{command}` works in a project; pick one (the UI's project picker, or --project)"
            ))
        })
    }
}

pub async fn run(ctx: &BuiltinContext<'_>, builtin: &Builtin, args: &str) -> Result<Answer, AgentError> {
    let args = args.trim();
    let mut action = None;
    let output = match builtin.name {
        "help" => help(),
        "commands" => commands(ctx).await,
        "reload-commands" => reload(ctx).await,
        "clear" => {
            action = Some(Action::Clear);
            "Started a new conversation.".to_string()
        }
        "model" => {
            let (text, a) = model(ctx, args)?;
            action = a;
            text
        }
        "budget" => budget(ctx).await?,
        "context" => context(ctx, args).await?,
        "checkpoints" => checkpoints(ctx).await?,
        "rewind" => rewind(ctx, args).await?,
        "mcp" => mcp(ctx).await,
        "agents" => agents(ctx),
        "hooks" => hooks(ctx),
        "memory" => memory(ctx, args).await?,
        other => return Err(AgentError::Invalid(format!("`/{other}` is not a built-in"))),
    };
    Ok(Answer {
        command: builtin.name.to_string(),
        output,
        action,
    })
}

fn help() -> String {
    let mut out = String::from(
        "Type `/name arguments` to run a command. Commands are Markdown files in `.mira/commands/` or \
         `.claude/commands/` (the project's, then `~/.mira/commands/` and `~/.claude/commands/`); `git/pr.md` \
         is `/git:pr`. `$ARGUMENTS` is everything after the name, `$1`..`$9` each word. MCP servers' prompts \
         are `/mcp__server__prompt`.\n\nBuilt-ins:\n",
    );
    for b in BUILTINS {
        let hint = b.argument_hint.map(|h| format!(" {h}")).unwrap_or_default();
        let _ = writeln!(out, "- `/{}{hint}`: {}", b.name, b.description);
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

async fn commands(ctx: &BuiltinContext<'_>) -> String {
    let catalog = Catalog::load(ctx.root(), ctx.home);
    let mut out = String::from("| command | description | from |\n|---|---|---|\n");
    for b in BUILTINS {
        let hint = b.argument_hint.map(|h| format!(" {h}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| `/{}{}` | {} | built-in |",
            b.name,
            cell(&hint),
            cell(b.description)
        );
    }
    for c in &catalog.commands {
        let hint = c
            .argument_hint
            .as_deref()
            .map(|h| format!(" {h}"))
            .unwrap_or_default();
        let from = match &c.shadowed_by {
            Some(w) => format!("{} (shadowed by {w})", c.origin),
            None => c.origin.clone(),
        };
        let _ = writeln!(
            out,
            "| `/{}{}` | {} | {} |",
            c.name,
            cell(&hint),
            cell(&c.description),
            cell(&from)
        );
    }
    if let Some(ext) = ctx.extensions {
        for p in ext.mcp_prompt_names().await {
            let _ = writeln!(out, "| `/{p}` | MCP prompt | MCP |");
        }
    }
    problems_section(&mut out, catalog.problems.iter().map(ToString::to_string));
    out
}

fn problems_section(out: &mut String, problems: impl Iterator<Item = String>) {
    let problems: Vec<String> = problems.collect();
    if !problems.is_empty() {
        out.push_str("\nNot loaded:\n");
        for p in problems {
            let _ = writeln!(out, "- {p}");
        }
    }
}

async fn reload(ctx: &BuiltinContext<'_>) -> String {
    let catalog = Catalog::load(ctx.root(), ctx.home);
    let agents = AgentCatalog::load(ctx.root(), ctx.home);
    let active = catalog
        .commands
        .iter()
        .filter(|c| c.shadowed_by.is_none())
        .count();
    let mut out = format!(
        "Read {} command files ({active} commands, {} shadowed) and {} agents.",
        catalog.commands.len(),
        catalog.commands.len() - active,
        agents.active().count()
    );
    let mut problems: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
    problems.extend(agents.problems.iter().map(ToString::to_string));
    if let Some(ext) = ctx.extensions {
        let hooks = ext.reload_hooks();
        let _ = write!(out, " {} hooks.", hooks.count);
        problems.extend(hooks.problems);
    }
    problems_section(&mut out, problems.into_iter());
    out
}

fn model(ctx: &BuiltinContext<'_>, args: &str) -> Result<(String, Option<Action>), AgentError> {
    let gateway = ctx
        .gateway
        .ok_or_else(|| AgentError::Invalid("no model gateway in this session".into()))?;
    if args.is_empty() {
        let summary = mira_llm::setup::routing_summary(gateway);
        let mut out = String::from("| tier | configured | now routed to |\n|---|---|---|\n");
        for t in &summary.tiers {
            let now = match (&t.provider, &t.model) {
                (Some(p), Some(m)) => format!("{p}:{m}"),
                _ => "nothing available".into(),
            };
            let _ = writeln!(out, "| {} | {} | {now} |", t.tier, t.configured);
        }
        out.push_str(
            "\n`/model <model or tier>` picks one for this chat; `/model default` goes back to routing.",
        );
        return Ok((out, None));
    }
    if args == "default" {
        return Ok((
            "Back to the default routing.".into(),
            Some(Action::Model {
                model: None,
                tier: None,
            }),
        ));
    }
    if let Some(tier) = mira_llm::Tier::parse(args) {
        return Ok((
            format!("The next turns use the {} tier.", tier.as_str()),
            Some(Action::Model {
                model: None,
                tier: Some(tier.as_str().into()),
            }),
        ));
    }
    let decision = gateway
        .router
        .decide(&mira_llm::Task::default(), None, Some(args));
    match decision.candidates.first() {
        Some(c) => Ok((
            format!("The next turns use `{}` on {}.", c.model, c.provider.id()),
            Some(Action::Model {
                model: Some(args.to_string()),
                tier: None,
            }),
        )),
        None => Err(AgentError::Invalid(format!(
            "no configured provider serves `{args}` ({}); `/model` lists what is configured",
            decision.skipped.join("; ")
        ))),
    }
}

async fn budget(ctx: &BuiltinContext<'_>) -> Result<String, AgentError> {
    let gateway = ctx
        .gateway
        .ok_or_else(|| AgentError::Invalid("no model gateway in this session".into()))?;
    let status = gateway.budget.status().await.map_err(AgentError::from)?;
    let mut out = String::from("| period | spent | limit | remaining | calls |\n|---|---|---|---|---|\n");
    for (name, p) in [("today", &status.day), ("this month", &status.month)] {
        let limit = if p.limit_usd > 0.0 {
            format!("${:.2}", p.limit_usd)
        } else {
            "none".into()
        };
        let _ = writeln!(
            out,
            "| {name} | ${:.4} | {limit} | ${:.4} | {} |",
            p.spent_usd, p.remaining_usd, p.calls
        );
    }
    if let Some(rate) = status.cache_hit_rate {
        let _ = write!(out, "\nCache hit rate this month: {:.0}%.", rate * 100.0);
    }
    Ok(out)
}

async fn context(ctx: &BuiltinContext<'_>, task: &str) -> Result<String, AgentError> {
    let project = ctx.need_project("context")?;
    if task.is_empty() {
        return Err(AgentError::Invalid(
            "`/context` needs a task: `/context why does login fail`".into(),
        ));
    }
    let oracle = mira_oracle::Oracle::new(ctx.db.clone(), ctx.config.clone(), ctx.search.clone());
    let context = oracle
        .gather(project, &mira_oracle::ContextRequest::new(task))
        .await
        .map_err(|e| AgentError::Invalid(e.to_string()))?;
    if context.files.is_empty() && context.items.is_empty() {
        return Ok("The oracle found nothing for this task.".into());
    }
    let mut out = String::from("Files, best first:\n");
    for f in context.files.iter().take(10) {
        let _ = writeln!(out, "- `{}` ({})", f.path, f.reasons.join("; "));
    }
    out.push_str("\n```text\n");
    out.push_str(&context.to_prompt());
    out.push_str("\n```\n");
    Ok(out)
}

async fn checkpoints(ctx: &BuiltinContext<'_>) -> Result<String, AgentError> {
    let project = ctx.need_project("checkpoints")?;
    let list = crate::checkpoints::list(ctx.db, project.id, 50).await?;
    if list.is_empty() {
        return Ok("No checkpoints yet: the agent takes one before each file change.".into());
    }
    let mut out = String::from("| id | operation | files | task |\n|---|---|---|---|\n");
    for c in list {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            &c.id[..c.id.len().min(12)],
            c.operation_id,
            cell(&c.files.join(", ")),
            cell(&c.task.chars().take(60).collect::<String>())
        );
    }
    out.push_str("\n`/rewind <id>` (the first characters are enough) puts those files back.");
    Ok(out)
}

async fn rewind(ctx: &BuiltinContext<'_>, id: &str) -> Result<String, AgentError> {
    ctx.need_project("rewind")?;
    if id.is_empty() {
        return Err(AgentError::Invalid(
            "`/rewind` needs a checkpoint id; `/checkpoints` lists them".into(),
        ));
    }
    let r = crate::checkpoints::rewind(ctx.db, id).await?;
    let mut out = format!("Rewound to checkpoint `{}`:\n", r.checkpoint_id);
    for f in &r.files {
        let _ = writeln!(out, "- `{}`: {}", f.path, f.action);
    }
    Ok(out)
}

async fn mcp(ctx: &BuiltinContext<'_>) -> String {
    match ctx.extensions {
        Some(ext) => ext.mcp_report().await,
        None => "MCP servers are per project; pick a project.".into(),
    }
}

fn agents(ctx: &BuiltinContext<'_>) -> String {
    let catalog = AgentCatalog::load(ctx.root(), ctx.home);
    if catalog.agents.is_empty() && catalog.problems.is_empty() {
        return "No sub-agents: add Markdown files to `.mira/agents/` or `.claude/agents/`.".into();
    }
    let mut out = String::from("| agent | description | tools | model | from |\n|---|---|---|---|---|\n");
    for a in &catalog.agents {
        let from = match &a.shadowed_by {
            Some(w) => format!("{} (shadowed by {w})", a.origin),
            None => a.origin.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            a.name,
            cell(&a.description),
            cell(
                &a.tools
                    .as_ref()
                    .map(|t| t.join(", "))
                    .unwrap_or_else(|| "all".into())
            ),
            a.model.as_deref().unwrap_or("inherit"),
            cell(&from)
        );
    }
    problems_section(&mut out, catalog.problems.iter().map(ToString::to_string));
    out
}

fn hooks(ctx: &BuiltinContext<'_>) -> String {
    match ctx.extensions {
        Some(ext) => ext.hooks_report(),
        None => "Hooks are per project; pick a project.".into(),
    }
}

async fn memory(ctx: &BuiltinContext<'_>, words: &str) -> Result<String, AgentError> {
    let scope = match ctx.project {
        Some(p) => mira_memory::Scope::project(p.id),
        None => mira_memory::Scope::user(),
    };
    let invalid = |e: mira_memory::MemoryError| AgentError::Invalid(e.to_string());
    let mut out = String::new();
    if words.is_empty() {
        let facts = mira_memory::facts::list(ctx.db, &scope, false)
            .await
            .map_err(invalid)?;
        if facts.is_empty() {
            return Ok("Nothing remembered yet.".into());
        }
        for f in facts.iter().take(50) {
            let _ = writeln!(out, "- #{} {} ({})", f.id, f.text, f.category);
        }
    } else {
        let request = mira_memory::RecallRequest {
            query: words.to_string(),
            scope,
            conversation: None,
            limit: 20,
            budget_tokens: None,
            include_turns: true,
            dense: None,
            candidates: mira_memory::gate::CANDIDATE_TURNS,
        };
        let items = mira_memory::recall::recall(ctx.db, &request)
            .await
            .map_err(invalid)?;
        if items.is_empty() {
            return Ok(format!("Nothing remembered about \"{words}\"."));
        }
        for item in items.iter().take(20) {
            let _ = writeln!(
                out,
                "- {} ({}) {}",
                item.id,
                item.kind,
                item.text.replace('\n', " ")
            );
        }
    }
    Ok(out)
}
