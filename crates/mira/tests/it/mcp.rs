//! Mira as an MCP server: the real `mira mcp` over stdio driven by rmcp's client, and
//! `/mcp` on the real `mira serve` over streamable HTTP, on a fixture project with git
//! history and a recorded build error. Every tool's structured answer is compared with
//! the CLI's `--json` of the same question.

// MCP roots are deprecated by the newest protocol revision (SEP-2577) but are how the
// 2025 revisions' clients name their workspace; the server supports them.
#![allow(deprecated)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation, ListRootsResult,
    NumberOrString, ProgressNotificationParam, ProgressToken, RequestMetaObject, Root,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Map, Value, json};

use crate::harness::{Dirs, Server, canonical, run, stdout_json};

const PRICING_PY: &str = "def apply_discount(price, percent):\n    \"\"\"Takes percent off a price.\"\"\"\n    return price * (100 - percent) / 100\n\n\ndef add_tax(price, rate):\n    return price * (1 + rate)\n";

const CHECKOUT_PY: &str = "from pricing import apply_discount, add_tax\n\n\ndef checkout(cart):\n    total = sum(apply_discount(p, 10) for p in cart)\n    return add_tax(total, 0.2)\n\n\ndef test_checkout():\n    assert checkout([100]) == 108.0\n";

const BROKEN_C: &str = "int main(void) {\n    return missing_symbol;\n}\n";

/// Runs git in the project as `who` on fixed dates.
fn git(dir: &Path, args: &[&str], who: (&str, &str), day: i64) {
    let date = format!("@{} +0000", 1_700_000_000 + day * 86_400);
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Environment of every command: run_build may run gcc and sleep; no file watcher
/// unless a test wants one.
const ENV: &[(&str, &str)] = &[
    ("AGENT_ALLOWED_COMMANDS", "gcc -fsyntax-only;sleep"),
    ("RATE_LIMIT_ENABLED", "false"),
];

/// A Python project with three commits by two people (pricing.py and checkout.py change
/// together) and a C file whose build error is recorded by `mira build`.
fn fixture(dirs: &Dirs) {
    let p = dirs.project();
    std::fs::write(p.join("pricing.py"), PRICING_PY).unwrap();
    std::fs::write(p.join("checkout.py"), CHECKOUT_PY).unwrap();
    std::fs::write(p.join("broken.c"), BROKEN_C).unwrap();
    let ann = ("Ann", "ann@x.org");
    let bob = ("Bob", "bob@x.org");
    git(&p, &["init", "-q", "-b", "main"], ann, 0);
    git(&p, &["add", "-A"], ann, 0);
    git(&p, &["commit", "-q", "-m", "initial"], ann, 0);
    for (i, who) in [(1, bob), (2, ann)] {
        std::fs::write(p.join("pricing.py"), format!("{PRICING_PY}\n# rev {i}\n")).unwrap();
        std::fs::write(p.join("checkout.py"), format!("{CHECKOUT_PY}\n# rev {i}\n")).unwrap();
        git(
            &p,
            &["commit", "-q", "-am", &format!("fix: rounding {i}")],
            who,
            i,
        );
    }
    let indexed = stdout_json(&run(dirs, &["index", "--json", "--no-embed"], ENV));
    assert_eq!(indexed["git"]["new_commits"], 3, "{indexed}");
    let build = run(dirs, &["build", "--", "gcc", "-fsyntax-only", "broken.c"], ENV);
    assert!(!build.status.success());
}

/// The client side of a test session: offers roots when given, records progress.
#[derive(Clone, Default)]
struct TestClient {
    roots: Vec<PathBuf>,
    progress: Arc<Mutex<Vec<ProgressNotificationParam>>>,
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        let caps = if self.roots.is_empty() {
            ClientCapabilities::default()
        } else {
            ClientCapabilities::builder().enable_roots().build()
        };
        ClientConfig::new(caps, Implementation::new("mira-tests", "1"))
    }

    async fn list_roots(&self, _ctx: RequestContext<RoleClient>) -> Result<ListRootsResult, ErrorData> {
        Ok(ListRootsResult::new(
            self.roots
                .iter()
                .map(|r| Root::new(format!("file://{}", r.display())))
                .collect(),
        ))
    }

    async fn on_progress(&self, params: ProgressNotificationParam, _ctx: NotificationContext<RoleClient>) {
        self.progress.lock().unwrap().push(params);
    }
}

type Client = RunningService<RoleClient, TestClient>;

/// `mira mcp` (with `args`) as a child process in the project directory.
async fn stdio(dirs: &Dirs, args: &[&str], env: &[(&str, &str)], client: TestClient) -> Client {
    let mut cmd = dirs.command(env);
    cmd.arg("mcp").args(args);
    let log = std::fs::File::create(dirs.tmp.path().join("mcp-stderr.log")).unwrap();
    let (transport, _) = TokioChildProcess::builder(tokio::process::Command::from(cmd))
        .stderr(log)
        .spawn()
        .unwrap();
    client.serve(transport).await.expect("initialize over stdio")
}

async fn http(server: &Server, query: &str, client: TestClient) -> Client {
    mira_mcp_client::install_tls_provider();
    let config = StreamableHttpClientTransportConfig::with_uri(server.url(&format!("/mcp{query}")))
        .auth_header(server.token.clone());
    let transport = StreamableHttpClientTransport::from_config(config);
    client.serve(transport).await.expect("initialize over HTTP")
}

fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args(arguments)))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// The structured answer of a successful call, without the `truncated` flag.
async fn answer(client: &Client, tool: &str, arguments: Value) -> Value {
    let r = call(client, tool, arguments.clone()).await;
    assert_ne!(r.is_error, Some(true), "{tool} {arguments}: {:?}", r.content);
    assert!(!r.content.is_empty(), "{tool}: a text rendering");
    let mut v = r
        .structured_content
        .unwrap_or_else(|| panic!("{tool}: structuredContent"));
    assert!(v["truncated"].is_boolean(), "{tool}: {v}");
    v.as_object_mut().unwrap().remove("truncated");
    v
}

/// The text of an `isError` result.
async fn tool_error(client: &Client, tool: &str, arguments: Value) -> String {
    let r = call(client, tool, arguments.clone()).await;
    assert_eq!(
        r.is_error,
        Some(true),
        "{tool} {arguments} should fail: {:?}",
        r.structured_content
    );
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn cli(dirs: &Dirs, args: &[&str]) -> Value {
    stdout_json(&run(dirs, args, ENV))
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

/// A co-change answer without its suggestions' scores (score, weighted, strength), which decay with the time of the
/// call (recency), so two calls a second apart differ in the seventh digit.
fn steady(mut v: Value) -> Value {
    if let Some(list) = v.get_mut("suggestions").and_then(Value::as_array_mut) {
        for s in list {
            // `weighted` and `strength` fade with recency too.
            for key in ["score", "weighted", "strength"] {
                assert!(s[key].as_f64().is_some_and(|x| x > 0.0), "{key}: {s}");
                s.as_object_mut().unwrap().remove(key);
            }
        }
    }
    v
}

const TOOLS: &[&str] = &[
    "search",
    "context",
    "symbols",
    "definition",
    "callers",
    "callees",
    "impact",
    "callgraph",
    "cochange",
    "experts",
    "blame",
    "file_history",
    "fixes",
    "build_errors",
    "concepts",
    "memory",
    "index_status",
    "run_build",
    "reindex",
];

/// The CLI's answers to the questions the MCP session asks (taken before `mira mcp`
/// holds the data dir).
fn cli_answers(dirs: &Dirs) -> Value {
    // Something in memory for the `memory` tool (and the context) to answer with.
    let told = run(
        dirs,
        &[
            "memory",
            "remember",
            "--project",
            "",
            "We apply the discount before tax.",
        ],
        ENV,
    );
    assert!(told.status.success(), "{told:?}");
    json!({
        "memory": cli(dirs, &["memory", "search", "discount", "--json"]),
        "callers": cli(dirs, &["callers", "apply_discount", "--json"]),
        "callees": cli(dirs, &["callees", "checkout", "--json"]),
        "impact": cli(dirs, &["impact", "apply_discount", "--json"]),
        "symbols": cli(dirs, &["symbols", "add", "--json"]),
        "outline": cli(dirs, &["symbols", "pricing.py", "--json"]),
        "callgraph": cli(dirs, &["callgraph", "--json"]),
        "cochange": steady(cli(dirs, &["cochange", "pricing.py", "--json"])),
        "experts": cli(dirs, &["experts", "--json"]),
        "blame": cli(dirs, &["blame", "pricing.py", "--json"]),
        "log": cli(dirs, &["log", "pricing.py", "--json"]),
        "fixes": cli(dirs, &["fixes", "error: rounding is wrong", "--json"]),
        "errors": cli(dirs, &["errors", "--json"]),
        "concepts": cli(dirs, &["concepts", "list", "--json"]),
        "search": cli(dirs, &["search", "apply_discount", "--mode", "keyword", "--json"]),
        "context": cli(dirs, &["context", "where is the discount applied?", "--json"]),
    })
}

/// Asks every tool over `client` and compares with the CLI's answers.
async fn compare_with_cli(client: &Client, expected: &Value) {
    let got = answer(client, "callers", json!({"symbol": "apply_discount"})).await;
    assert_eq!(got, expected["callers"]);
    assert!(
        got["matches"][0]["callers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["symbol"] == "checkout.checkout"),
        "{got}"
    );
    assert_eq!(
        answer(client, "callees", json!({"symbol": "checkout"})).await,
        expected["callees"]
    );
    assert_eq!(
        answer(client, "impact", json!({"symbol": "apply_discount"})).await,
        expected["impact"]
    );
    assert_eq!(
        answer(client, "symbols", json!({"query": "add"})).await,
        expected["symbols"]
    );
    assert_eq!(
        answer(client, "symbols", json!({"path": "pricing.py"})).await,
        expected["outline"]
    );
    assert_eq!(
        answer(client, "callgraph", json!({})).await,
        expected["callgraph"]
    );
    let cochange = steady(answer(client, "cochange", json!({"path": "pricing.py"})).await);
    assert_eq!(cochange, expected["cochange"]);
    assert_eq!(cochange["suggestions"][0]["file"], "checkout.py", "{cochange}");
    assert_eq!(answer(client, "experts", json!({})).await, expected["experts"]);
    assert_eq!(
        answer(client, "blame", json!({"path": "pricing.py"})).await,
        expected["blame"]
    );
    assert_eq!(
        answer(client, "file_history", json!({"path": "pricing.py"})).await,
        expected["log"]
    );
    assert_eq!(
        answer(client, "fixes", json!({"error": "error: rounding is wrong"})).await,
        expected["fixes"]
    );
    let errors = answer(client, "build_errors", json!({})).await;
    assert_eq!(errors, expected["errors"]);
    assert!(
        errors["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("missing_symbol"),
        "{errors}"
    );
    assert_eq!(answer(client, "concepts", json!({})).await, expected["concepts"]);
    let search = answer(
        client,
        "search",
        json!({"query": "apply_discount", "mode": "keyword"}),
    )
    .await;
    assert_eq!(
        without(search, &["took_ms"]),
        without(expected["search"].clone(), &["took_ms"])
    );
    let context = answer(
        client,
        "context",
        json!({"task": "where is the discount applied?"}),
    )
    .await;
    assert_eq!(
        without(context, &["took_ms"]),
        without(expected["context"].clone(), &["took_ms"])
    );

    let memory = answer(client, "memory", json!({"query": "discount"})).await;
    // Scores are shortened to f32 on the way out; the items are the same.
    let ids = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["id"].clone(), i["text"].clone(), i["sources"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&memory), ids(&expected["memory"]));
    assert!(memory["items"].to_string().contains("before tax"), "{memory}");

    // No CLI twin: definition, index_status (checked against the same indexes).
    let def = answer(client, "definition", json!({"symbol": "apply_discount"})).await;
    let outline = expected["outline"]["symbols"].as_array().unwrap();
    let from_outline = outline.iter().find(|s| s["name"] == "apply_discount").unwrap();
    assert_eq!(def["definitions"][0], *from_outline);
    let at_call = answer(
        client,
        "definition",
        json!({"path": "checkout.py", "line": 5, "col": 20}),
    )
    .await;
    assert_eq!(
        at_call["definitions"][0]["qualified_name"], from_outline["qualified_name"],
        "{at_call}"
    );
    let status = answer(client, "index_status", json!({})).await;
    assert_eq!(status["git"]["commits"], 3, "{status}");
    assert!(status["code"]["symbols"].as_i64().unwrap() >= 4, "{status}");
}

/// The bounded answers: a limit cuts and says so.
async fn check_limits(client: &Client) {
    let r = call(client, "symbols", json!({"limit": 1})).await;
    let v = r.structured_content.unwrap();
    assert_eq!(v["symbols"].as_array().unwrap().len(), 1);
    assert_eq!(v["truncated"], true, "{v}");
    let v = call(
        client,
        "callers",
        json!({"symbol": "apply_discount", "limit": 500}),
    )
    .await
    .structured_content
    .unwrap();
    assert_eq!(v["truncated"], false);
}

/// Bad input: each gets an answer saying what to send, and the session goes on.
async fn check_bad_input(client: &Client) {
    let unknown = client
        .call_tool(CallToolRequestParams::new("grep_everything"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        unknown.contains("unknown tool") && unknown.contains("callers"),
        "{unknown}"
    );
    let missing = tool_error(client, "callers", json!({})).await;
    assert!(missing.contains("`symbol` is missing"), "{missing}");
    let mistyped = tool_error(client, "callers", json!({"symbol": 42})).await;
    assert!(mistyped.contains("must be a string"), "{mistyped}");
    let bad_limit = tool_error(client, "cochange", json!({"path": "pricing.py", "limit": "ten"})).await;
    assert!(bad_limit.contains("integer from 1 to"), "{bad_limit}");
    let misspelt = tool_error(client, "blame", json!({"pth": "pricing.py"})).await;
    assert!(
        misspelt.contains("unknown argument `pth`") && misspelt.contains("`path`"),
        "{misspelt}"
    );
    let outside = tool_error(client, "blame", json!({"path": "../../etc/passwd"})).await;
    assert!(outside.contains("outside the project"), "{outside}");
    let absolute = tool_error(client, "cochange", json!({"path": "/etc/passwd"})).await;
    assert!(absolute.contains("outside the project"), "{absolute}");
    let nothing = tool_error(client, "callers", json!({"symbol": "no_such_function_anywhere"})).await;
    assert!(
        nothing.contains("no symbol") && nothing.contains("`symbols`"),
        "{nothing}"
    );
    let refused = tool_error(client, "run_build", json!({"command": "rm -rf pricing.py"})).await;
    assert!(refused.contains("refused"), "{refused}");
    assert!(dummy_exists(client).await);
}

/// The session still answers.
async fn dummy_exists(client: &Client) -> bool {
    let v = answer(client, "symbols", json!({"query": "checkout"})).await;
    !v["symbols"].as_array().unwrap().is_empty()
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_server_answers_like_the_cli() {
    let dirs = Dirs::new();
    fixture(&dirs);
    let expected = cli_answers(&dirs);
    let client = stdio(&dirs, &[], ENV, TestClient::default()).await;

    let info = client.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("mira"));
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(
        instructions.contains("grep") && instructions.contains("`impact`"),
        "{instructions}"
    );
    assert!(
        info.capabilities.tools.is_some()
            && info.capabilities.resources.is_some()
            && info.capabilities.prompts.is_some()
    );

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, TOOLS);
    for t in &tools {
        assert!(t.output_schema.is_some(), "{}", t.name);
        assert_eq!(t.input_schema["type"], "object", "{}", t.name);
        let a = t.annotations.as_ref().unwrap();
        let writes = matches!(t.name.as_ref(), "run_build" | "reindex");
        assert_eq!(a.read_only_hint, Some(!writes), "{}", t.name);
        assert_eq!(a.open_world_hint, Some(false), "{}", t.name);
    }

    compare_with_cli(&client, &expected).await;
    check_limits(&client).await;
    check_bad_input(&client).await;

    let build = call(
        &client,
        "run_build",
        json!({"command": "gcc -fsyntax-only broken.c"}),
    )
    .await;
    let v = build.structured_content.unwrap();
    assert_eq!(v["succeeded"], false, "{v}");
    assert_eq!(v["run"]["status"], "failed", "{v}");
    assert!(
        v["output_tail"].as_str().unwrap().contains("missing_symbol"),
        "{v}"
    );
    let reindex = answer(&client, "reindex", json!({})).await;
    assert!(reindex["code"]["files"].as_i64().unwrap() >= 3, "{reindex}");

    let status = client
        .read_resource(rmcp::model::ReadResourceRequestParams::new(
            "mira://project/status",
        ))
        .await
        .unwrap();
    assert!(format!("{status:?}").contains("commits"));
    let prompts = client.list_all_prompts().await.unwrap();
    assert!(prompts.iter().any(|p| p.name == "change-safely"));
    client.cancel().await.unwrap();
}

/// Raw JSON-RPC lines over the process's pipes: only protocol messages on stdout, and
/// both protocol versions the issue names are negotiated.
#[test]
fn stdout_carries_only_protocol_messages() {
    let dirs = Dirs::new();
    fixture(&dirs);
    for version in ["2025-06-18", "2025-11-25"] {
        let mut child = dirs
            .command(ENV)
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
        let lines = [
            init,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "callers", "arguments": {"symbol": "add_tax"}}}),
            json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "nope", "arguments": {}}}),
            json!({"jsonrpc": "2.0", "id": 4, "method": "ping"}),
        ];
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut responses = Vec::new();
        let mut reader = stdout.lines();
        for line in &lines {
            writeln!(stdin, "{line}").unwrap();
            stdin.flush().unwrap();
            if line.get("id").is_some() {
                let text = reader.next().expect("an answer").unwrap();
                let v: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {text}"));
                responses.push(v);
            }
        }
        drop(stdin);
        for rest in reader {
            let text = rest.unwrap();
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {text}"));
        }
        let status = child.wait().unwrap();
        assert!(status.success(), "mira mcp exits cleanly when stdin closes");
        assert_eq!(responses[0]["result"]["protocolVersion"], version);
        assert_eq!(
            responses[1]["result"]["structuredContent"]["matches"][0]["callers"][0]["symbol"],
            "checkout.checkout",
            "{}",
            responses[1]
        );
        assert_eq!(responses[2]["error"]["code"], -32602, "{}", responses[2]);
        assert!(responses[3]["result"].is_object());
    }
}

/// A directory nobody indexed: the first call indexes it (with progress notifications
/// on the call's token) from the client's root, and a saved file is seen by the watcher.
#[tokio::test(flavor = "multi_thread")]
async fn first_use_indexes_from_the_roots_and_follows_saves() {
    let dirs = Dirs::new();
    let other = dirs.tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("pricing.py"), PRICING_PY).unwrap();
    std::fs::write(other.join("checkout.py"), CHECKOUT_PY).unwrap();
    let client = TestClient {
        roots: vec![other.clone()],
        ..TestClient::default()
    };
    let progress = client.progress.clone();
    let env: Vec<(&str, &str)> = ENV
        .iter()
        .copied()
        // Quiet times far longer than the test: a save is seen only because a call
        // asks the watcher to index what it has seen.
        .chain([("WATCHER_DEBOUNCE_MS", "60000"), ("WATCHER_BATCH_MS", "120000")])
        .collect();
    let session = stdio(&dirs, &[], &env, client).await;
    let mut params = CallToolRequestParams::new("callers").with_arguments(args(json!({"symbol": "add_tax"})));
    params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
        NumberOrString::String("first".into()),
    )));
    let r = session.call_tool(params).await.unwrap();
    let v = r.structured_content.unwrap();
    assert_eq!(
        v["matches"][0]["callers"][0]["symbol"], "checkout.checkout",
        "{v}"
    );
    let seen = progress.lock().unwrap().clone();
    assert!(!seen.is_empty(), "progress notifications while indexing");
    assert!(
        seen.windows(2).all(|w| w[0].progress < w[1].progress),
        "progress only grows: {:?}",
        seen.iter()
            .map(|p| (p.progress, p.total, p.message.clone()))
            .collect::<Vec<_>>()
    );
    let status = answer(&session, "index_status", json!({})).await;
    assert_eq!(status["project"]["root"], canonical(&other));

    // A saved file: its new function's callers are known without a reindex call, long
    // before the watcher's own quiet time would have it indexed.
    std::fs::write(
        other.join("refund.py"),
        "from checkout import checkout\n\n\ndef refund(cart):\n    return -checkout(cart)\n",
    )
    .unwrap();
    let mut found = Value::Null;
    for _ in 0..100 {
        found = answer(&session, "callers", json!({"symbol": "checkout"})).await;
        if found.to_string().contains("refund.refund") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        found.to_string().contains("refund.refund"),
        "{found}\nmira mcp's stderr:\n{}",
        std::fs::read_to_string(dirs.tmp.path().join("mcp-stderr.log")).unwrap_or_default()
    );
    session.cancel().await.unwrap();
}

/// With `mira serve` holding the data dir, `mira mcp` works through it; and `/mcp` on the
/// server answers the same over HTTP behind the token, to 50 calls at once.
#[tokio::test(flavor = "multi_thread")]
async fn http_endpoint_and_stdio_through_the_running_server() {
    let dirs = Dirs::new();
    fixture(&dirs);
    let expected = cli_answers(&dirs);
    let server = Server::start(&dirs, ENV);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();

    // No token, no MCP.
    let denied = reqwest::Client::new()
        .post(server.url("/mcp"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);

    let client = http(&server, &format!("?project={id}"), TestClient::default()).await;
    assert_eq!(client.list_all_tools().await.unwrap().len(), TOOLS.len());
    // The server's search is still filling (dense vectors, background): compare the rest.
    let got = answer(&client, "callers", json!({"symbol": "apply_discount"})).await;
    assert_eq!(got, expected["callers"]);
    assert_eq!(
        steady(answer(&client, "cochange", json!({"path": "pricing.py"})).await),
        expected["cochange"]
    );
    assert_eq!(
        answer(&client, "blame", json!({"path": "pricing.py"})).await,
        expected["blame"]
    );
    assert_eq!(
        answer(&client, "build_errors", json!({})).await,
        expected["errors"]
    );
    check_bad_input(&client).await;

    // 50 concurrent calls over one session, and all equal.
    let client = Arc::new(client);
    let calls = (0..50).map(|i| {
        let client = client.clone();
        async move {
            let (tool, arguments) = match i % 3 {
                0 => ("callers", json!({"symbol": "apply_discount"})),
                1 => ("cochange", json!({"path": "pricing.py"})),
                _ => ("search", json!({"query": "apply_discount", "mode": "keyword"})),
            };
            // Co-change scores fade with the clock between calls: compare the rest.
            (i % 3, steady(answer(&client, tool, arguments).await))
        }
    });
    let results = futures_util::future::join_all(calls).await;
    assert_eq!(results.len(), 50);
    for (kind, v) in &results {
        let first = &results.iter().find(|(k, _)| k == kind).unwrap().1;
        if *kind == 2 {
            assert!(!v["results"].as_array().unwrap().is_empty(), "{v}");
        } else {
            assert_eq!(v, first);
        }
    }

    // A client that goes away mid-call: the server carries on.
    let quitter = http(&server, &format!("?project={id}"), TestClient::default()).await;
    let pending = tokio::spawn(async move {
        let _ = quitter
            .call_tool(
                CallToolRequestParams::new("run_build").with_arguments(args(json!({"command": "sleep 20"}))),
            )
            .await;
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    pending.abort();
    let _ = pending.await;
    assert!(dummy_exists(&client).await);

    // stdio through the server: search and context come from it.
    let through = stdio(&dirs, &[], ENV, TestClient::default()).await;
    let search = answer(
        &through,
        "search",
        json!({"query": "apply_discount", "mode": "keyword"}),
    )
    .await;
    assert_eq!(
        search["results"][0]["path"], expected["search"]["results"][0]["path"],
        "{search}"
    );
    let context = answer(
        &through,
        "context",
        json!({"task": "where is the discount applied?"}),
    )
    .await;
    assert!(!context["files"].as_array().unwrap().is_empty(), "{context}");
    assert_eq!(
        answer(&through, "callers", json!({"symbol": "apply_discount"})).await,
        expected["callers"]
    );
    through.cancel().await.unwrap();
    if let Ok(c) = Arc::try_unwrap(client) {
        c.cancel().await.unwrap();
    }
}

/// `mira mcp config HOST` for each host: the snippet names this binary, and the command
/// it configures starts a working MCP server.
#[tokio::test(flavor = "multi_thread")]
async fn config_snippets_start_a_working_server() {
    let dirs = Dirs::new();
    fixture(&dirs);
    let bin = canonical(Path::new(crate::harness::BIN));
    for host in ["claude", "codex", "gemini", "cursor", "vscode", "zed"] {
        let out = run(&dirs, &["mcp", "config", host], ENV);
        assert!(
            out.status.success(),
            "{host}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let (command, argv): (String, Vec<String>) = match host {
            "claude" => {
                let words: Vec<String> = text.trim().split(' ').map(str::to_string).collect();
                assert_eq!(&words[..4], ["claude", "mcp", "add", "mira"], "{text}");
                assert_eq!(words[4], "--");
                (words[5].clone(), words[6..].to_vec())
            }
            "codex" => {
                let v: toml::Value = toml::from_str(&text).unwrap();
                let s = &v["mcp_servers"]["mira"];
                (
                    s["command"].as_str().unwrap().to_string(),
                    s["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect(),
                )
            }
            _ => {
                let v: Value = serde_json::from_str(&text).unwrap();
                let key = match host {
                    "vscode" => "servers",
                    "zed" => "context_servers",
                    _ => "mcpServers",
                };
                let s = &v[key]["mira"];
                (
                    s["command"].as_str().unwrap().to_string(),
                    s["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect(),
                )
            }
        };
        assert_eq!(command, bin, "{host}");
        let cmd = dirs.command(ENV);
        let mut real = tokio::process::Command::new(&command);
        real.args(&argv).env_clear().current_dir(dirs.project());
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                real.env(k, v);
            }
        }
        let (transport, _) = TokioChildProcess::builder(real)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let session = TestClient::default().serve(transport).await.expect(host);
        assert!(dummy_exists(&session).await, "{host}");
        session.cancel().await.unwrap();
    }
    let unknown = run(&dirs, &["mcp", "config", "emacs"], ENV);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("claude, codex"));
}

/// The official Python SDK (`mcp` on PyPI, installed by scripts/test.sh) drives a session
/// over stdio and over HTTP; its structured answers equal the CLI's `--json`.
#[test]
fn python_sdk_session_over_stdio_and_http() {
    let dirs = Dirs::new();
    fixture(&dirs);
    let expected = cli_answers(&dirs);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/python_session.py");
    let check = |out: std::process::Output, how: &str| {
        assert!(
            out.status.success(),
            "{how}: python3 {} failed (is the `mcp` package installed? scripts/test.sh installs it):\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["server"], "mira", "{how}");
        assert!(
            ["2025-06-18", "2025-11-25"].contains(&v["protocol"].as_str().unwrap())
                || v["protocol"].as_str().unwrap() > "2025-11-25",
            "{how}: {v}"
        );
        assert_eq!(v["tools"].as_array().unwrap().len(), TOOLS.len(), "{how}");
        let calls = &v["calls"];
        for (tool, key) in [
            ("callers", "callers"),
            ("cochange", "cochange"),
            ("impact", "impact"),
            ("build_errors", "errors"),
            ("blame", "blame"),
        ] {
            assert_eq!(calls[tool]["isError"], false, "{how} {tool}: {}", calls[tool]);
            assert_eq!(
                steady(without(calls[tool]["structured"].clone(), &["truncated"])),
                expected[key],
                "{how} {tool}"
            );
        }
        assert_eq!(v["bad"]["isError"], true, "{how}");
        assert!(
            v["bad"]["text"][0].as_str().unwrap().contains("must be a string"),
            "{how}: {v}"
        );
        assert_eq!(v["unknown"]["code"], -32602, "{how}: {v}");
        assert!(v["prompts"].as_array().unwrap().contains(&json!("change-safely")));
        assert_eq!(v["resources"], json!(["mira://project/status"]));
    };
    let python = |args: &[&str]| {
        let base = dirs.command(ENV);
        let mut cmd = Command::new("python3");
        cmd.env_clear()
            .current_dir(dirs.project())
            .arg(&script)
            .args(args);
        for (k, v) in base.get_envs() {
            if let Some(v) = v {
                cmd.env(k, v);
            }
        }
        cmd.output().unwrap()
    };
    check(python(&["stdio", crate::harness::BIN]), "stdio");
    let server = Server::start(&dirs, ENV);
    check(python(&["http", &server.url("/mcp"), &server.token]), "http");
}

/// Forwards every request to the server with its token, so a client that knows nothing
/// of Mira's auth (the conformance suite) can reach `/mcp`.
async fn token_proxy(server: &Server) -> String {
    use axum::body::Body;
    use axum::extract::{Request, State};
    use axum::response::Response;

    async fn forward(State((base, token)): State<(String, String)>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, 16 << 20).await.unwrap();
        let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut outgoing = reqwest::Client::new()
            .request(parts.method.clone(), format!("{base}{path}"))
            .bearer_auth(&token)
            .body(body);
        // The Host header goes through as the client sent it: the DNS-rebinding scenario
        // checks that the server refuses a foreign one.
        for (k, v) in &parts.headers {
            if !matches!(k.as_str(), "content-length" | "authorization") {
                outgoing = outgoing.header(k, v);
            }
        }
        let mut answer = outgoing.send().await.unwrap();
        let mut response = Response::builder().status(answer.status());
        for (k, v) in answer.headers() {
            if !matches!(k.as_str(), "content-length" | "transfer-encoding") {
                response = response.header(k, v);
            }
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(16);
        tokio::spawn(async move {
            while let Ok(Some(chunk)) = answer.chunk().await {
                if tx.send(Ok(chunk)).await.is_err() {
                    break;
                }
            }
        });
        let stream =
            futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
        response.body(Body::from_stream(stream)).unwrap()
    }

    let app = axum::Router::new()
        .fallback(forward)
        .with_state((server.base.clone(), server.token.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{}", addr.port())
}

/// The server scenarios of the official conformance suite
/// (`@modelcontextprotocol/conformance`, installed by scripts/test.sh with `npm ci` in
/// tests/mcp/conformance) that apply to Mira, against `/mcp`. The others test fixture
/// tools, resources and prompts of the suite's reference server (`test_simple_text`,
/// `test://static-text`, ...), logging, completion, sampling, elicitation and resource
/// subscriptions, which Mira does not offer (docs/mcp.md lists them).
#[tokio::test(flavor = "multi_thread")]
async fn conformance_suite_server_scenarios() {
    let dirs = Dirs::new();
    fixture(&dirs);
    let server = Server::start(&dirs, ENV);
    let proxy = token_proxy(&server).await;
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/conformance");
    assert!(
        suite.join("node_modules/.bin/conformance").exists(),
        "run `npm ci` in {} (scripts/test.sh does)",
        suite.display()
    );
    for scenario in APPLICABLE_SCENARIOS {
        let out = tokio::process::Command::new(suite.join("node_modules/.bin/conformance"))
            .args(["server", "--url", &format!("{proxy}/mcp"), "--scenario", scenario])
            .current_dir(&suite)
            .output()
            .await
            .unwrap();
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "conformance scenario {scenario} failed:\n{text}"
        );
        assert!(
            !text.contains("FAILURE"),
            "conformance scenario {scenario}:\n{text}"
        );
    }
}

const APPLICABLE_SCENARIOS: &[&str] = &[
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
    "server-sse-polling",
    "server-sse-multiple-streams",
];
