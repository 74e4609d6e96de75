//! The context oracle: what Mira knows about a task, gathered from every source, ranked
//! and fitted into a token budget with citations.
//!
//! ```no_run
//! # async fn demo(oracle: mira_oracle::Oracle, project: mira_store::projects::Project) {
//! let context = oracle
//!     .gather(&project, &mira_oracle::ContextRequest::new("why does parse_config panic?"))
//!     .await
//!     .unwrap();
//! println!("{}", context.to_prompt());
//! # }
//! ```
//!
//! `gather` runs in two rounds. The first asks the independent sources side by side:
//! keyword and dense search, what the task names (quoted paths, stack-trace frames,
//! modules, identifiers written as code), open build errors and past fixes (for error
//! text), the open file and selection, the user's current changes and a project
//! overview. Their file lists are fused (weighted reciprocal rank fusion, [`rank`]);
//! the second round then follows the best of them: one hop of the call graph around the
//! symbols in play (impact when the task asks what breaks), co-change partners and
//! experts of the best files. Each source has its own deadline; one that misses it or
//! fails is dropped and named in [`Context::dropped_sources`], never waited for.

pub mod assemble;
pub mod config;
pub mod context;
pub mod evidence;
pub mod ground;
pub mod rank;
pub mod sources;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mira_core::Config;
use mira_llm::Gateway;
use mira_search::service::SearchService;
use mira_store::Db;
use mira_store::projects::Project;

pub use config::{ContextConfig, Level, context_window};
pub use context::{
    BallotView, Context, ContextRequest, Dropped, Item, MAX_DEADLINE_MS, RankedFile, Selection,
};
pub use sources::{Found, Query, Scored, Source};

use evidence::Evidence;
use rank::Ballot;
use sources::files::ProjectFiles;

#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    #[error("the task is empty: say what you want to know or do")]
    EmptyTask,
    #[error("cannot read the project's index: {0}")]
    Store(#[from] sqlx::Error),
}

/// Files listed in a context at most.
const MAX_FILES: usize = 20;

/// How much a file's fused score adds to the items quoting it.
const FILE_BONUS: f64 = 0.5;

/// Test files are pushed down unless the task is about tests: bug reports are fixed in
/// the code under test far more often than in the tests.
const TEST_FACTOR: f64 = 0.35;

#[derive(Clone)]
pub struct Oracle {
    db: Db,
    config: Arc<Config>,
    search: Option<SearchService>,
    gateway: Option<Gateway>,
    extra: Vec<Arc<dyn Source>>,
    deadline: Option<Duration>,
}

impl std::fmt::Debug for Oracle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oracle")
            .field("search", &self.search.is_some())
            .field("extra", &self.extra.len())
            .finish_non_exhaustive()
    }
}

type Job<'a> = (
    &'static str,
    Pin<Box<dyn Future<Output = Result<Found, String>> + Send + 'a>>,
);

impl Oracle {
    /// `search` is `None` where this process cannot open the vector store (a server
    /// holds the data dir); search is then named as a dropped source.
    pub fn new(db: Db, config: Arc<Config>, search: Option<SearchService>) -> Self {
        Self {
            db,
            config,
            search,
            gateway: None,
            extra: Vec::new(),
            deadline: None,
        }
    }

    /// The budget's headroom then chooses the level when a request does not.
    pub fn with_gateway(mut self, gateway: Gateway) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// One more source (memory, or a test's), asked in the first round.
    pub fn with_source(mut self, source: Arc<dyn Source>) -> Self {
        self.extra.push(source);
        self
    }

    /// Every source's deadline, instead of the level's.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The configuration a request gets: its level, else one chosen from the budget's
    /// headroom (error-focused when the task is an error), and its token budget.
    pub async fn plan(&self, request: &ContextRequest, evidence: &Evidence) -> ContextConfig {
        let mut config = match request.level {
            Some(level) => ContextConfig::for_level(level),
            None => {
                let (day, month) = self.budget_used_pct().await;
                if evidence.is_error {
                    ContextConfig::for_error_with_budget(day, month)
                } else {
                    ContextConfig::for_budget(day, month)
                }
            }
        };
        if request.level.is_none() && self.gateway.is_none() {
            // No budget to read: the middle level, which the benchmarks measure.
            let focus = evidence.is_error;
            config = ContextConfig::standard();
            config.error_focus = focus;
        }
        if let Some(tokens) = request.tokens {
            config.tokens = tokens;
        }
        if let Some(room) = request.room {
            config = config.fit_window(room, 0);
        }
        if let Some(d) = self.deadline {
            config.deadline = d;
        }
        if let Some(ms) = request.deadline_ms {
            config.deadline = Duration::from_millis(ms.clamp(1, MAX_DEADLINE_MS));
        }
        config
    }

    async fn budget_used_pct(&self) -> (f64, f64) {
        let Some(gateway) = &self.gateway else {
            return (0.0, 0.0);
        };
        match gateway.budget.status().await {
            Ok(s) => (
                pct(s.day.spent_usd, s.day.limit_usd),
                pct(s.month.spent_usd, s.month.limit_usd),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the budget; choosing the context level as if unused");
                (0.0, 0.0)
            }
        }
    }

    pub async fn gather(&self, project: &Project, request: &ContextRequest) -> Result<Context, OracleError> {
        let started = Instant::now();
        if request.task.trim().is_empty() {
            return Err(OracleError::EmptyTask);
        }
        // Files saved a moment ago and seen by this process's watcher are indexed first,
        // so the context is of the code as saved (bounded: a big batch is not waited for).
        mira_code::watch::catch_up(&self.db, project.id, Duration::from_millis(500)).await;
        let evidence = evidence::parse(&request.task);
        let config = self.plan(request, &evidence).await;
        let files = ProjectFiles::load(&self.db, project.id).await?;
        let query = Query {
            db: &self.db,
            project,
            request,
            evidence: &evidence,
            config: &config,
            files: &files,
            git: &self.config.git,
        };
        let mut dropped = Vec::new();

        // Round one: the sources that need nothing but the task.
        let mut jobs: Vec<Job<'_>> = vec![
            ("symbol", Box::pin(sources::symbols::named(&query))),
            ("path", Box::pin(sources::symbols::mentioned(&query))),
            ("errors", Box::pin(sources::build::errors(&query))),
            ("open", Box::pin(sources::workspace::open_file(&query))),
            ("words", Box::pin(sources::words::words(&query))),
            ("memory", Box::pin(sources::memory::memory(&query))),
        ];
        if config.changes {
            jobs.push(("changes", Box::pin(sources::workspace::changes(&query))));
        }
        if config.overview {
            jobs.push(("overview", Box::pin(sources::overview::overview(&query))));
        }
        if evidence.is_error && config.fixes > 0 && project.is_git {
            jobs.push(("fixes", Box::pin(sources::build::fixes(&query))));
        }
        match &self.search {
            Some(search) => {
                jobs.push(("search", Box::pin(sources::search::keyword(search, &query))));
                jobs.push(("semantic", Box::pin(sources::search::semantic(search, &query))));
            }
            None => dropped.push(Dropped {
                source: "search".into(),
                reason: "the vector store is held by another process (a running server); ask through it"
                    .into(),
            }),
        }
        for source in &self.extra {
            let source = Arc::clone(source);
            let query = &query;
            jobs.push((
                source.name(),
                Box::pin(async move { source.collect(query).await }),
            ));
        }
        let mut timings = Vec::new();
        let first = run_all(jobs, config.deadline, &mut dropped, &mut timings).await;

        let about_tests = evidence.about_tests || first.iter().any(|f| f.names_tests);
        let factor = |path: &str| {
            if !about_tests && mira_code::extract::is_test_path(path) {
                TEST_FACTOR
            } else {
                1.0
            }
        };
        let ballots: Vec<Ballot> = first.iter().flat_map(|f| f.ballots.iter().cloned()).collect();
        let in_play: Vec<String> = rank::fuse(&ballots, factor)
            .into_iter()
            .take(3)
            .map(|f| f.path)
            .collect();
        let mut symbols: Vec<String> = Vec::new();
        for f in &first {
            for s in &f.symbols {
                if !symbols.contains(s) {
                    symbols.push(s.clone());
                }
            }
        }

        // Round two: around what round one found.
        let mut jobs: Vec<Job<'_>> = Vec::new();
        if config.callgraph && !symbols.is_empty() {
            jobs.push((
                "callgraph",
                Box::pin(sources::callgraph::neighbours(&query, &symbols)),
            ));
        }
        if evidence.asks_impact && !symbols.is_empty() {
            jobs.push(("impact", Box::pin(sources::callgraph::impact(&query, &symbols))));
        }
        if project.is_git && !in_play.is_empty() {
            if config.cochange {
                jobs.push(("cochange", Box::pin(sources::history::cochange(&query, &in_play))));
            }
            if config.experts {
                jobs.push(("experts", Box::pin(sources::history::experts(&query, &in_play))));
            }
        }
        let second = run_all(jobs, config.deadline, &mut dropped, &mut timings).await;

        let all: Vec<Found> = first.into_iter().chain(second).collect();
        let ballots: Vec<Ballot> = all.iter().flat_map(|f| f.ballots.iter().cloned()).collect();
        let explained = request.explain.then(|| {
            ballots
                .iter()
                .map(|b| BallotView {
                    source: b.source.to_string(),
                    weight: b.weight,
                    files: b.files.iter().map(|(p, _)| p.clone()).collect(),
                })
                .collect()
        });
        let mut ranked = rank::fuse(&ballots, factor);
        ranked.truncate(MAX_FILES);
        let file_score: HashMap<&str, f64> = ranked.iter().map(|f| (f.path.as_str(), f.score)).collect();
        let mut scored: Vec<(f64, Item)> = all
            .into_iter()
            .flat_map(|f| f.items)
            .map(|s| {
                let bonus = s
                    .item
                    .path
                    .as_deref()
                    .and_then(|p| file_score.get(p))
                    .copied()
                    .unwrap_or(0.0);
                (s.base + FILE_BONUS * bonus, s.item)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.citation.cmp(&b.1.citation)));
        let items = assemble::drop_overlaps(scored.into_iter().map(|(_, i)| i).collect());
        let (items, tokens) = assemble::fit(items, config.tokens);
        Ok(Context {
            files: ranked,
            items,
            tokens,
            budget: config.tokens,
            config: config.level.as_str().to_string(),
            dropped_sources: dropped,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            ballots: explained,
            source_ms: request.explain.then(|| {
                timings
                    .into_iter()
                    .map(|(s, ms)| (s, (ms * 10.0).round() / 10.0))
                    .collect()
            }),
        })
    }
}

fn pct(spent: f64, limit: f64) -> f64 {
    if limit > 0.0 { spent / limit * 100.0 } else { 0.0 }
}

/// Keyword search is the backbone of most rankings, and a long report makes a long
/// query: it gets this many times the level's deadline.
const SEARCH_DEADLINE_FACTOR: u32 = 3;

fn deadline_of(source: &str, deadline: Duration) -> Duration {
    match source {
        "search" => deadline * SEARCH_DEADLINE_FACTOR,
        _ => deadline,
    }
}

/// Runs the jobs side by side, each under its deadline; what fails or is late is named.
async fn run_all(
    jobs: Vec<Job<'_>>,
    deadline: Duration,
    dropped: &mut Vec<Dropped>,
    timings: &mut Vec<(String, f64)>,
) -> Vec<Found> {
    let runs = jobs.into_iter().map(|(name, job)| async move {
        let started = Instant::now();
        let limit = deadline_of(name, deadline);
        let result = tokio::time::timeout(limit, job).await;
        (name, result, started.elapsed(), limit)
    });
    let mut out = Vec::new();
    for (name, result, took, limit) in futures_util::future::join_all(runs).await {
        match result {
            Ok(Ok(found)) => out.push(found),
            Ok(Err(reason)) => dropped.push(Dropped {
                source: name.to_string(),
                reason,
            }),
            Err(_) => dropped.push(Dropped {
                source: name.to_string(),
                reason: format!("gave no answer within its deadline of {} ms", limit.as_millis()),
            }),
        }
        tracing::debug!(source = name, ms = took.as_millis() as u64, "context source");
        timings.push((name.to_string(), took.as_secs_f64() * 1000.0));
    }
    out
}
