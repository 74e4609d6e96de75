//! Reading `.mira/mcp.json`, `.mcp.json`, `~/.mira/mcp.json` and `~/.claude.json`.

use std::collections::BTreeMap;
use std::path::Path;

use mira_mcp_client::names::{MAX_NAME_LEN, qualify};
use mira_mcp_client::{ConfigPaths, McpConfig, ProblemKind, Scope, TransportConfig, load_config};
use serde_json::json;

struct Dirs {
    _tmp: tempfile::TempDir,
    project: std::path::PathBuf,
    home: std::path::PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(project.join(".mira")).unwrap();
    std::fs::create_dir_all(home.join(".mira")).unwrap();
    Dirs {
        _tmp: tmp,
        project,
        home,
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn load(dirs: &Dirs, env: &[(&str, &str)]) -> McpConfig {
    let env: BTreeMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let paths = ConfigPaths::new(&dirs.project, Some(dirs.home.clone()));
    load_config(&paths, &|name| env.get(name).cloned())
}

#[test]
fn reads_stdio_and_http_servers_with_variables_expanded() {
    let dirs = dirs();
    write(
        &dirs.project.join(".mcp.json"),
        &json!({"mcpServers": {
            "files": {"command": "npx", "args": ["-y", "@x/server", "${DIR}"], "env": {"TOKEN": "${MY_TOKEN}"}},
            "api": {"type": "http", "url": "https://${HOST:-example.com}/mcp",
                    "headers": {"Authorization": "Bearer ${API_KEY}"}},
            "typed": {"type": "stdio", "command": "${BIN:-server}"},
            "camel": {"type": "streamableHttp", "url": "http://127.0.0.1:1/mcp"},
            "dashed": {"type": "streamable-http", "url": "http://${HOST}/mcp"}
        }})
        .to_string(),
    );
    let config = load(
        &dirs,
        &[
            ("DIR", "/data"),
            ("MY_TOKEN", "t0k"),
            ("API_KEY", "k3y"),
            ("HOST", "h.local"),
        ],
    );
    assert_eq!(config.problems, vec![]);
    let names: Vec<&str> = config.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["api", "camel", "dashed", "files", "typed"]);
    let by_name = |name: &str| &config.servers.iter().find(|s| s.name == name).unwrap().transport;
    assert_eq!(
        by_name("files"),
        &TransportConfig::Stdio {
            command: "npx".into(),
            args: vec!["-y".into(), "@x/server".into(), "/data".into()],
            env: BTreeMap::from([("TOKEN".into(), "t0k".into())]),
        }
    );
    // HOST is set, so its default is not used.
    assert_eq!(
        by_name("api"),
        &TransportConfig::Http {
            url: "https://h.local/mcp".into(),
            headers: BTreeMap::from([("Authorization".into(), "Bearer k3y".into())]),
        }
    );
    assert_eq!(
        by_name("typed"),
        &TransportConfig::Stdio {
            command: "server".into(),
            args: vec![],
            env: BTreeMap::new()
        }
    );
    assert!(matches!(by_name("camel"), TransportConfig::Http { url, .. } if url == "http://127.0.0.1:1/mcp"));
    assert!(matches!(by_name("dashed"), TransportConfig::Http { url, .. } if url == "http://h.local/mcp"));
    let source = &config.servers[0].source;
    assert_eq!(
        (source.scope, source.path.clone()),
        (Scope::Project, dirs.project.join(".mcp.json"))
    );
    // Tokens stay out of logs.
    let debug = format!("{:?}", config.servers);
    assert!(!debug.contains("k3y") && !debug.contains("t0k"), "{debug}");
}

#[test]
fn defaults_apply_when_variables_are_unset() {
    let dirs = dirs();
    write(
        &dirs.project.join(".mcp.json"),
        r#"{"mcpServers": {"api": {"type": "http", "url": "https://${HOST:-example.com}/mcp"}}}"#,
    );
    let config = load(&dirs, &[]);
    assert!(
        matches!(&config.servers[0].transport, TransportConfig::Http { url, .. } if url == "https://example.com/mcp")
    );
}

#[test]
fn a_missing_variable_skips_only_its_server_and_names_the_variable() {
    let dirs = dirs();
    write(
        &dirs.project.join(".mcp.json"),
        &json!({"mcpServers": {
            "needs-key": {"type": "http", "url": "https://x/mcp", "headers": {"Authorization": "Bearer ${API_KEY}"}},
            "fine": {"command": "server"}
        }})
        .to_string(),
    );
    let config = load(&dirs, &[]);
    assert_eq!(
        config.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["fine"]
    );
    assert_eq!(config.problems.len(), 1);
    let problem = &config.problems[0];
    assert_eq!(problem.server.as_deref(), Some("needs-key"));
    assert_eq!(
        problem.kind,
        ProblemKind::MissingVariable {
            variables: vec!["API_KEY".into()]
        }
    );
    let message = problem.to_string();
    assert!(
        message.contains("API_KEY is not set") && message.contains("needs-key"),
        "{message}"
    );
}

#[test]
fn sse_is_reported_unsupported_and_the_others_load() {
    let dirs = dirs();
    write(
        &dirs.project.join(".mira/mcp.json"),
        &json!({"mcpServers": {
            "old": {"type": "sse", "url": "https://x/sse"},
            "odd": {"type": "websocket", "url": "wss://x"},
            "ok": {"command": "server"}
        }})
        .to_string(),
    );
    let config = load(&dirs, &[]);
    assert_eq!(
        config.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["ok"]
    );
    let kinds: Vec<_> = config
        .problems
        .iter()
        .map(|p| (p.server.clone().unwrap(), p.kind.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                "odd".into(),
                ProblemKind::UnsupportedTransport {
                    transport: "websocket".into()
                }
            ),
            (
                "old".into(),
                ProblemKind::UnsupportedTransport {
                    transport: "sse".into()
                }
            ),
        ]
    );
    let sse = config
        .problems
        .iter()
        .find(|p| p.server.as_deref() == Some("old"))
        .unwrap()
        .to_string();
    assert!(
        sse.contains("SSE transport is deprecated") && sse.contains("\"type\": \"http\""),
        "{sse}"
    );
}

#[test]
fn precedence_and_shadowing_across_every_source() {
    let dirs = dirs();
    let server = |tag: &str| json!({"command": tag});
    // Each file defines "shared" and one server of its own; ~/.claude.json has both its scopes.
    write(
        &dirs.project.join(".mira/mcp.json"),
        &json!({"mcpServers": {"shared": server("mira-project"), "only-mira-project": server("a"), "local-wins": server("x")}}).to_string(),
    );
    write(
        &dirs.project.join(".mcp.json"),
        &json!({"mcpServers": {"shared": server("project"), "only-project": server("b")}}).to_string(),
    );
    write(
        &dirs.home.join(".mira/mcp.json"),
        &json!({"mcpServers": {"shared": server("mira-user"), "only-mira-user": server("c")}}).to_string(),
    );
    let project_key = dirs.project.to_string_lossy().into_owned();
    write(
        &dirs.home.join(".claude.json"),
        &json!({
            "mcpServers": {"shared": server("claude-user"), "only-claude-user": server("d")},
            "projects": {
                project_key: {"mcpServers": {"local-wins": server("claude-local")}},
                "/some/other/project": {"mcpServers": {"elsewhere": server("e")}}
            }
        })
        .to_string(),
    );
    let config = load(&dirs, &[]);
    let servers: Vec<(&str, Scope, &str)> = config
        .servers
        .iter()
        .map(|s| match &s.transport {
            TransportConfig::Stdio { command, .. } => (s.name.as_str(), s.source.scope, command.as_str()),
            TransportConfig::Http { .. } => unreachable!(),
        })
        .collect();
    assert_eq!(
        servers,
        vec![
            ("local-wins", Scope::Local, "claude-local"),
            ("only-mira-project", Scope::ProjectMira, "a"),
            ("shared", Scope::ProjectMira, "mira-project"),
            ("only-project", Scope::Project, "b"),
            ("only-mira-user", Scope::UserMira, "c"),
            ("only-claude-user", Scope::User, "d"),
        ]
    );
    let shadowed: Vec<(String, String, Scope)> = config
        .problems
        .iter()
        .map(|p| match &p.kind {
            ProblemKind::Shadowed { by_scope, .. } => (
                p.server.clone().unwrap(),
                p.path.file_name().unwrap().to_string_lossy().into_owned(),
                *by_scope,
            ),
            other => panic!("unexpected problem {other:?}"),
        })
        .collect();
    assert_eq!(
        shadowed,
        vec![
            ("local-wins".into(), "mcp.json".into(), Scope::Local),
            ("shared".into(), ".mcp.json".into(), Scope::ProjectMira),
            ("shared".into(), "mcp.json".into(), Scope::ProjectMira),
            ("shared".into(), ".claude.json".into(), Scope::ProjectMira),
        ]
    );
    let message = config.problems[1].to_string();
    assert!(
        message.contains("shadowed by the one in") && message.contains(".mira/mcp.json"),
        "{message}"
    );
}

#[test]
fn invalid_json_names_file_and_line_and_the_other_files_still_load() {
    let dirs = dirs();
    write(
        &dirs.project.join(".mcp.json"),
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"},\n  }\n}\n",
    );
    write(
        &dirs.home.join(".mira/mcp.json"),
        r#"{"mcpServers": {"b": {"command": "y"}}}"#,
    );
    // A broken ~/.claude.json is reported once, not once per scope.
    write(&dirs.home.join(".claude.json"), "{ not json");
    let config = load(&dirs, &[]);
    assert_eq!(
        config.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["b"]
    );
    assert_eq!(config.problems.len(), 2, "{:#?}", config.problems);
    // ~/.claude.json is read first: its local scope ranks highest.
    let claude = &config.problems[0];
    assert_eq!(claude.path, dirs.home.join(".claude.json"));
    assert!(matches!(claude.kind, ProblemKind::InvalidJson { line: 1, .. }));
    let project = &config.problems[1];
    assert_eq!(project.path, dirs.project.join(".mcp.json"));
    assert!(
        matches!(project.kind, ProblemKind::InvalidJson { line: 4, .. }),
        "{:?}",
        project.kind
    );
    let message = project.to_string();
    assert!(
        message.starts_with(&format!("{}:4:", dirs.project.join(".mcp.json").display())),
        "{message}"
    );
}

#[test]
fn bad_shapes_are_reported_per_entry() {
    let dirs = dirs();
    write(
        &dirs.project.join(".mcp.json"),
        &json!({"mcpServers": {
            "no-command": {"args": ["x"]},
            "bad-args": {"command": "x", "args": "not a list"},
            "no-url": {"type": "http"},
            "ok": {"url": "http://127.0.0.1:9/mcp"}
        }})
        .to_string(),
    );
    write(&dirs.project.join(".mira/mcp.json"), r#"{"mcpServers": []}"#);
    let config = load(&dirs, &[]);
    // An entry with only a URL is read as HTTP.
    assert_eq!(config.servers.len(), 1);
    assert!(matches!(
        config.servers[0].transport,
        TransportConfig::Http { .. }
    ));
    let messages: Vec<String> = config.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(messages[0].contains("\"mcpServers\" must be an object"));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"no-command\"") && m.contains("has no \"command\""))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"bad-args\"") && m.contains("\"args\" must be an array"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("\"no-url\"") && m.contains("has no \"url\""))
    );
}

#[test]
fn missing_files_are_no_problem() {
    let dirs = dirs();
    let config = load(&dirs, &[]);
    assert!(config.servers.is_empty() && config.problems.is_empty());
}

#[test]
fn qualified_names_are_sanitised_and_at_most_64_characters() {
    assert_eq!(qualify("my.server", "read file"), "mcp__my_server__read_file");
    assert_eq!(qualify("ünï", "tool/x"), "mcp___n___tool_x");
    let long = qualify(
        "a-very-long-server-name-for-testing",
        "and-an-even-longer-tool-name-that-goes-on",
    );
    assert_eq!(long.len(), MAX_NAME_LEN);
    assert!(
        long.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "{long}"
    );
    let other = qualify(
        "a-very-long-server-name-for-testing",
        "and-an-even-longer-tool-name-that-goes-on-2",
    );
    assert_ne!(long, other, "names that differ after the cut stay distinct");
}
