//! Claude Code's names for Mira's tools and the tool_input a hook reads.

use std::path::Path;

use mira_hooks::{claude_tool_aliases, claude_tool_name, hook_tool_name, tool_input};
use serde_json::json;

#[test]
fn mira_tools_have_claude_code_names() {
    let pairs = [
        ("edit_file", Some("Edit")),
        ("write_file", Some("Write")),
        ("read_file", Some("Read")),
        ("grep", Some("Grep")),
        ("list_files", Some("Glob")),
        ("run_build", Some("Bash")),
        ("task", Some("Task")),
        ("blame", None),
        ("mcp__github__create_issue", None),
    ];
    for (mira, claude) in pairs {
        assert_eq!(claude_tool_name(mira), claude, "{mira}");
    }
    assert_eq!(claude_tool_aliases("edit_file"), ["Edit", "MultiEdit"]);
    assert_eq!(claude_tool_aliases("list_files"), ["Glob", "LS"]);
    assert_eq!(hook_tool_name("edit_file"), "Edit");
    assert_eq!(
        hook_tool_name("mcp__github__create_issue"),
        "mcp__github__create_issue"
    );
}

#[test]
fn tool_input_keeps_mira_arguments_and_adds_claude_code_fields() {
    let root = Path::new("/repo");
    let edit = tool_input(
        "edit_file",
        &json!({"path": "src/./lib.rs", "search": "a", "replace": "b"}),
        root,
    );
    assert_eq!(
        edit,
        json!({"path": "src/./lib.rs", "search": "a", "replace": "b",
               "file_path": "/repo/src/lib.rs", "old_string": "a", "new_string": "b", "replace_all": false})
    );
    let write = tool_input("write_file", &json!({"path": "a/../b.txt", "content": "x"}), root);
    assert_eq!(
        write,
        json!({"path": "a/../b.txt", "content": "x", "file_path": "/repo/b.txt"})
    );
    let read = tool_input(
        "read_file",
        &json!({"path": "f.rs", "start_line": 10, "end_line": 19}),
        root,
    );
    assert_eq!(read["file_path"], "/repo/f.rs");
    assert_eq!(read["offset"], 10);
    assert_eq!(read["limit"], 10);
    let list = tool_input(
        "list_files",
        &json!({"directory": "src", "pattern": "*.rs"}),
        root,
    );
    assert_eq!(
        list,
        json!({"directory": "src", "pattern": "*.rs", "path": "/repo/src"})
    );
    let build = tool_input(
        "run_build",
        &json!({"command": "cargo test", "timeout_secs": 30}),
        root,
    );
    assert_eq!(
        build,
        json!({"command": "cargo test", "timeout_secs": 30, "timeout": 30000})
    );
    let mcp = json!({"title": "x", "path": "keep"});
    assert_eq!(tool_input("mcp__github__create_issue", &mcp, root), mcp);
    // A field Mira already sends is never replaced.
    let own = tool_input(
        "edit_file",
        &json!({"path": "a", "search": "s", "replace": "r", "old_string": "mine"}),
        root,
    );
    assert_eq!(own["old_string"], "mine");
}
