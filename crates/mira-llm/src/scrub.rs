//! Keeps API keys out of provider error messages.
//!
//! Providers and proxies echo what they were sent (`Incorrect API key provided: Bearer
//! sk-...`), and such a message is shown in the chat, logged and stored in the budget
//! and conversation tables. Every error a provider returns is scrubbed here before any
//! of that: the provider's own configured key is cut out wherever it appears, and so is
//! anything shaped like a credential (`Bearer <token>`, `sk-...`, a Google `AIza...`
//! key, a `key=` query parameter, a private key block, GitHub, AWS, Slack, Stripe and JWT
//! tokens), whoever's key it is. A chat message is cleaned the same way before it is
//! stored or sent ([`credentials`]).

use std::sync::LazyLock;

use mira_core::Secret;
use regex::Regex;

use crate::error::LlmError;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Configured keys shorter than this are not searched for: replacing every `abc` in a
/// message would garble it and protect nothing. Real keys are far longer.
const MIN_KEY_LEN: usize = 8;

/// Credential shapes, each with the replacement that keeps the message readable.
static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=*-]+", "$1 [redacted]"),
        (r"\bsk-[A-Za-z0-9_*-]{6,}", "sk-[redacted]"),
        (r"\bAIza[0-9A-Za-z_-]{20,}", "[redacted]"),
        (r"(?i)([?&](?:api_?)?key=)[^&\s\x22']+", "$1[redacted]"),
        // A PEM private key whole, or from its header to the end when cut short.
        (
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
            "[redacted private key]",
        ),
        (r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b", "[redacted]"),
        (r"\bgithub_pat_[A-Za-z0-9_]{20,}\b", "[redacted]"),
        (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", "[redacted]"),
        (r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b", "[redacted]"),
        (
            r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",
            "[redacted]",
        ),
        (r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}\b", "[redacted]"),
    ]
    .into_iter()
    .map(|(pattern, with)| (Regex::new(pattern).expect("a valid pattern"), with))
    .collect()
});

/// `text` with everything shaped like a credential replaced (whoever's it is): what a
/// user pastes into a chat is stored and sent without them.
pub fn credentials(text: &str) -> String {
    let mut out = text.to_string();
    for (shape, with) in SHAPES.iter() {
        if shape.is_match(&out) {
            out = shape.replace_all(&out, *with).into_owned();
        }
    }
    out
}

/// Scrubs the configured keys it was given and every credential shape.
#[derive(Clone, Default)]
pub struct Scrubber {
    keys: Vec<Secret>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrubber")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl Scrubber {
    pub fn new(keys: impl IntoIterator<Item = Secret>) -> Self {
        Self {
            keys: keys
                .into_iter()
                .filter(|k| k.expose().trim().len() >= MIN_KEY_LEN)
                .collect(),
        }
    }

    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for key in &self.keys {
            let key = key.expose().trim();
            if out.contains(key) {
                out = out.replace(key, REDACTED);
            }
        }
        credentials(&out)
    }

    /// The same error with every message in it scrubbed.
    pub fn error(&self, error: LlmError) -> LlmError {
        let s = |m: String| self.text(&m);
        match error {
            LlmError::Auth {
                provider,
                setting,
                message,
            } => LlmError::Auth {
                provider,
                setting,
                message: s(message),
            },
            LlmError::RateLimited {
                provider,
                retry_after,
                message,
            } => LlmError::RateLimited {
                provider,
                retry_after,
                message: s(message),
            },
            LlmError::ContextTooLong { provider, message } => LlmError::ContextTooLong {
                provider,
                message: s(message),
            },
            LlmError::ContentFiltered { provider, message } => LlmError::ContentFiltered {
                provider,
                message: s(message),
            },
            LlmError::Transport { provider, message } => LlmError::Transport {
                provider,
                message: s(message),
            },
            LlmError::Unavailable { provider, why } => LlmError::Unavailable {
                provider,
                why: s(why),
            },
            LlmError::Protocol { provider, message } => LlmError::Protocol {
                provider,
                message: s(message),
            },
            LlmError::BadRequest {
                provider,
                status,
                message,
            } => LlmError::BadRequest {
                provider,
                status,
                message: s(message),
            },
            LlmError::Store(message) => LlmError::Store(s(message)),
            other @ (LlmError::Timeout { .. } | LlmError::BudgetExceeded { .. } | LlmError::Cancelled) => {
                other
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_credential_shapes_are_cut_out() {
        let scrubber = Scrubber::new([Secret::new("local-proxy-key-0042"), Secret::new("abc")]);
        let text = scrubber.text(
            "Incorrect API key provided: Bearer sk-proj-AbC123xyz789. key local-proxy-key-0042, \
             url ?key=AIzaSyA1234567890abcdefghijk&alt=sse; abc stays; a task-runner stays",
        );
        assert!(!text.contains("sk-proj-AbC123xyz789"), "{text}");
        assert!(!text.contains("local-proxy-key-0042"), "{text}");
        assert!(!text.contains("AIzaSyA1234567890"), "{text}");
        assert!(text.contains("Bearer [redacted]"), "{text}");
        assert!(
            text.contains("abc stays") && text.contains("task-runner stays"),
            "{text}"
        );
        let error = scrubber.error(LlmError::Auth {
            provider: "compat".into(),
            setting: "OPENAI_API_KEY".into(),
            message: "bad key sk-live-1234567890".into(),
        });
        assert!(!error.to_string().contains("1234567890"), "{error}");
    }
}
