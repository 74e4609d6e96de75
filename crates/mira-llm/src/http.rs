//! What the remote providers share: one reqwest client, sending with retries and
//! timeouts, turning HTTP failures into typed errors, and reading SSE streams.

use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use crate::error::LlmError;
use crate::retry::RetryPolicy;
use crate::scrub::Scrubber;

#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    /// A whole non-streaming answer, or the response head of a stream.
    pub timeout: Duration,
    /// Longest silence inside a stream.
    pub stream_idle: Duration,
    pub retry: RetryPolicy,
}

impl HttpSettings {
    pub fn from_config(config: &mira_core::config::LlmConfig) -> Self {
        Self {
            timeout: config.timeout,
            stream_idle: config.stream_idle,
            retry: RetryPolicy {
                max_retries: config.max_retries,
                ..RetryPolicy::default()
            },
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            stream_idle: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// The HTTP side of one provider.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    pub settings: HttpSettings,
    /// Provider id, for error messages.
    pub provider: &'static str,
    /// The setting that holds the key, named in auth errors.
    pub key_setting: &'static str,
    /// Cuts the provider's key (and any credential shape) out of every error made here.
    pub scrubber: Scrubber,
}

impl Http {
    pub fn new(provider: &'static str, key_setting: &'static str, settings: HttpSettings) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(settings.timeout))
            .user_agent(concat!("mira/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        Self {
            client,
            settings,
            provider,
            key_setting,
            scrubber: Scrubber::default(),
        }
    }

    /// Scrubs `key` from the errors of this provider (see [`crate::scrub`]).
    pub fn with_key(mut self, key: Option<&mira_core::Secret>) -> Self {
        self.scrubber = Scrubber::new(key.cloned());
        self
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// POSTs JSON and reads a JSON answer, retrying what may pass.
    pub async fn post_json(
        &self,
        build: impl Fn() -> RequestBuilder,
        body: &Value,
    ) -> Result<Value, LlmError> {
        self.settings
            .retry
            .run(|| async {
                let response = self.send_once(build().json(body)).await?;
                let read = tokio::time::timeout(self.settings.timeout, response.bytes());
                let bytes = read
                    .await
                    .map_err(|_| self.timeout())?
                    .map_err(|e| self.transport(&e))?;
                serde_json::from_slice(&bytes).map_err(|e| {
                    self.scrubber.error(LlmError::protocol(
                        self.provider,
                        format!(
                            "answer is not JSON ({e}): {:.200}",
                            String::from_utf8_lossy(&bytes)
                        ),
                    ))
                })
            })
            .await
    }

    /// POSTs JSON and opens the answer as an SSE stream, retrying until the response
    /// head arrives. Nothing is retried once events flow: they may have been shown.
    pub async fn post_sse(
        &self,
        build: impl Fn() -> RequestBuilder,
        body: &Value,
    ) -> Result<impl Stream<Item = Result<Event, LlmError>> + Send + 'static, LlmError> {
        let response = self
            .settings
            .retry
            .run(|| self.send_once(build().json(body)))
            .await?;
        Ok(self.sse(response))
    }

    async fn send_once(&self, request: RequestBuilder) -> Result<Response, LlmError> {
        let response = tokio::time::timeout(self.settings.timeout, request.send())
            .await
            .map_err(|_| self.timeout())?
            .map_err(|e| self.transport(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let headers = response.headers().clone();
        let body = tokio::time::timeout(self.settings.timeout, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        Err(self
            .scrubber
            .error(classify(self.provider, self.key_setting, status, &headers, &body)))
    }

    fn sse(&self, response: Response) -> impl Stream<Item = Result<Event, LlmError>> + Send + 'static {
        let provider = self.provider;
        let idle = self.settings.stream_idle;
        let scrubber = self.scrubber.clone();
        let events = response.bytes_stream().eventsource();
        futures_util::stream::unfold(Some(events), move |state| {
            let scrubber = scrubber.clone();
            async move {
                let mut events = state?;
                match tokio::time::timeout(idle, events.next()).await {
                    Err(_) => Some((
                        Err(LlmError::Timeout {
                            provider: provider.to_string(),
                            after: idle,
                        }),
                        None,
                    )),
                    Ok(None) => None,
                    Ok(Some(Ok(event))) => Some((Ok(event), Some(events))),
                    Ok(Some(Err(e))) => Some((
                        Err(scrubber.error(LlmError::Transport {
                            provider: provider.to_string(),
                            message: format!("the stream broke off: {e}"),
                        })),
                        None,
                    )),
                }
            }
        })
    }

    pub fn timeout(&self) -> LlmError {
        LlmError::Timeout {
            provider: self.provider.to_string(),
            after: self.settings.timeout,
        }
    }

    fn transport(&self, e: &reqwest::Error) -> LlmError {
        if e.is_timeout() {
            return self.timeout();
        }
        // Without the URL: it is the provider's public endpoint and never carries a key
        // (keys go in headers), but the message is clearer without it.
        let mut message = e.without_url_ref().to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        self.scrubber.error(LlmError::Transport {
            provider: self.provider.to_string(),
            message,
        })
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(&format!(" for url ({url})"), "");
        }
        text
    }
}

/// The message inside a provider's error body (`{"error": {"message": ...}}` for all
/// three), else the body itself, shortened.
pub fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.pointer("/0/error/message"))
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let text = message.unwrap_or_else(|| body.trim().to_string());
    let mut short: String = text.chars().take(300).collect();
    if short.is_empty() {
        short = "no details".into();
    }
    short
}

/// Turns a failed HTTP answer into the error the caller can act on.
pub fn classify(
    provider: &str,
    key_setting: &str,
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> LlmError {
    let message = error_message(body);
    let lower = body.to_ascii_lowercase();
    let p = provider.to_string();
    let context_words = [
        "context_length_exceeded",
        "context length",
        "prompt is too long",
        "maximum context",
        "too many tokens",
        "exceeds the maximum number of tokens",
        "input token count",
    ];
    match status.as_u16() {
        401 | 403 => LlmError::Auth {
            provider: p,
            setting: key_setting.to_string(),
            message,
        },
        400 if lower.contains("api_key_invalid") || lower.contains("api key not valid") => LlmError::Auth {
            provider: p,
            setting: key_setting.to_string(),
            message,
        },
        429 => LlmError::RateLimited {
            provider: p,
            retry_after: retry_after(headers, body),
            message,
        },
        408 => LlmError::Timeout {
            provider: p,
            after: Duration::ZERO,
        },
        413 => LlmError::ContextTooLong { provider: p, message },
        400..=499 if context_words.iter().any(|w| lower.contains(w)) => {
            LlmError::ContextTooLong { provider: p, message }
        }
        400..=499
            if lower.contains("content_policy")
                || lower.contains("content_filter")
                || lower.contains("safety") =>
        {
            LlmError::ContentFiltered { provider: p, message }
        }
        500..=599 => LlmError::Unavailable {
            provider: p,
            why: format!("HTTP {}: {message}", status.as_u16()),
        },
        code => LlmError::BadRequest {
            provider: p,
            status: code,
            message,
        },
    }
}

/// `Retry-After` in seconds or as an HTTP date, OpenAI's `retry-after-ms`, or the
/// `retryDelay` of Gemini's RetryInfo (`"37s"`).
pub fn retry_after(headers: &HeaderMap, body: &str) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    }
    if let Some(value) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if let Ok(secs) = value.parse::<f64>() {
            return Some(Duration::from_secs_f64(secs.max(0.0)));
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
            return Some(wait.to_std().unwrap_or(Duration::ZERO));
        }
    }
    let parsed: Value = serde_json::from_str(body).ok()?;
    let details = parsed.pointer("/error/details")?.as_array()?;
    details.iter().find_map(|d| {
        let delay = d.get("retryDelay")?.as_str()?;
        let secs: f64 = delay.strip_suffix('s')?.parse().ok()?;
        Some(Duration::from_secs_f64(secs.max(0.0)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_typed_errors() {
        let h = HeaderMap::new();
        let c =
            |code: u16, body: &str| classify("p", "K", StatusCode::from_u16(code).unwrap(), &h, body).kind();
        assert_eq!(c(401, r#"{"error":{"message":"bad key"}}"#), "auth");
        assert_eq!(
            c(
                400,
                r#"{"error":{"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#
            ),
            "auth"
        );
        assert_eq!(c(429, "{}"), "rate_limited");
        assert_eq!(
            c(
                400,
                r#"{"error":{"code":"context_length_exceeded","message":"too long"}}"#
            ),
            "context_too_long"
        );
        assert_eq!(
            c(400, r#"{"error":{"code":"content_policy_violation"}}"#),
            "content_filtered"
        );
        assert_eq!(c(503, "overloaded"), "unavailable");
        assert_eq!(
            c(
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "unavailable"
        );
        assert_eq!(c(404, "no such model"), "bad_request");
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h, ""), Some(Duration::from_secs(3)));
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&h, ""), Some(Duration::from_millis(250)));
        let body = r#"{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#;
        assert_eq!(
            retry_after(&HeaderMap::new(), body),
            Some(Duration::from_secs(37))
        );
    }

    #[test]
    fn error_messages_are_read_from_the_body() {
        assert_eq!(error_message(r#"{"error":{"message":"nope"}}"#), "nope");
        assert_eq!(error_message(""), "no details");
    }
}
