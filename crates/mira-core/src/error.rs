//! Error codes shared by the HTTP API and the WebSocket protocol (docs/protocol.md).

use serde::{Deserialize, Serialize};

/// A machine-readable error kind. The wire form is the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Missing, malformed, wrong or expired token.
    Unauthorized,
    /// The path leaves the project root or is otherwise not allowed.
    Forbidden,
    NotFound,
    /// The request is well-formed but its content is wrong.
    BadRequest,
    /// Too many requests from this client; retry after the time given.
    RateLimited,
    /// A WebSocket frame that is not valid JSON of the protocol's shape.
    BadFrame,
    /// A WebSocket frame over the configured size limit.
    FrameTooLarge,
    /// A WebSocket request type the server does not know.
    UnknownType,
    /// A resource already exists (for example a project registered twice).
    Conflict,
    /// A dependency (database, vector store) does not answer.
    Unavailable,
    /// What was asked needs an index the project does not have yet (`mira index`).
    NotIndexed,
    /// (HTTP only) the route exists but not with this method.
    MethodNotAllowed,
    /// (HTTP only) a request body over the route's limit.
    PayloadTooLarge,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::BadRequest => "bad_request",
            Self::RateLimited => "rate_limited",
            Self::BadFrame => "bad_frame",
            Self::FrameTooLarge => "frame_too_large",
            Self::UnknownType => "unknown_type",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::NotIndexed => "not_indexed",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Internal => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_as_str() {
        for code in [
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::BadRequest,
            ErrorCode::RateLimited,
            ErrorCode::BadFrame,
            ErrorCode::FrameTooLarge,
            ErrorCode::UnknownType,
            ErrorCode::Conflict,
            ErrorCode::Unavailable,
            ErrorCode::NotIndexed,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Internal,
        ] {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, serde_json::Value::String(code.as_str().to_string()));
        }
    }
}
