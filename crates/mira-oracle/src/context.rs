//! What the oracle is asked and what it answers: the request, the ranked files and
//! the items of context with their citations.

use serde::{Deserialize, Serialize};

/// Lines the user has selected in the open file (1-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub start_line: u32,
    pub end_line: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContextRequest {
    /// The user's words: a question, a bug report, a pasted error or stack trace.
    pub task: String,
    /// The file open in the editor, relative to the project root.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub selection: Option<Selection>,
    /// Token budget of the assembled context; `None` takes the level's.
    #[serde(default)]
    pub tokens: Option<usize>,
    /// `minimal`, `standard` or `full`; `None` lets the budget's headroom choose.
    #[serde(default)]
    pub level: Option<crate::Level>,
    /// At most this many tokens whatever the level: what the answering model's context
    /// window leaves (see `ground::room`).
    #[serde(default)]
    pub room: Option<usize>,
    /// Each source's deadline in milliseconds instead of the level's (at most
    /// [`MAX_DEADLINE_MS`]): for slow machines and for benchmarks of the ranking alone.
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// Also answer each source's file list (`ballots`), to see why files rank as they do.
    #[serde(default)]
    pub explain: bool,
}

/// The longest deadline a request may ask for.
pub const MAX_DEADLINE_MS: u64 = 30_000;

impl ContextRequest {
    pub fn new(task: impl Into<String>) -> Self {
        Self {
            task: task.into(),
            ..Self::default()
        }
    }
}

/// A file that matters to the task, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedFile {
    pub path: String,
    /// Fused evidence, 1.0 for the best file.
    pub score: f64,
    pub reasons: Vec<String>,
}

/// One piece of context as the model reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Which source found it: `search`, `symbol`, `trace`, `path`, `callgraph`,
    /// `impact`, `cochange`, `errors`, `fixes`, `experts`, `changes`, `open`,
    /// `overview`.
    pub source: String,
    pub path: Option<String>,
    /// First and last line (1-based, inclusive) when the item quotes a file.
    pub lines: Option<[u32; 2]>,
    pub text: String,
    /// Estimated tokens of the item as rendered in the prompt (header included).
    pub tokens: usize,
    /// Where it comes from, as a person would cite it: `src/lib.rs:10-42`,
    /// `commit 1a2b3c4`, `build run 7`.
    pub citation: String,
}

/// A source that gave nothing because it failed or missed its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub source: String,
    pub reason: String,
}

/// The oracle's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// Files best first.
    pub files: Vec<RankedFile>,
    /// Items best first; a prompt cites them as `[1]`, `[2]`, ... in this order.
    pub items: Vec<Item>,
    /// Sum of the items' tokens; never more than `budget`.
    pub tokens: usize,
    pub budget: usize,
    /// The level used: `minimal`, `standard` or `full`.
    pub config: String,
    pub dropped_sources: Vec<Dropped>,
    pub took_ms: f64,
    /// Each source's files, best first, when the request asked to explain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballots: Option<Vec<BallotView>>,
    /// How long each source took, in milliseconds, when the request asked to explain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ms: Option<std::collections::BTreeMap<String, f64>>,
}

/// One source's vote as the fusion saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BallotView {
    pub source: String,
    pub weight: f64,
    pub files: Vec<String>,
}

impl Context {
    /// The context as the model reads it: each item under its number and citation,
    /// file excerpts fenced. Empty when there is nothing to say.
    pub fn to_prompt(&self) -> String {
        if self.items.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "Context from the user's project, gathered by Mira. Cite the items you use as [n]; \
             say so when the context does not contain the answer.\n",
        );
        for (i, item) in self.items.iter().enumerate() {
            out.push('\n');
            out.push_str(&crate::assemble::render(i + 1, item));
        }
        out
    }

    /// A short stable fingerprint of what the prompt says (for answer caches and logs).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(self.to_prompt().as_bytes());
        hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}
