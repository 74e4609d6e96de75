//! A hook entry's `matcher`: which targets (tool names, session sources, compaction
//! triggers, notification kinds) it runs for.

use regex::Regex;

/// A compiled matcher. Every form is matched against the whole target, case-sensitively:
///
/// - missing, empty or `*`: everything;
/// - only word characters, `-`, `:` and `|` (`Edit`, `Edit|Write`): exact names;
/// - word characters, `|` and `*` (`write_*`, Mira's older glob form): `*` is any run of
///   characters, everything else literal;
/// - anything else (`Notebook.*`, `mcp__.*__write.*`): a regular expression.
///
/// The glob rule comes before the regex one because `write_*` read as a regex ("write"
/// then any number of `_`) is never what its author meant.
#[derive(Debug, Clone)]
pub struct Matcher {
    source: String,
    compiled: Option<Regex>,
}

impl Matcher {
    /// Compiles `pattern`; the error says what is wrong with the regex.
    pub fn new(pattern: Option<&str>) -> Result<Matcher, String> {
        let source = pattern.unwrap_or("").to_string();
        let trimmed = source.trim();
        if trimmed.is_empty() || trimmed == "*" {
            return Ok(Matcher {
                source,
                compiled: None,
            });
        }
        let anchored = if trimmed.chars().all(is_name_char) {
            let names: Vec<String> = trimmed.split('|').map(regex::escape).collect();
            format!("^(?:{})$", names.join("|"))
        } else if trimmed.chars().all(|c| is_name_char(c) || c == '*') {
            let globs: Vec<String> = trimmed.split('|').map(glob_to_regex).collect();
            format!("^(?:{})$", globs.join("|"))
        } else {
            format!("^(?:{trimmed})$")
        };
        match Regex::new(&anchored) {
            Ok(regex) => Ok(Matcher {
                source,
                compiled: Some(regex),
            }),
            Err(e) => Err(format!(
                "matcher `{trimmed}` is not a valid regular expression ({}); write tool names \
                 separated by `|`, or escape the special characters",
                one_line(&e.to_string())
            )),
        }
    }

    /// The matcher as written (empty when it was missing).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether it matches everything.
    pub fn matches_all(&self) -> bool {
        self.compiled.is_none()
    }

    /// Whether it matches `target` or one of its `aliases` (Claude Code's names for a Mira
    /// tool).
    pub fn matches(&self, target: &str, aliases: &[&str]) -> bool {
        match &self.compiled {
            None => true,
            Some(regex) => regex.is_match(target) || aliases.iter().any(|alias| regex.is_match(alias)),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == ':' || c == '|'
}

fn glob_to_regex(glob: &str) -> String {
    glob.split('*').map(regex::escape).collect::<Vec<_>>().join(".*")
}

/// The regex crate's errors span several lines with a caret diagram; a load problem is one
/// line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty() && !line.starts_with('^'))
        .unwrap_or(message)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_star_is_any_run_and_the_rest_is_literal() {
        let m = Matcher::new(Some("write_*")).unwrap();
        assert!(m.matches("write_file", &[]));
        assert!(m.matches("write_", &[]));
        assert!(!m.matches("rewrite_file", &[]));
        assert!(!m.matches("writefile", &[]));
    }

    #[test]
    fn regex_errors_are_one_line() {
        let e = Matcher::new(Some("Edit(")).unwrap_err();
        assert!(!e.contains('\n'), "{e}");
        assert!(e.contains("Edit("), "{e}");
    }
}
