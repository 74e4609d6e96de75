//! Small text helpers the parsers share.

/// Removes ANSI escape sequences (colours, cursor moves) that tools print to terminals.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // CSI: parameters, then one final byte in @..~
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                // OSC: ends with BEL or ESC \
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {
                chars.next();
            }
        }
    }
    out
}

/// Parses a 1-based line or column number. 0 is no place at all (a marker there would
/// sit before the file's first line), so it reads as unknown.
pub fn num(text: &str) -> Option<u32> {
    text.parse().ok().filter(|&n| n > 0)
}

/// Does the line start with whitespace?
pub fn indented(line: &str) -> bool {
    line.starts_with([' ', '\t'])
}

#[cfg(test)]
mod tests {
    #[test]
    fn ansi_sequences_are_removed() {
        assert_eq!(
            super::strip_ansi(
                "\u{1b}[1m\u{1b}[31merror\u{1b}[0m: x \u{1b}]8;;http://a\u{7}link\u{1b}]8;;\u{7}"
            ),
            "error: x link"
        );
    }
}
