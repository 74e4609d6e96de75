//! Typed errors of model calls. Each says what happened and what to do; `retryable`
//! says whether the same call may succeed when tried again.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("{provider}: the API key was refused ({message}); check {setting}")]
    Auth {
        provider: String,
        setting: String,
        message: String,
    },
    #[error("{provider}: rate limited{}; {message}", retry_after.map(|d| format!(" (retry after {:.1}s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        provider: String,
        retry_after: Option<Duration>,
        message: String,
    },
    #[error(
        "{provider}: the request is longer than the model's context window ({message}); shorten the conversation or the context"
    )]
    ContextTooLong { provider: String, message: String },
    #[error("{provider}: the provider's safety filter blocked the request or the answer ({message})")]
    ContentFiltered { provider: String, message: String },
    #[error("{provider}: connection failed: {message}")]
    Transport { provider: String, message: String },
    #[error("{provider}: no answer within {}s; raise LLM_TIMEOUT_SECS or LLM_STREAM_IDLE_SECS if the model is slow", after.as_secs())]
    Timeout { provider: String, after: Duration },
    #[error("{provider} is unavailable: {why}")]
    Unavailable { provider: String, why: String },
    /// The provider answered with something this client cannot read (a malformed or
    /// cut-off stream, an unexpected shape).
    #[error("{provider}: unreadable answer: {message}")]
    Protocol { provider: String, message: String },
    /// The request itself is wrong (unknown model, bad parameter).
    #[error("{provider}: the request was refused ({status}): {message}")]
    BadRequest {
        provider: String,
        status: u16,
        message: String,
    },
    #[error(
        "budget: this call (estimated ${estimate:.4}) would pass the {period} limit of ${limit:.2} (spent ${spent:.4}); raise BUDGET_{}_LIMIT_USD, wait for the next {period}, or use a cheaper tier", period.to_uppercase()
    )]
    BudgetExceeded {
        period: String,
        limit: f64,
        spent: f64,
        estimate: f64,
    },
    #[error("the call was cancelled")]
    Cancelled,
    #[error("storage: {0}")]
    Store(String),
}

impl LlmError {
    /// Rate limits, server errors, dropped connections and timeouts may pass on retry.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Transport { .. }
                | Self::Timeout { .. }
                | Self::Unavailable { .. }
        )
    }

    /// Whether another provider might serve the same call: anything that is about this
    /// provider rather than about the request.
    pub fn try_elsewhere(&self) -> bool {
        self.retryable() || matches!(self, Self::Auth { .. } | Self::Protocol { .. })
    }

    /// A short stable name for logs, metrics and the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Auth { .. } => "auth",
            Self::RateLimited { .. } => "rate_limited",
            Self::ContextTooLong { .. } => "context_too_long",
            Self::ContentFiltered { .. } => "content_filtered",
            Self::Transport { .. } => "transport",
            Self::Timeout { .. } => "timeout",
            Self::Unavailable { .. } => "unavailable",
            Self::Protocol { .. } => "protocol",
            Self::BadRequest { .. } => "bad_request",
            Self::BudgetExceeded { .. } => "budget_exceeded",
            Self::Cancelled => "cancelled",
            Self::Store(_) => "store",
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn unavailable(provider: &str, why: impl Into<String>) -> Self {
        Self::Unavailable {
            provider: provider.to_string(),
            why: why.into(),
        }
    }

    pub fn protocol(provider: &str, message: impl Into<String>) -> Self {
        Self::Protocol {
            provider: provider.to_string(),
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for LlmError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.to_string())
    }
}
