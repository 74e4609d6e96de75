//! What exit codes and JSON answers mean, per hook and summed for the engine.

use mira_hooks::{HookEvent, HookOutcome, MessageKind, OnFailure, PermissionDecision, RunContext, fields};
use serde_json::{Map, Value, json};

use crate::support::{Fixture, command, one_hook};

fn tool_fields(fx: &Fixture) -> Map<String, Value> {
    fields::pre_tool_use(
        "edit_file",
        &json!({"path": "a.rs", "search": "a", "replace": "b"}),
        &fx.project,
    )
}

#[tokio::test]
async fn exit_0_at_user_prompt_submit_is_context_for_the_model() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("UserPromptSubmit", "", command("echo 'the branch is main'")),
            HookEvent::UserPromptSubmit,
            None,
            fields::user_prompt_submit("hi"),
        )
        .await;
    assert!(!report.blocked);
    assert_eq!(report.context, ["the branch is main"]);
    assert_eq!(report.context_text().as_deref(), Some("the branch is main"));
    assert!(report.user_messages.is_empty());
    let result = &report.results[0];
    assert_eq!((result.outcome, result.exit_code), (HookOutcome::Ok, Some(0)));
    assert!(!result.timed_out && !result.cancelled);
}

#[tokio::test]
async fn exit_0_elsewhere_is_output_for_the_user() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("PostToolUse", "Edit", command("echo formatted")),
            HookEvent::PostToolUse,
            Some("edit_file"),
            tool_fields(&fx),
        )
        .await;
    assert!(report.context.is_empty());
    assert_eq!(report.user_messages.len(), 1);
    assert_eq!(report.user_messages[0].kind, MessageKind::Info);
    assert_eq!(report.user_messages[0].text, "formatted");
    assert_eq!(report.user_messages[0].command, "echo formatted");
}

#[tokio::test]
async fn exit_2_at_pre_tool_use_refuses_the_call_with_stderr_as_the_reason() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook(
                "PreToolUse",
                "Edit",
                command("echo 'generated files are read-only' >&2; exit 2"),
            ),
            HookEvent::PreToolUse,
            Some("edit_file"),
            tool_fields(&fx),
        )
        .await;
    assert!(report.blocked);
    assert_eq!(
        report.block_reason().as_deref(),
        Some("generated files are read-only")
    );
    assert_eq!(report.permission, Some(PermissionDecision::Deny));
    let result = &report.results[0];
    assert_eq!(
        (result.outcome, result.exit_code),
        (HookOutcome::Blocked, Some(2))
    );
    assert!(report.user_messages.is_empty());
}

#[tokio::test]
async fn exit_2_at_an_event_that_cannot_block_is_an_error_for_the_user() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("Notification", "", command("echo 'no desktop' >&2; exit 2")),
            HookEvent::Notification,
            Some("idle"),
            fields::notification("idle", "waiting"),
        )
        .await;
    assert!(!report.blocked);
    assert_eq!(report.results[0].outcome, HookOutcome::Error);
    assert_eq!(report.user_messages[0].kind, MessageKind::Error);
    assert!(report.user_messages[0].text.contains("no desktop"));
}

#[tokio::test]
async fn another_exit_code_is_a_non_blocking_error_shown_to_the_user() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("PreToolUse", "", command("echo 'lint crashed' >&2; exit 1")),
            HookEvent::PreToolUse,
            Some("edit_file"),
            tool_fields(&fx),
        )
        .await;
    assert!(!report.blocked);
    assert_eq!(report.permission, None);
    let result = &report.results[0];
    assert_eq!((result.outcome, result.exit_code), (HookOutcome::Error, Some(1)));
    assert_eq!(report.user_messages.len(), 1);
    let message = &report.user_messages[0];
    assert_eq!(message.kind, MessageKind::Error);
    assert!(
        message.text.contains("exited with code 1") && message.text.contains("lint crashed"),
        "{}",
        message.text
    );
    assert!(
        message.text.contains("echo 'lint crashed'"),
        "names the hook: {}",
        message.text
    );
}

#[tokio::test]
async fn on_failure_block_blocks_with_a_reason_naming_the_hook() {
    let fx = Fixture::new();
    let hook = json!({"type": "command", "command": "echo boom >&2; exit 3", "on_failure": "block"});
    let report = fx
        .run_mira_hooks(
            one_hook("Stop", "", hook),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    assert!(report.blocked);
    let reason = report.block_reason().unwrap();
    assert!(
        reason.contains("echo boom >&2; exit 3")
            && reason.contains("exited with code 3")
            && reason.contains("boom"),
        "{reason}"
    );
    assert_eq!(report.results[0].outcome, HookOutcome::Blocked);
    assert!(report.user_messages.is_empty());
}

#[tokio::test]
async fn on_failure_ignore_hides_a_failure_but_not_a_deliberate_block() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &json!({"PreToolUse": [{"hooks": [
            {"type": "command", "command": "exit 1", "on_failure": "ignore"},
            {"type": "command", "command": "echo stop >&2; exit 2", "on_failure": "ignore"}
        ]}]})
        .to_string(),
    );
    let hooks = fx.load();
    assert_eq!(hooks.list()[0].on_failure, OnFailure::Ignore);
    let report = hooks
        .run(HookEvent::PreToolUse, Some("grep"), Map::new(), &fx.ctx())
        .await;
    let outcomes: Vec<HookOutcome> = report.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [HookOutcome::Ignored, HookOutcome::Blocked]);
    assert!(report.user_messages.is_empty());
    assert_eq!(report.block_reasons, ["stop"]);
}

#[tokio::test]
async fn json_permission_deny_refuses_with_its_reason() {
    let fx = Fixture::new();
    let answer = r#"{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "secrets live there"}}"#;
    let report = fx
        .run_mira_hooks(
            one_hook("PreToolUse", "Write", command(&format!("echo '{answer}'"))),
            HookEvent::PreToolUse,
            Some("write_file"),
            Map::new(),
        )
        .await;
    assert!(report.blocked);
    assert_eq!(report.permission, Some(PermissionDecision::Deny));
    assert_eq!(report.permission_reasons, ["secrets live there"]);
    assert_eq!(report.block_reason().as_deref(), Some("secrets live there"));
    let result = &report.results[0];
    assert_eq!(result.outcome, HookOutcome::Blocked);
    assert_eq!(
        result.answer.as_ref().unwrap().hook_event_name.as_deref(),
        Some("PreToolUse")
    );
    assert!(
        report.user_messages.is_empty(),
        "the JSON answer is not shown as output"
    );
}

#[tokio::test]
async fn the_strongest_permission_wins_deny_over_ask_over_allow() {
    let fx = Fixture::new();
    let decide = |decision: &str| {
        command(&format!(
            "echo '{{\"hookSpecificOutput\": {{\"permissionDecision\": \"{decision}\", \"permissionDecisionReason\": \"{decision} it\"}}}}'"
        ))
    };
    fx.project_file(
        ".mira/hooks.json",
        &json!({"PreToolUse": [{"hooks": [decide("allow"), decide("ask"), decide("allow")]}]}).to_string(),
    );
    let report = fx
        .load()
        .run(HookEvent::PreToolUse, Some("grep"), Map::new(), &fx.ctx())
        .await;
    assert_eq!(report.permission, Some(PermissionDecision::Ask));
    assert_eq!(report.permission_reasons, ["ask it"]);
    assert!(!report.blocked);

    fx.project_file(
        ".mira/hooks.json",
        &json!({"PreToolUse": [{"hooks": [decide("ask"), decide("deny"), decide("allow")]}]}).to_string(),
    );
    let report = fx
        .load()
        .run(HookEvent::PreToolUse, Some("grep"), Map::new(), &fx.ctx())
        .await;
    assert_eq!(report.permission, Some(PermissionDecision::Deny));
    assert!(report.blocked);
}

#[tokio::test]
async fn legacy_approve_is_allow_with_its_reason() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook(
                "PreToolUse",
                "Read",
                command(r#"echo '{"decision": "approve", "reason": "docs are public"}'"#),
            ),
            HookEvent::PreToolUse,
            Some("read_file"),
            Map::new(),
        )
        .await;
    assert_eq!(report.permission, Some(PermissionDecision::Allow));
    assert_eq!(report.permission_reasons, ["docs are public"]);
    assert!(!report.blocked);
    assert_eq!(report.results[0].outcome, HookOutcome::Ok);
}

#[tokio::test]
async fn continue_false_stops_the_agent_with_its_reason_and_a_system_message_warns() {
    let fx = Fixture::new();
    let answer = r#"{"continue": false, "stopReason": "the build is broken", "systemMessage": "fix main first", "decision": "block", "reason": "ignored"}"#;
    let report = fx
        .run_mira_hooks(
            one_hook("PostToolUse", "", command(&format!("echo '{answer}'"))),
            HookEvent::PostToolUse,
            Some("run_build"),
            Map::new(),
        )
        .await;
    assert_eq!(report.stop.as_deref(), Some("the build is broken"));
    assert_eq!(report.results[0].message.as_deref(), Some("the build is broken"));
    assert_eq!(report.user_messages.len(), 1);
    assert_eq!(report.user_messages[0].kind, MessageKind::Warning);
    assert_eq!(report.user_messages[0].text, "fix main first");
}

#[tokio::test]
async fn decision_block_at_stop_keeps_the_agent_going_with_the_reason() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook(
                "Stop",
                "",
                command(r#"echo '{"decision": "block", "reason": "the tests were not run"}'"#),
            ),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    assert!(report.blocked);
    assert_eq!(report.block_reason().as_deref(), Some("the tests were not run"));
    assert_eq!(report.stop, None);
    assert_eq!(report.permission, None, "permissions are PreToolUse's only");
}

#[tokio::test]
async fn additional_context_from_json_goes_to_the_model() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &json!({"SessionStart": [{"matcher": "startup", "hooks": [
            command(r#"echo '{"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "open issues: 3"}}'"#),
            command("echo 'plain context'")
        ]}]})
        .to_string(),
    );
    let report = fx
        .load()
        .run(
            HookEvent::SessionStart,
            Some("startup"),
            fields::session_start("startup"),
            &fx.ctx(),
        )
        .await;
    assert_eq!(report.context, ["open issues: 3", "plain context"]);
    assert_eq!(
        report.context_text().as_deref(),
        Some("open issues: 3\n\nplain context")
    );
}

#[tokio::test]
async fn a_hook_that_cannot_start_is_an_error_not_a_panic() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &one_hook("Stop", "", command("true")).to_string(),
    );
    let hooks = fx.load();
    let gone = RunContext::new(fx.project.join("no-such-dir"), "s");
    let report = hooks.run(HookEvent::Stop, None, fields::stop(false), &gone).await;
    let result = &report.results[0];
    assert_eq!(result.outcome, HookOutcome::Error);
    assert_eq!(result.exit_code, None);
    assert!(
        result.message.as_deref().unwrap().contains("could not start"),
        "{:?}",
        result.message
    );
}

#[tokio::test]
async fn odd_output_is_read_lossily() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook(
                "Stop",
                "",
                command(r"printf 'ok\377\376'; printf '\377' >&2; exit 2"),
            ),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    let result = &report.results[0];
    assert_eq!(result.stdout.text, "ok\u{fffd}\u{fffd}");
    assert_eq!(report.block_reasons, ["\u{fffd}"]);
}

#[tokio::test]
async fn no_matching_hook_is_an_empty_report() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("PreToolUse", "Bash", command("exit 2")),
            HookEvent::PreToolUse,
            Some("grep"),
            Map::new(),
        )
        .await;
    assert!(report.is_empty() && !report.blocked && report.permission.is_none() && report.stop.is_none());
}
