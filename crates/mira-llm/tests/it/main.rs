//! Integration tests of mira-llm: every remote provider against a local server that
//! checks the requests and speaks the provider's wire format, and the cache, budget,
//! router and gateway over a real SQLite database.

mod harness;
mod server;

mod anthropic;
mod chat;
mod compat;
mod embed;
mod gateway;
mod gemini;
mod lease;
mod openai;
mod secrets;

use std::time::Duration;

use mira_llm::http::HttpSettings;
use mira_llm::retry::RetryPolicy;

/// Short timeouts and retry delays, so failure cases run in milliseconds.
pub fn fast_settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_millis(1500),
        stream_idle: Duration::from_millis(300),
        retry: RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
    }
}
