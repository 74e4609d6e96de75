//! The request sent for a batch of symbols and the reading of the answer; pure, so a
//! model that answers badly is handled (and tested) here, never by a crash upstream.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::truncate_to;

/// Lines of a symbol's body sent: enough to see what it does, bounded so a batch
/// stays small and cheap.
pub const BODY_LINES: usize = 30;
/// Characters of one symbol's text sent (signature, doc and body together).
pub const MAX_SYMBOL_CHARS: usize = 1_500;
/// Concepts kept per symbol: more would dilute what the concept index means.
const MAX_CONCEPTS: usize = 6;
const MAX_CONCEPT_CHARS: usize = 32;

/// One symbol as sent to the model.
#[derive(Debug, Clone)]
pub struct SymbolText {
    pub name: String,
    pub kind: String,
    pub signature: String,
    pub doc: Option<String>,
    /// The first lines of its body.
    pub body: String,
}

impl SymbolText {
    /// The text that is sent, cut to [`MAX_SYMBOL_CHARS`]; its hash says whether the
    /// symbol must be analysed again.
    pub fn rendered(&self) -> String {
        let mut out = format!("{} {}\n", self.kind, self.name);
        if let Some(doc) = self.doc.as_deref().filter(|d| !d.trim().is_empty()) {
            out.push_str(doc.trim());
            out.push('\n');
        }
        if !self.signature.trim().is_empty() {
            out.push_str(self.signature.trim());
            out.push('\n');
        }
        out.push_str(&self.body);
        truncate_to(&out, MAX_SYMBOL_CHARS)
    }
}

pub const SYSTEM: &str = "You label source code for a code search index. For each symbol you are given, answer with its purpose (one sentence, what it is for, not how), its concepts (1 to 6 lowercase single words naming what it is about, such as database, authentication, parsing, geometry) and its domain (one lowercase word or short phrase: the area of the application). Answer with strict JSON only, no prose and no code fences: {\"symbols\": [{\"id\": <the id given>, \"purpose\": \"...\", \"concepts\": [\"...\"], \"domain\": \"...\"}]}, one entry per symbol given.";

/// The user message for a batch: the symbols as a JSON array, each with its index as id.
pub fn user_message(batch: &[SymbolText]) -> String {
    let items: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"id": i, "symbol": s.name, "kind": s.kind, "text": s.rendered()}))
        .collect();
    json!({ "symbols": items }).to_string()
}

/// What the model said of one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub purpose: String,
    pub concepts: Vec<String>,
    pub domain: String,
}

/// The labels of an answer by symbol index, or `None` when the answer is not the JSON
/// asked for. Models often wrap JSON in a code fence or a sentence: the outermost
/// object is read. An entry without a purpose or any usable concept is left out.
pub fn parse_answer(text: &str, batch_len: usize) -> Option<HashMap<usize, Label>> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    if end < start {
        return None;
    }
    let value: Value = serde_json::from_str(&text[start..=end]).ok()?;
    let entries = value.get("symbols")?.as_array()?;
    let mut out = HashMap::new();
    for (position, entry) in entries.iter().enumerate() {
        let id = match entry.get("id") {
            Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
            Some(Value::String(s)) => s.trim().parse().ok(),
            // No id: entries are taken to come in the order given.
            None => Some(position),
            _ => None,
        };
        let Some(id) = id.filter(|&i| i < batch_len) else {
            continue;
        };
        let text_of = |key: &str| {
            entry
                .get(key)
                .and_then(Value::as_str)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let purpose = text_of("purpose");
        let concepts = entry
            .get("concepts")
            .and_then(Value::as_array)
            .map(|list| concepts_of(list))
            .unwrap_or_default();
        if purpose.is_empty() || concepts.is_empty() {
            continue;
        }
        let domain = text_of("domain").to_lowercase();
        out.insert(
            id,
            Label {
                purpose: truncate_to(&purpose, 300),
                concepts,
                domain: truncate_to(&domain, 60),
            },
        );
    }
    Some(out)
}

/// Lowercase words, deduplicated: a concept is looked up as one word (as rule concepts
/// are), so "Data Base" becomes "data-base" and anything else is dropped.
fn concepts_of(list: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in list.iter().filter_map(Value::as_str) {
        let word: String = c
            .trim()
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-");
        let ok = !word.is_empty()
            && word.len() <= MAX_CONCEPT_CHARS
            && word
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_');
        if ok && !out.contains(&word) {
            out.push(word);
        }
        if out.len() == MAX_CONCEPTS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_fences_or_with_prose_are_read_and_concepts_normalised() {
        let text = "Here you go:\n```json\n{\"symbols\": [{\"id\": 1, \"purpose\": \"Greets.\", \"concepts\": [\"Greeting\", \"greeting\", \"Small Talk\", \"bad!word\"], \"domain\": \"UI\"}, {\"id\": 0, \"purpose\": \"\", \"concepts\": [\"x\"]}]}\n```";
        let labels = parse_answer(text, 2).unwrap();
        assert_eq!(labels.len(), 1);
        let l = &labels[&1];
        assert_eq!(l.concepts, ["greeting", "small-talk"]);
        assert_eq!(l.domain, "ui");
    }

    #[test]
    fn an_answer_that_is_not_the_json_asked_for_is_none() {
        assert!(parse_answer("I cannot help with that.", 1).is_none());
        assert!(parse_answer("{\"symbols\": [", 1).is_none());
        assert!(parse_answer("{\"labels\": []}", 1).is_none());
        // Ids out of range are ignored rather than attached to the wrong symbol.
        let labels = parse_answer(
            "{\"symbols\": [{\"id\": 9, \"purpose\": \"p\", \"concepts\": [\"a\"]}]}",
            1,
        )
        .unwrap();
        assert!(labels.is_empty());
    }

    #[test]
    fn a_symbol_text_is_bounded() {
        let s = SymbolText {
            name: "f".into(),
            kind: "function".into(),
            signature: "fn f()".into(),
            doc: Some("Does é things.".into()),
            body: "é".repeat(2_000),
        };
        assert!(s.rendered().len() <= MAX_SYMBOL_CHARS);
    }
}
