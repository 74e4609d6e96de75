//! Slash commands end to end: Claude Code's command files and Mira's built-ins through
//! the real server's chat and API and through `mira ask` / `mira commands`, with hooks,
//! agents and MCP problems reported with their file and line.

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::chat::{chat_frames, env, model_server};
use crate::harness::{Dirs, Server, run, stdout_json};
use crate::websocket::{connect, next_reply};

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn fixture(dirs: &Dirs) {
    let project = dirs.project();
    write(
        &project.join(".claude/commands/words/rev.md"),
        "---\ndescription: Say words back\nargument-hint: [word]\nmodel: fast\n---\none two $1\n",
    );
    write(
        &dirs.tmp.path().join(".claude/commands/standup.md"),
        "# Standup notes\nWrite standup notes about $ARGUMENTS.\n",
    );
    write(
        &project.join(".claude/settings.json"),
        "{\n  \"hooks\": {\n    \"PreToolUse\": [\n      {\"matcher\": \"Edit\", \"hooks\": [{\"type\": \"command\"}]}\n    ]\n  }\n}\n",
    );
    write(
        &project.join(".mira/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: Reviews changes\ntools: Read, Grep\n---\nReview.\n",
    );
    write(
        &project.join(".mira/hooks.json"),
        r#"{"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "if grep -q forbidden; then echo 'that topic is off limits' >&2; exit 2; fi; echo 'Sprint goal: ship 1.2'"}]}]}"#,
    );
    write(
        &project.join(".mcp.json"),
        "{\"mcpServers\": {\"x\": {\"type\": \"sse\", \"url\": \"http://127.0.0.1:9/sse\"}}}",
    );
}

/// The `result` or `error` frame answering request `id` (hello and chat frames skipped).
async fn reply_to(socket: &mut crate::websocket::Socket, id: &str) -> Value {
    loop {
        let v = next_reply(socket).await;
        if (v["type"] == "result" || v["type"] == "error") && v["id"] == id {
            return v;
        }
    }
}

fn text_of(frames: &[Value]) -> String {
    frames
        .iter()
        .filter(|f| f["event"] == "delta")
        .map(|f| f["text"].as_str().unwrap())
        .collect::<String>()
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chat_and_the_api_run_claude_code_commands_and_answer_built_ins() {
    let model = model_server().await;
    let dirs = Dirs::new();
    fixture(&dirs);
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let project = dirs.project().display().to_string();
    stdout_json(&run(&dirs, &["projects", "add", &project, "--json"], &env_refs));
    let server = Server::start(&dirs, &env_refs);
    let projects = server.get_json("/api/projects").await;
    let id = projects["projects"][0]["id"].as_i64().unwrap();

    let listed = server.get_json(&format!("/api/projects/{id}/commands")).await;
    let names: Vec<&str> = listed["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"help") && names.contains(&"words:rev") && names.contains(&"standup"),
        "{names:?}"
    );
    let rev = listed["commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "words:rev")
        .unwrap();
    assert_eq!(rev["argument_hint"], "[word]");
    assert_eq!(rev["origin"], ".claude/commands/words/rev.md");
    assert_eq!(rev["source"], "project");

    let mut socket = connect(&server).await;
    let send = |id_: &str, message: &str| {
        Message::text(
            json!({"id": id_, "type": "chat.send", "message": message, "project_id": id, "context": false})
                .to_string(),
        )
    };
    // A command file: its prompt, with the argument, is what the model answers.
    socket.send(send("c1", "/words:rev three")).await.unwrap();
    let result = reply_to(&mut socket, "c1").await;
    assert_eq!(result["data"]["command"], "words:rev", "{result}");
    let frames = chat_frames(&mut socket, "c1").await;
    assert_eq!(text_of(&frames), "three two one");
    let done = frames.last().unwrap();
    assert_eq!(
        done["report"]["route"]["tier"], "fast",
        "the command's model: fast"
    );

    // The project's UserPromptSubmit hook adds context to a chat turn, or refuses it.
    let context = frames
        .iter()
        .find(|f| f["event"] == "context")
        .expect("a context frame");
    assert_eq!(
        context["context"]["hook_context"], "Sprint goal: ship 1.2",
        "{context}"
    );
    socket.send(send("c0", "a forbidden question")).await.unwrap();
    let refused = reply_to(&mut socket, "c0").await;
    assert_eq!(refused["type"], "error");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("that topic is off limits"),
        "{refused}"
    );

    // A built-in answers at once, without the model.
    socket.send(send("c2", "/help")).await.unwrap();
    let result = reply_to(&mut socket, "c2").await;
    assert_eq!(result["type"], "result");
    assert!(
        result["data"]["builtin"]["output"]
            .as_str()
            .unwrap()
            .contains("/rewind <checkpoint id>")
    );
    socket.send(send("c3", "/clear")).await.unwrap();
    let result = reply_to(&mut socket, "c3").await;
    assert_eq!(result["data"]["builtin"]["action"]["type"], "clear");
    socket.send(send("c4", "/words:ver x")).await.unwrap();
    let error = reply_to(&mut socket, "c4").await;
    assert_eq!(error["type"], "error");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `/words:rev`"),
        "{error}"
    );

    // What did not load is reported with its file and line.
    let hooks = server.get_json(&format!("/api/projects/{id}/hooks")).await;
    let problem = &hooks["problems"][0];
    assert_eq!(problem["file"], ".claude/settings.json", "{hooks}");
    assert_eq!(problem["line"], 4, "{hooks}");
    let agents = server.get_json(&format!("/api/projects/{id}/agents")).await;
    assert_eq!(agents["agents"][0]["name"], "reviewer");
    assert_eq!(agents["agents"][0]["tools"], json!(["Read", "Grep"]));
    let mcp = server.get_json(&format!("/api/projects/{id}/mcp")).await;
    assert!(
        mcp["problems"][0].as_str().unwrap().contains("SSE transport"),
        "{mcp}"
    );
    let (status, run_) = server
        .call(
            reqwest::Method::POST,
            &format!("/api/projects/{id}/commands/run"),
            Some(&json!({"input": "/standup the parser"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        run_["prompt"]["prompt"],
        "# Standup notes\nWrite standup notes about the parser.\n"
    );
    // An agent task may not be a built-in.
    let (status, refused) = server
        .call(
            reqwest::Method::POST,
            &format!("/api/projects/{id}/operations"),
            Some(&json!({"task": "/rewind abcd"})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("built-in")
            || refused.to_string().contains("built-in")
    );
}

#[test]
fn mira_ask_and_mira_commands_resolve_commands_from_the_terminal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let model = rt.block_on(model_server());
    let dirs = Dirs::new();
    fixture(&dirs);
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let project = dirs.project().display().to_string();
    stdout_json(&run(&dirs, &["projects", "add", &project, "--json"], &env_refs));

    let listed = stdout_json(&run(&dirs, &["commands", "--json"], &env_refs));
    let standup = listed["commands"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "standup")
        .unwrap()
        .clone();
    assert_eq!(standup["origin"], "~/.claude/commands/standup.md");
    assert_eq!(standup["description"], "Standup notes");

    let out = run(&dirs, &["ask", "/words:rev three", "--no-context"], &env_refs);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "three two one");
    let out = run(&dirs, &["ask", "/agents"], &env_refs);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("| reviewer | Reviews changes | Read, Grep |"));
    let out = run(&dirs, &["ask", "/nope"], &env_refs);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no command `/nope`"));
}
