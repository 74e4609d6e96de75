//! The hooks of one event run at once; their results come back in configuration order.

use mira_hooks::{HookEvent, HookOutcome, fields};
use serde_json::json;

use crate::support::{Fixture, command};

/// Creates `mine`, then waits (boundedly, about 10 s) for `theirs`; exits 1 if it never
/// appears, which happens only if the other hook is not running at the same time.
fn meet(mine: &str, theirs: &str) -> String {
    format!(
        "touch {mine}; i=0; while [ ! -e {theirs} ]; do i=$((i+1)); if [ $i -gt 200 ]; then exit 1; fi; sleep 0.05; done; echo {mine}"
    )
}

#[tokio::test]
async fn hooks_of_one_event_run_concurrently() {
    let fx = Fixture::new();
    fx.project_file(
        ".mira/hooks.json",
        &json!({"Stop": [{"hooks": [command(&meet("a", "b"))]}, {"hooks": [command(&meet("b", "a"))]}]})
            .to_string(),
    );
    let report = fx
        .load()
        .run(HookEvent::Stop, None, fields::stop(false), &fx.ctx())
        .await;
    let outcomes: Vec<(HookOutcome, Option<i32>)> =
        report.results.iter().map(|r| (r.outcome, r.exit_code)).collect();
    assert_eq!(outcomes, [(HookOutcome::Ok, Some(0)), (HookOutcome::Ok, Some(0))]);
}

#[tokio::test]
async fn results_come_back_in_configuration_order_not_finishing_order() {
    let fx = Fixture::new();
    // The first waits for the last to finish writing, so it finishes last.
    let first = "i=0; while [ ! -e last.done ]; do i=$((i+1)); if [ $i -gt 200 ]; then exit 1; fi; sleep 0.05; done; echo first";
    fx.project_file(
        ".mira/hooks.json",
        &json!({"UserPromptSubmit": [{"hooks": [command(first), command("echo middle"), command("echo last; touch last.done")]}]})
            .to_string(),
    );
    let report = fx
        .load()
        .run(
            HookEvent::UserPromptSubmit,
            None,
            fields::user_prompt_submit("go"),
            &fx.ctx(),
        )
        .await;
    let stdout: Vec<&str> = report.results.iter().map(|r| r.stdout.text.trim()).collect();
    assert_eq!(stdout, ["first", "middle", "last"]);
    assert_eq!(report.context, ["first", "middle", "last"]);
}
