//! Nothing secret is remembered: credentials (the shapes the LLM layer cuts from
//! provider errors and chat messages: API keys, tokens, private keys), `password=`-style
//! assignments and e-mail addresses are replaced before a turn or a fact is stored,
//! embedded or logged.

use std::sync::LazyLock;

use mira_llm::scrub::Scrubber;
use regex::Regex;

pub const REDACTED: &str = mira_llm::scrub::REDACTED;

static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (
            r#"(?i)\b(password|passwd|pwd|passphrase|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)(\s*(?:is|=|:)\s*)["']?[^\s"',;]{4,}["']?"#,
            "$1$2[redacted]",
        ),
        (r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b", "[email redacted]"),
    ]
    .into_iter()
    .map(|(pattern, with)| (Regex::new(pattern).expect("a valid pattern"), with))
    .collect()
});

/// The text with every secret and e-mail address replaced. `keys` are configured
/// provider keys, cut out wherever they appear.
pub fn clean(text: &str, keys: &Scrubber) -> String {
    let mut out = text.to_string();
    for (shape, with) in SHAPES.iter() {
        if shape.is_match(&out) {
            out = shape.replace_all(&out, *with).into_owned();
        }
    }
    keys.text(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_addresses_are_cut_and_the_rest_kept() {
        let keys = Scrubber::new([mira_core::Secret::new("custom-key-1234567890")]);
        let text = "my key is sk-abcdefghijklmnop and the db password: hunter22x, \
                    token ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789, aws AKIAABCDEFGHIJKLMNOP, \
                    mail jane.doe@example.com, custom custom-key-1234567890, \
                    -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done. \
                    We use pytest.";
        let out = clean(text, &keys);
        for secret in [
            "abcdefghijklmnop",
            "hunter22x",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "AKIAABCDEFGHIJKLMNOP",
            "jane.doe@example.com",
            "custom-key-1234567890",
            "MIIEow",
        ] {
            assert!(!out.contains(secret), "{secret} kept in {out}");
        }
        assert!(out.contains("We use pytest."), "{out}");
        assert!(out.contains("password: [redacted]"), "{out}");
    }
}
