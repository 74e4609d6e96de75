//! Moving memory between data dirs, and reading past conversations in.
//!
//! - [`export`] writes every item the scope may see, with its sources, validity and
//!   supersession, the turns, rolling summaries and the user's learned patterns; projects are named by their root path, since ids
//!   differ between data dirs. [`import`] of such a file into another data dir gives the
//!   same items and sources (supersession links are remapped to the new ids).
//! - A transcript (`{"conversation_id", "sessions": [{"id", "started_at", "messages":
//!   [{"id", "speaker", "text"}]}]}`, or a list of them) is read in as turns keeping the
//!   given message ids as sources; the caller then runs the same extraction as live
//!   chats ([`crate::extract::run_pending`]).

use std::collections::HashMap;
use std::path::Path;

use chrono::DateTime;
use mira_llm::scrub::Scrubber;
use mira_store::{Db, projects};
use serde::{Deserialize, Serialize};

use crate::facts::{self, Fact, NewFact};
use crate::patterns::{self, Pattern};
use crate::summaries::{self, Summary};
use crate::turns::{self, NewTurn, Turn};
use crate::{MemoryError, Scope, scrub};

pub const FORMAT: &str = "mira-memory";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportFile {
    pub format: String,
    pub version: u32,
    pub exported_at: i64,
    pub facts: Vec<ExportedFact>,
    pub turns: Vec<ExportedTurn>,
    /// Rolling summaries (absent from exports of before they existed).
    #[serde(default)]
    pub summaries: Vec<ExportedSummary>,
    /// Learned patterns: the user's, so never of a project.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedSummary {
    #[serde(flatten)]
    pub summary: Summary,
    pub project: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedFact {
    #[serde(flatten)]
    pub fact: Fact,
    /// The project's root path; `None` for a user-scoped fact.
    pub project: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedTurn {
    #[serde(flatten)]
    pub turn: Turn,
    pub project: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Transcript {
    pub conversation_id: String,
    pub sessions: Vec<Session>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    /// RFC 3339; the turns of a session are ordered as listed.
    pub started_at: Option<String>,
    pub messages: Vec<TranscriptMessage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TranscriptMessage {
    pub id: String,
    pub speaker: String,
    pub text: String,
}

/// What a file held, as read by [`read`].
pub enum Incoming {
    Export(Box<ExportFile>),
    Transcripts(Vec<Transcript>),
}

/// Reads an export or one or more transcripts, telling which by their shape.
pub fn read(path: &Path) -> Result<Incoming, MemoryError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| MemoryError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| MemoryError::Invalid(format!("{} is not JSON: {e}", path.display())))?;
    let bad = |e: serde_json::Error, what: &str| {
        MemoryError::Invalid(format!("{} is not a valid {what}: {e}", path.display()))
    };
    if value.get("format").and_then(|f| f.as_str()) == Some(FORMAT) {
        let file: ExportFile = serde_json::from_value(value).map_err(|e| bad(e, "memory export"))?;
        if file.version > VERSION {
            return Err(MemoryError::Invalid(format!(
                "{} was exported by a newer Mira (format version {}); upgrade to import it",
                path.display(),
                file.version
            )));
        }
        return Ok(Incoming::Export(Box::new(file)));
    }
    let transcripts: Vec<Transcript> = if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|t| vec![t])
    }
    .map_err(|e| {
        bad(
            e,
            "transcript ({\"conversation_id\", \"sessions\": [{\"id\", \"started_at\", \"messages\": [{\"id\", \"speaker\", \"text\"}]}]}) or memory export",
        )
    })?;
    Ok(Incoming::Transcripts(transcripts))
}

/// The turns of transcripts, in order; a session without a valid start takes the
/// previous session's (or 0).
pub fn transcript_turns(transcripts: &[Transcript]) -> Result<Vec<NewTurn>, MemoryError> {
    let mut out = Vec::new();
    for t in transcripts {
        if t.conversation_id.trim().is_empty() {
            return Err(MemoryError::Invalid(
                "a transcript needs a conversation_id".into(),
            ));
        }
        let mut at = 0;
        for s in &t.sessions {
            if let Some(started) = &s.started_at {
                at = DateTime::parse_from_rfc3339(started)
                    .map_err(|e| {
                        MemoryError::Invalid(format!(
                            "session {} of {}: started_at {started:?} is not an RFC 3339 time ({e})",
                            s.id, t.conversation_id
                        ))
                    })?
                    .timestamp_millis();
            }
            for m in &s.messages {
                out.push(NewTurn {
                    conversation: t.conversation_id.clone(),
                    session: s.id.clone(),
                    message: m.id.clone(),
                    speaker: m.speaker.clone(),
                    text: m.text.clone(),
                    at,
                });
            }
        }
    }
    Ok(out)
}

/// Stores transcript turns in batches, telling `progress` how many are done.
pub async fn import_turns(
    db: &Db,
    scope: &Scope,
    turns: &[NewTurn],
    keys: &Scrubber,
    mut progress: impl FnMut(usize),
) -> Result<usize, MemoryError> {
    let mut added = 0;
    let mut done = 0;
    for batch in turns.chunks(500) {
        added += turns::add(db, scope, batch, keys).await?.len();
        done += batch.len();
        progress(done);
    }
    Ok(added)
}

async fn project_root(
    db: &Db,
    id: Option<i64>,
    cache: &mut HashMap<i64, String>,
) -> Result<Option<String>, MemoryError> {
    let Some(id) = id else { return Ok(None) };
    if let Some(root) = cache.get(&id) {
        return Ok(Some(root.clone()));
    }
    let root = projects::get(db, id).await?.root.to_string_lossy().into_owned();
    cache.insert(id, root.clone());
    Ok(Some(root))
}

pub async fn export(db: &Db, scope: &Scope, now: i64) -> Result<ExportFile, MemoryError> {
    let mut roots = HashMap::new();
    let mut facts_out = Vec::new();
    let mut all = facts::list(db, scope, true).await?;
    all.sort_by_key(|f| f.id);
    for fact in all {
        let project = project_root(db, fact.project_id, &mut roots).await?;
        facts_out.push(ExportedFact { fact, project });
    }
    let mut turns_out = Vec::new();
    for turn in turns::all(db, scope).await? {
        let project = project_root(db, turn.project_id, &mut roots).await?;
        turns_out.push(ExportedTurn { turn, project });
    }
    let mut summaries_out = Vec::new();
    for summary in summaries::all(db, scope).await? {
        let project = project_root(db, summary.project_id, &mut roots).await?;
        summaries_out.push(ExportedSummary { summary, project });
    }
    Ok(ExportFile {
        format: FORMAT.to_string(),
        version: VERSION,
        exported_at: now,
        facts: facts_out,
        turns: turns_out,
        summaries: summaries_out,
        patterns: patterns::list(
            db,
            &Scope {
                user: scope.user.clone(),
                project_id: None,
            },
            1,
        )
        .await?,
    })
}

/// What an import of an export file did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub facts: usize,
    pub facts_known: usize,
    pub turns: usize,
    pub summaries: usize,
    pub patterns: usize,
}

/// Imports an export: each project by its root path (registered here if it is not yet),
/// facts oldest first so that supersession is rebuilt as it was, turns after.
pub async fn import_export(
    db: &Db,
    user: &str,
    file: &ExportFile,
    keys: &Scrubber,
) -> Result<ImportReport, MemoryError> {
    let mut report = ImportReport::default();
    let mut project_ids: HashMap<String, i64> = HashMap::new();
    let mut resolve = async |root: &Option<String>| -> Result<Option<i64>, MemoryError> {
        let Some(root) = root else { return Ok(None) };
        if let Some(id) = project_ids.get(root) {
            return Ok(Some(*id));
        }
        let project = match projects::find(db, root).await {
            Ok(p) => p,
            Err(_) => projects::add(db, Path::new(root), None).await.map_err(|e| {
                MemoryError::Invalid(format!(
                    "the export has items of the project {root}, which cannot be registered here ({e}); \
                     check out the project at that path, or import with --project PATH"
                ))
            })?,
        };
        project_ids.insert(root.clone(), project.id);
        Ok(Some(project.id))
    };
    // Projects are registered first, outside the transaction that writes the facts
    // (registering takes a connection of its own).
    let mut fact_projects = Vec::with_capacity(file.facts.len());
    for item in &file.facts {
        fact_projects.push(resolve(&item.project).await?);
    }
    let mut new_ids: HashMap<i64, i64> = HashMap::new();
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    for (item, project_id) in file.facts.iter().zip(fact_projects) {
        let f = &item.fact;
        let scope = Scope {
            user: user.to_string(),
            project_id,
        };
        let new = NewFact {
            subject: f.subject.clone(),
            text: scrub::clean(&f.text, keys),
            category: f.category.clone(),
            confidence: f.confidence,
            importance: f.importance,
            origin: f.origin.clone(),
            at: f.valid_from,
            sources: f.sources.clone(),
            replaces: Vec::new(),
        };
        let decision = facts::learn_in(&mut tx, &scope, &new).await?;
        match decision {
            facts::Decision::Unchanged { .. } => report.facts_known += 1,
            _ => report.facts += 1,
        }
        new_ids.insert(f.id, decision.id());
    }
    // Validity as exported: learning in order may have closed facts itself, and a fact
    // the export lists as current stays current.
    for item in &file.facts {
        let f = &item.fact;
        let id = new_ids[&f.id];
        sqlx::query("UPDATE memory_facts SET valid_to = ?, superseded_by = ? WHERE id = ?")
            .bind(f.valid_to)
            .bind(f.superseded_by.and_then(|s| new_ids.get(&s).copied()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let mut by_scope: Vec<(Option<i64>, Vec<NewTurn>)> = Vec::new();
    for item in &file.turns {
        let project = resolve(&item.project).await?;
        let t = &item.turn;
        let turn = NewTurn {
            conversation: t.conversation.clone(),
            session: t.session.clone(),
            message: t.message.clone(),
            speaker: t.speaker.clone(),
            text: t.text.clone(),
            at: t.at,
        };
        match by_scope.iter_mut().find(|(p, _)| *p == project) {
            Some((_, list)) => list.push(turn),
            None => by_scope.push((project, vec![turn])),
        }
    }
    for (project_id, list) in by_scope {
        let scope = Scope {
            user: user.to_string(),
            project_id,
        };
        let added = turns::add(db, &scope, &list, keys).await?;
        // Their facts came with the export: the extractor need not read them again.
        for t in &added {
            sqlx::query("UPDATE memory_turns SET extracted = 1 WHERE id = ?")
                .bind(t.id)
                .execute(db.pool())
                .await?;
        }
        report.turns += added.len();
    }
    for item in &file.summaries {
        let project = resolve(&item.project).await?;
        if summaries::import(db, user, project, &item.summary, keys).await? {
            report.summaries += 1;
        }
    }
    for p in &file.patterns {
        patterns::import(db, user, p).await?;
        report.patterns += 1;
    }
    Ok(report)
}
