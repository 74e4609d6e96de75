//! Mira's configuration: every setting, typed and validated at start-up.
//!
//! Settings come from the environment and Mira's own files (an explicit `--config`,
//! the project's `.mira/mira.toml`, `mira.toml` and `.env` in Mira's config dir;
//! [`load`]), never from a project's own `.env`. An invalid value stops start-up with a [`ConfigError`] that names the
//! setting, the value, where it came from and what it accepts.

mod load;
mod parse;
mod sources;
pub mod spec;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

pub use load::{Places, gather, load};
pub use sources::{Sources, Value};
pub use spec::{SETTINGS, Setting};

use crate::Secret;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "invalid setting {key}={value:?} (from {origin}): expected {accepts}. Fix it where it came from (the environment or the file named); .env.example lists every setting."
    )]
    Invalid {
        key: &'static str,
        value: String,
        origin: String,
        accepts: &'static str,
    },
    #[error("unknown setting `{key}` in {path}: .env.example lists the settings Mira knows")]
    UnknownKey { key: String, path: PathBuf },
    #[error("cannot read configuration file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(
        "no data directory: the platform has no default data dir; set MIRA_DATA_DIR to a directory Mira may write to"
    )]
    NoDataDir,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
    pub ui_dir: Option<PathBuf>,
    pub token_ttl: Duration,
    pub shutdown_timeout: Duration,
    pub max_file_bytes: u64,
    pub ws_max_frame_bytes: usize,
    pub ws_heartbeat: Duration,
    /// How long a connection may take to deliver a request's headers, counted from when
    /// it opens or its previous response ends (MIRA_HEADER_TIMEOUT_SECS).
    pub header_timeout: Duration,
    /// Most client connections open at once (MIRA_MAX_CONNECTIONS); `None`: derived from
    /// the open-file limit by the server.
    pub max_connections: Option<usize>,
}

impl ServerConfig {
    pub fn bind_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    pub enabled: bool,
    /// Each access token's budget.
    pub per_second: u32,
    pub burst: u32,
    /// The one budget all requests without a valid token share.
    pub unauthenticated_per_second: u32,
    pub unauthenticated_burst: u32,
}

#[derive(Debug, Clone)]
pub struct VectorConfig {
    /// `None`: the embedded engine under the data dir.
    pub qdrant_url: Option<String>,
    pub qdrant_api_key: Option<Secret>,
    pub embed_dim: usize,
    /// Who makes dense vectors: `local`, `gemini`, `openai` or `compat` (MIRA_EMBEDDER).
    pub embedder: String,
    /// The remote embedder's model; `None`: the provider's default.
    pub embedder_model: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub models_dir: PathBuf,
    pub embed_model: Option<PathBuf>,
    pub local_model: Option<PathBuf>,
    /// In-memory weight format of the local chat model (MIRA_LOCAL_MODEL_FORMAT).
    pub local_model_format: String,
    /// Prompt plus answer bound of the local chat model, in tokens.
    pub local_context: usize,
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub gemini_api_key: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub openai_base_url: Option<String>,
    pub anthropic_api_key: Option<Secret>,
    pub gemini_base_url: Option<String>,
    pub anthropic_base_url: Option<String>,
}

/// How model calls are made, cached and routed (mira-llm).
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub timeout: Duration,
    pub stream_idle: Duration,
    pub max_retries: u32,
    pub max_output_tokens: u32,
    /// LLM_PRICES as written; mira-llm parses it into its price table.
    pub prices: Option<String>,
    pub cache_enabled: bool,
    pub cache_ttl: Duration,
    pub cache_max_bytes: u64,
    pub router_enabled: bool,
    pub model_fast: String,
    pub model_voice: String,
    pub model_thinker: String,
    pub thinker_token_threshold: u64,
    pub thinker_file_count: usize,
    /// MEMORY_MODEL_EXTRACTION: personal memory may ask a provider model to read turns.
    pub memory_model_extraction: bool,
    /// MEMORY_SUMMARY_WINDOW: turns of a conversation per rolling summary; 0 writes none.
    pub memory_summary_window: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct BudgetConfig {
    pub daily_limit_usd: f64,
    pub monthly_limit_usd: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct GitConfig {
    pub bulk_commit_files: usize,
    pub cochange_min_support: u32,
    pub cochange_min_confidence: f64,
    pub cochange_half_life_days: f64,
    pub expertise_half_life_days: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct BuildConfig {
    pub timeout: Duration,
    pub log_max_bytes: usize,
}

/// The agent's limits (mira-agent).
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Command lines run_build allows besides the project's detected build and test
    /// commands (AGENT_ALLOWED_COMMANDS); a command is allowed when one is a prefix of
    /// its words.
    pub allowed_commands: Vec<String>,
    /// Default timeout of a run_build (AGENT_RUN_TIMEOUT_SECS), at most BUILD_TIMEOUT_SECS.
    pub run_timeout: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct WatcherConfig {
    pub enabled: bool,
    pub debounce: Duration,
    pub batch: Duration,
    pub git_cooldown: Duration,
}

/// The whole configuration. Built once at start and shared read-only.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub log: String,
    pub server: ServerConfig,
    pub rate_limit: RateLimitConfig,
    pub vectors: VectorConfig,
    pub models: ModelConfig,
    pub providers: ProviderConfig,
    pub budget: BudgetConfig,
    pub llm: LlmConfig,
    pub git: GitConfig,
    pub build: BuildConfig,
    pub watcher: WatcherConfig,
    pub agent: AgentConfig,
}

/// Reads one setting through a parser; `None` when the setting is unset.
fn opt<T>(
    sources: &Sources,
    key: &str,
    parse: impl Fn(&Setting, &Value) -> Result<T, ConfigError>,
) -> Result<Option<T>, ConfigError> {
    let setting = spec::find(key).unwrap_or_else(|| panic!("setting {key} missing from SETTINGS"));
    sources.get(key).map(|v| parse(setting, &v)).transpose()
}

/// Reads a setting that has a default, so it is always present.
fn req<T>(
    sources: &Sources,
    key: &str,
    parse: impl Fn(&Setting, &Value) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    Ok(opt(sources, key, parse)?.unwrap_or_else(|| panic!("setting {key} has no default")))
}

fn int(min: u64, max: u64) -> impl Fn(&Setting, &Value) -> Result<u64, ConfigError> {
    move |s, v| parse::int_in(s, v, min, max)
}

fn text(_: &Setting, v: &Value) -> Result<String, ConfigError> {
    Ok(v.text.trim().to_string())
}

fn secret(_: &Setting, v: &Value) -> Result<Secret, ConfigError> {
    Ok(Secret::new(v.text.trim()))
}

impl Config {
    /// Validates every setting. The first invalid one is reported.
    pub fn from_sources(sources: &Sources) -> Result<Self, ConfigError> {
        let data_dir = match opt(sources, "MIRA_DATA_DIR", parse::path)? {
            Some(dir) => dir,
            None => dirs::data_dir().ok_or(ConfigError::NoDataDir)?.join("mira"),
        };
        let models_dir =
            opt(sources, "MIRA_MODELS_DIR", parse::path)?.unwrap_or_else(|| data_dir.join("models"));
        let ms = |key| req(sources, key, int(0, 600_000)).map(Duration::from_millis);
        Ok(Self {
            log: req(sources, "MIRA_LOG", parse::log_filter)?,
            server: ServerConfig {
                host: req(sources, "MIRA_HOST", parse::ip)?,
                port: req(sources, "MIRA_PORT", int(0, 65_535))? as u16,
                ui_dir: opt(sources, "MIRA_UI_DIR", parse::path)?,
                token_ttl: Duration::from_secs(req(sources, "MIRA_TOKEN_TTL_DAYS", int(1, 3650))? * 86_400),
                shutdown_timeout: Duration::from_secs(req(
                    sources,
                    "MIRA_SHUTDOWN_TIMEOUT_SECS",
                    int(1, 600),
                )?),
                max_file_bytes: req(sources, "MIRA_MAX_FILE_BYTES", int(1024, 1 << 30))?,
                ws_max_frame_bytes: req(sources, "MIRA_WS_MAX_FRAME_BYTES", int(1024, 16 << 20))? as usize,
                ws_heartbeat: Duration::from_secs(req(sources, "MIRA_WS_HEARTBEAT_SECS", int(1, 3600))?),
                header_timeout: Duration::from_secs(req(sources, "MIRA_HEADER_TIMEOUT_SECS", int(1, 3600))?),
                max_connections: opt(sources, "MIRA_MAX_CONNECTIONS", int(1, 1_000_000))?.map(|n| n as usize),
            },
            rate_limit: RateLimitConfig {
                enabled: req(sources, "RATE_LIMIT_ENABLED", parse::bool)?,
                per_second: req(sources, "RATE_LIMIT_PER_SECOND", int(1, 100_000))? as u32,
                burst: req(sources, "RATE_LIMIT_BURST", int(1, 100_000))? as u32,
                unauthenticated_per_second: req(
                    sources,
                    "RATE_LIMIT_UNAUTHENTICATED_PER_SECOND",
                    int(1, 100_000),
                )? as u32,
                unauthenticated_burst: req(sources, "RATE_LIMIT_UNAUTHENTICATED_BURST", int(1, 100_000))?
                    as u32,
            },
            vectors: VectorConfig {
                qdrant_url: opt(sources, "QDRANT_URL", parse::url)?,
                qdrant_api_key: opt(sources, "QDRANT_API_KEY", secret)?,
                embed_dim: req(sources, "MIRA_EMBED_DIM", int(8, 8192))? as usize,
                embedder: req(sources, "MIRA_EMBEDDER", parse::embedder)?,
                embedder_model: opt(sources, "MIRA_EMBEDDER_MODEL", text)?,
            },
            models: ModelConfig {
                models_dir,
                embed_model: opt(sources, "MIRA_EMBED_MODEL", parse::path)?,
                local_model: opt(sources, "MIRA_LOCAL_MODEL", parse::path)?,
                local_model_format: req(sources, "MIRA_LOCAL_MODEL_FORMAT", parse::weight_format)?,
                local_context: req(sources, "MIRA_LOCAL_CONTEXT", int(64, 1 << 20))? as usize,
            },
            providers: ProviderConfig {
                gemini_api_key: opt(sources, "GEMINI_API_KEY", secret)?,
                openai_api_key: opt(sources, "OPENAI_API_KEY", secret)?,
                openai_base_url: opt(sources, "OPENAI_BASE_URL", parse::url)?,
                anthropic_api_key: opt(sources, "ANTHROPIC_API_KEY", secret)?,
                gemini_base_url: opt(sources, "GEMINI_BASE_URL", parse::url)?,
                anthropic_base_url: opt(sources, "ANTHROPIC_BASE_URL", parse::url)?,
            },
            llm: LlmConfig {
                timeout: Duration::from_secs(req(sources, "LLM_TIMEOUT_SECS", int(1, 3600))?),
                stream_idle: Duration::from_secs(req(sources, "LLM_STREAM_IDLE_SECS", int(1, 3600))?),
                max_retries: req(sources, "LLM_MAX_RETRIES", int(0, 10))? as u32,
                max_output_tokens: req(sources, "LLM_MAX_OUTPUT_TOKENS", int(16, 1_000_000))? as u32,
                prices: opt(sources, "LLM_PRICES", parse::prices)?,
                cache_enabled: req(sources, "LLM_CACHE_ENABLED", parse::bool)?,
                cache_ttl: Duration::from_secs(req(sources, "LLM_CACHE_TTL_SECS", int(1, 315_360_000))?),
                cache_max_bytes: req(sources, "LLM_CACHE_MAX_BYTES", int(4096, 64 << 30))?,
                router_enabled: req(sources, "MODEL_ROUTER_ENABLED", parse::bool)?,
                model_fast: req(sources, "MODEL_FAST", text)?,
                model_voice: req(sources, "MODEL_VOICE", text)?,
                model_thinker: req(sources, "MODEL_THINKER", text)?,
                thinker_token_threshold: req(sources, "ROUTE_THINKER_TOKEN_THRESHOLD", int(1, 100_000_000))?,
                thinker_file_count: req(sources, "ROUTE_THINKER_FILE_COUNT", int(1, 100_000))? as usize,
                memory_model_extraction: req(sources, "MEMORY_MODEL_EXTRACTION", parse::bool)?,
                memory_summary_window: req(sources, "MEMORY_SUMMARY_WINDOW", int(0, 1000))? as usize,
            },
            budget: BudgetConfig {
                daily_limit_usd: req(sources, "BUDGET_DAILY_LIMIT_USD", parse::usd)?,
                monthly_limit_usd: req(sources, "BUDGET_MONTHLY_LIMIT_USD", parse::usd)?,
            },
            git: GitConfig {
                bulk_commit_files: req(sources, "GIT_BULK_COMMIT_FILES", int(2, 1_000_000))? as usize,
                cochange_min_support: req(sources, "COCHANGE_MIN_SUPPORT", int(1, 1_000_000))? as u32,
                cochange_min_confidence: req(sources, "COCHANGE_MIN_CONFIDENCE", parse::fraction)?,
                cochange_half_life_days: req(sources, "COCHANGE_HALF_LIFE_DAYS", parse::positive)?,
                expertise_half_life_days: req(sources, "EXPERTISE_HALF_LIFE_DAYS", parse::positive)?,
            },
            build: BuildConfig {
                timeout: Duration::from_secs(req(sources, "BUILD_TIMEOUT_SECS", int(1, 604_800))?),
                log_max_bytes: req(sources, "BUILD_LOG_MAX_BYTES", int(4096, 1 << 30))? as usize,
            },
            watcher: WatcherConfig {
                enabled: req(sources, "TASK_FILE_WATCHER_ENABLED", parse::bool)?,
                debounce: ms("WATCHER_DEBOUNCE_MS")?,
                batch: ms("WATCHER_BATCH_MS")?,
                git_cooldown: ms("WATCHER_GIT_COOLDOWN_MS")?,
            },
            agent: AgentConfig {
                allowed_commands: opt(sources, "AGENT_ALLOWED_COMMANDS", parse::command_lines)?
                    .unwrap_or_default(),
                run_timeout: Duration::from_secs(req(sources, "AGENT_RUN_TIMEOUT_SECS", int(1, 604_800))?),
            },
            data_dir,
        })
    }

    /// A config for tests and tools: defaults, with the data dir given.
    pub fn with_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        let mut env = std::collections::HashMap::new();
        env.insert("MIRA_DATA_DIR".to_string(), data_dir.into().display().to_string());
        Self::from_sources(&Sources {
            env,
            ..Sources::default()
        })
        .expect("defaults are valid")
    }
}

#[cfg(test)]
mod tests;
