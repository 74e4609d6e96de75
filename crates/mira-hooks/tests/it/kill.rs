//! Timeouts, cancellation and an abandoned run kill the hook and what it started.

use mira_hooks::{CancellationToken, HookEvent, HookOutcome, fields};
use serde_json::{Map, json};

use crate::support::{Fixture, command, one_hook, read_pid, wait_gone};

/// Starts a background `sleep`, records its pid, and waits for it.
const SLEEPER: &str = "sleep 300 & echo $! > sleep.pid; wait";

async fn wait_for_file(path: &std::path::Path) {
    for _ in 0..400 {
        if std::fs::read_to_string(path).is_ok_and(|text| text.ends_with('\n')) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{} never appeared", path.display());
}

#[tokio::test]
async fn a_hook_past_its_timeout_is_killed_with_its_children() {
    let fx = Fixture::new();
    let hook = json!({"type": "command", "command": SLEEPER, "timeout": 1});
    let report = fx
        .run_mira_hooks(
            one_hook("Stop", "", hook),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    let result = &report.results[0];
    assert!(result.timed_out);
    assert_eq!(result.exit_code, None);
    assert_eq!(result.outcome, HookOutcome::Error);
    assert!(
        result.message.as_deref().unwrap().contains("timed out after 1 s"),
        "{:?}",
        result.message
    );
    assert!(!report.blocked);
    let pid = read_pid(&fx.path("sleep.pid"));
    assert!(
        wait_gone(pid).await,
        "the background sleep {pid} outlived its hook"
    );
}

#[tokio::test]
async fn a_timeout_with_on_failure_block_blocks_naming_the_hook() {
    let fx = Fixture::new();
    let hook = json!({"type": "command", "command": SLEEPER, "timeout": 1, "on_failure": "block"});
    let report = fx
        .run_mira_hooks(
            one_hook("PreToolUse", "", hook),
            HookEvent::PreToolUse,
            Some("grep"),
            Map::new(),
        )
        .await;
    assert!(report.blocked);
    let reason = report.block_reason().unwrap();
    assert!(
        reason.contains(SLEEPER) && reason.contains("timed out"),
        "{reason}"
    );
    assert!(wait_gone(read_pid(&fx.path("sleep.pid"))).await);
}

#[tokio::test]
async fn cancelling_kills_running_hooks_and_their_children() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &one_hook("Stop", "", command(SLEEPER)).to_string(),
    );
    let hooks = fx.load();
    let token = CancellationToken::new();
    let mut ctx = fx.ctx();
    ctx.cancel = Some(token.clone());
    let pid_file = fx.path("sleep.pid");
    let canceller = tokio::spawn(async move {
        wait_for_file(&pid_file).await;
        token.cancel();
    });
    let report = hooks.run(HookEvent::Stop, None, fields::stop(false), &ctx).await;
    canceller.await.unwrap();
    let result = &report.results[0];
    assert!(result.cancelled && !result.timed_out);
    assert_eq!(result.outcome, HookOutcome::Cancelled);
    assert!(report.cancelled && !report.blocked && report.user_messages.is_empty());
    assert!(wait_gone(read_pid(&fx.path("sleep.pid"))).await);
}

#[tokio::test]
async fn what_a_hook_leaves_running_when_it_exits_is_killed() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook("Stop", "", command("sleep 300 & echo $! > sleep.pid; echo done")),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    let result = &report.results[0];
    assert_eq!((result.outcome, result.exit_code), (HookOutcome::Ok, Some(0)));
    assert_eq!(result.stdout.text, "done\n");
    assert!(wait_gone(read_pid(&fx.path("sleep.pid"))).await);
}

#[tokio::test]
async fn dropping_a_run_midway_kills_its_hooks() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &one_hook("Stop", "", command(SLEEPER)).to_string(),
    );
    let hooks = fx.load();
    let ctx = fx.ctx();
    let running =
        tokio::spawn(async move { hooks.run(HookEvent::Stop, None, fields::stop(false), &ctx).await });
    wait_for_file(&fx.path("sleep.pid")).await;
    running.abort();
    assert!(running.await.unwrap_err().is_cancelled());
    assert!(wait_gone(read_pid(&fx.path("sleep.pid"))).await);
}
