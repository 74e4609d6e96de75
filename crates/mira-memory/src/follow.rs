//! Memory follows the chats: every complete user and assistant message of a stored
//! conversation becomes a turn (its conversation's project as scope, its ids as
//! provenance), the extractor reads what is new and complete windows are summarised. Run after each chat turn and when
//! the server starts; idempotent, so a crash or a turn answered by `mira ask` while no
//! server ran is caught up on the next run.

use mira_llm::scrub::Scrubber;
use mira_store::Db;

use crate::extract::{self, ASSISTANT_SPEAKER, ExtractReport, USER_SPEAKER};
use crate::model::ModelExtractor;
use crate::summaries::{self, SummaryReport};
use crate::turns::{self, NewTurn};
use crate::{MemoryError, Scope};

/// Messages read per batch.
const BATCH: i64 = 500;

/// What following the chats did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followed {
    /// Messages taken in as turns.
    pub turns: usize,
    pub extraction: ExtractReport,
    pub summaries: SummaryReport,
}

/// Brings chat messages not yet in memory in, then extracts (with `model` beside the
/// rules when given) and summarises every `window` turns (0: no summaries).
pub async fn sync_chats(
    db: &Db,
    user: &str,
    keys: &Scrubber,
    model: Option<&ModelExtractor>,
    window: usize,
) -> Result<Followed, MemoryError> {
    let mut taken = 0;
    // A cursor, so a message that leaves nothing to store (all whitespace) is passed.
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, i64, Option<i64>, String, String, i64)> = sqlx::query_as(
            "SELECT m.id, m.conversation_id, c.project_id, m.role, m.content, m.created_at \
             FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.id > ? AND m.role IN ('user', 'assistant') AND m.status = 'complete' AND m.content <> '' \
             AND NOT EXISTS (SELECT 1 FROM memory_turns t \
                 WHERE t.conversation = CAST(m.conversation_id AS TEXT) AND t.message = CAST(m.id AS TEXT)) \
             ORDER BY m.id LIMIT ?",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        // Grouped by scope, in order, so each group is one transaction.
        let mut groups: Vec<(Option<i64>, Vec<NewTurn>)> = Vec::new();
        for (id, conversation, project, role, content, at) in &rows {
            let turn = NewTurn {
                conversation: conversation.to_string(),
                session: String::new(),
                message: id.to_string(),
                speaker: if role == "user" {
                    USER_SPEAKER.to_string()
                } else {
                    ASSISTANT_SPEAKER.to_string()
                },
                text: content.clone(),
                at: *at,
            };
            match groups.last_mut() {
                Some((p, list)) if p == project => list.push(turn),
                _ => groups.push((*project, vec![turn])),
            }
        }
        for (project_id, list) in groups {
            let scope = Scope {
                user: user.to_string(),
                project_id,
            };
            taken += turns::add(db, &scope, &list, keys).await?.len();
        }
    }
    let extraction = extract::run_pending_with(db, user, model, |_| {}).await?;
    let summaries = summaries::run_pending(db, user, window, model).await?;
    Ok(Followed {
        turns: taken,
        extraction,
        summaries,
    })
}
