//! What Claude Code does to a command's prompt before sending it: `` !`command` `` is
//! replaced by the command's output, and `@path` adds the file's text.
//!
//! A `!` command runs only when the file's `allowed-tools` grants it (`Bash(git diff:*)`,
//! or `Bash` for the project's build and test commands), as Claude Code requires; it runs
//! without a shell (Mira never runs one), in the project root, with a timeout. `@path`
//! reads only files inside the project root, through the same confinement as the agent's
//! tools.

use std::path::Path;
use std::time::Duration;

use crate::allowlist::Allowlist;
use crate::fsutil::read_in;
use crate::tool_filter::ToolFilter;
use crate::tools::bound;

/// How long a `!` command may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Characters of a command's output, and of one referenced file, put in the prompt.
const INLINE_CHARS: usize = 16_000;
/// Files a prompt may reference.
const MAX_FILES: usize = 20;

/// `prompt` with its `` !`...` `` outputs in place and the `@path` files it names
/// appended. `extra_commands`: what the user allows the agent beyond the project's own
/// commands (AGENT_ALLOWED_COMMANDS).
pub async fn inline(
    prompt: &str,
    root: &Path,
    tools: Option<&ToolFilter>,
    extra_commands: &[String],
) -> String {
    let with_outputs = run_commands(prompt, root, tools, extra_commands).await;
    append_files(&with_outputs, root)
}

async fn run_commands(prompt: &str, root: &Path, tools: Option<&ToolFilter>, extra: &[String]) -> String {
    let mut out = String::with_capacity(prompt.len());
    let mut rest = prompt;
    while let Some(at) = rest.find("!`") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('`') else { break };
        out.push_str(&rest[..at]);
        let line = after[..end].trim();
        out.push_str(&run_one(line, root, tools, extra).await);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn run_one(line: &str, root: &Path, tools: Option<&ToolFilter>, extra: &[String]) -> String {
    let refuse = |why: String| format!("[`{line}` was not run: {why}]");
    let Some(tools) = tools.filter(|t| t.allows("run_build")) else {
        return refuse(format!(
            "the command file's `allowed-tools` must grant it, e.g. `allowed-tools: Bash({}:*)`",
            line.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
        ));
    };
    let Some(argv) = shlex::split(line).filter(|a| !a.is_empty()) else {
        return refuse("it cannot be read as a command line".into());
    };
    if argv
        .iter()
        .any(|w| ["|", "&&", "||", ";", ">", "<"].contains(&w.as_str()))
    {
        return refuse(
            "Mira runs commands without a shell, so pipes, `&&` and redirections do not work".into(),
        );
    }
    let mut allowed = extra.to_vec();
    allowed.extend(tools.commands.iter().cloned());
    if let Err(e) = Allowlist::for_project(root, &allowed).check(&argv) {
        return refuse(e);
    }
    let mut command = tokio::process::Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    match tokio::time::timeout(COMMAND_TIMEOUT, command.output()).await {
        Err(_) => refuse(format!(
            "it ran past {} s and was stopped",
            COMMAND_TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => refuse(format!("it could not start: {e}")),
        Ok(Ok(output)) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&output.stderr);
            if !stderr.trim().is_empty() {
                text.push_str(&stderr);
            }
            if !output.status.success() {
                text.push_str(&format!("[exited with {}]", output.status));
            }
            bound(text.trim_end().to_string(), INLINE_CHARS, "the output was longer")
        }
    }
}

/// The `@path` words that name a file of the project, in order, each once.
fn referenced(prompt: &str, root: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in prompt.split_whitespace() {
        let Some(path) = word.strip_prefix('@') else {
            continue;
        };
        let path = path.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
        if path.is_empty() || out.iter().any(|p| p == path) || out.len() >= MAX_FILES {
            continue;
        }
        if crate::confine::resolve(root, path).is_ok_and(|p| p.is_file()) {
            out.push(path.to_string());
        }
    }
    out
}

fn append_files(prompt: &str, root: &Path) -> String {
    let files = referenced(prompt, root);
    if files.is_empty() {
        return prompt.to_string();
    }
    let mut out = prompt.trim_end().to_string();
    for path in files {
        let text = match read_in(root, &path) {
            Ok(Some(bytes)) => bound(
                String::from_utf8_lossy(&bytes).into_owned(),
                INLINE_CHARS,
                "read_file shows the rest",
            ),
            _ => continue,
        };
        out.push_str(&format!(
            "\n\n<file path=\"{path}\">\n{}\n</file>",
            text.trim_end()
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(entries: &[&str]) -> ToolFilter {
        ToolFilter::parse(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn granted_commands_run_and_others_are_refused_with_what_to_add() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("notes.txt"), "alpha\n").unwrap();
        let prompt = "Files: !`ls` and !`cat notes.txt` and !`rm notes.txt` and !`ls | wc -l`.";
        let granted = filter(&["Bash(ls:*)", "Bash(cat notes.txt)"]);
        let out = inline(prompt, &root, Some(&granted), &[]).await;
        assert!(
            out.starts_with("Files: notes.txt and alpha and [`rm notes.txt` was not run:"),
            "{out}"
        );
        assert!(out.contains("not an allowed command"), "{out}");
        assert!(out.contains("without a shell"), "{out}");
        assert!(root.join("notes.txt").exists(), "a refused command never runs");
        let out = inline("!`ls`", &root, None, &[]).await;
        assert!(out.contains("allowed-tools: Bash(ls:*)"), "{out}");
    }

    #[tokio::test]
    async fn referenced_files_inside_the_root_are_appended() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/lib.rs"), "pub fn add() {}\n").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let prompt = format!(
            "Review @src/lib.rs, not @../secret or @{}/secret or @missing.rs.",
            outside.path().display()
        );
        let out = inline(&prompt, &root, None, &[]).await;
        assert!(
            out.contains("<file path=\"src/lib.rs\">\npub fn add() {}\n</file>"),
            "{out}"
        );
        assert_eq!(out.matches("<file ").count(), 1, "{out}");
    }
}
