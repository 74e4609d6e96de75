//! `mira analyze`: a model says what each symbol is for. Symbols of the code index
//! (functions, methods, types; most called and largest first) are sent in small batches
//! through the process's [`Gateway`] (operation `analyse`, fast tier, so budget, cache and
//! spend apply), and the answers are stored in `semantic_nodes` with their concepts in
//! `concept_index` under source `llm`, where concept search finds them. A symbol whose
//! text did not change since it was analysed is not sent again.

mod prompt;
mod store;

use std::path::Path;

use mira_llm::{CallOptions, ChatRequest, Gateway, LlmError, Message, Tier};
use mira_store::Db;
use mira_store::projects::Project;
use serde::Serialize;

use crate::{Progress, SearchError, ids};
pub use prompt::{Label, SymbolText};
use store::{Analysed, Candidate};

/// How much one run does.
#[derive(Debug, Clone)]
pub struct AnalyseOptions {
    /// Symbols selected at most (most called and largest first).
    pub limit: usize,
    /// Symbols per request: small enough that one bad answer loses little and the answer
    /// fits the output limit, large enough that the instructions are not paid per symbol.
    pub batch: usize,
}

impl Default for AnalyseOptions {
    fn default() -> Self {
        Self { limit: 200, batch: 8 }
    }
}
/// Output tokens asked per symbol of a batch (a sentence, a few words).
const OUTPUT_TOKENS_PER_SYMBOL: u32 = 120;

/// What a run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct AnalyseReport {
    /// Symbols selected (at most the limit).
    pub symbols: usize,
    pub analysed: usize,
    /// Not sent: their text is the one already analysed.
    pub unchanged: usize,
    /// Sent but not labelled: the answer was unreadable or left them out.
    pub failed: usize,
    /// Requests whose answer could not be read at all, or that failed.
    pub failed_batches: usize,
    pub requests: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Analyses dropped because their symbol is no longer in the code index.
    pub pruned: u64,
    /// Why the run stopped before the end (a budget limit); what was written stays.
    pub stopped: Option<String>,
    /// The first error of a failed request, to say what went wrong.
    pub error: Option<String>,
}

impl AnalyseReport {
    /// A batch none of whose symbols was labelled; the run goes on with the next.
    fn batch_failed(&mut self, symbols: usize, why: String) {
        self.failed_batches += 1;
        self.failed += symbols;
        self.error.get_or_insert(why);
    }
}

/// Analyses up to `options.limit` symbols of `project`; `progress` gets (symbols done,
/// total).
pub async fn analyse(
    db: &Db,
    gateway: &Gateway,
    project: &Project,
    options: &AnalyseOptions,
    progress: Progress,
) -> Result<AnalyseReport, SearchError> {
    let mut report = AnalyseReport {
        pruned: store::prune(db, project.id).await?,
        ..Default::default()
    };
    let candidates = store::candidates(db, project.id, options.limit).await?;
    report.symbols = candidates.len();
    let stored = store::stored_hashes(db, project.id).await?;
    let mut pending: Vec<(&Candidate, SymbolText, String)> = Vec::new();
    let mut files = FileCache::default();
    for c in &candidates {
        let text = symbol_text(c, files.lines(&project.root, &c.path));
        let hash = ids::content_hash(&text.rendered());
        if stored.get(&(c.path.clone(), c.symbol.clone())) == Some(&hash) {
            report.unchanged += 1;
        } else {
            pending.push((c, text, hash));
        }
    }
    let total = candidates.len() as u64;
    let mut done = report.unchanged as u64;
    progress(done, total);
    for batch in pending.chunks(options.batch.max(1)) {
        let texts: Vec<SymbolText> = batch.iter().map(|(_, t, _)| t.clone()).collect();
        let request = ChatRequest {
            messages: vec![
                Message::system(prompt::SYSTEM),
                Message::user(prompt::user_message(&texts)),
            ],
            temperature: Some(0.0),
            max_tokens: Some(OUTPUT_TOKENS_PER_SYMBOL * batch.len() as u32 + 100),
            ..Default::default()
        };
        let call_options = CallOptions {
            tier: Some(Tier::Fast),
            operation: "analyse".into(),
            // The content hash already keeps an analysed symbol from being sent again;
            // a cached unreadable answer would fail its batch on every later run.
            bypass_cache: true,
            ..Default::default()
        };
        let answer = gateway.chat(request, call_options).await;
        if let Err(e @ (LlmError::BudgetExceeded { .. } | LlmError::Cancelled)) = &answer {
            report.stopped = Some(e.to_string());
            break;
        }
        report.requests += 1;
        match answer {
            Err(e) => report.batch_failed(batch.len(), e.to_string()),
            Ok((response, call)) => {
                report.input_tokens += call.usage.input;
                report.output_tokens += call.usage.output;
                report.cost_usd += call.cost_usd;
                match prompt::parse_answer(&response.text, batch.len()) {
                    None => {
                        tracing::warn!(model = %call.route.model, "analyse: unreadable answer, batch skipped");
                        report.batch_failed(
                            batch.len(),
                            format!(
                                "{} answered with something that is not the JSON asked for",
                                call.route.model
                            ),
                        );
                    }
                    Some(mut labels) => {
                        let rows: Vec<Analysed> = batch
                            .iter()
                            .enumerate()
                            .filter_map(|(i, (c, _, hash))| {
                                labels.remove(&i).map(|label| Analysed {
                                    candidate: c,
                                    hash: hash.clone(),
                                    label,
                                })
                            })
                            .collect();
                        report.failed += batch.len() - rows.len();
                        report.analysed += rows.len();
                        let model = format!("{}:{}", call.route.provider, call.route.model);
                        store::write(db, project.id, &model, &rows).await?;
                    }
                }
            }
        }
        done += batch.len() as u64;
        progress(done, total);
    }
    Ok(report)
}

/// A file's lines, read once for all its symbols.
#[derive(Default)]
struct FileCache {
    path: String,
    lines: Vec<String>,
}

impl FileCache {
    fn lines(&mut self, root: &Path, path: &str) -> &[String] {
        if self.path != path {
            self.path = path.to_string();
            // A file gone since the code index read it gives no body; the signature and
            // doc are still sent.
            self.lines = std::fs::read_to_string(root.join(path))
                .map(|t| t.lines().map(str::to_string).collect())
                .unwrap_or_default();
        }
        &self.lines
    }
}

fn symbol_text(c: &Candidate, lines: &[String]) -> SymbolText {
    let start = (c.start_line.max(1) - 1) as usize;
    let end = (c.end_line.max(c.start_line) as usize).min(lines.len());
    let body = lines
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .take(prompt::BODY_LINES)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    SymbolText {
        name: c.symbol.clone(),
        kind: c.kind.clone(),
        signature: c.signature.clone(),
        doc: c.doc.clone(),
        body,
    }
}
