//! What can stop an operation, or a call on it, with a kind the API maps to a status.

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The request cannot be served as given (empty task, local model, bad mode).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// A checkpoint prefix names more than one checkpoint.
    #[error("{0}")]
    Ambiguous(String),
    #[error(transparent)]
    Llm(#[from] mira_llm::LlmError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("{0}")]
    Io(String),
}

impl AgentError {
    /// A short word for the kind of failure (`failed {kind}` events, JSON errors).
    pub fn kind(&self) -> &str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::NotFound(_) => "not_found",
            Self::Ambiguous(_) => "ambiguous",
            Self::Llm(e) => e.kind(),
            Self::Sql(_) => "database",
            Self::Io(_) => "io",
        }
    }
}

impl From<mira_store::StoreError> for AgentError {
    fn from(e: mira_store::StoreError) -> Self {
        match e {
            mira_store::StoreError::ProjectNotFound(_) => Self::NotFound(e.to_string()),
            other => Self::Io(other.to_string()),
        }
    }
}
