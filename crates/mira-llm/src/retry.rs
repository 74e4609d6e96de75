//! Retrying calls that failed for a reason that may pass: exponential backoff with full
//! jitter, and the server's retry-after when it gives one.

use std::future::Future;
use std::time::Duration;

use crate::error::LlmError;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry (doubled each time, then jittered).
    pub base: Duration,
    pub max_delay: Duration,
    /// A retry-after longer than this is not waited for: the error goes back to the
    /// caller (the router then tries another provider).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based), or `None` to give up.
    pub fn delay(&self, attempt: u32, error: &LlmError) -> Option<Duration> {
        if attempt >= self.max_retries || !error.retryable() {
            return None;
        }
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        // Full jitter: concurrent clients that failed together spread out.
        let fraction = (getrandom::u32().unwrap_or(u32::MAX / 2) as f64) / (u32::MAX as f64);
        let jittered = ceiling.mul_f64(0.5 + fraction / 2.0);
        match error.retry_after() {
            Some(after) if after > self.max_retry_after => None,
            Some(after) => Some(after.max(jittered.min(after + self.base))),
            None => Some(jittered),
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<T, LlmError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, LlmError>>,
    {
        let mut n = 0;
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => match self.delay(n, &e) {
                    Some(wait) => {
                        tracing::debug!(error = %e, wait_ms = wait.as_millis() as u64, "retrying model call");
                        tokio::time::sleep(wait).await;
                        n += 1;
                    }
                    None => return Err(e),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(after: Option<Duration>) -> LlmError {
        LlmError::RateLimited {
            provider: "p".into(),
            retry_after: after,
            message: String::new(),
        }
    }

    #[test]
    fn delays_grow_and_stay_in_bounds() {
        let p = RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        for attempt in 0..5 {
            let d = p.delay(attempt, &limited(None)).unwrap();
            let ceiling = Duration::from_millis(100 * (1 << attempt)).min(Duration::from_millis(1000));
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
        }
        assert_eq!(p.delay(5, &limited(None)), None, "retries are bounded");
    }

    #[test]
    fn retry_after_is_honoured_and_long_ones_are_not_waited_for() {
        let p = RetryPolicy::default();
        let d = p.delay(0, &limited(Some(Duration::from_secs(2)))).unwrap();
        assert!(d >= Duration::from_secs(2), "{d:?}");
        assert_eq!(p.delay(0, &limited(Some(Duration::from_secs(3600)))), None);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let e = LlmError::Auth {
            provider: "p".into(),
            setting: "K".into(),
            message: "bad".into(),
        };
        assert_eq!(RetryPolicy::default().delay(0, &e), None);
    }
}
