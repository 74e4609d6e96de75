//! How much context to gather: the roadmap's `ContextConfig` with its three levels,
//! chosen from the budget's headroom and bounded by the model's context window.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Minimal,
    Standard,
    Full,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minimal => "minimal",
            Self::Standard => "standard",
            Self::Full => "full",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "minimal" | "min" => Some(Self::Minimal),
            "standard" | "std" => Some(Self::Standard),
            "full" | "max" => Some(Self::Full),
            _ => None,
        }
    }
}

/// What each source may contribute and how long it may take.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextConfig {
    pub level: Level,
    /// Token budget of the assembled items.
    pub tokens: usize,
    /// Search hits asked for (files are ranked from all of them).
    pub search_hits: usize,
    /// Symbols named by the task or defined by hits whose definitions are quoted.
    pub symbols: usize,
    /// One hop of callers and callees for those symbols.
    pub callgraph: bool,
    pub cochange: bool,
    pub experts: bool,
    /// Open build errors listed.
    pub errors: usize,
    /// Past fixes for error text in the task.
    pub fixes: usize,
    pub overview: bool,
    /// The user's uncommitted changes and recent saves.
    pub changes: bool,
    /// Each source's deadline; a source that misses it is dropped and named.
    pub deadline: Duration,
    /// Error-focused: build errors and past fixes before search hits.
    pub error_focus: bool,
    /// Items recalled from memory (the user's preferences, decisions, facts, past turns).
    pub memory: usize,
}

impl ContextConfig {
    pub fn minimal() -> Self {
        Self {
            level: Level::Minimal,
            tokens: 1_500,
            search_hits: 30,
            symbols: 3,
            callgraph: false,
            cochange: false,
            experts: false,
            errors: 5,
            fixes: 1,
            overview: false,
            changes: true,
            deadline: Duration::from_millis(400),
            error_focus: false,
            memory: 3,
        }
    }

    pub fn standard() -> Self {
        Self {
            level: Level::Standard,
            tokens: 6_000,
            search_hits: 60,
            symbols: 6,
            callgraph: true,
            cochange: true,
            experts: true,
            errors: 10,
            fixes: 3,
            overview: true,
            changes: true,
            deadline: Duration::from_millis(600),
            error_focus: false,
            memory: 6,
        }
    }

    pub fn full() -> Self {
        Self {
            level: Level::Full,
            tokens: 16_000,
            search_hits: 100,
            symbols: 12,
            callgraph: true,
            cochange: true,
            experts: true,
            errors: 25,
            fixes: 5,
            overview: true,
            changes: true,
            deadline: Duration::from_millis(1_000),
            error_focus: false,
            memory: 10,
        }
    }

    pub fn for_level(level: Level) -> Self {
        match level {
            Level::Minimal => Self::minimal(),
            Level::Standard => Self::standard(),
            Level::Full => Self::full(),
        }
    }

    /// The roadmap's `for_budget(daily%, monthly%)`: plenty of headroom buys full
    /// context, a budget past half its limit standard, one nearly spent minimal.
    /// Percentages are of the limits used so far (0-100; more when over).
    pub fn for_budget(daily_used_pct: f64, monthly_used_pct: f64) -> Self {
        let used = daily_used_pct.max(monthly_used_pct);
        if used >= 80.0 {
            Self::minimal()
        } else if used >= 50.0 {
            Self::standard()
        } else {
            Self::full()
        }
    }

    /// The roadmap's `for_error_with_budget`: the same levels, with build errors and
    /// past fixes first and more of them, since an error's fix is usually near them.
    pub fn for_error_with_budget(daily_used_pct: f64, monthly_used_pct: f64) -> Self {
        let mut config = Self::for_budget(daily_used_pct, monthly_used_pct);
        config.error_focus = true;
        config.errors = config.errors.max(10);
        config.fixes = config.fixes.max(3);
        config
    }

    /// Bounds the token budget by what the model can read: its context window less the
    /// answer's reserve and what the rest of the prompt (system, history) takes.
    pub fn fit_window(mut self, window: usize, reserved: usize) -> Self {
        let room = window.saturating_sub(reserved);
        self.tokens = self.tokens.min(room);
        self
    }
}

/// Tokens a model reads, by provider and model name; a cautious guess for unknown
/// models. The local model's window is MIRA_LOCAL_CONTEXT.
pub fn context_window(provider: &str, model: &str, local_context: usize) -> usize {
    let model = model.to_ascii_lowercase();
    match provider {
        "local" => local_context,
        "gemini" => 1_000_000,
        "anthropic" => 200_000,
        "openai" if model.starts_with("gpt-4.1") => 1_000_000,
        "openai" if model.starts_with("gpt-5") || model.starts_with("o3") || model.starts_with("o4") => {
            400_000
        }
        "openai" if model.starts_with("gpt-4o") => 128_000,
        "openai" => 128_000,
        // OpenAI-compatible servers (Ollama, llama.cpp, vLLM) often run small windows.
        _ => 8_192,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_headroom_picks_the_level() {
        assert_eq!(ContextConfig::for_budget(10.0, 20.0).level, Level::Full);
        assert_eq!(ContextConfig::for_budget(10.0, 60.0).level, Level::Standard);
        assert_eq!(ContextConfig::for_budget(95.0, 20.0).level, Level::Minimal);
        let error = ContextConfig::for_error_with_budget(95.0, 0.0);
        assert_eq!(error.level, Level::Minimal);
        assert!(error.error_focus);
        assert!(error.errors >= 10 && error.fixes >= 3);
    }

    #[test]
    fn the_window_bounds_the_budget() {
        let c = ContextConfig::full().fit_window(4_096, 1_500);
        assert_eq!(c.tokens, 2_596);
        let c = ContextConfig::minimal().fit_window(1_000_000, 8_000);
        assert_eq!(c.tokens, 1_500);
        assert_eq!(ContextConfig::minimal().fit_window(100, 500).tokens, 0);
    }
}
