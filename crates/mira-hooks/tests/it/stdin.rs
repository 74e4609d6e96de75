//! What a hook receives: its stdin JSON, its environment and working directory.

use mira_hooks::{HookEvent, fields};
use serde_json::{Value, json};

use crate::support::{Fixture, command, one_hook};

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn pre_tool_use_input_has_the_common_fields_and_claude_code_tool_fields() {
    let fx = Fixture::new();
    let args = json!({"path": "src/lib.rs", "search": "old", "replace": "new"});
    let report = fx
        .run_mira_hooks(
            one_hook("PreToolUse", "Edit", command("cat > input.json")),
            HookEvent::PreToolUse,
            Some("edit_file"),
            fields::pre_tool_use("edit_file", &args, &fx.project),
        )
        .await;
    assert_eq!(report.results.len(), 1);
    let input = read_json(&fx.path("input.json"));
    assert_eq!(input["session_id"], "session-1");
    assert_eq!(input["transcript_path"], Value::Null);
    assert_eq!(input["cwd"], fx.project.to_str().unwrap());
    assert_eq!(input["hook_event_name"], "PreToolUse");
    assert_eq!(input["permission_mode"], "default");
    assert_eq!(input["tool_name"], "Edit");
    assert_eq!(input["mira_tool_name"], "edit_file");
    let tool_input = &input["tool_input"];
    assert_eq!(tool_input["path"], "src/lib.rs");
    assert_eq!(tool_input["file_path"], fx.path("src/lib.rs").to_str().unwrap());
    assert_eq!(tool_input["old_string"], "old");
    assert_eq!(tool_input["new_string"], "new");
    assert_eq!(tool_input["search"], "old");
}

#[tokio::test]
async fn each_event_gets_its_own_fields_and_the_context_s_values() {
    let fx = Fixture::new();
    let mut map = serde_json::Map::new();
    for event in HookEvent::ALL {
        map.insert(
            event.as_str().into(),
            json!([{"hooks": [command(&format!("cat > in-{event}.json"))]}]),
        );
    }
    fx.project_file(".mira/hooks.json", &Value::Object(map).to_string());
    let hooks = fx.load();
    let mut ctx = fx.ctx();
    ctx.transcript_path = Some(fx.path("transcript.jsonl"));
    ctx.permission_mode = "acceptEdits".into();
    let root = fx.project.clone();
    let cases = [
        (
            HookEvent::PostToolUse,
            Some("mcp__db__query"),
            fields::post_tool_use(
                "mcp__db__query",
                &json!({"sql": "select 1"}),
                json!({"rows": 1}),
                &root,
            ),
        ),
        (
            HookEvent::UserPromptSubmit,
            None,
            fields::user_prompt_submit("fix the bug"),
        ),
        (HookEvent::Stop, None, fields::stop(true)),
        (HookEvent::SubagentStop, None, fields::stop(false)),
        (
            HookEvent::SessionStart,
            Some("resume"),
            fields::session_start("resume"),
        ),
        (HookEvent::SessionEnd, None, fields::session_end("logout")),
        (
            HookEvent::PreCompact,
            Some("manual"),
            fields::pre_compact("manual", "keep the API notes"),
        ),
        (
            HookEvent::Notification,
            Some("idle"),
            fields::notification("idle", "waiting for you"),
        ),
    ];
    for (event, target, fields) in cases {
        let report = hooks.run(event, target, fields, &ctx).await;
        assert_eq!(report.results.len(), 1, "{event}");
    }
    let input = |event: HookEvent| read_json(&fx.path(&format!("in-{event}.json")));
    for event in HookEvent::ALL.into_iter().filter(|e| *e != HookEvent::PreToolUse) {
        let got = input(event);
        assert_eq!(got["hook_event_name"], event.as_str());
        assert_eq!(
            got["transcript_path"],
            fx.path("transcript.jsonl").to_str().unwrap()
        );
        assert_eq!(got["permission_mode"], "acceptEdits");
    }
    let post = input(HookEvent::PostToolUse);
    assert_eq!(post["tool_name"], "mcp__db__query");
    assert_eq!(post["mira_tool_name"], "mcp__db__query");
    assert_eq!(post["tool_input"], json!({"sql": "select 1"}));
    assert_eq!(post["tool_response"], json!({"rows": 1}));
    assert_eq!(input(HookEvent::UserPromptSubmit)["prompt"], "fix the bug");
    assert_eq!(input(HookEvent::Stop)["stop_hook_active"], true);
    assert_eq!(input(HookEvent::SubagentStop)["stop_hook_active"], false);
    assert_eq!(input(HookEvent::SessionStart)["source"], "resume");
    assert_eq!(input(HookEvent::SessionEnd)["reason"], "logout");
    let compact = input(HookEvent::PreCompact);
    assert_eq!(
        (
            compact["trigger"].as_str(),
            compact["custom_instructions"].as_str()
        ),
        (Some("manual"), Some("keep the API notes"))
    );
    let notification = input(HookEvent::Notification);
    assert_eq!(notification["message"], "waiting for you");
    assert_eq!(notification["notification_type"], "idle");
}

#[tokio::test]
async fn hooks_run_in_the_project_root_with_the_project_variables() {
    let fx = Fixture::new();
    let report = fx
        .run_mira_hooks(
            one_hook(
                "Stop",
                "",
                command("pwd; echo \"$CLAUDE_PROJECT_DIR\"; echo \"$MIRA_PROJECT_DIR\""),
            ),
            HookEvent::Stop,
            None,
            fields::stop(false),
        )
        .await;
    let root = fx.project.to_str().unwrap();
    let lines: Vec<&str> = report.results[0].stdout.text.lines().collect();
    assert_eq!(lines, [root, root, root]);
}

#[tokio::test]
async fn a_large_input_reaches_a_hook_whole_and_one_that_ignores_it_does_not_hang() {
    let fx = Fixture::new();
    let prompt = "x".repeat(1 << 20);
    fx.project_file(
        ".mira/hooks.json",
        &json!({"UserPromptSubmit": [{"hooks": [command("wc -c > count.txt"), command("exit 0")]}]})
            .to_string(),
    );
    let hooks = fx.load();
    let ctx = fx.ctx();
    let fields = fields::user_prompt_submit(&prompt);
    let expected = serde_json::to_vec(&{
        let mut all = fields.clone();
        all.insert("session_id".into(), "session-1".into());
        all.insert("transcript_path".into(), Value::Null);
        all.insert("cwd".into(), fx.project.to_str().unwrap().into());
        all.insert("hook_event_name".into(), "UserPromptSubmit".into());
        all.insert("permission_mode".into(), "default".into());
        all
    })
    .unwrap()
    .len();
    let report = hooks.run(HookEvent::UserPromptSubmit, None, fields, &ctx).await;
    assert!(
        report
            .results
            .iter()
            .all(|r| r.outcome == mira_hooks::HookOutcome::Ok),
        "{report:?}"
    );
    let counted: usize = std::fs::read_to_string(fx.path("count.txt"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(counted, expected);
}
