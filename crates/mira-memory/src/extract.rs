//! Candidate facts from a turn, without a model: explicit statements only ("I prefer X
//! over Y", "we use X for Y", "we switched from X to Y", "never X", "remember that X",
//! "my name is X", "our X is Y"). Each candidate carries the subject it is about, so a
//! later statement on the same subject supersedes it, and the subjects it rejects.
//!
//! [`run_pending`] reads every turn not read yet and learns its candidates in the same
//! transaction that marks the turn read: a crash leaves each turn either fully learned
//! or still pending, never half.

use std::sync::LazyLock;

use mira_store::Db;
use regex::Regex;

use crate::facts::{self, Decision, NewFact, Source};
use crate::model::ModelExtractor;
use crate::turns::{self, Turn};
use crate::{MemoryError, Scope};

/// Who "I" is in a live chat: the user, whose statements need no name.
pub const USER_SPEAKER: &str = "user";
/// The speaker of Mira's own answers in a followed chat.
pub const ASSISTANT_SPEAKER: &str = "assistant";

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub subject: String,
    pub text: String,
    pub category: &'static str,
    pub confidence: f64,
    pub replaces: Vec<String>,
}

impl Candidate {
    /// Preferences and names are the user's wherever they work; the rest belongs to the
    /// project the conversation is about.
    pub fn user_level(&self) -> bool {
        matches!(self.category, "preference" | "name")
    }

    pub fn importance(&self) -> f64 {
        match self.category {
            "constraint" => 0.8,
            "decision" | "name" => 0.7,
            "preference" => 0.6,
            _ => 0.5,
        }
    }
}

enum Frame {
    Remember,
    Name,
    PreferOver,
    Rather,
    Prefer,
    Dislike,
    WeUse,
    Switched,
    StoppedUsing,
    Decided,
    Never,
    Always,
    Possessive,
    Role,
    WorksAt,
}

static PATTERNS: LazyLock<Vec<(Frame, Regex)>> = LazyLock::new(|| {
    use Frame::*;
    [
        (Remember, r"^(?:please\s+)?(?:remember|note|keep in mind)(?:\s+that)?[:,]?\s+(.+)$"),
        (Name, r"^(?:my name is|call me|i am called|i'm called)\s+([\w'-]+(?:\s+[A-Z][\w'-]+)?)"),
        (
            PreferOver,
            r"^i\s+(?:really\s+|strongly\s+|generally\s+|always\s+|much\s+)?(?:prefer|like|love)\s+(.+?)\s+(?:over|to|rather than|instead of|more than)\s+(.+)$",
        ),
        (Rather, r"^i(?:'d|\s+would)\s+rather\s+(.+?)(?:\s+than\s+(.+))?$"),
        (Prefer, r"^i\s+(?:really\s+|strongly\s+|generally\s+|always\s+)?(?:prefer|like|love|enjoy)\s+(.+)$"),
        (
            Dislike,
            r"^i\s+(?:really\s+)?(?:don't|do not|never|no longer|hate|dislike|can't stand)\s*(?:like|want|use|prefer|enjoy)?\s+(.+)$",
        ),
        (
            WeUse,
            r"^we(?:'re|\s+are)?\s+(?:now\s+|currently\s+|always\s+|only\s+)?(?:use|using|rely on|build with|write)\s+(.+?)(?:\s+for\s+(.+?))?(?:,?\s+(?:instead of|rather than|not)\s+(.+))?$",
        ),
        (
            Switched,
            r"^we(?:'ve|\s+have)?\s+(?:switched|moved|migrated|changed|gone|went)\s+(?:over\s+)?(?:from\s+(.+?)\s+)?to\s+(.+?)(?:\s+for\s+(.+))?$",
        ),
        (StoppedUsing, r"^we\s+(?:no longer|don't|do not|stopped|never)\s+us(?:e|ing)\s+(.+)$"),
        (Decided, r"^we(?:'ve|\s+have)?\s+(?:decided|agreed|chose|settled)\s+(?:to|on|that)\s+(.+)$"),
        (Never, r"^(?:please\s+)?(?:never|don't|do not|avoid)\s+(.+)$"),
        (Always, r"^(?:please\s+)?always\s+(.+)$"),
        (Possessive, r"^(?:our|my)\s+([a-z][a-z0-9 _-]{1,40}?)\s+(?:is|are)\s+(?:now\s+)?(.+)$"),
        (Role, r"^i(?:'m|\s+am)\s+(?:a|an)\s+(.+)$"),
        (WorksAt, r"^i\s+(?:work|am working|'m working)\s+(?:at|for)\s+(.+)$"),
    ]
    .into_iter()
    .map(|(f, p)| (f, Regex::new(&format!("(?i){p}")).expect("a valid pattern")))
    .collect()
});

static SENTENCE_END: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[.!?;\n]+(?:\s+|$)").expect("valid"));
static LEADING_FILLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:ok(?:ay)?|so|also|and|but|btw|by the way|oh|well|yes|yeah|hey|fyi|just so you know|for the record)[,:]?\s+)+")
        .expect("valid")
});

const TRAILERS: &[&str] = &[
    "last",
    "yesterday",
    "today",
    "tomorrow",
    "recently",
    "since",
    "because",
    "when",
    "after",
    "before",
    "this",
    "next",
    "every",
    "from",
    "until",
    "anymore",
    "again",
    "with",
    "in",
    "on",
    "at",
    "via",
];

/// The thing a statement is about, as a subject key: lowercase words, articles and
/// filler dropped, at most six words.
fn key(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '+' || c == '#'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        // A time or a reason ends what the statement is about ("SQLite last week").
        .take_while(|w| !TRAILERS.contains(&w.as_str()))
        .filter(|w| {
            !matches!(
                w.as_str(),
                "a" | "an" | "the" | "to" | "use" | "using" | "please" | "now"
            )
        })
        .take(6)
        .collect();
    words.join(" ")
}

/// The candidates of one turn's text. `speaker` is [`USER_SPEAKER`] for the user of a
/// live chat; any other name is kept in the subject and the text ("Caroline: ...").
pub fn candidates(speaker: &str, text: &str) -> Vec<Candidate> {
    // What the assistant (or a tool) said is not the user's to remember.
    if ["assistant", "system", "tool"]
        .iter()
        .any(|r| speaker.eq_ignore_ascii_case(r))
    {
        return Vec::new();
    }
    let named = !speaker.eq_ignore_ascii_case(USER_SPEAKER) && !speaker.is_empty();
    let mut out = Vec::new();
    for sentence in SENTENCE_END.split(text) {
        let sentence = LEADING_FILLER.replace(sentence.trim(), "");
        let sentence = sentence.trim().trim_end_matches([',', ':']);
        if sentence.len() < 6 || sentence.len() > 400 {
            continue;
        }
        if let Some(mut c) = statement(sentence, 0) {
            if named {
                let who = speaker.to_lowercase();
                c.subject = format!("{who} {}", c.subject);
                c.replaces = c.replaces.iter().map(|r| format!("{who} {r}")).collect();
                c.text = format!("{speaker}: {}", c.text);
            }
            if !out
                .iter()
                .any(|o: &Candidate| o.subject == c.subject && o.text == c.text)
            {
                out.push(c);
            }
        }
    }
    out
}

fn statement(sentence: &str, depth: u8) -> Option<Candidate> {
    for (frame, pattern) in PATTERNS.iter() {
        let Some(m) = pattern.captures(sentence) else {
            continue;
        };
        let g = |i: usize| m.get(i).map(|x| x.as_str().trim()).filter(|s| !s.is_empty());
        let text = format!("{sentence}.");
        let c = |subject: String, category, confidence, replaces: Vec<String>| {
            (!subject.ends_with(": ") && !subject.is_empty()).then(|| Candidate {
                subject,
                text: text.clone(),
                category,
                confidence,
                replaces,
            })
        };
        let found = match frame {
            Frame::Remember => {
                let inner = g(1)?;
                if depth == 0
                    && let Some(mut s) = statement(inner, 1)
                {
                    s.text = text.clone();
                    s.confidence = 0.95;
                    return Some(s);
                }
                c(format!("note: {}", key(inner)), "fact", 0.95, vec![])
            }
            Frame::Name => c("name".into(), "name", 0.9, vec![]),
            Frame::PreferOver => c(
                format!("prefers: {}", key(g(1)?)),
                "preference",
                0.85,
                vec![format!("prefers: {}", key(g(2)?))],
            ),
            Frame::Rather => c(
                format!("prefers: {}", key(g(1)?)),
                "preference",
                0.8,
                g(2).map(|o| vec![format!("prefers: {}", key(o))])
                    .unwrap_or_default(),
            ),
            Frame::Prefer => c(format!("prefers: {}", key(g(1)?)), "preference", 0.75, vec![]),
            Frame::Dislike => {
                let what = key(g(1)?);
                c(
                    format!("avoids: {what}"),
                    "preference",
                    0.75,
                    vec![format!("prefers: {what}"), format!("uses: {what}")],
                )
            }
            Frame::WeUse => {
                let what = key(g(1)?);
                let subject = match g(2) {
                    Some(purpose) => format!("uses for: {}", key(purpose)),
                    None => format!("uses: {what}"),
                };
                let mut replaces = vec![format!("avoids: {what}")];
                if let Some(old) = g(3) {
                    replaces.push(format!("uses: {}", key(old)));
                }
                c(subject, "fact", 0.8, replaces)
            }
            Frame::Switched => {
                let to = key(g(2)?);
                let subject = match g(3) {
                    Some(purpose) => format!("uses for: {}", key(purpose)),
                    None => format!("uses: {to}"),
                };
                let mut replaces = vec![format!("avoids: {to}")];
                if let Some(from) = g(1) {
                    replaces.push(format!("uses: {}", key(from)));
                }
                c(subject, "decision", 0.85, replaces)
            }
            Frame::StoppedUsing => {
                let what = key(g(1)?);
                c(
                    format!("avoids: {what}"),
                    "decision",
                    0.85,
                    vec![format!("uses: {what}")],
                )
            }
            Frame::Decided => c(format!("decided: {}", key(g(1)?)), "decision", 0.85, vec![]),
            Frame::Never => {
                let what = key(g(1)?);
                c(
                    format!("never: {what}"),
                    "constraint",
                    0.85,
                    vec![format!("always: {what}")],
                )
            }
            Frame::Always => {
                let what = key(g(1)?);
                c(
                    format!("always: {what}"),
                    "constraint",
                    0.85,
                    vec![format!("never: {what}")],
                )
            }
            Frame::Possessive => c(key(g(1)?), "fact", 0.7, vec![]),
            Frame::Role => c("role".into(), "fact", 0.7, vec![]),
            Frame::WorksAt => c("works at".into(), "fact", 0.75, vec![]),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// What one extraction pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExtractReport {
    pub turns: usize,
    pub added: usize,
    pub updated: usize,
    pub superseded: usize,
    pub unchanged: usize,
    /// Turns a provider model read.
    pub read_by_model: usize,
    /// Turns the model could not read (left to the rules), and the last reason.
    pub model_failures: usize,
    pub model_error: Option<String>,
    /// Behaviours seen in the turns read (see [`crate::patterns`]).
    pub behaviours: usize,
}

impl ExtractReport {
    fn count(&mut self, d: &Decision) {
        match d {
            Decision::Added { .. } => self.added += 1,
            Decision::Updated { .. } => self.updated += 1,
            Decision::Superseded { .. } => self.superseded += 1,
            Decision::Unchanged { .. } => self.unchanged += 1,
        }
    }
}

/// Turns read per batch.
const BATCH: i64 = 256;

/// Learns the candidates of every turn not read yet, oldest first; `progress` is told
/// the turns done after each batch.
pub async fn run_pending(
    db: &Db,
    user: &str,
    progress: impl FnMut(usize),
) -> Result<ExtractReport, MemoryError> {
    run_pending_with(db, user, None, progress).await
}

/// As [`run_pending`], with a provider model reading the people's turns beside the rules
/// (see [`crate::model`]).
pub async fn run_pending_with(
    db: &Db,
    user: &str,
    model: Option<&ModelExtractor>,
    mut progress: impl FnMut(usize),
) -> Result<ExtractReport, MemoryError> {
    let mut report = ExtractReport::default();
    let mut model = model;
    loop {
        let batch = turns::pending(db, BATCH).await?;
        if batch.is_empty() {
            return Ok(report);
        }
        for turn in &batch {
            let mut found = candidates(&turn.speaker, &turn.text);
            // The model's call is made before the turn's transaction: a slow provider
            // must not hold the database's write lock.
            if let Some(m) = model.filter(|_| turn.speaker != ASSISTANT_SPEAKER) {
                match m.candidates(db, user, turn).await {
                    Ok(more) => {
                        report.read_by_model += 1;
                        for c in more {
                            if !found.iter().any(|f| f.subject == c.subject) {
                                found.push(c);
                            }
                        }
                    }
                    Err(e) => {
                        report.model_failures += 1;
                        tracing::warn!(error = %e, "memory: the model could not read a turn; the rules did");
                        if e.is_budget() {
                            model = None;
                        }
                        report.model_error = Some(e.to_string());
                    }
                }
            }
            learn_turn(db, user, turn, found, &mut report).await?;
        }
        progress(report.turns);
    }
}

async fn learn_turn(
    db: &Db,
    user: &str,
    turn: &Turn,
    found: Vec<Candidate>,
    report: &mut ExtractReport,
) -> Result<(), MemoryError> {
    let mut tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
    for c in found {
        let scope = Scope {
            user: user.to_string(),
            project_id: if c.user_level() { None } else { turn.project_id },
        };
        let new = NewFact {
            importance: c.importance(),
            subject: c.subject,
            text: c.text,
            category: c.category.to_string(),
            confidence: c.confidence,
            origin: "extracted".to_string(),
            at: turn.at,
            sources: vec![Source {
                conversation: turn.conversation.clone(),
                message: turn.message.clone(),
            }],
            replaces: c.replaces,
        };
        let decision = facts::learn_in(&mut tx, &scope, &new).await?;
        report.count(&decision);
    }
    // In the same transaction as the read mark, so a turn's behaviours count once.
    if turn.speaker != ASSISTANT_SPEAKER {
        report.behaviours += crate::patterns::observe_in(&mut tx, user, turn).await?;
    }
    sqlx::query("UPDATE memory_turns SET extracted = 1 WHERE id = ?")
        .bind(turn.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    report.turns += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Candidate {
        let mut c = candidates(USER_SPEAKER, text);
        assert_eq!(c.len(), 1, "{text}: {c:?}");
        c.remove(0)
    }

    #[test]
    fn explicit_statements_become_facts_with_subjects() {
        let c = one("I prefer tabs over spaces.");
        assert_eq!((c.subject.as_str(), c.category), ("prefers: tabs", "preference"));
        assert_eq!(c.replaces, vec!["prefers: spaces".to_string()]);

        let c = one("Ok, we use pytest for tests");
        assert_eq!(c.subject, "uses for: tests");

        let c = one("We switched from Postgres to SQLite last week");
        assert_eq!(c.subject, "uses: sqlite");
        assert!(c.replaces.contains(&"uses: postgres".to_string()));

        let c = one("Never commit directly to main!");
        assert_eq!(
            (c.subject.as_str(), c.category),
            ("never: commit directly main", "constraint")
        );

        let c = one("Remember that the staging server is called kestrel.");
        assert_eq!(c.confidence, 0.95);
        assert_eq!(c.subject, "note: staging server is called kestrel");

        let c = one("Please remember: our main branch is develop");
        assert_eq!(c.subject, "main branch");

        assert!(candidates(USER_SPEAKER, "How do I parse this file?").is_empty());
        assert!(candidates(USER_SPEAKER, "The build failed again").is_empty());
    }

    #[test]
    fn a_named_speaker_is_kept_in_subject_and_text() {
        let c = candidates("Caroline", "Hey! I love painting sunsets.");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].subject, "caroline prefers: painting sunsets");
        assert_eq!(c[0].text, "Caroline: I love painting sunsets.");
    }
}
