//! Extraction by a provider model (mem0's loop): a message is read together with the
//! stored facts nearest to it, and the model names what is worth keeping, reusing a
//! known fact's subject when the message is about the same thing so that the decision
//! (ADD, UPDATE, SUPERSEDE, NOOP) in [`crate::facts`] applies to it as to the rules'.
//!
//! It reads what the rules cannot ("for release notes, plain English and two lines an
//! entry"). Every call goes through the gateway, so the budget and the cache hold; a
//! call that fails (budget spent, provider down, an answer that is not the JSON asked
//! for) leaves that turn to the rules alone, and a spent budget stops the model for the
//! rest of the run. The bundled local model is never asked: at 135M parameters it does
//! not follow the format.

use mira_llm::{CallOptions, ChatRequest, Gateway, LlmError, Message, Task, Tier};
use mira_store::Db;
use serde::Deserialize;

use crate::extract::Candidate;
use crate::facts::CATEGORIES;
use crate::turns::Turn;
use crate::{MemoryError, Scope, query};

/// Known facts shown with a message.
const NEAREST: i64 = 8;
/// Facts taken from one message at most.
const MAX_FACTS: usize = 8;
/// Output tokens a call may use.
const MAX_TOKENS: u32 = 600;
/// How sure a model's reading is taken to be (the rules' explicit frames say 0.9).
const CONFIDENCE: f64 = 0.7;

const INSTRUCTIONS: &str = "You read one message a developer wrote to their coding assistant and \
list what is worth remembering in later conversations: preferences (how they like code, tools and \
answers), decisions (what the project uses or chose), constraints (what must or must never be \
done), names (of people, hosts, services) and lasting facts about the project. Only what the \
message states as lasting: not questions, not the task of the moment, nothing from pasted code or \
logs. Answer with JSON only, no prose: {\"facts\":[{\"subject\":\"...\",\"text\":\"...\",\
\"category\":\"preference|decision|constraint|fact|name\",\"replaces\":[\"...\"]}]}, with an empty \
list when there is nothing. subject: a few lower-case words naming what the fact is about, the same \
for any later fact about the same thing; when the message is about the thing of a known fact, use \
that fact's subject exactly. replaces: subjects of known facts that the message says no longer \
hold. text: the fact in one sentence, in the user's words.";

/// Reads messages through a provider model.
#[derive(Clone)]
pub struct ModelExtractor {
    gateway: Gateway,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    facts: Vec<ModelFact>,
}

#[derive(Deserialize)]
struct ModelFact {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    replaces: Vec<String>,
}

impl ModelExtractor {
    /// The extractor the configuration asks for: `None` when MEMORY_MODEL_EXTRACTION is
    /// false or no provider model serves the fast tier.
    pub fn configured(config: &mira_core::Config, gateway: &Gateway) -> Option<Self> {
        if config.llm.memory_model_extraction {
            Self::new(gateway)
        } else {
            None
        }
    }

    /// An extractor when the fast tier goes to a provider model; `None` when it would
    /// reach only the bundled local model, or nothing.
    pub fn new(gateway: &Gateway) -> Option<Self> {
        let decision = gateway.router.decide(&Task::default(), Some(Tier::Fast), None);
        let first = decision.candidates.first()?;
        (first.provider.id() != "local").then(|| Self {
            gateway: gateway.clone(),
        })
    }

    /// What the model reads in `turn` (already scrubbed), its known facts beside it.
    pub async fn candidates(&self, db: &Db, user: &str, turn: &Turn) -> Result<Vec<Candidate>, ModelError> {
        let scope = Scope {
            user: user.to_string(),
            project_id: turn.project_id,
        };
        let known = nearest_facts(db, &scope, &turn.text).await?;
        let mut prompt = String::new();
        if !known.is_empty() {
            prompt.push_str("Known facts (subject: text):\n");
            for (subject, text) in &known {
                prompt.push_str(&format!("- {subject}: {text}\n"));
            }
            prompt.push('\n');
        }
        prompt.push_str("Message:\n");
        prompt.push_str(&turn.text);
        parse(&self.ask(INSTRUCTIONS, prompt).await?)
    }

    /// One call on the fast tier through the gateway (budget, cache), at temperature 0.
    async fn ask(&self, instructions: &str, prompt: String) -> Result<String, ModelError> {
        let request = ChatRequest {
            messages: vec![Message::system(instructions), Message::user(prompt)],
            temperature: Some(0.0),
            max_tokens: Some(MAX_TOKENS),
            ..ChatRequest::default()
        };
        let options = CallOptions {
            tier: Some(Tier::Fast),
            operation: "memory".into(),
            ..CallOptions::default()
        };
        let (response, _report) = self
            .gateway
            .chat(request, options)
            .await
            .map_err(ModelError::Call)?;
        Ok(response.text)
    }

    /// A rolling summary of `window` (turns of one conversation, in order, already
    /// scrubbed) and the turns it draws on (indexes into `window`).
    pub async fn summarize(&self, window: &[Turn]) -> Result<(String, Vec<usize>), ModelError> {
        let mut prompt = String::from("Turns:\n");
        for (i, t) in window.iter().enumerate() {
            let day = crate::turns::day_text(t.at);
            prompt.push_str(&format!("[{i}] ({day}) {}: {}\n", t.speaker, t.text));
        }
        parse_summary(&self.ask(SUMMARY_INSTRUCTIONS, prompt).await?, window.len())
    }
}

const SUMMARY_INSTRUCTIONS: &str = "You summarise a stretch of a conversation between a developer and \
their coding assistant (or between people) so that it can be found and understood later. Keep \
names, dates, numbers, decisions, preferences, problems and their outcomes; leave out greetings \
and filler. At most five sentences, in the third person, naming the speakers. Answer with JSON \
only, no prose: {\"summary\":\"...\",\"turns\":[the numbers of the turns the summary draws on]}.";

#[derive(Deserialize)]
struct SummaryAnswer {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    turns: Vec<i64>,
}

/// A model's summary: the JSON object in its answer, the summary at most 1,500
/// characters, the turns it names kept when they exist (all of them when it names none).
fn parse_summary(answer: &str, turns: usize) -> Result<(String, Vec<usize>), ModelError> {
    let parsed: SummaryAnswer = json_object(answer)?;
    let summary = clean(&parsed.summary, 1500)
        .ok_or_else(|| ModelError::Answer("an empty or overlong summary".into()))?;
    let mut cited: Vec<usize> = Vec::new();
    for t in parsed.turns {
        if let Ok(i) = usize::try_from(t)
            && i < turns
            && !cited.contains(&i)
        {
            cited.push(i);
        }
    }
    if cited.is_empty() {
        cited = (0..turns).collect();
    }
    cited.sort_unstable();
    Ok((summary, cited))
}

/// Why a turn was left to the rules.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    Call(LlmError),
    #[error("the model's answer is not the JSON asked for: {0}")]
    Answer(String),
    #[error(transparent)]
    Memory(#[from] MemoryError),
}

impl ModelError {
    /// The budget is spent: no later call of this run can pass either.
    pub fn is_budget(&self) -> bool {
        matches!(self, ModelError::Call(e) if e.kind() == "budget_exceeded")
    }
}

/// The current facts of the scope that share the most words with `text`.
async fn nearest_facts(db: &Db, scope: &Scope, text: &str) -> Result<Vec<(String, String)>, MemoryError> {
    let terms = query::terms(text);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let (user, project) = scope.bind_values();
    let sql = format!(
        "SELECT f.subject, f.text FROM memory_facts_fts CROSS JOIN memory_facts f ON f.id = memory_facts_fts.rowid \
         WHERE memory_facts_fts MATCH ? AND {} AND f.valid_to IS NULL \
         ORDER BY bm25(memory_facts_fts) LIMIT ?",
        Scope::visible("f")
    );
    Ok(sqlx::query_as(&sql)
        .bind(query::or_of(&terms))
        .bind(user)
        .bind(project)
        .bind(NEAREST)
        .fetch_all(db.pool())
        .await?)
}

/// The facts in a model's answer: the JSON object in it (models wrap it in prose or a
/// code fence now and then), each fact checked, the rest dropped.
fn parse(answer: &str) -> Result<Vec<Candidate>, ModelError> {
    let parsed: Answer = json_object(answer)?;
    Ok(parsed
        .facts
        .into_iter()
        .filter_map(|f| {
            let subject = clean(&f.subject, 80)?.to_lowercase();
            let text = clean(&f.text, 500)?;
            let category = CATEGORIES
                .iter()
                .find(|c| **c == f.category.trim().to_lowercase())
                .copied()
                .unwrap_or("fact");
            Some(Candidate {
                subject,
                text,
                category,
                confidence: CONFIDENCE,
                replaces: f
                    .replaces
                    .iter()
                    .filter_map(|r| clean(r, 80).map(|r| r.to_lowercase()))
                    .collect(),
            })
        })
        .take(MAX_FACTS)
        .collect())
}

/// The JSON object in a model's answer (models wrap it in prose or a code fence now and
/// then).
fn json_object<T: serde::de::DeserializeOwned>(answer: &str) -> Result<T, ModelError> {
    let (Some(start), Some(end)) = (answer.find('{'), answer.rfind('}')) else {
        return Err(ModelError::Answer(format!(
            "no JSON object in {} characters",
            answer.len()
        )));
    };
    if end < start {
        return Err(ModelError::Answer("no JSON object".into()));
    }
    serde_json::from_str(&answer[start..=end]).map_err(|e| ModelError::Answer(e.to_string()))
}

/// `text` trimmed, one line, or `None` when empty or longer than `max` characters.
fn clean(text: &str, max: usize) -> Option<String> {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!one_line.is_empty() && one_line.chars().count() <= max).then_some(one_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_in_prose_or_a_fence_is_read_and_bad_facts_dropped() {
        let answer = "Here you go:\n```json\n{\"facts\":[\
            {\"subject\":\"Release Notes\",\"text\":\"Release notes in plain English.\",\"category\":\"preference\"},\
            {\"subject\":\"\",\"text\":\"no subject\",\"category\":\"fact\"},\
            {\"subject\":\"ci\",\"text\":\"CI runs on Buildkite.\",\"category\":\"tooling\",\"replaces\":[\"CI\"]}]}\n```";
        let facts = parse(answer).unwrap();
        assert_eq!(facts.len(), 2);
        assert_eq!(
            (facts[0].subject.as_str(), facts[0].category),
            ("release notes", "preference")
        );
        assert_eq!(
            (facts[1].category, facts[1].replaces.clone()),
            ("fact", vec!["ci".to_string()])
        );
        assert!(matches!(
            parse("I could not find any."),
            Err(ModelError::Answer(_))
        ));
        assert!(parse("{\"facts\": []}").unwrap().is_empty());
    }

    #[test]
    fn a_summary_keeps_the_turns_it_names_that_exist() {
        let (text, cited) = parse_summary(
            "```json\n{\"summary\":\"Ana chose  Postgres.\",\"turns\":[3, 1, 9, 1]}\n```",
            4,
        )
        .unwrap();
        assert_eq!((text.as_str(), cited), ("Ana chose Postgres.", vec![1, 3]));
        let (_, all) = parse_summary("{\"summary\":\"x y\"}", 3).unwrap();
        assert_eq!(all, vec![0, 1, 2]);
        assert!(parse_summary("{\"summary\":\"\"}", 3).is_err());
        assert!(parse_summary("nothing", 3).is_err());
    }
}
