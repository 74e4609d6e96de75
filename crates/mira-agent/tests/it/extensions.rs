//! Claude Code's files as they are: hooks around the agent's tools, sub-agents with their
//! own tools, and slash commands, read from fixture `.claude/` and `.mira/` folders
//! written in the documented formats.

use std::path::Path;

use mira_agent::commands::resolve::{Resolved, resolve};
use mira_agent::commands::{Catalog, builtin::BuiltinContext};
use mira_agent::{AgentEvent, Mode};
use serde_json::{Value, json};

use crate::harness::{Fixture, LIB, compat_env, finish, results};
use crate::script::*;
use crate::server::Scripted;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The tool messages of a recorded model request, by call id.
fn tool_message(body: &Value, call_id: &str) -> String {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "tool" && m["tool_call_id"] == call_id)
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn hook_events(events: &[AgentEvent]) -> Vec<(String, String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Hook {
                hook_event,
                outcome,
                message,
                ..
            } => Some((hook_event.clone(), outcome.clone(), message.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_pre_tool_use_hook_that_exits_2_blocks_edit_file_and_its_stderr_reaches_the_model() {
    let server = Scripted::start(vec![
        openai_calls(&[(
            "c1",
            "edit_file",
            json!({"path": "src/lib.rs", "search": "a - b", "replace": "a + b"}),
        )]),
        openai_text("The hook refused the edit."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    // Claude Code's documented settings file, with a matcher on its own tool names.
    write(
        &f.root().join(".claude/settings.json"),
        r#"{"permissions": {"allow": []},
            "hooks": {"PreToolUse": [{"matcher": "Edit|Write",
              "hooks": [{"type": "command", "command": "cat > \"$CLAUDE_PROJECT_DIR/.hook-input.json\"; echo 'src/lib.rs is frozen until the release' >&2; exit 2"}]}]}}"#,
    );
    let (outcome, events) = finish(f.start("Fix add", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete", "{outcome:?}");
    assert_eq!(f.read("src/lib.rs"), LIB, "the blocked edit must not be written");
    let results = results(&events);
    assert_eq!(results.len(), 1);
    assert!(!results[0].1);
    assert!(
        results[0].2.contains("blocked by a PreToolUse hook"),
        "{}",
        results[0].2
    );
    let read_back = tool_message(&server.request(1).body, "c1");
    assert!(
        read_back.contains("src/lib.rs is frozen until the release"),
        "the model reads the hook's stderr: {read_back}"
    );
    let hooks = hook_events(&events);
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert_eq!(
        (hooks[0].0.as_str(), hooks[0].1.as_str()),
        ("PreToolUse", "blocked")
    );
    // The hook read Claude Code's field names.
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(f.root().join(".hook-input.json")).unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "PreToolUse");
    assert_eq!(input["tool_name"], "Edit");
    assert_eq!(input["mira_tool_name"], "edit_file");
    assert_eq!(input["tool_input"]["old_string"], "a - b");
    assert!(
        input["tool_input"]["file_path"]
            .as_str()
            .unwrap()
            .ends_with("src/lib.rs")
    );
}

#[tokio::test]
async fn a_json_deny_refuses_the_call_and_post_tool_use_and_stop_hooks_speak_to_the_model() {
    let server = Scripted::start(vec![
        openai_calls(&[
            ("c1", "run_build", json!({"command": "cargo test"})),
            ("c2", "read_file", json!({"path": "src/lib.rs"})),
        ]),
        openai_text("Done."),
        openai_text("Done, and the changelog is fine."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    write(
        &f.root().join(".mira/hooks.json"),
        r#"{"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command",
              "command": "echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PreToolUse\", \"permissionDecision\": \"deny\", \"permissionDecisionReason\": \"no builds on this branch\"}}'"}]}],
            "PostToolUse": [{"matcher": "read_file", "hooks": [{"type": "command",
              "command": "echo '{\"hookSpecificOutput\": {\"hookEventName\": \"PostToolUse\", \"additionalContext\": \"this file is generated\"}}'"}]}],
            "Stop": [{"hooks": [{"type": "command",
              "command": "if grep -q '\"stop_hook_active\": *true' ; then exit 0; else echo 'check the changelog first' >&2; exit 2; fi"}]}]}"#,
    );
    let (outcome, events) = finish(f.start("Look around", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete", "{outcome:?}");
    assert_eq!(outcome.summary, "Done, and the changelog is fine.");
    let results = results(&events);
    assert!(
        results[0].2.contains("no builds on this branch"),
        "{:?}",
        results[0]
    );
    assert!(!results[0].1);
    let second = server.request(1).body;
    assert!(tool_message(&second, "c1").contains("no builds on this branch"));
    assert!(tool_message(&second, "c2").contains("this file is generated"));
    // The Stop hook sent the model back once with its reason.
    let third = server.request(2).body;
    let last = third["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "user");
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .contains("check the changelog first"),
        "{last}"
    );
    let kinds: Vec<String> = hook_events(&events)
        .into_iter()
        .map(|h| format!("{}:{}", h.0, h.1))
        .collect();
    assert_eq!(
        kinds,
        ["PreToolUse:blocked", "PostToolUse:ok", "Stop:blocked", "Stop:ok"]
    );
}

#[tokio::test]
async fn a_user_prompt_submit_hook_adds_context_or_refuses_the_task() {
    let server = Scripted::start(vec![openai_text("ok")]).await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    write(
        &f.root().join(".claude/settings.local.json"),
        r#"{"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command",
              "command": "if grep -q secret; then echo 'tasks about secrets are not allowed' >&2; exit 2; fi; echo 'Sprint goal: ship 1.2'"}]}]}}"#,
    );
    let (outcome, _) = finish(f.start("Tidy the README", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete");
    let first = server.request(0).body;
    let user = first["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("Sprint goal: ship 1.2"), "{user}");

    let (outcome, events) = finish(f.start("print the secret key", Mode::Auto).await).await;
    assert_eq!(outcome.status, "blocked", "{outcome:?}");
    assert!(outcome.summary.contains("tasks about secrets are not allowed"));
    assert_eq!(
        server.requests().len(),
        1,
        "a refused task never reaches the model"
    );
    assert!(matches!(events.last(), Some(AgentEvent::Done { .. })));
}

#[tokio::test]
async fn a_sub_agent_without_edit_file_is_refused_the_edit_and_its_operation_is_nested() {
    let server = Scripted::start(vec![
        // The main agent delegates.
        openai_calls(&[(
            "t1",
            "task",
            json!({"subagent_type": "reviewer", "description": "review add", "prompt": "Review src/lib.rs and fix add"}),
        )]),
        // The sub-agent tries to edit.
        openai_calls(&[(
            "s1",
            "edit_file",
            json!({"path": "src/lib.rs", "search": "a - b", "replace": "a + b"}),
        )]),
        openai_text("add subtracts; I may not edit, so: change `a - b` to `a + b`."),
        openai_text("The reviewer found the bug."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    write(
        &f.root().join(".claude/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: Reviews code for bugs. Use after any change.\ntools: Read, Grep, Glob\nmodel: inherit\n---\nYou are a strict code reviewer. Report bugs; never change files.\n",
    );
    let (outcome, events) = finish(f.start("Find the bug in add", Mode::Auto).await).await;
    assert_eq!(outcome.status, "complete", "{outcome:?}");
    assert_eq!(f.read("src/lib.rs"), LIB);
    // The main agent was offered `task` naming the agent.
    let offered: Vec<String> = server.request(0).body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(offered.contains(&"task".to_string()));
    // The sub-agent ran with its own prompt and only reading tools.
    let sub = server.request(1).body;
    assert!(
        sub["messages"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("You are a strict code reviewer.")
    );
    let sub_tools: Vec<&str> = sub["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        sub_tools.contains(&"read_file") && !sub_tools.contains(&"edit_file") && !sub_tools.contains(&"task")
    );
    let refused = tool_message(&server.request(2).body, "s1");
    assert!(
        refused.contains("refused: `edit_file` is not among the tools"),
        "{refused}"
    );
    // Its result came back to the main agent.
    let back = tool_message(&server.request(3).body, "t1");
    assert!(back.contains("change `a - b` to `a + b`"), "{back}");
    // Nested events and a stored child operation.
    let child = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::SubagentStarted {
                operation_id, agent, ..
            } if agent == "reviewer" => Some(*operation_id),
            _ => None,
        })
        .expect("subagent_started");
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Nested { operation_id, inner } if *operation_id == child && matches!(**inner, AgentEvent::ToolResult { ok: false, .. }))));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::SubagentDone { status, .. } if status == "complete"))
    );
    let stored = mira_agent::store::get(&f.db, child).await.unwrap();
    assert_eq!(stored.agent.as_deref(), Some("reviewer"));
    let parent = stored.parent_id.expect("parent");
    let children = mira_agent::store::children(&f.db, parent).await.unwrap();
    assert_eq!(children.iter().map(|c| c.id).collect::<Vec<_>>(), [child]);
    let top: Vec<i64> = mira_agent::store::list(&f.db, f.project.id, 10)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(top, [parent], "sub-agents are listed under their parent only");
}

#[tokio::test]
async fn commands_from_claude_and_mira_folders_expand_with_their_frontmatter() {
    let f = Fixture::new(&[]).await;
    let home = f.home();
    write(
        &f.root().join(".claude/commands/git/pr.md"),
        "---\nallowed-tools: Bash(git diff:*), Read\nargument-hint: [pr-number] [priority]\ndescription: Review a pull request\nmodel: haiku\n---\nReview PR #$1 at priority $2. All: $ARGUMENTS\n",
    );
    write(
        &f.root().join(".mira/commands/review.md"),
        "# Review the working tree\nLook at the diff.\n",
    );
    write(&home.join(".claude/commands/review.md"), "User review\n");
    write(
        &home.join(".mira/commands/standup.md"),
        "---\ndescription: Standup notes\n---\nWrite standup notes about $ARGUMENTS.\n",
    );
    write(&f.root().join(".claude/commands/help.md"), "Project help\n");
    write(
        &f.root().join(".claude/commands/broken.md"),
        "---\ndescription: never closed\n",
    );

    let catalog = Catalog::load(Some(&f.root()), Some(&home));
    let pr = catalog.get("git:pr").unwrap();
    assert_eq!(pr.description, "Review a pull request");
    assert_eq!(pr.argument_hint.as_deref(), Some("[pr-number] [priority]"));
    assert_eq!(pr.allowed_tools.as_deref().unwrap(), ["Bash(git diff:*)", "Read"]);
    assert_eq!(pr.origin, ".claude/commands/git/pr.md");
    let review = catalog.get("review").unwrap();
    assert_eq!(review.origin, ".mira/commands/review.md", "the project's wins");
    assert_eq!(review.description, "Review the working tree");
    let shadowed: Vec<(&str, &str)> = catalog
        .commands
        .iter()
        .filter_map(|c| c.shadowed_by.as_deref().map(|w| (c.origin.as_str(), w)))
        .collect();
    assert!(
        shadowed.contains(&("~/.claude/commands/review.md", ".mira/commands/review.md")),
        "{shadowed:?}"
    );
    assert!(
        shadowed.contains(&(".claude/commands/help.md", "builtin")),
        "{shadowed:?}"
    );
    assert!(
        catalog
            .problems
            .iter()
            .any(|p| p.file == ".claude/commands/broken.md" && p.message.contains("closing"))
    );

    let config = f.config.clone();
    let deps = f.deps().await;
    let ext = deps.extensions.clone().unwrap();
    let ctx = BuiltinContext {
        db: &f.db,
        config: &config,
        gateway: Some(&deps.gateway),
        project: Some(&f.project),
        home: Some(&home),
        search: None,
        extensions: Some(&ext),
    };
    match resolve("/git:pr 456 high", &ctx).await.unwrap() {
        Resolved::Prompt(p) => {
            assert_eq!(p.prompt, "Review PR #456 at priority high. All: 456 high\n");
            assert_eq!(p.model.tier, Some(mira_llm::Tier::Fast));
            let tools = p.tools.unwrap();
            assert!(tools.allows("run_build") && tools.allows("read_file") && !tools.allows("edit_file"));
            assert_eq!(tools.commands, ["git diff"]);
        }
        other => panic!("{other:?}"),
    }
    match resolve("/standup the parser work", &ctx).await.unwrap() {
        Resolved::Prompt(p) => assert_eq!(p.prompt, "Write standup notes about the parser work.\n"),
        other => panic!("{other:?}"),
    }
    match resolve("/help", &ctx).await.unwrap() {
        Resolved::Builtin(a) => assert!(a.output.contains("/rewind <checkpoint id>")),
        other => panic!("{other:?}"),
    }
    match resolve("/commands", &ctx).await.unwrap() {
        Resolved::Builtin(a) => {
            assert!(
                a.output.contains("`/git:pr [pr-number] [priority]`"),
                "{}",
                a.output
            );
            assert!(a.output.contains("shadowed by builtin"), "{}", a.output);
            assert!(a.output.contains(".claude/commands/broken.md:1"), "{}", a.output);
        }
        other => panic!("{other:?}"),
    }
    match resolve("/clear", &ctx).await.unwrap() {
        Resolved::Builtin(a) => assert_eq!(a.action, Some(mira_agent::commands::builtin::Action::Clear)),
        other => panic!("{other:?}"),
    }
    let unknown = resolve("/git:rp 1", &ctx).await.unwrap_err().to_string();
    assert!(unknown.contains("did you mean `/git:pr`"), "{unknown}");
    assert!(matches!(
        resolve("/usr/bin/env is slow", &ctx).await.unwrap(),
        Resolved::Text
    ));
}

/// The official MCP reference server (npm `@modelcontextprotocol/server-everything`,
/// installed by scripts/test.sh for mira-mcp-client's tests).
fn everything_js() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../mira-mcp-client/tests/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        path.exists(),
        "the MCP reference server is not installed: run `npm --prefix crates/mira-mcp-client/tests/everything ci`"
    );
    path.canonicalize().unwrap().display().to_string()
}

#[tokio::test]
async fn a_scripted_model_calls_an_mcp_servers_tools_and_its_prompts_are_commands() {
    let server = Scripted::start(vec![
        openai_calls(&[
            (
                "m1",
                "mcp__everything__echo",
                json!({"message": "hello from the agent"}),
            ),
            ("m2", "mcp__everything__get-sum", json!({"a": 2, "b": 40})),
        ]),
        openai_text("The server echoed and added."),
    ])
    .await;
    let f = Fixture::new(&compat_env(&server.url("/v1"))).await;
    // Claude Code's .mcp.json, with ${VAR:-default} expansion.
    write(
        &f.root().join(".mcp.json"),
        &json!({"mcpServers": {"everything": {
            "command": "${MIRA_TEST_NODE:-node}",
            "args": [everything_js(), "stdio"]
        }}})
        .to_string(),
    );
    let deps = f.deps().await;
    let (outcome, events) = finish(
        mira_agent::start(deps.clone(), f.request("Use the server", Mode::Auto), None)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(outcome.status, "complete", "{outcome:?}");
    let offered: Vec<String> = server.request(0).body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        offered.contains(&"mcp__everything__echo".to_string()),
        "{offered:?}"
    );
    let results = results(&events);
    assert_eq!(
        results[0],
        (
            "mcp__everything__echo".into(),
            true,
            "Echo: hello from the agent".into()
        )
    );
    assert!(results[1].2.contains("42"), "{:?}", results[1]);
    assert!(tool_message(&server.request(1).body, "m1").contains("Echo: hello from the agent"));

    // Its prompts are slash commands; /mcp shows it; the tools respect allowed-tools.
    let ext = deps.extensions.clone().unwrap();
    let home = f.home();
    let ctx = BuiltinContext {
        db: &f.db,
        config: &f.config,
        gateway: Some(&deps.gateway),
        project: Some(&f.project),
        home: Some(&home),
        search: None,
        extensions: Some(&ext),
    };
    match resolve("/mcp__everything__args-prompt Paris TX", &ctx)
        .await
        .unwrap()
    {
        Resolved::Prompt(p) => assert!(p.prompt.contains("Paris, TX"), "{}", p.prompt),
        other => panic!("{other:?}"),
    }
    let missing = resolve("/mcp__everything__args-prompt", &ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("needs city"), "{missing}");
    match resolve("/mcp", &ctx).await.unwrap() {
        Resolved::Builtin(a) => {
            assert!(a.output.contains("**everything**"), "{}", a.output);
            assert!(a.output.contains(": ready"), "{}", a.output);
            assert!(a.output.contains("`mcp__everything__echo`"), "{}", a.output);
        }
        other => panic!("{other:?}"),
    }
    let listed = mira_agent::commands::resolve::list(&ctx).await.0;
    assert!(
        listed
            .iter()
            .any(|c| c.name == "mcp__everything__args-prompt" && c.source == "mcp")
    );
}
