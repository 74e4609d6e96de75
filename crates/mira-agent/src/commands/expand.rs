//! A command's prompt with its arguments in place, as Claude Code does it: `$ARGUMENTS`
//! is everything after the command name, `$1`..`$9` the arguments one by one (quotes
//! group words, as in a shell), a missing one is empty; a prompt that uses neither gets
//! the arguments appended on an `ARGUMENTS:` line so they are never lost.

/// The arguments split like a shell would (quotes group words); text a shell could not
/// split (an unclosed quote) is split at whitespace.
pub fn positional(arguments: &str) -> Vec<String> {
    shlex::split(arguments).unwrap_or_else(|| arguments.split_whitespace().map(str::to_string).collect())
}

/// `body` with `$ARGUMENTS` and `$1`..`$9` replaced.
pub fn expand(body: &str, arguments: &str) -> String {
    let arguments = arguments.trim();
    let words = positional(arguments);
    let mut out = String::with_capacity(body.len() + arguments.len());
    let mut used = false;
    let mut rest = body;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix("ARGUMENTS") {
            out.push_str(arguments);
            used = true;
            rest = tail;
        } else if let Some(d) = after
            .chars()
            .next()
            .and_then(|c| c.to_digit(10))
            .filter(|d| *d >= 1)
        {
            out.push_str(words.get(d as usize - 1).map(String::as_str).unwrap_or(""));
            used = true;
            rest = &after[1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    if !used && !arguments.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\nARGUMENTS: ");
        out.push_str(arguments);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_arguments_and_positions() {
        assert_eq!(
            expand("Fix issue #$ARGUMENTS now", "123 high"),
            "Fix issue #123 high now"
        );
        assert_eq!(
            expand(
                "Review PR #$1 with priority $2 and assign to $3.",
                "456 high alice"
            ),
            "Review PR #456 with priority high and assign to alice."
        );
        assert_eq!(expand("a=$1 b=$2", "\"two words\" x"), "a=two words b=x");
        assert_eq!(expand("a=$1 b=$2 c=$9", "only"), "a=only b= c=");
        assert_eq!(expand("costs $0 or $$ and $X $1", "z"), "costs $0 or $$ and $X z");
        assert_eq!(expand("$ARGUMENTS$1", "it"), "itit");
    }

    #[test]
    fn unused_arguments_are_appended() {
        assert_eq!(
            expand("Summarise the diff.\n", "focus on tests"),
            "Summarise the diff.\n\nARGUMENTS: focus on tests\n"
        );
        assert_eq!(expand("Summarise.", ""), "Summarise.");
    }

    #[test]
    fn an_unclosed_quote_splits_at_whitespace() {
        assert_eq!(positional("it's fine"), ["it's", "fine"]);
    }
}
