//! Load problems name the file and the line, and never stop the rest from loading.

use mira_hooks::HookEvent;

use crate::support::{Fixture, command, one_hook};

#[test]
fn a_file_with_a_syntax_error_is_one_problem_at_its_line_and_the_others_load() {
    let fx = Fixture::new();
    let broken = fx.project_file(
        ".claude/settings.json",
        "{\n  \"hooks\": {\n    \"PreToolUse\": [,]\n  }\n}\n",
    );
    fx.home_file(
        ".claude/settings.json",
        &serde_json::json!({"hooks": one_hook("Stop", "", command("home"))}).to_string(),
    );
    fx.project_file(
        ".mira/hooks.json",
        &one_hook("Stop", "", command("project")).to_string(),
    );

    let (hooks, problems) = mira_hooks::load(&fx.project, Some(&fx.home));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].file, broken);
    assert_eq!(problems[0].line, Some(3));
    assert!(
        problems[0].message.contains("not valid JSON"),
        "{}",
        problems[0].message
    );
    let shown = problems[0].to_string();
    assert!(shown.starts_with(&format!("{}:3: ", broken.display())), "{shown}");
    let commands: Vec<String> = hooks.list().into_iter().map(|h| h.command).collect();
    assert_eq!(commands, ["home", "project"]);
}

/// Each bad entry is reported at its own line; the good entries around them load.
#[test]
fn bad_entries_are_reported_at_their_lines_and_the_rest_of_the_file_loads() {
    let fx = Fixture::new();
    let text = r#"{
  "hooks": {
    "PreToolUze": [
      {"hooks": [{"type": "command", "command": "never"}]}
    ],
    "PreToolUse": [
      {
        "matcher": "Edit|Write",
        "hooks": [
          {"type": "command", "command": "good-1"},
          {"type": "command"},
          {"type": "prompt", "prompt": "Is this safe?"},
          {"type": "command", "command": "good-2", "on_failure": "explode"},
          {"type": "command", "command": "good-3", "timeout": -1},
          {"type": "command", "command": "good-4"}
        ]
      },
      {
        "matcher": "Edit(",
        "hooks": [{"type": "command", "command": "bad-regex"}]
      }
    ],
    "Stop": [{"hooks": [{"command": "good-5"}]}]
  }
}
"#;
    let file = fx.project_file(".mira/hooks.json", text);
    let (hooks, problems) = mira_hooks::load(&fx.project, Some(&fx.home));
    let found: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line.unwrap(), p.message.as_str()))
        .collect();
    assert!(problems.iter().all(|p| p.file == file));
    assert_eq!(found.len(), 6, "{found:#?}");
    let expect = [
        (3, "unknown hook event `PreToolUze`"),
        (11, "no `command`"),
        (12, "prompt hooks"),
        (13, "`on_failure`"),
        (14, "`timeout`"),
        (19, "not a valid regular expression"),
    ];
    for ((line, message), (want_line, want_text)) in found.iter().zip(expect) {
        assert_eq!(*line, want_line, "{message}");
        assert!(message.contains(want_text), "line {line}: {message}");
    }
    assert!(
        found[0].1.contains("PreToolUse"),
        "the known names are listed: {}",
        found[0].1
    );
    assert!(found[2].1.contains("not supported"), "{}", found[2].1);

    let loaded: Vec<(String, usize)> = hooks.list().into_iter().map(|h| (h.command, h.line)).collect();
    assert_eq!(
        loaded,
        [
            ("good-1".to_string(), 10),
            ("good-4".to_string(), 15),
            ("good-5".to_string(), 23)
        ]
    );
    assert_eq!(hooks.count(HookEvent::Stop, None), 1);
}

#[test]
fn a_file_of_the_wrong_shape_is_reported() {
    let fx = Fixture::new();
    let settings = fx.project_file(".claude/settings.json", "{\n  \"hooks\": [1, 2]\n}");
    let local = fx.project_file(".claude/settings.local.json", "[]");
    let mira = fx.project_file(".mira/hooks.json", "{\"Stop\": {\"hooks\": []}}");
    let (hooks, problems) = mira_hooks::load(&fx.project, None);
    assert!(hooks.is_empty());
    let found: Vec<(&std::path::Path, Option<usize>)> =
        problems.iter().map(|p| (p.file.as_path(), p.line)).collect();
    assert_eq!(
        found,
        [
            (settings.as_path(), Some(2)),
            (local.as_path(), Some(1)),
            (mira.as_path(), Some(1))
        ]
    );
    assert!(
        problems[2].message.contains("must be a list"),
        "{}",
        problems[2].message
    );
}
