//! task: the agent delegates part of its work to a sub-agent (`.mira/agents/*.md`,
//! `.claude/agents/*.md`). The sub-agent is an operation of its own, stored under its
//! parent, with the definition's system prompt, tools and model; its events stream
//! nested in the parent's, and its final answer is what the parent reads back.

use mira_llm::{Tier, ToolSpec};
use serde_json::json;

use super::{Args, ToolContext, ToolOutput, opt_str};
use crate::agent_defs::{AgentCatalog, AgentDef};
use crate::commands::invoke::model_choice;
use crate::engine::{self, AgentDeps, OperationRequest};
use crate::events::AgentEvent;
use crate::operation::Registry;
use crate::store::Lineage;
use crate::tool_filter::ToolFilter;

/// What the parent operation hands a sub-agent: the means to start it and its own route.
#[derive(Clone)]
pub struct Delegate {
    pub deps: AgentDeps,
    pub registry: Option<Registry>,
    pub tier: Option<Tier>,
    pub model: Option<String>,
    pub max_steps: usize,
}

fn catalog(ctx: &ToolContext) -> AgentCatalog {
    let home = ctx.extensions.as_ref().and_then(|e| e.home.clone());
    AgentCatalog::load(Some(&ctx.root), home.as_deref())
}

/// The `task` tool's spec, naming the agents there are; `None` when there are none.
pub(crate) fn spec(ctx: &ToolContext) -> Option<ToolSpec> {
    ctx.delegate.as_ref()?;
    let catalog = catalog(ctx);
    let agents: Vec<&AgentDef> = catalog.active().collect();
    if agents.is_empty() {
        return None;
    }
    let mut description = String::from(
        "Delegate a self-contained piece of work to a sub-agent, which works with its own context and tools and \
         answers with its result. Give it everything it needs in `prompt`: it does not see this conversation. \
         Agents:\n",
    );
    for a in &agents {
        description.push_str(&format!("- {}: {}\n", a.name, a.description));
    }
    let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
    Some(ToolSpec {
        name: "task".into(),
        description,
        parameters: json!({
            "type": "object",
            "properties": {
                "subagent_type": {"type": "string", "enum": names, "description": "The agent to delegate to."},
                "description": {"type": "string", "description": "A short (3-5 word) title of the work."},
                "prompt": {"type": "string", "description": "The whole task for the agent."}
            },
            "required": ["subagent_type", "prompt"]
        }),
    })
}

pub(crate) async fn task(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let Some(delegate) = &ctx.delegate else {
        return Err("a sub-agent cannot delegate further; do the work with your own tools".into());
    };
    let name = opt_str(args, "subagent_type")
        .or_else(|| opt_str(args, "agent"))
        .ok_or("the argument `subagent_type` (the agent's name) is missing")?;
    let prompt = opt_str(args, "prompt")
        .or_else(|| opt_str(args, "task"))
        .ok_or("the argument `prompt` (the task for the agent) is missing")?;
    let catalog = catalog(ctx);
    let Some(def) = catalog.get(name) else {
        let names: Vec<&str> = catalog.active().map(|a| a.name.as_str()).collect();
        return Err(format!(
            "there is no agent `{name}`; the agents are: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    let filter = child_filter(ctx.filter.as_ref(), def);
    let choice = model_choice(Some(&delegate.deps.gateway), def.model.as_deref());
    let (tier, model) = if choice.tier.is_some() || choice.model.is_some() {
        (choice.tier, choice.model)
    } else {
        (delegate.tier, delegate.model.clone())
    };
    let request = OperationRequest {
        project: ctx.project.clone(),
        task: prompt.to_string(),
        mode: ctx.mode,
        max_steps: delegate.max_steps,
        tier,
        model,
        user_available: false,
        filter: Some(filter),
        system: Some(def.prompt.clone()),
        lineage: Lineage {
            parent_id: Some(ctx.operation_id()),
            agent: Some(def.name.clone()),
        },
        cancel: Some(ctx.handle.token()),
    };
    let started = engine::start_boxed(delegate.deps.clone(), request, delegate.registry.clone())
        .await
        .map_err(|e| format!("the sub-agent `{name}` could not start: {e}"))?;
    let child = started.id;
    ctx.emitter
        .emit(
            AgentEvent::SubagentStarted {
                operation_id: child,
                agent: def.name.clone(),
                task: prompt.to_string(),
                note: choice.note.clone(),
            },
            None,
        )
        .await;
    let emitter = ctx.emitter.clone();
    let outcome = engine::drive(started, move |event| {
        emitter.stream_only(AgentEvent::Nested {
            operation_id: child,
            inner: Box::new(event.clone()),
        });
    })
    .await;
    ctx.emitter
        .emit(
            AgentEvent::SubagentDone {
                operation_id: child,
                agent: def.name.clone(),
                status: outcome.status.clone(),
                summary: outcome.summary.clone(),
                steps: outcome.steps,
                cost_usd: outcome.cost_usd,
            },
            None,
        )
        .await;
    let text = format!(
        "Sub-agent `{}` (operation {child}) ended {} after {} steps:\n{}",
        def.name, outcome.status, outcome.steps, outcome.summary
    );
    let mut out = if outcome.status == "complete" {
        ToolOutput::ok(text)
    } else {
        ToolOutput::err(text)
    };
    out.cost_usd = outcome.cost_usd;
    Ok(out)
}

/// The sub-agent's tools: its definition's (all when it names none), never `task`, and
/// never more than the parent may use.
fn child_filter(parent: Option<&ToolFilter>, def: &AgentDef) -> ToolFilter {
    let mut own = match &def.tools {
        Some(tools) => ToolFilter::parse(tools),
        None => ToolFilter {
            tools: crate::tool_filter::READ_ONLY
                .iter()
                .chain(crate::tool_filter::ACTING)
                .map(|t| t.to_string())
                .collect(),
            mcp: ["mcp__*".to_string()].into(),
            ..ToolFilter::default()
        },
    };
    own.tools.remove("task");
    own.tools.remove("ask_user");
    if let Some(parent) = parent {
        own.tools.retain(|t| parent.allows(t));
        let mcp: Vec<String> = own
            .mcp
            .iter()
            .filter(|m| parent.mcp.contains(*m))
            .cloned()
            .collect();
        own.mcp = mcp.into_iter().collect();
        own.commands.retain(|c| parent.commands.contains(c));
    }
    own
}
