//! The frontmatter of Claude Code's Markdown files (commands and agents): a block between
//! `---` lines at the top, of `key: value` lines.
//!
//! Read leniently rather than as YAML because the files users bring are not always valid
//! YAML: Claude Code's own documented examples have `argument-hint: [pr-number] [priority]`,
//! which a YAML parser rejects, and `allowed-tools: Bash(git add:*), Bash(git status:*)`.
//! A value is the text after the first `: `, without surrounding quotes; a key with no
//! value followed by `- item` lines is a list; `|` and `>` start a block of indented lines.

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    List(Vec<String>),
}

/// The fields of a file's frontmatter, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontmatter {
    fields: Vec<(String, Value)>,
}

/// A line the reader could not take, 1-based within the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

/// A file split into its frontmatter and body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub frontmatter: Frontmatter,
    pub body: String,
    pub problems: Vec<Problem>,
}

impl Frontmatter {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A field as text: a list is joined with `, `. Empty text counts as absent.
    pub fn text(&self, key: &str) -> Option<String> {
        let text = match self.get(key)? {
            Value::Text(t) => t.clone(),
            Value::List(items) => items.join(", "),
        };
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(text)
    }

    /// A field as a list: a YAML list, a `[a, b]` flow list, or comma-separated text
    /// (commas inside parentheses, as in `Bash(git add:*, x)`, do not split).
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        let items = match self.get(key)? {
            Value::List(items) => items.clone(),
            Value::Text(t) => {
                let t = t.trim();
                let t = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')).unwrap_or(t);
                split_top_level(t)
            }
        };
        Some(
            items
                .into_iter()
                .map(|s| unquote(s.trim()).to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }
}

fn split_top_level(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out
}

fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(q) && text.ends_with(q) {
            return &text[1..text.len() - 1];
        }
    }
    text
}

/// Splits `text` into frontmatter and body. Without a `---` first line the whole text is
/// the body; an unclosed block is a problem and the whole text stays the body.
pub fn parse(text: &str) -> Document {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return Document::default();
    };
    if first.trim_end() != "---" {
        return Document {
            body: text.to_string(),
            ..Document::default()
        };
    }
    let mut block = Vec::new();
    let mut consumed = first.len();
    let mut closed = false;
    for line in lines {
        consumed += line.len();
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        block.push(line.trim_end_matches(['\n', '\r']));
    }
    if !closed {
        return Document {
            body: text.to_string(),
            problems: vec![Problem {
                line: 1,
                message:
                    "the frontmatter that starts on line 1 has no closing `---` line; the file is read as \
                          plain text"
                        .into(),
            }],
            ..Document::default()
        };
    }
    let (frontmatter, problems) = read_fields(&block);
    Document {
        frontmatter,
        body: text[consumed..].trim_start_matches(['\n', '\r']).to_string(),
        problems,
    }
}

/// Reads the lines between the `---` markers (line 2 of the file is `block[0]`).
fn read_fields(block: &[&str]) -> (Frontmatter, Vec<Problem>) {
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < block.len() {
        let line = block[i];
        let line_no = i + 2;
        i += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) || trimmed.starts_with("- ") {
            problems.push(Problem {
                line: line_no,
                message: format!("`{trimmed}` belongs to no field; start a field with `name: value`"),
            });
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            problems.push(Problem {
                line: line_no,
                message: format!("`{trimmed}` is not a `name: value` line"),
            });
            continue;
        };
        let key = key.trim().to_string();
        let value = value.trim();
        let continuation = |i: usize| {
            block
                .get(i)
                .is_some_and(|l| l.starts_with([' ', '\t']) || l.trim().is_empty())
        };
        let parsed = if value.is_empty() {
            // A list of `- item` lines, or nothing.
            let mut items = Vec::new();
            while i < block.len() && continuation(i) {
                let item = block[i].trim();
                if let Some(rest) = item.strip_prefix('-') {
                    items.push(unquote(rest.trim()).to_string());
                }
                i += 1;
            }
            if items.is_empty() {
                Value::Text(String::new())
            } else {
                Value::List(items)
            }
        } else if let Some(style) = value.strip_prefix(['|', '>']).map(|_| value.chars().next()) {
            let mut lines = Vec::new();
            while i < block.len() && continuation(i) {
                lines.push(block[i].trim());
                i += 1;
            }
            let joined = if style == Some('|') {
                lines.join("\n")
            } else {
                lines.join(" ")
            };
            Value::Text(joined.trim().to_string())
        } else {
            Value::Text(unquote(value).to_string())
        };
        if let Some(existing) = fields.iter_mut().find(|(k, _)| *k == key) {
            problems.push(Problem {
                line: line_no,
                message: format!("`{key}` is given twice; the last one is used"),
            });
            existing.1 = parsed;
        } else {
            fields.push((key, parsed));
        }
    }
    (Frontmatter { fields }, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_codes_documented_fields_are_read_as_written() {
        let doc = parse(
            "---\nallowed-tools: Bash(git add:*), Bash(git status:*), Bash(git commit:*)\nargument-hint: [pr-number] [priority] [assignee]\ndescription: \"Create a git commit\"\nmodel: claude-3-5-haiku-20241022\n---\n\nCreate a commit: $ARGUMENTS\n",
        );
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let f = &doc.frontmatter;
        assert_eq!(f.text("description").unwrap(), "Create a git commit");
        assert_eq!(
            f.text("argument-hint").unwrap(),
            "[pr-number] [priority] [assignee]"
        );
        assert_eq!(f.text("model").unwrap(), "claude-3-5-haiku-20241022");
        assert_eq!(
            f.list("allowed-tools").unwrap(),
            ["Bash(git add:*)", "Bash(git status:*)", "Bash(git commit:*)"]
        );
        assert_eq!(doc.body, "Create a commit: $ARGUMENTS\n");
    }

    #[test]
    fn lists_blocks_and_flow_lists() {
        let doc = parse(
            "---\nname: reviewer\ntools:\n  - Read\n  - 'Grep'\ndescription: >\n  Reviews code\n  after changes.\nother: [a, b]\n---\nYou review.\n",
        );
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let f = &doc.frontmatter;
        assert_eq!(f.list("tools").unwrap(), ["Read", "Grep"]);
        assert_eq!(f.text("description").unwrap(), "Reviews code after changes.");
        assert_eq!(f.list("other").unwrap(), ["a", "b"]);
        assert_eq!(
            f.keys().collect::<Vec<_>>(),
            ["name", "tools", "description", "other"]
        );
        assert_eq!(doc.body, "You review.\n");
    }

    #[test]
    fn no_frontmatter_unclosed_and_bad_lines() {
        let doc = parse("# Title\nBody\n");
        assert_eq!(doc.body, "# Title\nBody\n");
        assert!(doc.frontmatter.get("description").is_none());

        let doc = parse("---\ndescription: x\nBody without end\n");
        assert_eq!(doc.problems.len(), 1);
        assert!(doc.problems[0].message.contains("closing"));
        assert!(doc.body.contains("Body without end"));

        let doc = parse("---\ndescription: x\njust words\ndescription: y\n---\nb");
        let lines: Vec<usize> = doc.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4]);
        assert_eq!(doc.frontmatter.text("description").unwrap(), "y");
        assert_eq!(doc.body, "b");
    }
}
