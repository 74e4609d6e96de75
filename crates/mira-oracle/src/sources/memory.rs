//! Memory: what the user told Mira before (preferences, decisions, constraints, names,
//! facts of the project) that bear on the task, in the user's and this
//! project's scope only. One item, each line citing its memory id and the messages it
//! came from. The user's standing preferences and constraints, and their habits (the
//! learned patterns seen three times or more), are always there, matched or not. It votes for no file (memory is about the person and the project, not a
//! file's content), so it shapes the answer without moving the file ranking.

use mira_memory::recall::{self, RecallItem, RecallRequest};
use mira_memory::{Scope, facts, patterns};

use super::{Found, Query, Scored, item};

/// Standing preferences and constraints added to every context at most.
const STANDING: usize = 5;
/// Habits (learned patterns seen at least three times) added at most.
const HABITS: usize = 3;

pub async fn memory(q: &Query<'_>) -> Result<Found, String> {
    let mut found = Found::default();
    if q.config.memory == 0 {
        return Ok(found);
    }
    let request = RecallRequest {
        query: q.request.task.clone(),
        scope: Scope::project(q.project.id),
        conversation: None,
        limit: q.config.memory,
        budget_tokens: Some(q.config.tokens / 6),
        include_turns: false,
        dense: None,
        candidates: mira_memory::gate::CANDIDATE_TURNS,
    };
    let mut items = recall::recall(q.db, &request).await.map_err(|e| e.to_string())?;
    // Standing preferences and constraints come whatever the task's words.
    let standing = facts::standing(q.db, &request.scope, STANDING)
        .await
        .map_err(|e| e.to_string())?;
    for f in standing {
        if !items.iter().any(|i| i.id == format!("f{}", f.id)) {
            items.push(RecallItem::of_fact(f));
        }
    }
    // The user's habits: how they tend to work, whatever the task.
    let habits = patterns::list(q.db, &request.scope, patterns::HABIT_EVIDENCE)
        .await
        .map_err(|e| e.to_string())?;
    if items.is_empty() && habits.is_empty() {
        return Ok(found);
    }
    let mut text = String::from(
        "What the user told you before (memory; older statements marked with when they stopped holding):\n",
    );
    let habits: Vec<_> = habits.into_iter().take(HABITS).collect();
    let mut ids = Vec::new();
    for i in &items {
        let day = mira_memory::date;
        let label = match (i.kind, &i.category, i.valid_to) {
            ("fact", Some(c), Some(to)) => format!("{c}, until {}", day(to)),
            ("fact", Some(c), None) => format!("{c}, since {}", day(i.valid_from.unwrap_or(0))),
            _ => format!(
                "said by {} on {}",
                i.speaker.as_deref().unwrap_or("someone"),
                day(i.valid_from.unwrap_or(0))
            ),
        };
        text.push_str(&format!("- [{label}] {} ({})\n", i.text.trim(), i.id));
        ids.push(i.id.clone());
    }
    for h in &habits {
        text.push_str(&format!(
            "- [habit, seen {} times] the user {} ({})\n",
            h.evidence_count, h.behaviour, h.id
        ));
        ids.push(h.id.clone());
    }
    found.items.push(Scored {
        item: item("memory", None, None, text, format!("memory {}", ids.join(", "))),
        // Small (a sixth of the budget at most) and about how to answer at all: kept
        // ahead of code items when the budget is tight.
        base: 1.0,
    });
    Ok(found)
}
