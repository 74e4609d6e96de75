//! One chat turn end to end: the user's message is stored, the conversation goes to the
//! gateway (voice tier unless the classifier says otherwise), the answer streams back
//! as [`ChatEvent`]s, and is stored when it ends: complete, stopped or failed.

use futures_util::{Stream, StreamExt};
use mira_store::Db;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::conversations::{self, AssistantRecord};
use crate::error::LlmError;
use crate::gateway::{CallOptions, CallReport, Gateway, GatewayEvent, Route};
use crate::router::{Task, Tier};
use crate::stream::StreamEvent;
use crate::types::{ChatRequest, FinishReason, Message, ToolCall};

pub const SYSTEM_PROMPT: &str = "You are Mira, a coding assistant that knows the user's code and history. \
Answer concisely and precisely; use Markdown, with code in fenced blocks that name their language. \
Say so when you are not sure.";

/// Messages of history sent with a turn.
const HISTORY_MESSAGES: usize = 40;

#[derive(Debug, Clone, Default)]
pub struct TurnRequest {
    /// Continue this conversation; `None` starts a new one.
    pub conversation_id: Option<i64>,
    pub message: String,
    pub project_id: Option<i64>,
    pub tier: Option<Tier>,
    pub model: Option<String>,
    pub bypass_cache: bool,
    pub max_tokens: Option<u32>,
    /// Project context for the answer (from the context oracle, above this crate).
    pub grounding: Option<Grounding>,
}

/// What a grounded turn adds: the context as the model reads it, and as JSON for the
/// client and the stored answer. The prompt goes into the system message, so the answer
/// cache's key covers it: an edit to a cited file changes the key.
#[derive(Debug, Clone, PartialEq)]
pub struct Grounding {
    pub prompt: String,
    pub json: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ChatEvent {
    Started {
        conversation_id: i64,
        user_message_id: i64,
    },
    /// The project context the answer is grounded in (before `routed`).
    Context {
        context: serde_json::Value,
    },
    Routed {
        route: Route,
    },
    Delta {
        text: String,
    },
    ToolCall {
        call: ToolCall,
    },
    /// The answer ended and was stored as `message_id` (`status` complete or cancelled).
    Done {
        message_id: i64,
        status: String,
        report: CallReport,
    },
    /// The call failed; the failure was stored as `message_id`.
    Failed {
        message_id: Option<i64>,
        error: String,
        kind: String,
    },
}

pub type ChatEvents = std::pin::Pin<Box<dyn Stream<Item = ChatEvent> + Send>>;

/// Starts a turn. Errors here (empty message, unknown conversation, budget, no usable
/// model) come before anything is streamed; the user's message is stored either way
/// once the conversation exists.
pub async fn start_turn(
    gateway: &Gateway,
    db: &Db,
    turn: TurnRequest,
    cancel: CancellationToken,
) -> Result<ChatEvents, LlmError> {
    // A pasted key or token is neither stored nor sent (nor remembered later).
    let cleaned = crate::scrub::credentials(turn.message.trim());
    let text = cleaned.as_str();
    if text.is_empty() {
        return Err(LlmError::BadRequest {
            provider: "chat".into(),
            status: 400,
            message: "the message is empty; type something to ask".into(),
        });
    }
    let conversation_id = match turn.conversation_id {
        Some(id) => {
            conversations::get(db, id)
                .await?
                .ok_or_else(|| LlmError::BadRequest {
                    provider: "chat".into(),
                    status: 404,
                    message: format!("no conversation {id}; start a new one without conversation_id"),
                })?;
            id
        }
        None => conversations::create(db, &conversations::title_from(text), turn.project_id).await?,
    };
    let user_message_id = conversations::add_user(db, conversation_id, text).await?;
    let system = match &turn.grounding {
        Some(g) if !g.prompt.is_empty() => format!("{SYSTEM_PROMPT}\n\n{}", g.prompt),
        _ => SYSTEM_PROMPT.to_string(),
    };
    let context_json = turn.grounding.as_ref().map(|g| g.json.to_string());
    let mut messages = vec![Message::system(system)];
    messages.extend(conversations::history(db, conversation_id, HISTORY_MESSAGES).await?);
    let request = ChatRequest {
        messages,
        max_tokens: turn.max_tokens,
        ..ChatRequest::default()
    };
    let options = CallOptions {
        tier: turn.tier,
        model: turn.model.clone(),
        task: Task {
            operation_kind: Some("chat".into()),
            ..Task::default()
        },
        operation: "chat".into(),
        bypass_cache: turn.bypass_cache,
        cancel: Some(cancel),
    };
    let stream = match gateway.chat_stream(request, options).await {
        Ok(s) => s,
        Err(e) => {
            let record = AssistantRecord {
                content: "",
                tool_calls: &[],
                status: "failed",
                report: None,
                error: Some(&e.to_string()),
                context: context_json.as_deref(),
            };
            conversations::add_assistant(db, conversation_id, record).await?;
            return Err(e);
        }
    };
    let mut first = vec![ChatEvent::Started {
        conversation_id,
        user_message_id,
    }];
    if let Some(g) = &turn.grounding {
        first.push(ChatEvent::Context {
            context: g.json.clone(),
        });
    }
    let saver = Saver {
        db: db.clone(),
        conversation_id,
        context: context_json,
        text: String::new(),
        calls: Vec::new(),
        saved: false,
    };
    let body = futures_util::stream::unfold((stream, saver), |(mut stream, mut saver)| async move {
        if saver.saved {
            return None;
        }
        loop {
            let event = match stream.next().await {
                Some(Ok(GatewayEvent::Routed { route })) => ChatEvent::Routed { route },
                Some(Ok(GatewayEvent::Event { event })) => match event {
                    StreamEvent::Text { text } => {
                        saver.text.push_str(&text);
                        ChatEvent::Delta { text }
                    }
                    StreamEvent::ToolCall { call, .. } => {
                        saver.calls.push(call.clone());
                        ChatEvent::ToolCall { call }
                    }
                    _ => continue,
                },
                Some(Ok(GatewayEvent::Done { report })) => {
                    let status = if report.finish == FinishReason::Cancelled {
                        "cancelled"
                    } else {
                        "complete"
                    };
                    match saver.save(status, Some(&report), None).await {
                        Ok(message_id) => ChatEvent::Done {
                            message_id,
                            status: status.into(),
                            report,
                        },
                        Err(e) => ChatEvent::Failed {
                            message_id: None,
                            error: e.to_string(),
                            kind: e.kind().into(),
                        },
                    }
                }
                Some(Err(e)) => {
                    let message_id = saver.save("failed", None, Some(&e.to_string())).await.ok();
                    ChatEvent::Failed {
                        message_id,
                        error: e.to_string(),
                        kind: e.kind().into(),
                    }
                }
                None => return None,
            };
            return Some((event, (stream, saver)));
        }
    });
    Ok(Box::pin(futures_util::stream::iter(first).chain(body)))
}

/// Stores the answer once; if the stream is dropped first, what came so far is stored
/// as cancelled.
struct Saver {
    db: Db,
    conversation_id: i64,
    context: Option<String>,
    text: String,
    calls: Vec<ToolCall>,
    saved: bool,
}

impl Saver {
    async fn save(
        &mut self,
        status: &str,
        report: Option<&CallReport>,
        error: Option<&str>,
    ) -> Result<i64, LlmError> {
        self.saved = true;
        let record = AssistantRecord {
            content: &self.text,
            tool_calls: &self.calls,
            status,
            report,
            error,
            context: self.context.as_deref(),
        };
        conversations::add_assistant(&self.db, self.conversation_id, record).await
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        if self.saved {
            return;
        }
        let (db, id, text, calls, context) = (
            self.db.clone(),
            self.conversation_id,
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.calls),
            self.context.take(),
        );
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let record = AssistantRecord {
                    content: &text,
                    tool_calls: &calls,
                    status: "cancelled",
                    report: None,
                    error: None,
                    context: context.as_deref(),
                };
                let _ = conversations::add_assistant(&db, id, record).await;
            });
        }
    }
}
