//! Every refusal under `/api` and `/ws` in the one documented shape,
//! `{"error": {"code": "...", "message": "..."}}`.
//!
//! Handlers already answer with [`ApiError`], but axum's own refusals (a path parameter
//! that is not a number, a body that is not JSON, a method the route lacks, a body over
//! the limit) are plain text. Rather than wrap every extractor, this layer rewrites any
//! error response that is not JSON, keeping its status, its headers (`Allow`,
//! `Retry-After`) and its text as the message. Unknown `/api` paths end in
//! [`unknown_route`], so they answer 404 JSON instead of the UI page.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mira_core::ErrorCode;

use crate::error::ApiError;

/// The most of a plain-text refusal kept as the message; axum's are one line.
const MAX_MESSAGE_BYTES: usize = 4096;

pub async fn rewrite(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_lowercase()
    } else {
        text
    };
    let error = ApiError::new(code_for(status), message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(error.body().to_string()))
}

/// The answer for a path under `/api` that names no route.
pub async fn unknown_route(uri: Uri) -> Response {
    ApiError::not_found(format!("no API route {}; docs/api.md lists them", uri.path())).into_response()
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn code_for(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => ErrorCode::Unavailable,
        s if s.is_client_error() => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_their_codes() {
        assert_eq!(code_for(StatusCode::UNPROCESSABLE_ENTITY), ErrorCode::BadRequest);
        assert_eq!(
            code_for(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code_for(StatusCode::METHOD_NOT_ALLOWED),
            ErrorCode::MethodNotAllowed
        );
        assert_eq!(code_for(StatusCode::BAD_GATEWAY), ErrorCode::Internal);
    }
}
