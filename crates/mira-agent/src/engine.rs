//! The loop: the task goes to the model through the gateway with the tools declared;
//! each tool call is run and its result fed back; until the model answers without
//! calling a tool, the step limit, a cancellation or a failure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use mira_core::Config;
use mira_llm::{
    CallOptions, ChatRequest, FinishReason, Gateway, GatewayEvent, Message, StreamEvent, Task, Tier, ToolCall,
};
use mira_store::Db;
use mira_store::projects::Project;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::allowlist::Allowlist;
use crate::error::AgentError;
use crate::events::AgentEvent;
use crate::extensions::Extensions;
use crate::hook_points;
use crate::operation::{Emitter, OperationHandle, Registry};
use crate::store::{self, Lineage, Progress};
use crate::tool_filter::ToolFilter;
use crate::tools::{self, Delegate, Mode, ToolContext, bound};
use mira_hooks::{HookEvent, PermissionDecision, fields};

pub const DEFAULT_MAX_STEPS: usize = 20;
/// Most steps one operation may be given.
pub const MAX_STEPS_LIMIT: usize = 200;
/// Tool output shown in events (the model reads up to [`tools::MAX_OUTPUT_CHARS`]).
const EVENT_OUTPUT_CHARS: usize = 4_000;

/// What the refusal to run on the bundled local model says to configure.
pub const LOCAL_MODEL_REFUSAL: &str = "agent mode needs a model that can call tools, and this task would go to the \
in-process local model, which cannot (Mira does not read tool calls from a local GGUF's output yet, whatever the \
model). Configure one of: a provider key (GEMINI_API_KEY, OPENAI_API_KEY or ANTHROPIC_API_KEY); OPENAI_BASE_URL \
pointing at a local server with a tool-capable model (Ollama, llama.cpp's server or vLLM running Qwen2.5 or \
Llama 3.1, for example); or serve a bigger GGUF whose chat template supports tools (MIRA_LOCAL_MODEL's file, such \
as Qwen2.5 or Llama 3.1) through such a server and set OPENAI_BASE_URL to it. Then pick it with --model or the \
MODEL_VOICE tier.";

/// What an operation runs with.
#[derive(Clone)]
pub struct AgentDeps {
    pub db: Db,
    pub gateway: Gateway,
    pub config: Arc<Config>,
    /// The project's search; `None` leaves the `search` tool out.
    pub search: Option<mira_search::service::SearchService>,
    /// The project's hooks and MCP servers (and where its agents are read from);
    /// `None`: none.
    pub extensions: Option<Arc<Extensions>>,
}

#[derive(Debug, Clone)]
pub struct OperationRequest {
    pub project: Project,
    pub task: String,
    pub mode: Mode,
    pub max_steps: usize,
    pub tier: Option<Tier>,
    pub model: Option<String>,
    /// Someone can answer `ask_user` (else it is told to decide alone).
    pub user_available: bool,
    /// The tools it may use (a command's `allowed-tools`, an agent's `tools`); `None`: all.
    pub filter: Option<ToolFilter>,
    /// Instructions that come before Mira's own (a sub-agent's definition).
    pub system: Option<String>,
    pub lineage: Lineage,
    /// Cancelling this cancels the operation too (a parent's, for a sub-agent).
    pub cancel: Option<CancellationToken>,
}

impl OperationRequest {
    pub fn new(project: Project, task: &str) -> Self {
        Self {
            project,
            task: task.to_string(),
            mode: Mode::Ask,
            max_steps: DEFAULT_MAX_STEPS,
            tier: None,
            model: None,
            user_available: false,
            filter: None,
            system: None,
            lineage: Lineage::default(),
            cancel: None,
        }
    }
}

/// How an operation ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// complete | cancelled | failed | step_limit
    pub status: String,
    pub summary: String,
    pub steps: usize,
    pub cost_usd: f64,
    pub error: Option<String>,
}

/// A started operation: its id, the handle to steer it, its events as they happen, and
/// the task that runs it.
pub struct Operation {
    pub id: i64,
    pub handle: OperationHandle,
    pub events: mpsc::UnboundedReceiver<AgentEvent>,
    pub join: tokio::task::JoinHandle<Outcome>,
}

/// Refuses before starting when no model that can call tools would take the task.
pub fn check_route(gateway: &Gateway, tier: Option<Tier>, model: Option<&str>) -> Result<(), AgentError> {
    let decision = gateway.router.decide(&agent_task(), tier, model);
    match decision.candidates.first() {
        None => Err(AgentError::Invalid(format!(
            "no model can run the agent ({}). {LOCAL_MODEL_REFUSAL}",
            decision.skipped.join("; ")
        ))),
        Some(c) if c.provider.id() == "local" => Err(AgentError::Invalid(LOCAL_MODEL_REFUSAL.into())),
        Some(_) => Ok(()),
    }
}

fn agent_task() -> Task {
    Task {
        operation_kind: Some("agent".into()),
        ..Task::default()
    }
}

/// [`start`] behind a named future type: a sub-agent is started from inside an
/// operation's own task, and an opaque future there would make the compiler's `Send`
/// check of that task depend on itself.
pub(crate) fn start_boxed(
    deps: AgentDeps,
    request: OperationRequest,
    registry: Option<Registry>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Operation, AgentError>> + Send>> {
    Box::pin(start(deps, request, registry))
}

/// Checks the request, stores the operation and starts it on the runtime.
pub async fn start(
    deps: AgentDeps,
    request: OperationRequest,
    registry: Option<Registry>,
) -> Result<Operation, AgentError> {
    let task = request.task.trim().to_string();
    if task.is_empty() {
        return Err(AgentError::Invalid(
            "the task is empty; say what the agent should do".into(),
        ));
    }
    if request.max_steps == 0 || request.max_steps > MAX_STEPS_LIMIT {
        return Err(AgentError::Invalid(format!(
            "max_steps must be from 1 to {MAX_STEPS_LIMIT}"
        )));
    }
    check_route(&deps.gateway, request.tier, request.model.as_deref())?;
    let root = request.project.root.canonicalize().map_err(|e| {
        AgentError::Io(format!(
            "cannot open the project root {}: {e}",
            request.project.root.display()
        ))
    })?;
    let id = store::create(
        &deps.db,
        request.project.id,
        &task,
        request.mode.as_str(),
        &request.lineage,
    )
    .await?;
    let token = match &request.cancel {
        Some(parent) => parent.child_token(),
        None => CancellationToken::new(),
    };
    let handle = OperationHandle::new(id, token);
    let (tx, events) = mpsc::unbounded_channel();
    let emitter = Emitter {
        db: deps.db.clone(),
        operation_id: id,
        tx,
    };
    let agent = &deps.config.agent;
    let mut allowed = agent.allowed_commands.clone();
    if let Some(filter) = &request.filter {
        allowed.extend(filter.commands.iter().cloned());
    }
    let delegate = request.lineage.parent_id.is_none().then(|| Delegate {
        deps: deps.clone(),
        registry: registry.clone(),
        tier: request.tier,
        model: request.model.clone(),
        max_steps: request.max_steps.max(DEFAULT_MAX_STEPS),
    });
    let ctx = ToolContext {
        db: deps.db.clone(),
        config: deps.config.clone(),
        allowlist: Allowlist::for_project(&root, &allowed),
        run_timeout: agent.run_timeout,
        project: request.project.clone(),
        root,
        search: deps.search.clone(),
        mode: request.mode,
        user_available: request.user_available,
        handle: handle.clone(),
        emitter,
        filter: request.filter.clone(),
        delegate,
        extensions: deps.extensions.clone(),
    };
    if let Some(r) = &registry {
        r.insert(handle.clone());
    }
    let run = Run {
        gateway: deps.gateway.clone(),
        request: OperationRequest { task, ..request },
        ctx,
        progress: Progress::default(),
        stop_hook_active: false,
    };
    let join = tokio::spawn(async move {
        let outcome = run.run().await;
        if let Some(r) = registry {
            r.remove(id);
        }
        outcome
    });
    Ok(Operation {
        id,
        handle,
        events,
        join,
    })
}

struct Run {
    gateway: Gateway,
    request: OperationRequest,
    ctx: ToolContext,
    progress: Progress,
    /// A Stop hook already sent the model back to work once (Claude Code's
    /// `stop_hook_active`, so a hook can avoid sending it back forever).
    stop_hook_active: bool,
}

/// How a step ended.
enum Step {
    Continue,
    Finished(Outcome),
}

impl Run {
    async fn run(mut self) -> Outcome {
        let id = self.ctx.operation_id();
        self.emit(AgentEvent::Started {
            operation_id: id,
            task: self.request.task.clone(),
            mode: self.request.mode.as_str().into(),
        })
        .await;
        let mut outcome = None;
        let mut first = self.first_message().await;
        if !self.is_subagent() {
            match self.opening_hooks().await {
                Ok(Some(context)) => {
                    first.push_str(&format!("\n\n<hook-context>\n{context}\n</hook-context>"))
                }
                Ok(None) => {}
                Err(ended) => outcome = Some(ended),
            }
        }
        let mut messages = vec![Message::system(self.system_prompt()), Message::user(first)];
        let specs = tools::offered(&self.ctx).await;
        for n in 1..=self.request.max_steps {
            if outcome.is_some() {
                break;
            }
            if self.ctx.handle.is_cancelled() {
                outcome = Some(self.ended("cancelled", "cancelled by the user", None));
                break;
            }
            match self.step(n, &mut messages, &specs).await {
                Ok(Step::Continue) => {}
                Ok(Step::Finished(o)) => {
                    outcome = Some(o);
                    break;
                }
                Err(e) => {
                    self.emit(AgentEvent::Failed {
                        error: e.to_string(),
                        kind: e.kind().into(),
                    })
                    .await;
                    outcome = Some(self.ended("failed", &e.to_string(), Some(e.to_string())));
                    break;
                }
            }
        }
        let outcome = outcome.unwrap_or_else(|| {
            let max = self.request.max_steps;
            self.ended(
                "step_limit",
                &format!(
                    "stopped at the step limit ({max} steps) before the task was done; raise it (--max-steps, max_steps) or narrow the task"
                ),
                None,
            )
        });
        if !self.is_subagent() {
            hook_points::fire(
                &self.ctx,
                HookEvent::SessionEnd,
                None,
                fields::session_end(&outcome.status),
            )
            .await;
        }
        if let Err(e) = store::update_progress(&self.ctx.db, id, &self.progress).await {
            tracing::warn!(operation = id, error = %e, "cannot store an operation's totals");
        }
        if let Err(e) = store::finish(
            &self.ctx.db,
            id,
            &outcome.status,
            &outcome.summary,
            outcome.error.as_deref(),
        )
        .await
        {
            tracing::warn!(operation = id, error = %e, "cannot store how an operation ended");
        }
        self.emit(AgentEvent::Done {
            status: outcome.status.clone(),
            summary: outcome.summary.clone(),
            steps: outcome.steps,
            cost_usd: outcome.cost_usd,
        })
        .await;
        outcome
    }

    fn is_subagent(&self) -> bool {
        self.request.lineage.parent_id.is_some()
    }

    /// SessionStart and UserPromptSubmit: context for the first message, or how the
    /// operation ended when a hook refused the task or said to stop.
    async fn opening_hooks(&self) -> Result<Option<String>, Outcome> {
        let mut context = Vec::new();
        let start = hook_points::fire(
            &self.ctx,
            HookEvent::SessionStart,
            Some("startup"),
            fields::session_start("startup"),
        )
        .await;
        if let Some(reason) = &start.stop {
            return Err(self.ended(
                "stopped",
                &format!("a SessionStart hook stopped the operation: {reason}"),
                None,
            ));
        }
        context.extend(start.context_text());
        let prompt = hook_points::fire(
            &self.ctx,
            HookEvent::UserPromptSubmit,
            None,
            fields::user_prompt_submit(&self.request.task),
        )
        .await;
        if let Some(reason) = &prompt.stop {
            return Err(self.ended(
                "stopped",
                &format!("a UserPromptSubmit hook stopped the operation: {reason}"),
                None,
            ));
        }
        if let Some(reason) = prompt.block_reason() {
            return Err(self.ended(
                "blocked",
                &format!("a UserPromptSubmit hook refused the task: {reason}"),
                None,
            ));
        }
        context.extend(prompt.context_text());
        Ok((!context.is_empty()).then(|| context.join("\n\n")))
    }

    /// Runs one tool call between its PreToolUse and PostToolUse hooks: what the model
    /// reads back, and the hooks' request to stop, if any.
    async fn call_tool(&mut self, call: &ToolCall) -> (tools::ToolOutput, Option<String>) {
        let root = self.ctx.root.clone();
        let pre = hook_points::fire(
            &self.ctx,
            HookEvent::PreToolUse,
            Some(&call.name),
            fields::pre_tool_use(&call.name, &call.arguments, &root),
        )
        .await;
        if let Some(reason) = pre.stop {
            return (
                tools::ToolOutput::err(format!("a hook stopped the operation: {reason}")),
                Some(reason),
            );
        }
        if let Some(reason) = pre.block_reason() {
            return (
                tools::ToolOutput::err(format!("blocked by a PreToolUse hook: {reason}")),
                None,
            );
        }
        if pre.permission == Some(PermissionDecision::Ask) {
            let why = pre.permission_reasons.join("; ");
            let question = format!(
                "A hook asks you to confirm the call of `{}` ({why}). Allow it? (yes/no)",
                call.name
            );
            if !tools::user::confirm(&self.ctx, question).await {
                return (
                    tools::ToolOutput::err(format!(
                        "not run: a hook asked for the user's confirmation of `{}` and it was not given ({why})",
                        call.name
                    )),
                    None,
                );
            }
        }
        let mut output = tools::run(&self.ctx, call).await;
        let response = serde_json::json!({"ok": output.ok, "output": output.text});
        let post = hook_points::fire(
            &self.ctx,
            HookEvent::PostToolUse,
            Some(&call.name),
            fields::post_tool_use(&call.name, &call.arguments, response, &root),
        )
        .await;
        if let Some(reason) = post.block_reason() {
            output.text.push_str(&format!("\n\n[PostToolUse hook] {reason}"));
        }
        if let Some(context) = post.context_text() {
            output.text.push_str(&format!("\n\n[hook context] {context}"));
        }
        (output, post.stop)
    }

    /// Stop (SubagentStop in a sub-agent) when the model wants to end: a hook that
    /// blocks it sends the model back to work with its reason.
    async fn stop_hooks(&mut self) -> Result<Option<String>, Outcome> {
        let event = if self.is_subagent() {
            HookEvent::SubagentStop
        } else {
            HookEvent::Stop
        };
        let report = hook_points::fire(&self.ctx, event, None, fields::stop(self.stop_hook_active)).await;
        if let Some(reason) = &report.stop {
            return Err(self.ended(
                "stopped",
                &format!("a {} hook stopped the operation: {reason}", event.as_str()),
                None,
            ));
        }
        match report.block_reason() {
            Some(reason) => {
                self.stop_hook_active = true;
                Ok(Some(reason))
            }
            None => Ok(None),
        }
    }

    fn ended(&self, status: &str, summary: &str, error: Option<String>) -> Outcome {
        Outcome {
            status: status.into(),
            summary: summary.into(),
            steps: self.progress.steps,
            cost_usd: self.progress.cost_usd,
            error,
        }
    }

    async fn emit(&self, event: AgentEvent) {
        self.ctx.emitter.emit(event, None).await;
    }

    fn system_prompt(&self) -> String {
        let own = self.mira_prompt();
        match &self.request.system {
            Some(first) if !first.trim().is_empty() => format!("{}\n\n{own}", first.trim()),
            _ => own,
        }
    }

    fn mira_prompt(&self) -> String {
        let commands = self.ctx.allowlist.describe();
        format!(
            "You are Mira's coding agent, working in the project `{name}`. Use the tools to read, search and \
             change its code and to run its build and tests. Paths are relative to the project root; nothing outside \
             it can be read or written, and there is no network access. Change files with edit_file (an exact \
             search block copied from read_file without the line numbers, and its replacement) or write_file. \
             After a change, run the tests with run_build. Commands run_build allows: {commands}. Work in small \
             steps. When the task is done, answer with a short summary of what you changed and why, without \
             calling a tool.",
            name = self.ctx.project.name,
            commands = if commands.is_empty() {
                "none configured".to_string()
            } else {
                commands.join(", ")
            },
        )
    }

    async fn first_message(&self) -> String {
        let task = &self.request.task;
        match crate::grounding::initial_context(&self.ctx, task).await {
            Some(context) => format!("{task}\n\n<context>\n{context}\n</context>"),
            None => task.clone(),
        }
    }

    async fn step(
        &mut self,
        n: usize,
        messages: &mut Vec<Message>,
        specs: &[mira_llm::ToolSpec],
    ) -> Result<Step, AgentError> {
        self.emit(AgentEvent::Step { n }).await;
        let request = ChatRequest {
            messages: messages.clone(),
            tools: specs.to_vec(),
            ..ChatRequest::default()
        };
        let cancel = self.ctx.handle.token();
        let options = CallOptions {
            tier: self.request.tier,
            model: self.request.model.clone(),
            task: agent_task(),
            operation: "agent".into(),
            // Each step's conversation is new; a cached answer would replay stale tool calls.
            bypass_cache: true,
            cancel: Some(cancel.clone()),
        };
        let mut stream = self.gateway.chat_stream(request, options).await?;
        let mut text = String::new();
        let mut calls: BTreeMap<usize, ToolCall> = BTreeMap::new();
        let mut finish = None;
        let mut report = None;
        while let Some(item) = stream.next().await {
            match item? {
                GatewayEvent::Routed { route } => {
                    if route.provider == "local" {
                        return Err(AgentError::Invalid(LOCAL_MODEL_REFUSAL.into()));
                    }
                    self.progress.provider = Some(route.provider);
                    self.progress.model = Some(route.model);
                }
                GatewayEvent::Event { event } => match event {
                    StreamEvent::Text { text: t } => {
                        text.push_str(&t);
                        self.ctx.emitter.stream_only(AgentEvent::Text { text: t });
                    }
                    StreamEvent::ToolCall { index, call } => {
                        calls.insert(index, call);
                    }
                    StreamEvent::Finish { reason } => finish = Some(reason),
                    StreamEvent::ToolCallDelta { .. } | StreamEvent::Usage { .. } => {}
                },
                GatewayEvent::Done { report: r } => report = Some(r),
            }
        }
        drop(stream);
        self.progress.steps = n;
        if let Some(r) = &report {
            self.progress.input_tokens += r.usage.input;
            self.progress.output_tokens += r.usage.output;
            self.progress.cost_usd += r.cost_usd;
        }
        if !text.is_empty() {
            // Stored once per step; watchers already had it piece by piece.
            let whole = AgentEvent::Text { text: text.clone() };
            if let Err(e) = store::append_event(&self.ctx.db, self.ctx.operation_id(), &whole, None).await {
                tracing::warn!(error = %e, "cannot store the model's text");
            }
        }
        self.emit(AgentEvent::Usage {
            input_tokens: self.progress.input_tokens,
            output_tokens: self.progress.output_tokens,
            cost_usd: self.progress.cost_usd,
        })
        .await;
        store::update_progress(&self.ctx.db, self.ctx.operation_id(), &self.progress).await?;
        if finish == Some(FinishReason::Cancelled) || cancel.is_cancelled() {
            return Ok(Step::Finished(self.ended(
                "cancelled",
                "cancelled by the user",
                None,
            )));
        }
        let calls: Vec<ToolCall> = calls.into_values().collect();
        let mut assistant = Message::assistant(text.clone());
        assistant.tool_calls = calls.clone();
        messages.push(assistant);
        if calls.is_empty() {
            match self.stop_hooks().await {
                Err(ended) => return Ok(Step::Finished(ended)),
                Ok(Some(reason)) if n < self.request.max_steps => {
                    messages.push(Message::user(format!("Do not finish yet: a hook says: {reason}")));
                    return Ok(Step::Continue);
                }
                Ok(_) => {}
            }
            let summary = if text.trim().is_empty() {
                "the model ended without a summary".to_string()
            } else {
                text.trim().to_string()
            };
            return Ok(Step::Finished(self.ended("complete", &summary, None)));
        }
        for call in &calls {
            if cancel.is_cancelled() {
                return Ok(Step::Finished(self.ended(
                    "cancelled",
                    "cancelled by the user",
                    None,
                )));
            }
            self.emit(AgentEvent::ToolCall {
                call_id: call.id.clone(),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            })
            .await;
            let started = Instant::now();
            let (output, stop) = self.call_tool(call).await;
            let duration_ms = started.elapsed().as_millis() as u64;
            self.progress.cost_usd += output.cost_usd;
            let event = AgentEvent::ToolResult {
                call_id: call.id.clone(),
                name: call.name.clone(),
                ok: output.ok,
                output: bound(output.text.clone(), EVENT_OUTPUT_CHARS, "the model read it whole"),
                duration_ms,
            };
            self.ctx.emitter.emit(event, Some(duration_ms)).await;
            let content = if output.ok {
                output.text
            } else {
                format!("error: {}", output.text)
            };
            messages.push(Message::tool_result(call, content));
            if let Some(reason) = stop {
                return Ok(Step::Finished(self.ended(
                    "stopped",
                    &format!("a hook stopped the operation: {reason}"),
                    None,
                )));
            }
        }
        if cancel.is_cancelled() {
            return Ok(Step::Finished(self.ended(
                "cancelled",
                "cancelled by the user",
                None,
            )));
        }
        Ok(Step::Continue)
    }
}

/// Waits for an operation's end, draining its events into `on_event`.
pub async fn drive(mut operation: Operation, mut on_event: impl FnMut(&AgentEvent)) -> Outcome {
    while let Some(event) = operation.events.recv().await {
        on_event(&event);
    }
    match operation.join.await {
        Ok(outcome) => outcome,
        Err(e) => Outcome {
            status: "failed".into(),
            summary: format!("the operation's task stopped: {e}"),
            steps: 0,
            cost_usd: 0.0,
            error: Some(e.to_string()),
        },
    }
}
