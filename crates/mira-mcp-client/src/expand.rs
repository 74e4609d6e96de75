//! `${VAR}` and `${VAR:-default}` in configuration strings, as Claude Code expands them.

/// Expands every `${VAR}` and `${VAR:-default}` in `text` through `lookup`.
///
/// A variable that `lookup` does not know and that has no default is collected in
/// `missing` (once per name) and expands to nothing. An empty value counts as set for
/// `${VAR}` but takes the default in `${VAR:-default}`, as in the shell. A `$` not followed
/// by `{`, or a `${` without its `}`, is kept as written.
pub(crate) fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inner, None),
        };
        match (lookup(name), default) {
            (Some(value), Some(default)) if value.is_empty() => out.push_str(default),
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_string());
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn run(text: &str) -> (String, Vec<String>) {
        let lookup = |name: &str| match name {
            "HOME" => Some("/home/u".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        let mut missing = Vec::new();
        let out = expand(text, &lookup, &mut missing);
        (out, missing)
    }

    #[test]
    fn expands_set_unset_default_and_empty() {
        assert_eq!(run("${HOME}/x"), ("/home/u/x".to_string(), vec![]));
        assert_eq!(run("${NOPE:-d}:${HOME:-d}"), ("d:/home/u".to_string(), vec![]));
        assert_eq!(run("[${EMPTY}]"), ("[]".to_string(), vec![]));
        assert_eq!(run("${EMPTY:-fallback}"), ("fallback".to_string(), vec![]));
        assert_eq!(
            run("a ${A} ${B} ${A}"),
            ("a   ".to_string(), vec!["A".to_string(), "B".to_string()])
        );
    }

    #[test]
    fn keeps_what_is_not_a_reference() {
        assert_eq!(run("$HOME and ${unclosed").0, "$HOME and ${unclosed");
        assert_eq!(run("${NOPE:-}").0, "");
        assert_eq!(run("${X:-a:-b}").0, "a:-b");
    }
}
