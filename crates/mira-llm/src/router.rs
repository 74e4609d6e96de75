//! The multi-model router: a task is classified into the fast, voice or thinker tier
//! (the roadmap's rules), each tier names a provider and model, and a call falls back
//! along the other tiers and finally the local model when a provider is unusable.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::provider::Provider;
use crate::providers::Providers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Fast,
    Voice,
    Thinker,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Fast, Tier::Voice, Tier::Thinker];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Voice => "voice",
            Self::Thinker => "thinker",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "fast" => Some(Self::Fast),
            "voice" => Some(Self::Voice),
            "thinker" => Some(Self::Thinker),
            _ => None,
        }
    }

    /// Where a call goes when this tier's provider cannot serve it: the roadmap's "if
    /// Fast fails, try Voice", and a thinker task rather loses depth than fails.
    fn fallback_order(self) -> [Tier; 3] {
        match self {
            Self::Fast => [Self::Fast, Self::Voice, Self::Thinker],
            Self::Voice => [Self::Voice, Self::Thinker, Self::Fast],
            Self::Thinker => [Self::Thinker, Self::Voice, Self::Fast],
        }
    }
}

/// What the classifier looks at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The tool the call serves, if any (`search_codebase`, ...).
    pub tool_name: Option<String>,
    /// The kind of operation (`architecture`, `refactor_multi_file`, `chat`, ...).
    pub operation_kind: Option<String>,
    /// Estimated input tokens.
    pub estimated_tokens: u64,
    /// Files the task touches.
    pub files: usize,
}

const FAST_TOOLS: &[&str] = &[
    "list_project_files",
    "search_codebase",
    "get_file_summary",
    "get_file_structure",
    "grep_files",
    "count_lines",
];

const THINKER_OPERATIONS: &[&str] = &[
    "architecture",
    "refactor_multi_file",
    "debug_complex",
    "design_pattern",
    "impact_analysis",
];

#[derive(Debug, Clone, Copy)]
pub struct Classifier {
    pub thinker_token_threshold: u64,
    pub thinker_file_count: usize,
}

impl Classifier {
    /// The tier and the rule that chose it, in the roadmap's order.
    pub fn classify(&self, task: &Task) -> (Tier, &'static str) {
        if task.estimated_tokens > self.thinker_token_threshold {
            return (
                Tier::Thinker,
                "estimated tokens over ROUTE_THINKER_TOKEN_THRESHOLD",
            );
        }
        if task.files > self.thinker_file_count {
            return (Tier::Thinker, "more files than ROUTE_THINKER_FILE_COUNT");
        }
        if task.tool_name.as_deref().is_some_and(|t| FAST_TOOLS.contains(&t)) {
            return (Tier::Fast, "simple tool");
        }
        if task
            .operation_kind
            .as_deref()
            .is_some_and(|o| THINKER_OPERATIONS.contains(&o))
        {
            return (Tier::Thinker, "complex operation");
        }
        (Tier::Voice, "user-facing chat")
    }
}

/// A provider and model, as MODEL_FAST and friends name them: `gpt-5.1`,
/// `gemini:gemini-3-pro-preview`, `compat:llama3.2:3b`, `local`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub provider: String,
    /// Empty: the provider's default model.
    pub model: String,
}

const PROVIDER_IDS: &[&str] = &["openai", "gemini", "anthropic", "compat", "local"];

impl ModelSpec {
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if let Some((prefix, model)) = text.split_once(':')
            && PROVIDER_IDS.contains(&prefix)
        {
            return Self {
                provider: prefix.to_string(),
                model: model.to_string(),
            };
        }
        if text == "local" {
            return Self {
                provider: "local".into(),
                model: String::new(),
            };
        }
        let provider = if text.starts_with("gpt-")
            || text.starts_with("o1")
            || text.starts_with("o3")
            || text.starts_with("o4")
            || text.starts_with("text-embedding")
        {
            "openai"
        } else if text.starts_with("gemini") {
            "gemini"
        } else if text.starts_with("claude") {
            "anthropic"
        } else {
            "compat"
        };
        Self {
            provider: provider.into(),
            model: text.to_string(),
        }
    }
}

/// One place a call may go.
#[derive(Clone)]
pub struct Candidate {
    pub tier: Option<Tier>,
    pub provider: Arc<dyn Provider>,
    pub model: String,
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} ({:?})", self.provider.id(), self.model, self.tier)
    }
}

/// Where a call goes, why, and what was passed over.
#[derive(Debug, Clone)]
pub struct Decision {
    pub tier: Option<Tier>,
    pub reason: String,
    /// Usable places, best first; the first is the choice, the rest the fallbacks.
    pub candidates: Vec<Candidate>,
    /// Places passed over because their provider is unusable, with why.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RouterConfig {
    pub enabled: bool,
    pub fast: ModelSpec,
    pub voice: ModelSpec,
    pub thinker: ModelSpec,
    pub classifier: Classifier,
}

impl RouterConfig {
    pub fn from_config(config: &mira_core::config::LlmConfig) -> Self {
        Self {
            enabled: config.router_enabled,
            fast: ModelSpec::parse(&config.model_fast),
            voice: ModelSpec::parse(&config.model_voice),
            thinker: ModelSpec::parse(&config.model_thinker),
            classifier: Classifier {
                thinker_token_threshold: config.thinker_token_threshold,
                thinker_file_count: config.thinker_file_count,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Router {
    pub config: RouterConfig,
    providers: Providers,
}

impl Router {
    pub fn new(config: RouterConfig, providers: Providers) -> Self {
        Self { config, providers }
    }

    pub fn providers(&self) -> &Providers {
        &self.providers
    }

    pub fn spec(&self, tier: Tier) -> &ModelSpec {
        match tier {
            Tier::Fast => &self.config.fast,
            Tier::Voice => &self.config.voice,
            Tier::Thinker => &self.config.thinker,
        }
    }

    fn candidate(
        &self,
        tier: Option<Tier>,
        spec: &ModelSpec,
        skipped: &mut Vec<String>,
    ) -> Option<Candidate> {
        let Some(provider) = self.providers.get(&spec.provider) else {
            skipped.push(format!(
                "{}: unknown provider `{}`; use one of {}",
                spec.model,
                spec.provider,
                PROVIDER_IDS.join(", ")
            ));
            return None;
        };
        if let Err(e) = provider.check() {
            skipped.push(e.to_string());
            return None;
        }
        let model = if spec.model.is_empty() {
            provider.default_model().to_string()
        } else {
            spec.model.clone()
        };
        Some(Candidate {
            tier,
            provider: provider.clone(),
            model,
        })
    }

    /// Routes a task. `tier` forces a tier; `model` forces one model with no fallback.
    pub fn decide(&self, task: &Task, tier: Option<Tier>, model: Option<&str>) -> Decision {
        let mut skipped = Vec::new();
        if let Some(model) = model {
            let spec = ModelSpec::parse(model);
            let candidates = self.candidate(None, &spec, &mut skipped).into_iter().collect();
            return Decision {
                tier: None,
                reason: "explicit model".into(),
                candidates,
                skipped,
            };
        }
        let (tier, reason) = match tier {
            Some(t) => (t, "explicit tier".to_string()),
            None if !self.config.enabled => {
                (Tier::Voice, "router disabled (MODEL_ROUTER_ENABLED=false)".into())
            }
            None => {
                let (t, why) = self.config.classifier.classify(task);
                (t, why.to_string())
            }
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        for t in tier.fallback_order() {
            if let Some(c) = self.candidate(Some(t), self.spec(t), &mut skipped)
                && !candidates
                    .iter()
                    .any(|x| x.provider.id() == c.provider.id() && x.model == c.model)
            {
                candidates.push(c);
            }
        }
        let local = ModelSpec {
            provider: "local".into(),
            model: String::new(),
        };
        if !candidates.iter().any(|c| c.provider.id() == "local")
            && let Some(c) = self.candidate(Some(tier), &local, &mut skipped)
        {
            candidates.push(c);
        }
        Decision {
            tier: Some(tier),
            reason,
            candidates,
            skipped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> Classifier {
        Classifier {
            thinker_token_threshold: 50_000,
            thinker_file_count: 3,
        }
    }

    fn task(tool: Option<&str>, op: Option<&str>, tokens: u64, files: usize) -> Task {
        Task {
            tool_name: tool.map(str::to_string),
            operation_kind: op.map(str::to_string),
            estimated_tokens: tokens,
            files,
        }
    }

    #[test]
    fn roadmap_rules_in_order() {
        let c = classifier();
        assert_eq!(c.classify(&task(None, None, 10, 0)).0, Tier::Voice);
        assert_eq!(c.classify(&task(Some("grep_files"), None, 10, 0)).0, Tier::Fast);
        assert_eq!(c.classify(&task(Some("edit_file"), None, 10, 0)).0, Tier::Voice);
        assert_eq!(
            c.classify(&task(None, Some("architecture"), 10, 0)).0,
            Tier::Thinker
        );
        assert_eq!(
            c.classify(&task(Some("grep_files"), None, 50_001, 0)).0,
            Tier::Thinker
        );
        assert_eq!(
            c.classify(&task(Some("grep_files"), None, 50_000, 3)).0,
            Tier::Fast
        );
        assert_eq!(
            c.classify(&task(Some("grep_files"), None, 10, 4)).0,
            Tier::Thinker
        );
    }

    #[test]
    fn model_specs_name_their_provider() {
        let p = |s: &str| {
            let m = ModelSpec::parse(s);
            (m.provider, m.model)
        };
        assert_eq!(p("gpt-5.1-mini"), ("openai".into(), "gpt-5.1-mini".into()));
        assert_eq!(
            p("gemini-3-pro-preview"),
            ("gemini".into(), "gemini-3-pro-preview".into())
        );
        assert_eq!(
            p("claude-sonnet-4-5"),
            ("anthropic".into(), "claude-sonnet-4-5".into())
        );
        assert_eq!(p("compat:llama3.2:3b"), ("compat".into(), "llama3.2:3b".into()));
        assert_eq!(
            p("qwen2.5-coder:7b"),
            ("compat".into(), "qwen2.5-coder:7b".into())
        );
        assert_eq!(p("local"), ("local".into(), String::new()));
    }
}
