//! Which targets a matcher selects, alone and through the loaded hooks.

use mira_hooks::{HookEvent, Matcher};
use serde_json::json;

use crate::support::{Fixture, command};

fn matches(pattern: Option<&str>, target: &str) -> bool {
    Matcher::new(pattern).unwrap().matches(target, &[])
}

#[test]
fn exact_names_and_alternatives_match_whole_names_case_sensitively() {
    assert!(matches(Some("Edit"), "Edit"));
    assert!(!matches(Some("Edit"), "MultiEdit"));
    assert!(!matches(Some("Edit"), "Edits"));
    assert!(!matches(Some("Edit"), "edit"));
    assert!(matches(Some("Edit|Write"), "Write"));
    assert!(!matches(Some("Edit|Write"), "Read"));
    assert!(matches(Some("startup|resume"), "resume"));
}

#[test]
fn regexes_match_the_whole_name() {
    assert!(matches(Some("Notebook.*"), "NotebookEdit"));
    assert!(!matches(Some("Notebook.*"), "MyNotebookEdit"));
    assert!(matches(Some("mcp__.*__write.*"), "mcp__fs__write_file"));
    assert!(!matches(Some("mcp__.*__write.*"), "mcp__fs__read_file"));
    assert!(matches(Some("(Edit|Write)"), "Write"));
}

#[test]
fn missing_empty_and_star_match_everything() {
    for pattern in [None, Some(""), Some("*"), Some("  ")] {
        let matcher = Matcher::new(pattern).unwrap();
        assert!(matcher.matches_all(), "{pattern:?}");
        assert!(matcher.matches("anything_at_all", &[]));
    }
}

#[test]
fn globs_are_mira_older_form() {
    assert!(matches(Some("write_*"), "write_file"));
    assert!(!matches(Some("write_*"), "overwrite_file"));
    assert!(matches(Some("*_file|grep"), "read_file"));
    assert!(matches(Some("*_file|grep"), "grep"));
    assert!(!matches(Some("*_file|grep"), "git_diff"));
    assert!(matches(Some("mcp__github__*"), "mcp__github__create_issue"));
}

#[test]
fn a_bad_regex_is_an_error_that_names_it() {
    let error = Matcher::new(Some("Edit(")).unwrap_err();
    assert!(
        error.contains("`Edit(`") && error.contains("not a valid regular expression"),
        "{error}"
    );
}

#[test]
fn claude_code_tool_names_match_mira_tools_and_mcp_names_match_as_they_are() {
    let fx = Fixture::new();
    let group = |matcher: &str, name: &str| json!({"matcher": matcher, "hooks": [command(name)]});
    fx.project_file(
        ".claude/settings.json",
        &json!({"hooks": {
            "PreToolUse": [
                group("Edit|Write", "edit-or-write"),
                group("MultiEdit", "multi"),
                group("Bash", "bash"),
                group("LS", "ls"),
                group("mcp__github__.*", "github"),
                group("read_file", "mira-name")
            ],
            "PostToolUse": [group("Read", "post-read")],
            "SessionStart": [group("startup|resume", "start")],
            "Stop": [group("Anything", "stop")]
        }})
        .to_string(),
    );
    let hooks = fx.load();
    let run = |event, target| -> Vec<String> {
        hooks
            .matching(event, target)
            .into_iter()
            .map(|h| h.command)
            .collect()
    };
    assert_eq!(
        run(HookEvent::PreToolUse, Some("edit_file")),
        ["edit-or-write", "multi"]
    );
    assert_eq!(run(HookEvent::PreToolUse, Some("write_file")), ["edit-or-write"]);
    assert_eq!(run(HookEvent::PreToolUse, Some("run_build")), ["bash"]);
    assert_eq!(run(HookEvent::PreToolUse, Some("list_files")), ["ls"]);
    assert_eq!(run(HookEvent::PreToolUse, Some("read_file")), ["mira-name"]);
    assert_eq!(
        run(HookEvent::PreToolUse, Some("mcp__github__create_issue")),
        ["github"]
    );
    assert!(run(HookEvent::PreToolUse, Some("mcp__gitlab__create_issue")).is_empty());
    assert!(run(HookEvent::PreToolUse, Some("blame")).is_empty());
    assert_eq!(run(HookEvent::PostToolUse, Some("read_file")), ["post-read"]);
    // Aliases are for tools only: a session source named like a tool is just a name.
    assert_eq!(run(HookEvent::SessionStart, Some("startup")), ["start"]);
    assert!(run(HookEvent::SessionStart, Some("clear")).is_empty());
    // Events without a target run every hook whatever its matcher.
    assert_eq!(run(HookEvent::Stop, None), ["stop"]);
}
