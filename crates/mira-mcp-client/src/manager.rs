//! [`McpClients`]: every configured server of a project, each kept connected by a
//! supervisor task of its own, and the calls the agent makes through them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CancelledNotification, CancelledNotificationParam,
    ClientNotification, ClientRequest, GetPromptRequest, GetPromptRequestParams, ReadResourceRequest,
    ReadResourceRequestParams, RequestId, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RoleClient, ServiceError};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;
use crate::error::McpError;
use crate::names::NameTable;
use crate::render::{ToolAnswer, render_prompt, render_resource, render_tool_result};
use crate::status::{McpPrompt, McpTool, PromptInfo, ServerState, ServerStatus, ToolInfo};
use crate::supervisor::{Lists, supervise};

/// Timeouts, restart pacing and where stdio servers run.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// How long a tool call, resource read or prompt fetch may take before it is cancelled.
    pub call_timeout: Duration,
    /// How long connecting, `initialize` and the first listing may take together (`npx -y`
    /// may download a package first).
    pub connect_timeout: Duration,
    /// The wait before the first restart after a failure; it doubles per failure up to
    /// `restart_backoff_max` and starts over once a connection has lasted that long.
    pub restart_backoff_initial: Duration,
    pub restart_backoff_max: Duration,
    /// How many recent stderr lines of each stdio server are kept.
    pub stderr_lines: usize,
    /// The working directory of stdio servers (the project root, as Claude Code runs them).
    pub working_dir: Option<PathBuf>,
    /// On shutdown, how long a stdio server gets after SIGTERM before SIGKILL.
    pub shutdown_grace: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(60),
            restart_backoff_initial: Duration::from_millis(500),
            restart_backoff_max: Duration::from_secs(30),
            stderr_lines: 200,
            working_dir: None,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// The MCP servers of one project. Cheap to clone (all clones share the servers); the
/// servers stop when [`McpClients::shutdown`] is called or the last clone is dropped.
#[derive(Clone)]
pub struct McpClients {
    inner: Arc<Inner>,
}

struct Inner {
    slots: Vec<Arc<Slot>>,
    options: ClientOptions,
    shutdown: CancellationToken,
    changes: watch::Receiver<u64>,
    supervisors: Mutex<Vec<JoinHandle<()>>>,
}

/// One server: its configuration and what its supervisor last reported.
pub(crate) struct Slot {
    pub(crate) config: ServerConfig,
    state: Mutex<SlotState>,
    changes: Arc<watch::Sender<u64>>,
}

pub(crate) struct SlotState {
    pub(crate) phase: ServerState,
    pub(crate) lists: Lists,
    pub(crate) last_error: Option<String>,
    pub(crate) restarts: u32,
    /// Set while ready.
    pub(crate) live: Option<Live>,
    /// The process group of a running stdio server, killed synchronously on drop.
    pub(crate) pgid: Option<libc::pid_t>,
}

/// What a call needs of a ready connection.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) peer: Peer<RoleClient>,
    /// Cancelled by the supervisor once the connection is gone and `last_error` says why.
    pub(crate) gone: CancellationToken,
    /// Cancelled by a call that saw the transport fail, for the supervisor to restart.
    pub(crate) lost: CancellationToken,
    pub(crate) lost_detail: Arc<Mutex<Option<String>>>,
}

impl Live {
    fn report_lost(&self, detail: String) {
        lock(&self.lost_detail).get_or_insert(detail);
        self.lost.cancel();
    }
}

impl Slot {
    pub(crate) fn update(&self, change: impl FnOnce(&mut SlotState)) {
        change(&mut lock(&self.state));
        self.changes.send_modify(|n| *n += 1);
    }

    pub(crate) fn read<T>(&self, view: impl FnOnce(&SlotState) -> T) -> T {
        view(&lock(&self.state))
    }

    fn name(&self) -> &str {
        &self.config.name
    }

    /// The ready connection, or why there is none.
    fn live(&self) -> Result<Live, McpError> {
        self.read(|state| {
            state.live.clone().ok_or_else(|| McpError::NotReady {
                server: self.config.name.clone(),
                state: state.phase,
                last_error: state.last_error.clone(),
            })
        })
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl McpClients {
    /// Starts every server in the background and returns at once; watch progress with
    /// [`McpClients::status`], [`McpClients::changes`] or [`McpClients::settled`]. Must be
    /// called inside a Tokio runtime.
    pub fn start(servers: Vec<ServerConfig>, options: ClientOptions) -> Self {
        crate::install_tls_provider();
        let (sender, changes) = watch::channel(0u64);
        let sender = Arc::new(sender);
        let shutdown = CancellationToken::new();
        let slots: Vec<Arc<Slot>> = servers
            .into_iter()
            .map(|config| {
                Arc::new(Slot {
                    config,
                    state: Mutex::new(SlotState {
                        phase: ServerState::Starting,
                        lists: Lists::default(),
                        last_error: None,
                        restarts: 0,
                        live: None,
                        pgid: None,
                    }),
                    changes: sender.clone(),
                })
            })
            .collect();
        let supervisors = slots
            .iter()
            .map(|slot| tokio::spawn(supervise(slot.clone(), options.clone(), shutdown.clone())))
            .collect();
        Self {
            inner: Arc::new(Inner {
                slots,
                options,
                shutdown,
                changes,
                supervisors: Mutex::new(supervisors),
            }),
        }
    }

    /// A receiver whose value changes whenever any server's status does.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changes.clone()
    }

    /// Waits until no server is still making its first connection, or `timeout` passes,
    /// and returns the statuses then. For a command that shows servers once.
    pub async fn settled(&self, timeout: Duration) -> Vec<ServerStatus> {
        let mut changes = self.changes();
        let all_settled = |slots: &[Arc<Slot>]| {
            slots
                .iter()
                .all(|slot| slot.read(|state| state.phase != ServerState::Starting))
        };
        let _ = tokio::time::timeout(timeout, async {
            while !all_settled(&self.inner.slots) {
                if changes.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        self.status()
    }

    /// Every configured server, in configuration order.
    pub fn status(&self) -> Vec<ServerStatus> {
        let tool_names = self.tool_names();
        let prompt_names = self.prompt_names();
        self.inner
            .slots
            .iter()
            .enumerate()
            .map(|(index, slot)| {
                slot.read(|state| ServerStatus {
                    name: slot.config.name.clone(),
                    scope: slot.config.source.scope,
                    source: slot.config.source.path.clone(),
                    transport: slot.config.transport.kind(),
                    state: state.phase,
                    server_info: state.lists.info.clone(),
                    pid: state.pgid.map(|pid| pid as u32),
                    tools: state
                        .lists
                        .tools
                        .iter()
                        .zip(&tool_names[index])
                        .map(|(tool, qualified)| ToolInfo {
                            qualified_name: qualified.clone(),
                            name: tool.name.clone(),
                            description: tool.description.clone(),
                            input_schema: tool.input_schema.clone(),
                        })
                        .collect(),
                    resources: state.lists.resources.clone(),
                    resource_templates: state.lists.resource_templates.clone(),
                    prompts: state
                        .lists
                        .prompts
                        .iter()
                        .zip(&prompt_names[index])
                        .map(|(prompt, qualified)| PromptInfo {
                            qualified_name: qualified.clone(),
                            name: prompt.name.clone(),
                            description: prompt.description.clone(),
                            arguments: prompt.arguments.clone(),
                        })
                        .collect(),
                    last_error: state.last_error.clone(),
                    restarts: state.restarts,
                })
            })
            .collect()
    }

    /// One server's status.
    pub fn server_status(&self, server: &str) -> Option<ServerStatus> {
        self.status().into_iter().find(|status| status.name == server)
    }

    /// The tools of the ready servers, for the model.
    pub fn tools(&self) -> Vec<McpTool> {
        let names = self.tool_names();
        let mut tools = Vec::new();
        for (slot, names) in self.inner.slots.iter().zip(names) {
            slot.read(|state| {
                if state.phase != ServerState::Ready {
                    return;
                }
                for (tool, qualified_name) in state.lists.tools.iter().zip(names) {
                    tools.push(McpTool {
                        qualified_name,
                        server: slot.config.name.clone(),
                        name: tool.name.clone(),
                        description: tool.description.clone().unwrap_or_default(),
                        input_schema: tool.input_schema.clone(),
                    });
                }
            });
        }
        tools
    }

    /// The prompts of the ready servers, for slash commands.
    pub fn prompts(&self) -> Vec<McpPrompt> {
        let names = self.prompt_names();
        let mut prompts = Vec::new();
        for (slot, names) in self.inner.slots.iter().zip(names) {
            slot.read(|state| {
                if state.phase != ServerState::Ready {
                    return;
                }
                for (prompt, qualified_name) in state.lists.prompts.iter().zip(names) {
                    prompts.push(McpPrompt {
                        qualified_name,
                        server: slot.config.name.clone(),
                        name: prompt.name.clone(),
                        description: prompt.description.clone(),
                        arguments: prompt.arguments.clone(),
                    });
                }
            });
        }
        prompts
    }

    /// Calls a tool by its qualified name (`mcp__server__tool`) with `arguments` (a JSON
    /// object, or null for none). A tool that ran and failed is `Ok` with `is_error`; `Err`
    /// is for a call that did not get an answer. The call gives up after
    /// [`ClientOptions::call_timeout`], or when `cancel` is cancelled; both send the server
    /// `notifications/cancelled`.
    pub async fn call_tool(
        &self,
        qualified_name: &str,
        arguments: Value,
        cancel: Option<CancellationToken>,
    ) -> Result<ToolAnswer, McpError> {
        let (slot, tool) = self.find_tool(qualified_name)?;
        let arguments = match arguments {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return Err(McpError::InvalidArguments(format!(
                    "the arguments of {qualified_name} must be a JSON object, not {other}"
                )));
            }
        };
        let mut params = CallToolRequestParams::new(tool.clone());
        if let Some(arguments) = arguments {
            params = params.with_arguments(arguments);
        }
        let action = format!("tool {tool}");
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        match self.request(&slot, &action, request, cancel).await? {
            ServerResult::CallToolResult(result) => Ok(render_tool_result(&to_json(&result))),
            other => Err(unexpected(&slot, &action, &other)),
        }
    }

    /// Reads a resource of `server` (by its configured name) and renders it as text.
    pub async fn read_resource(&self, server: &str, uri: &str) -> Result<String, McpError> {
        let slot = self.find_server(server)?;
        let action = format!("reading resource {uri}");
        let request =
            ClientRequest::ReadResourceRequest(ReadResourceRequest::new(ReadResourceRequestParams::new(uri)));
        match self.request(&slot, &action, request, None).await? {
            ServerResult::ReadResourceResult(result) => Ok(render_resource(&to_json(&result))),
            other => Err(unexpected(&slot, &action, &other)),
        }
    }

    /// Fetches a prompt by its qualified name with named `arguments` and renders its
    /// messages as text. Mapping a slash command's positional words onto names is the
    /// caller's: [`McpPrompt::arguments`] is in the server's order.
    pub async fn get_prompt(
        &self,
        qualified_name: &str,
        arguments: BTreeMap<String, String>,
    ) -> Result<String, McpError> {
        let (slot, prompt) = self.find_prompt(qualified_name)?;
        let mut params = GetPromptRequestParams::new(prompt.clone());
        if !arguments.is_empty() {
            params = params.with_arguments(
                arguments
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            );
        }
        let action = format!("prompt {prompt}");
        let request = ClientRequest::GetPromptRequest(GetPromptRequest::new(params));
        match self.request(&slot, &action, request, None).await? {
            ServerResult::GetPromptResult(result) => Ok(render_prompt(&to_json(&result))),
            other => Err(unexpected(&slot, &action, &other)),
        }
    }

    /// Stops every server (stdio: stdin closed, SIGTERM to its process group, SIGKILL
    /// after [`ClientOptions::shutdown_grace`]) and waits for them. Calls in flight fail
    /// with [`McpError::Shutdown`]; later calls too.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        let supervisors = std::mem::take(&mut *lock(&self.inner.supervisors));
        for supervisor in supervisors {
            let _ = supervisor.await;
        }
    }

    /// Sends `request` on the slot's connection and waits for the answer, a timeout, a
    /// cancel, the connection's end or shutdown, whichever comes first.
    async fn request(
        &self,
        slot: &Slot,
        action: &str,
        request: ClientRequest,
        cancel: Option<CancellationToken>,
    ) -> Result<ServerResult, McpError> {
        if self.inner.shutdown.is_cancelled() {
            return Err(McpError::Shutdown);
        }
        let live = slot.live()?;
        let handle = match live
            .peer
            .send_request_with_option(request, PeerRequestOptions::no_options())
            .await
        {
            Ok(handle) => handle,
            Err(error) => return Err(self.connection_failed(slot, &live, action, &error).await),
        };
        let id = handle.id.clone();
        let cancel = cancel.unwrap_or_default();
        let timeout = self.inner.options.call_timeout;
        tokio::select! {
            result = handle.await_response() => match result {
                Ok(result) => Ok(result),
                Err(ServiceError::McpError(error)) => Err(McpError::Server {
                    server: slot.name().to_string(),
                    action: action.to_string(),
                    code: error.code.0,
                    message: error.message.to_string(),
                }),
                Err(error @ (ServiceError::TransportClosed | ServiceError::TransportSend(_))) => {
                    Err(self.connection_failed(slot, &live, action, &error).await)
                }
                Err(error) => Err(McpError::Protocol {
                    server: slot.name().to_string(),
                    action: action.to_string(),
                    detail: error.to_string(),
                }),
            },
            _ = live.gone.cancelled() => Err(stopped(slot, action, None)),
            _ = cancel.cancelled() => {
                notify_cancelled(&live.peer, id, "cancelled by the user").await;
                Err(McpError::Cancelled { server: slot.name().to_string(), action: action.to_string() })
            }
            _ = tokio::time::sleep(timeout) => {
                notify_cancelled(&live.peer, id, "timed out").await;
                Err(McpError::Timeout { server: slot.name().to_string(), action: action.to_string(), after: timeout })
            }
            _ = self.inner.shutdown.cancelled() => Err(McpError::Shutdown),
        }
    }

    /// The transport failed under a call: tell the supervisor, give it a moment to find out
    /// why (a stdio server's exit status and stderr), and say so.
    async fn connection_failed(
        &self,
        slot: &Slot,
        live: &Live,
        action: &str,
        error: &ServiceError,
    ) -> McpError {
        let detail = format!("the connection failed: {}", crate::connect::error_chain(error));
        live.report_lost(detail.clone());
        let verdict = tokio::time::timeout(Duration::from_secs(2), live.gone.cancelled()).await;
        stopped(slot, action, verdict.is_err().then_some(detail))
    }

    fn find_server(&self, server: &str) -> Result<Arc<Slot>, McpError> {
        self.inner
            .slots
            .iter()
            .find(|slot| slot.name() == server)
            .cloned()
            .ok_or_else(|| McpError::UnknownServer {
                name: server.to_string(),
                known: self
                    .inner
                    .slots
                    .iter()
                    .map(|slot| slot.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn find_tool(&self, qualified_name: &str) -> Result<(Arc<Slot>, String), McpError> {
        let names = self.tool_names();
        for (slot, names) in self.inner.slots.iter().zip(names) {
            if let Some(index) = names.iter().position(|name| name == qualified_name) {
                let tool = slot.read(|state| state.lists.tools.get(index).map(|tool| tool.name.clone()));
                if let Some(tool) = tool {
                    return Ok((slot.clone(), tool));
                }
            }
        }
        Err(McpError::UnknownTool {
            name: qualified_name.to_string(),
            hint: self.not_ready_hint(qualified_name),
        })
    }

    fn find_prompt(&self, qualified_name: &str) -> Result<(Arc<Slot>, String), McpError> {
        let names = self.prompt_names();
        for (slot, names) in self.inner.slots.iter().zip(names) {
            if let Some(index) = names.iter().position(|name| name == qualified_name) {
                let prompt =
                    slot.read(|state| state.lists.prompts.get(index).map(|prompt| prompt.name.clone()));
                if let Some(prompt) = prompt {
                    return Ok((slot.clone(), prompt));
                }
            }
        }
        Err(McpError::UnknownPrompt {
            name: qualified_name.to_string(),
            hint: self.not_ready_hint(qualified_name),
        })
    }

    /// When the name belongs to a server that has not listed yet, say so.
    fn not_ready_hint(&self, qualified_name: &str) -> String {
        for slot in &self.inner.slots {
            let prefix = format!("mcp__{}__", crate::names::sanitize(slot.name()));
            let phase = slot.read(|state| state.phase);
            if qualified_name.starts_with(&prefix) && phase != ServerState::Ready {
                return format!(
                    " (server \"{}\" is {phase}, so its list is not known yet)",
                    slot.name()
                );
            }
        }
        String::new()
    }

    /// The qualified tool names per slot, parallel to each slot's tool list.
    fn tool_names(&self) -> Vec<Vec<String>> {
        let mut table = NameTable::default();
        self.inner
            .slots
            .iter()
            .map(|slot| {
                slot.read(|state| {
                    state
                        .lists
                        .tools
                        .iter()
                        .map(|tool| table.assign(slot.name(), &tool.name))
                        .collect()
                })
            })
            .collect()
    }

    fn prompt_names(&self) -> Vec<Vec<String>> {
        let mut table = NameTable::default();
        self.inner
            .slots
            .iter()
            .map(|slot| {
                slot.read(|state| {
                    state
                        .lists
                        .prompts
                        .iter()
                        .map(|prompt| table.assign(slot.name(), &prompt.name))
                        .collect()
                })
            })
            .collect()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.cancel();
        // The supervisors would kill their children once they run again, but the runtime
        // may be going away too: kill the process groups now.
        for slot in &self.slots {
            if let Some(pgid) = slot.read(|state| state.pgid) {
                crate::child::kill_group(pgid, libc::SIGKILL);
            }
        }
    }
}

fn stopped(slot: &Slot, action: &str, detail: Option<String>) -> McpError {
    let detail = detail
        .or_else(|| slot.read(|state| state.last_error.clone()))
        .unwrap_or_else(|| "the connection closed".to_string());
    McpError::ServerStopped {
        server: slot.name().to_string(),
        action: action.to_string(),
        detail,
    }
}

fn unexpected(slot: &Slot, action: &str, result: &ServerResult) -> McpError {
    let kind = to_json(result);
    let detail = match &kind {
        Value::Object(map) if map.contains_key("inputRequests") || map.contains_key("requestState") => {
            "an input request, which Mira does not answer yet".to_string()
        }
        Value::Object(map) if map.contains_key("task") => {
            "a task, which Mira does not follow yet".to_string()
        }
        other => format!("a result of another kind: {}", truncate(&other.to_string(), 200)),
    };
    McpError::Protocol {
        server: slot.name().to_string(),
        action: action.to_string(),
        detail,
    }
}

async fn notify_cancelled(peer: &Peer<RoleClient>, id: RequestId, reason: &str) {
    let notification = ClientNotification::CancelledNotification(CancelledNotification::new(
        CancelledNotificationParam::new(Some(id), Some(reason.to_string())),
    ));
    // Best effort: a server that cannot take it is gone or stuck, and the caller has
    // already been answered.
    let _ = tokio::time::timeout(Duration::from_secs(2), peer.send_notification(notification)).await;
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}
