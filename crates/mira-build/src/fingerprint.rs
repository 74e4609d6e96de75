//! The identity of an error across runs: the same mistake reported again, after lines
//! moved or a temp dir changed, is one `build_errors` row seen twice.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;

static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"`[^`]*`|'[^'\s][^']*'|"[^"]*"|‘[^’]*’"#).expect("valid"));

/// The message with what varies between occurrences replaced: quoted identifiers and
/// types, paths, numbers, addresses (see `mira_git::fixes::normalize`).
pub fn normalized_message(message: &str) -> String {
    let quoted = QUOTED.replace_all(message, "<q>");
    mira_git::fixes::normalize(&quoted)
}

/// A hex SHA-256 of tool, code, normalised message and file: the dedup key.
pub fn error_hash(d: &Diagnostic) -> String {
    let mut h = Sha256::new();
    for part in [
        d.tool.as_str(),
        d.code.as_deref().unwrap_or(""),
        &normalized_message(&d.message),
        d.file.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!("{:x}", h.finalize())
}

/// The text that `mira fixes` fingerprints for this diagnostic, so a pasted error and a
/// recorded one meet in `historical_fixes`.
pub fn error_text(d: &Diagnostic) -> String {
    match &d.code {
        Some(code) => format!("{}[{code}]: {}", d.severity.as_str(), d.message),
        None => format!("{}: {}", d.severity.as_str(), d.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Severity, Tool};

    #[test]
    fn moved_lines_and_other_names_are_the_same_error() {
        let a = Diagnostic::new(
            Tool::Rustc,
            Severity::Error,
            "cannot find value `tok3n` in this scope",
        )
        .with_code("E0425")
        .at("src/auth.rs", Some(12), Some(5));
        let b = Diagnostic::new(
            Tool::Rustc,
            Severity::Error,
            "cannot find value `user` in this scope",
        )
        .with_code("E0425")
        .at("./src/auth.rs", Some(40), Some(9));
        assert_eq!(error_hash(&a), error_hash(&b));
        let other_file = b.clone().at("src/main.rs", Some(40), Some(9));
        assert_ne!(error_hash(&a), error_hash(&other_file));
        let other_code = Diagnostic {
            code: Some("E0308".into()),
            ..a.clone()
        };
        assert_ne!(error_hash(&a), error_hash(&other_code));
        assert_eq!(
            normalized_message("Type 'string' is not assignable to type 'number'."),
            "Type <q> is not assignable to type <q>."
        );
    }
}
