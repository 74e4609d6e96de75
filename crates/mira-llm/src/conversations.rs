//! Chat history: conversations and their messages in SQLite.

use mira_store::Db;
use serde::Serialize;

use crate::error::LlmError;
use crate::gateway::CallReport;
use crate::types::{Message, Role, ToolCall};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Conversation {
    pub id: i64,
    pub title: String,
    pub project_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub messages: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
    /// `complete`, `cancelled` (stopped by the user) or `failed`.
    pub status: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub tier: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    pub cache_hit: Option<bool>,
    pub error: Option<String>,
    pub created_at: i64,
    /// For a grounded answer: the context it was given (files, cited items, tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Value>,
}

type MessageRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<f64>,
    Option<i64>,
    Option<String>,
    i64,
    Option<String>,
);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A title from the first words of the first message.
pub fn title_from(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("New chat")
        .trim();
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push_str("...");
    }
    title
}

pub async fn create(db: &Db, title: &str, project_id: Option<i64>) -> Result<i64, LlmError> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO conversations (title, project_id, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(title)
    .bind(project_id)
    .bind(now)
    .bind(now)
    .fetch_one(db.pool())
    .await?)
}

const SELECT_CONVERSATION: &str = "SELECT c.id, c.title, c.project_id, c.created_at, c.updated_at,
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS messages FROM conversations c";

pub async fn list(db: &Db, limit: u32) -> Result<Vec<Conversation>, LlmError> {
    Ok(sqlx::query_as(&format!(
        "{SELECT_CONVERSATION} ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Conversation>, LlmError> {
    Ok(sqlx::query_as(&format!("{SELECT_CONVERSATION} WHERE c.id = ?"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn delete(db: &Db, id: i64) -> Result<bool, LlmError> {
    let done = sqlx::query("DELETE FROM conversations WHERE id = ?")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn messages(db: &Db, conversation_id: i64) -> Result<Vec<StoredMessage>, LlmError> {
    let rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, conversation_id, role, content, tool_calls, status, provider, model, tier, input_tokens,
             output_tokens, cost_usd, cache_hit, error, created_at, context
         FROM messages WHERE conversation_id = ? ORDER BY id",
    )
    .bind(conversation_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StoredMessage {
            id: r.0,
            conversation_id: r.1,
            role: Role::parse(&r.2).unwrap_or(Role::User),
            content: r.3,
            tool_calls: r
                .4
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            status: r.5,
            provider: r.6,
            model: r.7,
            tier: r.8,
            input_tokens: r.9,
            output_tokens: r.10,
            cost_usd: r.11,
            cache_hit: r.12.map(|h| h != 0),
            error: r.13,
            created_at: r.14,
            context: r.15.and_then(|c| serde_json::from_str(&c).ok()),
        })
        .collect())
}

/// The history a model sees: complete user and assistant messages, the latest
/// `max_messages` of them.
pub async fn history(db: &Db, conversation_id: i64, max_messages: usize) -> Result<Vec<Message>, LlmError> {
    let all = messages(db, conversation_id).await?;
    let usable: Vec<Message> = all
        .into_iter()
        .filter(|m| m.status == "complete" && matches!(m.role, Role::User | Role::Assistant))
        .map(|m| {
            let mut message = Message::new(m.role, m.content);
            message.tool_calls = m.tool_calls;
            message
        })
        .collect();
    let skip = usable.len().saturating_sub(max_messages);
    Ok(usable.into_iter().skip(skip).collect())
}

pub async fn add_user(db: &Db, conversation_id: i64, content: &str) -> Result<i64, LlmError> {
    let now = now_ms();
    let id = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', ?, ?) RETURNING id",
    )
    .bind(conversation_id)
    .bind(content)
    .bind(now)
    .fetch_one(db.pool())
    .await?;
    touch(db, conversation_id, now).await?;
    Ok(id)
}

/// An answer as it ended: complete, cancelled with what came so far, or failed.
pub struct AssistantRecord<'a> {
    pub content: &'a str,
    pub tool_calls: &'a [ToolCall],
    pub status: &'a str,
    pub report: Option<&'a CallReport>,
    pub error: Option<&'a str>,
    /// The context of a grounded answer, as JSON.
    pub context: Option<&'a str>,
}

pub async fn add_assistant(db: &Db, conversation_id: i64, r: AssistantRecord<'_>) -> Result<i64, LlmError> {
    let now = now_ms();
    let calls =
        (!r.tool_calls.is_empty()).then(|| serde_json::to_string(r.tool_calls).expect("calls serialize"));
    let report = r.report;
    let id = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, role, content, tool_calls, status, provider, model, tier,
             input_tokens, output_tokens, cost_usd, cache_hit, error, created_at, context)
         VALUES (?, 'assistant', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(conversation_id)
    .bind(r.content)
    .bind(calls)
    .bind(r.status)
    .bind(report.map(|x| x.route.provider.clone()))
    .bind(report.map(|x| x.route.model.clone()))
    .bind(report.and_then(|x| x.route.tier.map(|t| t.as_str())))
    .bind(report.map(|x| x.usage.input as i64))
    .bind(report.map(|x| x.usage.output as i64))
    .bind(report.map(|x| x.cost_usd))
    .bind(report.map(|x| x.route.cached))
    .bind(r.error)
    .bind(now)
    .bind(r.context)
    .fetch_one(db.pool())
    .await?;
    touch(db, conversation_id, now).await?;
    Ok(id)
}

async fn touch(db: &Db, conversation_id: i64, now: i64) -> Result<(), LlmError> {
    sqlx::query("UPDATE conversations SET updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(conversation_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
