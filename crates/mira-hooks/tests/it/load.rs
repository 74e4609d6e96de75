//! Loading Claude Code's and Mira's files from a home and a project.

use std::time::Duration;

use mira_hooks::{HookEvent, OnFailure};
use serde_json::json;

use crate::support::{Fixture, command, one_hook};

#[test]
fn every_source_merges_in_order_and_other_settings_keys_are_ignored() {
    let fx = Fixture::new();
    let home_settings = fx.home_file(
        ".claude/settings.json",
        &json!({
            "model": "opus",
            "permissions": {"allow": ["Bash(ls)"]},
            "env": {"X": "1"},
            "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "home-claude", "timeout": 5}]}]}
        })
        .to_string(),
    );
    // Mira's file unwrapped: the event map itself.
    let home_mira = fx.home_file(
        ".mira/hooks.json",
        &one_hook("PreToolUse", "", command("home-mira")).to_string(),
    );
    let project_settings = fx.project_file(
        ".claude/settings.json",
        &json!({
            "permissions": {"deny": ["Read(./.env)"]},
            "hooks": {"PreToolUse": [{"matcher": "Edit|Write", "hooks": [command("project-claude")]}]}
        })
        .to_string(),
    );
    let project_local = fx.project_file(
        ".claude/settings.local.json",
        &json!({"hooks": {"PreToolUse": [{"hooks": [command("project-local")]}]}}).to_string(),
    );
    // Mira's file wrapped, with Mira's own on_failure.
    let project_mira = fx.project_file(
        ".mira/hooks.json",
        &json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
            {"type": "command", "command": "project-mira", "on_failure": "block"}
        ]}]}})
        .to_string(),
    );

    let hooks = fx.load();
    let listed = hooks.list();
    let seen: Vec<(&str, &std::path::Path)> = listed
        .iter()
        .map(|h| (h.command.as_str(), h.source.as_path()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("home-claude", home_settings.as_path()),
            ("home-mira", home_mira.as_path()),
            ("project-claude", project_settings.as_path()),
            ("project-local", project_local.as_path()),
            ("project-mira", project_mira.as_path()),
        ]
    );
    assert!(listed.iter().all(|h| h.event == HookEvent::PreToolUse));
    assert_eq!(listed[0].matcher, "Bash");
    assert_eq!(listed[0].timeout, Duration::from_secs(5));
    assert_eq!(listed[1].timeout, mira_hooks::DEFAULT_TIMEOUT);
    assert_eq!(listed[2].matcher, "Edit|Write");
    assert_eq!(listed[3].matcher, "");
    assert_eq!(listed[4].on_failure, OnFailure::Block);
    assert_eq!(listed[0].on_failure, OnFailure::Warn);
    assert!(!hooks.is_empty());
    // edit_file is Edit: everything but the Bash hook runs.
    assert_eq!(hooks.count(HookEvent::PreToolUse, Some("edit_file")), 4);
    assert_eq!(hooks.count(HookEvent::PreToolUse, Some("run_build")), 4);
    assert_eq!(hooks.count(HookEvent::PreToolUse, Some("grep")), 3);
    assert_eq!(hooks.count(HookEvent::PostToolUse, Some("grep")), 0);
}

#[test]
fn without_a_home_only_the_project_loads_and_no_files_means_no_hooks() {
    let fx = Fixture::new();
    let (empty, problems) = mira_hooks::load(&fx.project, Some(&fx.home));
    assert!(empty.is_empty() && problems.is_empty());
    fx.home_file(
        ".mira/hooks.json",
        &one_hook("Stop", "", command("home")).to_string(),
    );
    fx.project_file(
        ".mira/hooks.json",
        &one_hook("Stop", "", command("project")).to_string(),
    );
    let (hooks, problems) = mira_hooks::load(&fx.project, None);
    assert!(problems.is_empty());
    let commands: Vec<String> = hooks.list().into_iter().map(|h| h.command).collect();
    assert_eq!(commands, ["project"]);
}

#[test]
fn a_settings_file_without_hooks_is_fine() {
    let fx = Fixture::new();
    fx.project_file(
        ".claude/settings.json",
        r#"{"permissions": {"allow": []}, "model": "sonnet"}"#,
    );
    let hooks = fx.load();
    assert!(hooks.is_empty());
}

#[test]
fn every_documented_event_name_loads() {
    let fx = Fixture::new();
    let mut map = serde_json::Map::new();
    for event in HookEvent::ALL {
        map.insert(
            event.as_str().to_string(),
            json!([{"hooks": [command(&format!("echo {}", event.as_str()))]}]),
        );
    }
    fx.project_file(".claude/settings.json", &json!({"hooks": map}).to_string());
    let hooks = fx.load();
    assert_eq!(hooks.list().len(), 9);
    for event in HookEvent::ALL {
        assert_eq!(HookEvent::parse(event.as_str()), Some(event));
        assert_eq!(hooks.count(event, None), 1, "{event}");
        let entry = &hooks.matching(event, None)[0];
        assert_eq!(entry.command, format!("echo {event}"));
    }
    assert_eq!(HookEvent::parse("pretooluse"), None);
}

#[test]
fn on_failure_is_read_with_warn_as_default_and_fractional_timeouts() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &json!({"Stop": [{"hooks": [
            {"type": "command", "command": "a", "on_failure": "block"},
            {"type": "command", "command": "b", "on_failure": "warn"},
            {"type": "command", "command": "c", "on_failure": "ignore"},
            {"type": "command", "command": "d", "timeout": 0.5}
        ]}]})
        .to_string(),
    );
    let listed = fx.load().list();
    let modes: Vec<OnFailure> = listed.iter().map(|h| h.on_failure).collect();
    assert_eq!(
        modes,
        [
            OnFailure::Block,
            OnFailure::Warn,
            OnFailure::Ignore,
            OnFailure::Warn
        ]
    );
    assert_eq!(listed[3].timeout, Duration::from_millis(500));
}

#[tokio::test]
async fn identical_commands_matched_for_one_event_run_once() {
    let fx = Fixture::new();
    let append = "echo ran >> \"$MIRA_PROJECT_DIR/runs.txt\"";
    fx.project_file(
        ".claude/settings.json",
        &json!({"hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [command(append)]}]}}).to_string(),
    );
    fx.project_file(
        ".mira/hooks.json",
        &json!({"PreToolUse": [
            {"matcher": "edit_file|write_file", "hooks": [command(append)]},
            {"matcher": "*", "hooks": [command(append)]}
        ]})
        .to_string(),
    );
    let hooks = fx.load();
    assert_eq!(hooks.list().len(), 3, "the listing shows each configured entry");
    assert_eq!(hooks.count(HookEvent::PreToolUse, Some("edit_file")), 1);
    assert_eq!(hooks.count(HookEvent::PreToolUse, Some("write_file")), 1);
    // The first matching entry is the one that runs.
    let first = &hooks.matching(HookEvent::PreToolUse, Some("write_file"))[0];
    assert!(first.source.ends_with(".mira/hooks.json"));
    let report = hooks
        .run(
            HookEvent::PreToolUse,
            Some("edit_file"),
            serde_json::Map::new(),
            &fx.ctx(),
        )
        .await;
    assert_eq!(report.results.len(), 1);
    assert_eq!(std::fs::read_to_string(fx.path("runs.txt")).unwrap(), "ran\n");
}
