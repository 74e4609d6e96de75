//! The sources of context. Each one is an async function over a [`Query`] that returns
//! what it found: ballots (files it vouches for, best first) and scored items. The
//! oracle runs them side by side, each under its deadline.

pub mod build;
pub mod callgraph;
pub mod files;
pub mod history;
pub mod memory;
pub mod overview;
pub mod search;
pub mod symbols;
pub mod words;
pub mod workspace;

use std::path::Path;

use mira_store::Db;
use mira_store::projects::Project;

use crate::assemble::{tokens_of, truncate_lines};
use crate::evidence::Evidence;
use crate::rank::Ballot;
use crate::{ContextConfig, ContextRequest, Item};

/// What a source is given.
pub struct Query<'a> {
    pub db: &'a Db,
    pub project: &'a Project,
    pub request: &'a ContextRequest,
    pub evidence: &'a Evidence,
    pub config: &'a ContextConfig,
    pub files: &'a files::ProjectFiles,
    pub git: &'a mira_core::config::GitConfig,
}

/// An item with the source's own sense of how much it matters (0 to about 1); the
/// oracle adds the fused score of the item's file before ordering.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub item: Item,
    pub base: f64,
}

/// What one source found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub ballots: Vec<Ballot>,
    pub items: Vec<Scored>,
    /// Qualified names of symbols this source found relevant (for the call graph).
    pub symbols: Vec<String>,
    /// The task names a test of the project (a name defined only in test files), so
    /// test files are not pushed down.
    pub names_tests: bool,
}

/// A source from outside this crate (memory, later ones), run beside the built-in ones
/// under the same deadline.
#[async_trait::async_trait]
pub trait Source: Send + Sync {
    fn name(&self) -> &'static str;
    async fn collect(&self, query: &Query<'_>) -> Result<Found, String>;
}

/// An item with its citation and token count worked out.
pub fn item(
    source: &str,
    path: Option<&str>,
    lines: Option<[u32; 2]>,
    text: String,
    citation: String,
) -> Item {
    let tokens = tokens_of(&citation, source, &text, path.is_some() && lines.is_some());
    Item {
        source: source.to_string(),
        path: path.map(str::to_string),
        lines,
        text,
        tokens,
        citation,
    }
}

/// `path:a-b` (or `path:a` for one line).
pub fn cite_lines(path: &str, lines: [u32; 2]) -> String {
    if lines[0] == lines[1] {
        format!("{path}:{}", lines[0])
    } else {
        format!("{path}:{}-{}", lines[0], lines[1])
    }
}

/// Lines `first..=last` of a project file (1-based), at most `max_lines` of them and
/// about `max_tokens`; `None` when the file cannot be read as text. The path comes from
/// the index (relative, no `..`), so it stays under the root.
pub async fn excerpt(
    root: &Path,
    path: &str,
    first: u32,
    last: u32,
    max_lines: u32,
    max_tokens: usize,
) -> Option<(String, [u32; 2])> {
    if path.split('/').any(|p| p == "..") || Path::new(path).is_absolute() {
        return None;
    }
    let bytes = tokio::fs::read(root.join(path)).await.ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let first = first.max(1);
    let last = last.max(first).min(first + max_lines.saturating_sub(1));
    let mut out = String::new();
    let mut end = first;
    for (i, line) in text.lines().enumerate() {
        let n = i as u32 + 1;
        if n < first {
            continue;
        }
        if n > last {
            break;
        }
        out.push_str(line);
        out.push('\n');
        end = n;
    }
    if out.is_empty() {
        return None;
    }
    Some((truncate_lines(&out, max_tokens), [first, end]))
}
