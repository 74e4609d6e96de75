//! One server's life: connect, list, serve until the connection ends, restart with
//! backoff; stop on shutdown.

use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::service::{Peer, RoleClient};
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::child::{ServerProcess, describe_exit};
use crate::config::TransportConfig;
use crate::connect::{Connection, STDERR_LINES_IN_ERRORS, connect, error_chain, stderr_suffix};
use crate::handler::{Handler, ListKind};
use crate::manager::{ClientOptions, Live, Slot, lock};
use crate::status::{PromptArgument, ResourceInfo, ResourceTemplateInfo, ServerInfo, ServerState};

/// What a server offers, as last listed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lists {
    pub(crate) info: Option<ServerInfo>,
    pub(crate) tools: Vec<ListedTool>,
    pub(crate) resources: Vec<ResourceInfo>,
    pub(crate) resource_templates: Vec<ResourceTemplateInfo>,
    pub(crate) prompts: Vec<ListedPrompt>,
}

#[derive(Debug, Clone)]
pub(crate) struct ListedTool {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) input_schema: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct ListedPrompt {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) arguments: Vec<PromptArgument>,
}

/// Why a ready connection ended.
enum End {
    Shutdown,
    Exited(ExitStatus),
    ServiceEnded,
    Lost(String),
}

pub(crate) async fn supervise(slot: Arc<Slot>, options: ClientOptions, shutdown: CancellationToken) {
    let mut delay = options.restart_backoff_initial;
    let mut first = true;
    loop {
        if !first {
            slot.update(|state| {
                state.phase = ServerState::Restarting;
                state.restarts += 1;
            });
        }
        first = false;
        let started = Instant::now();
        match run_once(&slot, &options, &shutdown).await {
            None => break,
            Some(error) => {
                tracing::warn!(server = %slot.config.name, %error, "MCP server failed");
                slot.update(|state| {
                    state.phase = ServerState::Failed;
                    state.last_error = Some(error);
                });
            }
        }
        // A connection that lasted a while was healthy: the next failure is new trouble,
        // not the same one again.
        if started.elapsed() >= options.restart_backoff_max {
            delay = options.restart_backoff_initial;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(options.restart_backoff_max);
    }
    slot.update(|state| {
        state.phase = ServerState::Stopped;
        state.live = None;
        state.pgid = None;
    });
}

/// One connection from start to end: `None` on shutdown, else why it failed.
async fn run_once(slot: &Slot, options: &ClientOptions, shutdown: &CancellationToken) -> Option<String> {
    let (relist_sender, mut relist) = unbounded_channel();
    let handler = Handler::new(relist_sender);
    let connecting = async {
        let mut connection = connect(
            &slot.config.transport,
            handler,
            options.working_dir.as_deref(),
            options.stderr_lines,
        )
        .await?;
        let lists = list_everything(&connection.peer).await;
        if let Some(process) = connection.process.as_mut()
            && let Some(status) = process.try_exit()
        {
            return Err(process_ended(process, status, "while being listed"));
        }
        Ok((connection, lists))
    };
    // Dropping the connecting future on shutdown or timeout kills a started child.
    let (mut connection, (lists, notes)) = tokio::select! {
        _ = shutdown.cancelled() => return None,
        result = tokio::time::timeout(options.connect_timeout, connecting) => match result {
            Ok(Ok(ready)) => ready,
            Ok(Err(error)) => return Some(error),
            Err(_) => {
                return Some(format!(
                    "it did not finish connecting and listing within {} s; check that it starts on its \
                     own (run the command or open the URL), or raise ClientOptions::connect_timeout",
                    options.connect_timeout.as_secs()
                ));
            }
        },
    };
    let live = Live {
        peer: connection.peer.clone(),
        gone: CancellationToken::new(),
        lost: CancellationToken::new(),
        lost_detail: Arc::new(Mutex::new(None)),
    };
    slot.update(|state| {
        state.phase = ServerState::Ready;
        state.lists = lists;
        if !notes.is_empty() {
            state.last_error = Some(notes.join("; "));
        }
        state.live = Some(live.clone());
        state.pgid = connection.process.as_ref().map(ServerProcess::pgid);
    });

    let end = serve_until_end(slot, &mut connection, &live, &mut relist, shutdown).await;
    let error = match end {
        End::Shutdown => {
            close(&mut connection, options.shutdown_grace).await;
            None
        }
        End::Exited(status) => {
            let process = connection.process.as_mut().expect("only a process exits");
            Some(process_ended(process, status, "unexpectedly"))
        }
        End::ServiceEnded | End::Lost(_) => {
            let detail = match end {
                End::Lost(detail) => detail,
                _ => "the connection closed".to_string(),
            };
            connection.stop_service();
            match connection.process.as_mut() {
                Some(process) => {
                    let status = process.kill_and_collect().await;
                    let stderr = stderr_suffix(&process.stderr.last(STDERR_LINES_IN_ERRORS));
                    Some(format!("{detail}; {}{stderr}", describe_exit(status)))
                }
                None => Some(format!(
                    "{detail}; reconnecting to {}",
                    url_of(&slot.config.transport)
                )),
            }
        }
    };
    // Record why before telling calls in flight, so their error can say it.
    slot.update(|state| {
        state.live = None;
        state.pgid = None;
        if let Some(error) = &error {
            state.phase = ServerState::Failed;
            state.last_error = Some(error.clone());
        }
    });
    live.gone.cancel();
    drop(connection);
    error
}

/// Serves list-changed notifications until the connection ends one way or another.
async fn serve_until_end(
    slot: &Slot,
    connection: &mut Connection,
    live: &Live,
    relist: &mut UnboundedReceiver<ListKind>,
    shutdown: &CancellationToken,
) -> End {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return End::Shutdown,
            status = wait_for_exit(&mut connection.process) => return End::Exited(status),
            _ = &mut connection.service => return End::ServiceEnded,
            _ = live.lost.cancelled() => {
                let detail = lock(&live.lost_detail).clone().unwrap_or_default();
                return End::Lost(detail);
            }
            Some(kind) = relist.recv() => {
                let peer = connection.peer.clone();
                match relist_one(&peer, kind).await {
                    Ok(apply) => slot.update(|state| apply(&mut state.lists)),
                    Err(error) => slot.update(|state| state.last_error = Some(error)),
                }
            }
        }
    }
}

/// The stdio child's exit; an HTTP connection has no process, so this never completes
/// for it and the connection ends only through its service loop.
async fn wait_for_exit(process: &mut Option<ServerProcess>) -> ExitStatus {
    match process {
        Some(process) => process.wait().await,
        None => std::future::pending().await,
    }
}

/// Ends a connection on purpose: close the session, then stop the process.
async fn close(connection: &mut Connection, grace: Duration) {
    connection.stop_service();
    let _ = tokio::time::timeout(grace, &mut connection.service).await;
    if let Some(process) = connection.process.as_mut() {
        process.terminate(grace).await;
    }
}

fn process_ended(process: &ServerProcess, status: ExitStatus, how: &str) -> String {
    format!(
        "the server process stopped {how}: {}{}",
        describe_exit(status),
        stderr_suffix(&process.stderr.last(STDERR_LINES_IN_ERRORS))
    )
}

fn url_of(transport: &TransportConfig) -> &str {
    match transport {
        TransportConfig::Http { url, .. } => url,
        TransportConfig::Stdio { command, .. } => command,
    }
}

/// `initialize`'s answer and every list the server's capabilities offer. A list that fails
/// is left empty with a note; the tools of a server whose prompts fail still work.
async fn list_everything(peer: &Peer<RoleClient>) -> (Lists, Vec<String>) {
    let mut lists = Lists::default();
    let mut notes = Vec::new();
    let Some(info) = peer.peer_info() else {
        return (lists, vec!["the server sent no initialize result".to_string()]);
    };
    let implementation = info.server_info.as_ref();
    lists.info = Some(ServerInfo {
        name: implementation.map(|i| i.name.clone()).unwrap_or_default(),
        version: implementation.map(|i| i.version.clone()).unwrap_or_default(),
        protocol_version: info.protocol_version.to_string(),
        instructions: info.instructions.clone(),
    });
    let capabilities = &info.capabilities;
    let kinds = [
        (capabilities.tools.is_some(), ListKind::Tools),
        (capabilities.prompts.is_some(), ListKind::Prompts),
        (capabilities.resources.is_some(), ListKind::Resources),
    ];
    for (offered, kind) in kinds {
        if offered {
            match relist_one(peer, kind).await {
                Ok(apply) => apply(&mut lists),
                Err(error) => notes.push(error),
            }
        }
    }
    (lists, notes)
}

type ApplyList = Box<dyn FnOnce(&mut Lists) + Send>;

/// Lists one kind (every page) and returns how to store it.
async fn relist_one(peer: &Peer<RoleClient>, kind: ListKind) -> Result<ApplyList, String> {
    let failed =
        |what: &str, error: &dyn std::error::Error| format!("listing {what} failed: {}", error_chain(error));
    match kind {
        ListKind::Tools => {
            let tools = peer.list_all_tools().await.map_err(|e| failed("tools", &e))?;
            let tools: Vec<ListedTool> = tools
                .into_iter()
                .map(|tool| ListedTool {
                    name: tool.name.to_string(),
                    description: tool.description.map(|d| d.to_string()),
                    input_schema: Value::Object((*tool.input_schema).clone()),
                })
                .collect();
            Ok(Box::new(move |lists| lists.tools = tools))
        }
        ListKind::Prompts => {
            let prompts = peer.list_all_prompts().await.map_err(|e| failed("prompts", &e))?;
            let prompts: Vec<ListedPrompt> = prompts
                .into_iter()
                .map(|prompt| ListedPrompt {
                    name: prompt.name,
                    description: prompt.description,
                    arguments: prompt
                        .arguments
                        .unwrap_or_default()
                        .into_iter()
                        .map(|argument| PromptArgument {
                            name: argument.name,
                            description: argument.description,
                            required: argument.required.unwrap_or(false),
                        })
                        .collect(),
                })
                .collect();
            Ok(Box::new(move |lists| lists.prompts = prompts))
        }
        ListKind::Resources => {
            let resources = peer
                .list_all_resources()
                .await
                .map_err(|e| failed("resources", &e))?;
            let templates = peer
                .list_all_resource_templates()
                .await
                .map_err(|e| failed("resource templates", &e))?;
            let resources: Vec<ResourceInfo> = resources
                .into_iter()
                .map(|resource| ResourceInfo {
                    uri: resource.uri.clone(),
                    name: resource.name.clone(),
                    description: resource.description.clone(),
                    mime_type: resource.mime_type.clone(),
                })
                .collect();
            let templates: Vec<ResourceTemplateInfo> = templates
                .into_iter()
                .map(|template| ResourceTemplateInfo {
                    uri_template: template.uri_template.clone(),
                    name: template.name.clone(),
                    description: template.description.clone(),
                    mime_type: template.mime_type.clone(),
                })
                .collect();
            Ok(Box::new(move |lists| {
                lists.resources = resources;
                lists.resource_templates = templates;
            }))
        }
    }
}
