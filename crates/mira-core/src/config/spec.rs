//! The list of every setting Mira reads: its name, default and what it accepts.
//!
//! `.env.example` at the repository root mirrors this table; a test keeps them equal.

/// One setting: an environment variable name (also the key in `mira.toml`).
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    /// The default as written in `.env.example`; empty means unset.
    pub default: &'static str,
    /// What the value may be, in words, used in error messages.
    pub accepts: &'static str,
    pub help: &'static str,
}

const fn s(key: &'static str, default: &'static str, accepts: &'static str, help: &'static str) -> Setting {
    Setting {
        key,
        default,
        accepts,
        help,
    }
}

pub const SETTINGS: &[Setting] = &[
    // Server
    s(
        "MIRA_HOST",
        "127.0.0.1",
        "an IP address",
        "Address the server binds to. Keep 127.0.0.1 unless a proxy in front handles TLS.",
    ),
    s(
        "MIRA_PORT",
        "3001",
        "a port number from 0 to 65535 (0 picks a free port)",
        "Port of the HTTP and WebSocket server.",
    ),
    s(
        "MIRA_DATA_DIR",
        "",
        "a directory path",
        "Where Mira keeps its database, vectors, secret and token. Default: the platform data dir (~/.local/share/mira).",
    ),
    s(
        "MIRA_UI_DIR",
        "",
        "a directory path",
        "The built web UI (frontend/dist). Default: frontend/dist of the source tree Mira was built from.",
    ),
    s(
        "MIRA_LOG",
        "info",
        "a tracing filter such as info, debug or mira_server=debug",
        "Log level filter.",
    ),
    s(
        "MIRA_TOKEN_TTL_DAYS",
        "30",
        "a whole number of days from 1 to 3650",
        "Lifetime of the access token created by `mira token`.",
    ),
    s(
        "MIRA_SHUTDOWN_TIMEOUT_SECS",
        "10",
        "a whole number of seconds from 1 to 600",
        "How long shutdown waits for in-flight requests before closing anyway.",
    ),
    s(
        "MIRA_MAX_FILE_BYTES",
        "2097152",
        "a whole number of bytes from 1024 to 1073741824",
        "Files larger than this are answered with metadata only.",
    ),
    s(
        "MIRA_WS_MAX_FRAME_BYTES",
        "1048576",
        "a whole number of bytes from 1024 to 16777216",
        "Largest WebSocket frame accepted; larger ones get an error frame.",
    ),
    s(
        "MIRA_HEADER_TIMEOUT_SECS",
        "10",
        "a whole number of seconds from 1 to 3600",
        "Time a connection has to send a request's complete headers, counted from when it opens or its previous response ends; a connection that sends nothing (an idle keep-alive) is closed then too.",
    ),
    s(
        "MIRA_MAX_CONNECTIONS",
        "",
        "a whole number from 1 to 1000000",
        "Most client connections open at once (WebSockets included). At the cap, a new connection closes the oldest one that has not sent a request yet, or waits. Default: the open-file limit (RLIMIT_NOFILE) less a quarter of it (at least 128) kept for the stores.",
    ),
    s(
        "MIRA_WS_HEARTBEAT_SECS",
        "15",
        "a whole number of seconds from 1 to 3600",
        "Interval of heartbeat frames on the WebSocket.",
    ),
    // Rate limits
    s(
        "RATE_LIMIT_ENABLED",
        "true",
        "true or false",
        "Rate limiting of /api, /ws and /mcp: per access token, and one shared budget for requests without a valid token.",
    ),
    s(
        "RATE_LIMIT_PER_SECOND",
        "20",
        "a whole number from 1 to 100000",
        "Requests per second each access token may sustain.",
    ),
    s(
        "RATE_LIMIT_BURST",
        "100",
        "a whole number from 1 to 100000",
        "Requests each access token may send at once before being limited.",
    ),
    s(
        "RATE_LIMIT_UNAUTHENTICATED_PER_SECOND",
        "5",
        "a whole number from 1 to 100000",
        "Requests per second sustained by all requests without a valid token together (they share one budget, apart from the tokens').",
    ),
    s(
        "RATE_LIMIT_UNAUTHENTICATED_BURST",
        "20",
        "a whole number from 1 to 100000",
        "Requests without a valid token allowed at once, all clients together, before they are limited.",
    ),
    // Vector store
    s(
        "QDRANT_URL",
        "",
        "a URL such as http://localhost:6334 (gRPC port), or empty for the embedded store",
        "Use a Qdrant server instead of the embedded engine.",
    ),
    s(
        "QDRANT_API_KEY",
        "",
        "any string",
        "API key for the Qdrant server.",
    ),
    s(
        "MIRA_EMBED_DIM",
        "384",
        "a whole number from 8 to 8192",
        "Dimension of dense vectors in the code, conversation and git collections (384 for all-MiniLM-L6-v2).",
    ),
    s(
        "MIRA_EMBEDDER",
        "local",
        "local, gemini, openai or compat",
        "Which embedder makes the dense vectors of semantic search: the local model, or a provider's embedding API (its key must be set).",
    ),
    s(
        "MIRA_EMBEDDER_MODEL",
        "",
        "a model name",
        "Embedding model of a remote embedder. Default: gemini-embedding-001 (gemini), text-embedding-3-small (openai).",
    ),
    // Local models
    s(
        "MIRA_MODELS_DIR",
        "",
        "a directory path",
        "Where local models are kept. Default: <data dir>/models.",
    ),
    s(
        "MIRA_EMBED_MODEL",
        "",
        "a directory with model.safetensors, tokenizer.json and config.json",
        "Local sentence-embedding model. Default: all-MiniLM-L6-v2 in the models dir.",
    ),
    s(
        "MIRA_LOCAL_MODEL",
        "",
        "a .gguf file",
        "Local chat model. Default: SmolLM2-135M-Instruct in the models dir.",
    ),
    s(
        "MIRA_LOCAL_MODEL_FORMAT",
        "auto",
        "auto, as-stored, f32, f16, q8_0, q4k or int8",
        "How the local chat model's weights are held in memory; auto picks the fastest measured on CPU.",
    ),
    s(
        "MIRA_LOCAL_CONTEXT",
        "4096",
        "a whole number from 64 to 1048576",
        "Most tokens (prompt plus answer) the local chat model holds; bounded by the model's own context.",
    ),
    // Providers
    s(
        "GEMINI_API_KEY",
        "",
        "a Gemini API key",
        "Enables Gemini models and embeddings.",
    ),
    s(
        "OPENAI_API_KEY",
        "",
        "an OpenAI API key",
        "Enables OpenAI models and embeddings.",
    ),
    s(
        "OPENAI_BASE_URL",
        "",
        "a URL",
        "Base URL of an OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio).",
    ),
    s(
        "ANTHROPIC_API_KEY",
        "",
        "an Anthropic API key",
        "Enables Anthropic models.",
    ),
    s(
        "GEMINI_BASE_URL",
        "",
        "a URL",
        "Gemini API base URL. Default: https://generativelanguage.googleapis.com/v1beta.",
    ),
    s(
        "ANTHROPIC_BASE_URL",
        "",
        "a URL",
        "Anthropic API base URL. Default: https://api.anthropic.com/v1.",
    ),
    s(
        "LLM_TIMEOUT_SECS",
        "120",
        "a whole number of seconds from 1 to 3600",
        "How long a model call may take to answer (a whole answer, or the first byte of a stream).",
    ),
    s(
        "LLM_STREAM_IDLE_SECS",
        "60",
        "a whole number of seconds from 1 to 3600",
        "A streaming answer that sends nothing for this long is ended with a timeout error.",
    ),
    s(
        "LLM_MAX_RETRIES",
        "3",
        "a whole number from 0 to 10",
        "Retries of a model call after a rate limit, a server error or a dropped connection (exponential backoff with jitter, honouring retry-after).",
    ),
    s(
        "LLM_MAX_OUTPUT_TOKENS",
        "4096",
        "a whole number from 16 to 1000000",
        "Output tokens a call may produce when it does not say; also what the budget check reserves for the answer.",
    ),
    s(
        "LLM_PRICES",
        "",
        "entries MODEL=INPUT:OUTPUT[:CACHED] in US dollars per million tokens, separated by `;`",
        "Overrides of the built-in price table, for example gpt-5.1=1.25:10:0.125;my-model=0.5:1.",
    ),
    s(
        "LLM_CACHE_ENABLED",
        "true",
        "true or false",
        "Answer repeated model calls from the llm_cache table, and provider embeddings of texts already embedded from embedding_cache.",
    ),
    s(
        "LLM_CACHE_TTL_SECS",
        "604800",
        "a whole number of seconds from 1 to 315360000",
        "How long a cached answer stays valid.",
    ),
    s(
        "LLM_CACHE_MAX_BYTES",
        "268435456",
        "a whole number of bytes from 4096 to 68719476736",
        "Largest size of the cache (and, apart, of the embedding cache); past it the least recently used entries are evicted.",
    ),
    s(
        "MEMORY_MODEL_EXTRACTION",
        "true",
        "true or false",
        "Let the fast tier's provider model read each of your chat messages for facts to remember (through the budget); false: the built-in rules alone. The bundled local model is never used for this.",
    ),
    s(
        "MEMORY_SUMMARY_WINDOW",
        "12",
        "a whole number of turns from 0 to 1000",
        "Personal memory writes a rolling summary of every this many turns of a conversation (fewer when a session ends), by the fast tier's provider model when MEMORY_MODEL_EXTRACTION allows one, else by picking the window's most telling sentences; 0 writes none.",
    ),
    // Model routing
    s(
        "MODEL_ROUTER_ENABLED",
        "true",
        "true or false",
        "Route each call to the fast, voice or thinker tier; false sends every call to MODEL_VOICE.",
    ),
    s(
        "MODEL_FAST",
        "gpt-5.1-mini",
        "a model name, optionally prefixed by a provider (openai:, gemini:, anthropic:, compat:, local:)",
        "Model of the fast tier (file operations, search, simple tasks).",
    ),
    s(
        "MODEL_VOICE",
        "gpt-5.1",
        "a model name, optionally prefixed by a provider (openai:, gemini:, anthropic:, compat:, local:)",
        "Model of the voice tier (chat with the user).",
    ),
    s(
        "MODEL_THINKER",
        "gemini-3-pro-preview",
        "a model name, optionally prefixed by a provider (openai:, gemini:, anthropic:, compat:, local:)",
        "Model of the thinker tier (architecture, multi-file changes, complex debugging).",
    ),
    s(
        "ROUTE_THINKER_TOKEN_THRESHOLD",
        "50000",
        "a whole number of tokens from 1 to 100000000",
        "Calls estimated above this many input tokens go to the thinker tier.",
    ),
    s(
        "ROUTE_THINKER_FILE_COUNT",
        "3",
        "a whole number from 1 to 100000",
        "Tasks that involve more files than this go to the thinker tier.",
    ),
    // Budget
    s(
        "BUDGET_DAILY_LIMIT_USD",
        "5.00",
        "a non-negative amount in US dollars",
        "Paid-model spend allowed per day; calls that would pass it are refused.",
    ),
    s(
        "BUDGET_MONTHLY_LIMIT_USD",
        "100.00",
        "a non-negative amount in US dollars",
        "Paid-model spend allowed per calendar month.",
    ),
    // Git intelligence
    s(
        "GIT_BULK_COMMIT_FILES",
        "50",
        "a whole number from 2 to 1000000",
        "Commits touching more files than this (mass renames, formatting, vendoring) are recorded but left out of co-change and expertise.",
    ),
    s(
        "COCHANGE_MIN_SUPPORT",
        "1",
        "a whole number from 1 to 1000000",
        "Least number of shared commits for a co-change pattern (1: every pair, ranked by recency- and size-weighted evidence; 2 lost 0.03 recall@10 on held-out tokio history).",
    ),
    s(
        "COCHANGE_MIN_CONFIDENCE",
        "0.1",
        "a number from 0 to 1",
        "Least confidence, in either direction, for a co-change pattern.",
    ),
    s(
        "COCHANGE_HALF_LIFE_DAYS",
        "90",
        "a number of days above 0",
        "Age at which a co-change counts half in the recency-weighted score.",
    ),
    s(
        "EXPERTISE_HALF_LIFE_DAYS",
        "180",
        "a number of days above 0",
        "Age at which a commit counts half in the recency part of expertise.",
    ),
    // File watcher
    s(
        "TASK_FILE_WATCHER_ENABLED",
        "true",
        "true or false",
        "Watch registered projects and re-index changed files.",
    ),
    s(
        "WATCHER_DEBOUNCE_MS",
        "100",
        "a whole number of milliseconds from 0 to 600000",
        "Quiet time after the last change event before the changes are re-indexed (a query arriving sooner has them indexed at once).",
    ),
    s(
        "WATCHER_BATCH_MS",
        "1000",
        "a whole number of milliseconds from 0 to 600000",
        "The longest a stream of change events can hold re-indexing back.",
    ),
    s(
        "WATCHER_GIT_COOLDOWN_MS",
        "3000",
        "a whole number of milliseconds from 0 to 600000",
        "Pause after git operations (checkout, rebase) before re-indexing.",
    ),
    // Build integration
    s(
        "BUILD_TIMEOUT_SECS",
        "3600",
        "a whole number of seconds from 1 to 604800",
        "A build or test run still going after this long is stopped and recorded as timed out.",
    ),
    s(
        "BUILD_LOG_MAX_BYTES",
        "67108864",
        "a whole number of bytes from 4096 to 1073741824",
        "Most output kept per run; past it the stored log keeps the start and the end, and the count says how much was cut.",
    ),
    // Agent
    s(
        "AGENT_ALLOWED_COMMANDS",
        "",
        "command lines separated by `;`",
        "Commands the agent's run_build may run besides the build and test commands detected for the project (cargo build/test/check, npm test, npm run build, pytest, go build/test ./...); a command is allowed when one of these is a prefix of its words, for example `make test;just lint`. Nothing runs through a shell.",
    ),
    s(
        "AGENT_RUN_TIMEOUT_SECS",
        "600",
        "a whole number of seconds from 1 to 604800",
        "A build or test the agent runs is stopped after this long (and never later than BUILD_TIMEOUT_SECS).",
    ),
];

/// Looks a setting up by name.
pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}
