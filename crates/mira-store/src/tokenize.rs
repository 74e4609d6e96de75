//! Code-aware terms for BM25 and for highlighting: identifiers are kept whole and split
//! at `snake_case`, `camelCase`, `PascalCase`, `HTTPServer`-style and letter/digit
//! boundaries; paths split at their separators; the parts are stemmed (English Snowball)
//! so that `parsing` finds `parse`.

use std::sync::OnceLock;

use qdrant_rust_stemmers::{Algorithm, Stemmer};

/// English words too common to tell documents apart. Code keywords are not here: the
/// store's IDF already weighs them down, and `fn` or `async` can be what one looks for.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "has",
    "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "so",
    "than", "that", "the", "their", "them", "then", "there", "these", "this", "those", "to", "was", "we",
    "were", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
];

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Splits an identifier into its lowercase parts: `parseHTTPRequest2` -> `parse`, `http`,
/// `request`, `2`; `max_file_bytes` -> `max`, `file`, `bytes`.
pub fn identifier_parts(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut parts = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|j| chars.get(j)) {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic())
                // The last capital of a run starts the next word: `HTTPServer` -> HTTP, Server.
                || (prev.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase));
            if boundary && !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The words of a text: maximal runs of letters, digits and `_`.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

fn stem(part: &str) -> String {
    if part.chars().all(|c| c.is_ascii_alphabetic()) {
        stemmer().stem(part).into_owned()
    } else {
        part.to_string()
    }
}

/// Calls `emit` with every term of `text`, in order: for each word its parts (stemmed,
/// stopwords and one-letter parts left out) and, when it has more than one part, the
/// whole identifier lowercased (`parse_config`), so an exact identifier scores higher
/// than its parts scattered.
pub fn for_each_term(text: &str, mut emit: impl FnMut(String)) {
    for word in words(text) {
        let parts = identifier_parts(word);
        let mut kept = 0;
        for part in &parts {
            if part.chars().count() < 2 || is_stopword(part) {
                continue;
            }
            kept += 1;
            emit(stem(part));
        }
        if parts.len() > 1 && kept > 0 {
            let whole = word.to_lowercase().trim_matches('_').to_string();
            if whole.chars().count() >= 2 {
                emit(whole);
            }
        }
    }
}

pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_at_every_convention() {
        assert_eq!(
            identifier_parts("parseHTTPRequest2"),
            ["parse", "http", "request", "2"]
        );
        assert_eq!(identifier_parts("max_file_bytes"), ["max", "file", "bytes"]);
        assert_eq!(identifier_parts("HttpServer"), ["http", "server"]);
        assert_eq!(identifier_parts("__init__"), ["init"]);
        assert_eq!(identifier_parts("IOError"), ["io", "error"]);
    }

    #[test]
    fn terms_stem_parts_and_keep_the_whole_identifier() {
        let t = terms("fn parse_config(path: &Path) // Parsing the configs");
        assert!(t.contains(&"pars".to_string()), "{t:?}");
        assert!(t.contains(&"parse_config".to_string()), "{t:?}");
        assert!(t.contains(&"config".to_string()), "{t:?}");
        // `the` is a stopword; `fn` is kept (two letters, a keyword one may look for).
        assert!(!t.contains(&"the".to_string()));
        assert!(t.contains(&"fn".to_string()));
        assert_eq!(terms("parsing"), terms("parse"));
    }

    #[test]
    fn paths_split_at_separators() {
        assert_eq!(terms("src/store/db.rs"), ["src", "store", "db", "rs"]);
    }
}
