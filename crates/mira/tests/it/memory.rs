//! Personal memory end to end through the real binary: what a chat says is learned and
//! shapes later chats' context, stays in its project, is superseded, forgotten,
//! exported and imported; transcripts are imported with their ids; secrets never reach
//! the data dir; a kill during extraction loses and half-writes nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::context::{env, recording_model, serve_model, streamed_answer};
use crate::harness::{Dirs, run, stdout_json};

fn facts(v: &Value) -> Vec<Value> {
    v["facts"].as_array().cloned().unwrap_or_default()
}

fn texts(v: &Value) -> Vec<String> {
    facts(v)
        .iter()
        .map(|f| f["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preference_told_in_one_chat_shapes_later_chats_and_project_facts_stay_in_their_project() {
    let (model, seen) = recording_model().await;
    let dirs = Dirs::new();
    let env = env(&model);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let d = &dirs;
    let go = |args: &[&str]| tokio::task::block_in_place(|| run(d, args, &env_refs));
    stdout_json(&go(&["index", "--no-embed", "--json"]));
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("app.py"), "def main():\n    pass\n").unwrap();
    let other_path = other.path().to_str().unwrap();
    stdout_json(&go(&["index", other_path, "--no-embed", "--json"]));

    // Session 1, in the project: a preference (the user's) and a fact of the project.
    let first = stdout_json(&go(&[
        "ask",
        "--json",
        "I prefer early returns over nested ifs. We use Kafka for the event bus.",
    ]));
    let conversation = first["conversation_id"].as_i64().unwrap().to_string();
    let listed = stdout_json(&go(&["memory", "list", "--json"]));
    assert_eq!(listed["facts"].as_array().unwrap().len(), 2, "{listed:#}");
    for f in facts(&listed) {
        assert_eq!(f["sources"][0]["conversation"], conversation.as_str(), "{f:#}");
        assert_eq!(f["origin"], "extracted");
    }

    // Session 2, words that match neither: the preference is in the model's context,
    // cited by its memory id.
    stdout_json(&go(&[
        "ask",
        "--json",
        "how",
        "should",
        "checkout",
        "be",
        "structured?",
    ]));
    {
        let seen = seen.lock().unwrap();
        let last = seen.last().unwrap();
        assert!(last.contains("I prefer early returns over nested ifs"), "{last}");
        assert!(last.contains("memory f"), "{last}");
    }

    // The project fact is recalled in its project and never in the other one; the
    // user's preference is recalled in both.
    let here = stdout_json(&go(&["memory", "search", "which event bus", "--json"]));
    assert!(here.to_string().contains("Kafka"), "{here:#}");
    let there = stdout_json(&go(&[
        "memory",
        "search",
        "which event bus",
        "--project",
        other_path,
        "--json",
    ]));
    assert!(!there.to_string().contains("Kafka"), "{there:#}");
    let there_context = stdout_json(&go(&[
        "context",
        "which event bus do we use",
        "--project",
        other_path,
        "--json",
    ]));
    let items = there_context["items"].to_string();
    assert!(!items.contains("Kafka"), "{there_context:#}");
    assert!(items.contains("early returns"), "{there_context:#}");

    // A contradiction supersedes; both are listed with their validity.
    stdout_json(&go(&[
        "ask",
        "--json",
        "We switched from Kafka to NATS for the event bus.",
    ]));
    let history = stdout_json(&go(&["memory", "list", "--history", "--json"]));
    let kafka = facts(&history)
        .into_iter()
        .find(|f| f["text"].as_str().unwrap().contains("Kafka for"))
        .unwrap();
    let nats = facts(&history)
        .into_iter()
        .find(|f| f["text"].as_str().unwrap().contains("NATS"))
        .unwrap();
    assert!(kafka["valid_to"].is_i64(), "{kafka:#}");
    assert_eq!(kafka["superseded_by"], nats["id"]);
    assert!(nats["valid_to"].is_null());
    assert!(
        !texts(&stdout_json(&go(&["memory", "list", "--json"])))
            .iter()
            .any(|t| t.contains("Kafka for"))
    );

    // `remember` from the terminal, then export and import into an empty data dir.
    let told = go(&["memory", "remember", "--project", "", "Never deploy on Fridays"]);
    assert!(
        String::from_utf8_lossy(&told.stdout).contains("for this project"),
        "{told:?}"
    );
    let export = dirs.data().parent().unwrap().join("memory-export.json");
    assert!(
        go(&["memory", "export", export.to_str().unwrap()])
            .status
            .success()
    );
    let fresh = tempfile::tempdir().unwrap();
    let mut fresh_env = env_refs.clone();
    let fresh_data = fresh.path().to_str().unwrap().to_string();
    fresh_env.push(("MIRA_DATA_DIR", fresh_data.as_str()));
    let imported =
        tokio::task::block_in_place(|| run(d, &["memory", "import", export.to_str().unwrap()], &fresh_env));
    assert!(imported.status.success(), "{imported:?}");
    let strip = |v: Value| {
        let mut list: Vec<Value> = facts(&v)
            .into_iter()
            .map(|f| {
                serde_json::json!([
                    f["subject"],
                    f["text"],
                    f["category"],
                    f["valid_from"],
                    f["valid_to"],
                    f["superseded_by"].is_null(),
                    f["sources"]
                ])
            })
            .collect();
        list.sort_by_key(|x| x.to_string());
        list
    };
    let before = strip(stdout_json(&go(&["memory", "list", "--history", "--json"])));
    let after = strip(stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--history", "--json"], &fresh_env)
    })));
    assert_eq!(before.len(), 4, "{before:#?}");
    assert_eq!(before, after);

    // Forget removes the item for good.
    let id = format!("f{}", nats["id"]);
    assert!(go(&["memory", "forget", &id]).status.success());
    let gone = stdout_json(&go(&["memory", "list", "--history", "--json"]));
    assert!(!texts(&gone).iter().any(|t| t.contains("NATS")), "{gone:#}");
    let again = go(&["memory", "forget", &id]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("mira memory list"),
        "{again:?}"
    );
}

/// A transcript of `n` turns: every fifth a statement the extractor learns from.
fn transcript(path: &Path, conversation: &str, n: usize) {
    let messages: Vec<Value> = (0..n)
        .map(|i| {
            let text = if i % 5 == 0 {
                format!("We use tool{} for job{}.", i, i % 40)
            } else {
                format!("Message {i} about the weather and lunch.")
            };
            serde_json::json!({"id": format!("m{i}"), "speaker": if i % 2 == 0 { "Ana" } else { "Ben" }, "text": text})
        })
        .collect();
    let sessions: Vec<Value> = messages
        .chunks(100)
        .enumerate()
        .map(|(s, m)| serde_json::json!({"id": format!("s{s}"), "started_at": format!("2024-01-{:02}T10:00:00Z", s % 28 + 1), "messages": m}))
        .collect();
    std::fs::write(
        path,
        serde_json::json!({"conversation_id": conversation, "sessions": sessions}).to_string(),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_during_extraction_loses_nothing_and_the_next_run_finishes_it() {
    let dirs = Dirs::new();
    let file = dirs.data().parent().unwrap().join("big.json");
    transcript(&file, "conv-big", 6_000);
    let file_arg = file.to_str().unwrap();

    // A clean run elsewhere: what the result must be.
    let clean = tempfile::tempdir().unwrap();
    let clean_data = clean.path().to_str().unwrap().to_string();
    let clean_env = [("MIRA_DATA_DIR", clean_data.as_str())];
    let d = &dirs;
    assert!(
        tokio::task::block_in_place(|| run(d, &["memory", "import", file_arg], &clean_env))
            .status
            .success()
    );
    let expected = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--history", "--json"], &clean_env)
    }));

    // Killed once some turns are learned and before all are.
    let mut child = dirs
        .command(&[])
        .args(["memory", "import", file_arg])
        .spawn()
        .unwrap();
    let db_path = dirs.data().join("mira.db");
    let started = Instant::now();
    let mut killed_at = None;
    while started.elapsed() < Duration::from_secs(120) {
        if let Some(done) = learned(&db_path).await
            && done > 0
        {
            child.kill().unwrap();
            killed_at = Some(done);
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.wait().unwrap();
    let killed_at = killed_at.expect("the import finished before extraction could be interrupted");
    assert!(
        killed_at < 6_000,
        "killed after everything was learned ({killed_at})"
    );

    // Every fact has its source, and every learned turn's fact is there.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    let orphans: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memory_facts f WHERE NOT EXISTS (SELECT 1 FROM memory_fact_sources s WHERE s.fact_id = f.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    let unlearned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memory_turns t WHERE t.extracted = 1 AND t.text LIKE 'We use %' \
         AND NOT EXISTS (SELECT 1 FROM memory_fact_sources s WHERE s.conversation = t.conversation AND s.message = t.message)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unlearned, 0);
    pool.close().await;

    // The next run finishes and the result is the clean run's.
    let again = tokio::task::block_in_place(|| run(d, &["memory", "import", file_arg], &[]));
    assert!(again.status.success(), "{again:?}");
    let got = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--history", "--json"], &[])
    }));
    let key = |v: &Value| {
        let mut list: Vec<String> = facts(v)
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {} {}",
                    f["subject"], f["text"], f["valid_from"], f["valid_to"], f["sources"]
                )
            })
            .collect();
        list.sort();
        list
    };
    assert_eq!(key(&got).len(), key(&expected).len());
    assert_eq!(key(&got), key(&expected));
}

/// Turns learned so far, read without disturbing the writer (None until the table exists).
async fn learned(db: &Path) -> Option<i64> {
    if !db.exists() {
        return None;
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .ok()?;
    let n = sqlx::query_scalar("SELECT COUNT(*) FROM memory_turns WHERE extracted = 1")
        .fetch_one(&pool)
        .await
        .ok();
    pool.close().await;
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_in_imported_and_remembered_text_never_reach_the_data_dir() {
    let dirs = Dirs::new();
    let file = dirs.data().parent().unwrap().join("secret.json");
    std::fs::write(
        &file,
        serde_json::json!({"conversation_id": "c1", "sessions": [{"id": "s1", "started_at": "2024-02-01T09:00:00Z",
            "messages": [
                {"id": "1", "speaker": "user", "text": "Remember that our api_key=sk-live-0123456789abcdefXYZ and my email is dev.person@example.com"},
                {"id": "2", "speaker": "user", "text": "We use -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY----- for deploys"}
            ]}]})
        .to_string(),
    )
    .unwrap();
    let d = &dirs;
    let out = tokio::task::block_in_place(|| run(d, &["memory", "import", file.to_str().unwrap()], &[]));
    assert!(out.status.success(), "{out:?}");
    let told = tokio::task::block_in_place(|| {
        run(
            d,
            &["memory", "remember", "the staging password is Hunter2Hunter2"],
            &[],
        )
    });
    assert!(told.status.success(), "{told:?}");
    let listed = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--json"], &[])
    }));
    assert!(listed["facts"].as_array().unwrap().len() >= 2, "{listed:#}");
    for entry in walk(&dirs.data()) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [
            "0123456789abcdefXYZ",
            "dev.person@example.com",
            "b3BlbnNzaC1rZXktdjEAAAAA",
            "Hunter2Hunter2",
        ] {
            assert!(!text.contains(secret), "{secret} reached {}", entry.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_remembers_lists_searches_edits_and_forgets_within_scope() {
    use reqwest::Method;
    let dirs = Dirs::new();
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("x.py"), "x = 1\n").unwrap();
    let server = crate::harness::Server::start(&dirs, &[]);
    let projects = server.get_json("/api/projects").await;
    let a = projects["projects"][0]["id"].as_i64().unwrap();
    let (status, added) = server
        .call(
            Method::POST,
            "/api/projects",
            Some(&serde_json::json!({"path": other.path()})),
        )
        .await;
    assert!(status < 300, "{added}");
    let b = added["project"]["id"]
        .as_i64()
        .or_else(|| added["id"].as_i64())
        .unwrap();

    let remember = |text: &str, project: Option<i64>| {
        let body = serde_json::json!({"text": text, "project_id": project});
        let server = &server;
        async move { server.call(Method::POST, "/api/memory", Some(&body)).await }
    };
    let (status, first) = remember("We use Kafka for the event bus.", Some(a)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["decision"]["decision"], "added");
    let (_, second) = remember("We switched from Kafka to NATS for the event bus.", Some(a)).await;
    assert_eq!(second["decision"]["decision"], "superseded", "{second}");
    assert_eq!(second["decision"]["old"][0], first["fact"]["id"]);
    let (_, mine) = remember("I prefer terse answers.", None).await;
    assert_eq!(mine["fact"]["project_id"], Value::Null);

    let in_a = server.get_json(&format!("/api/memory?project_id={a}")).await;
    assert_eq!(
        texts(&in_a),
        vec![
            "I prefer terse answers.",
            "We switched from Kafka to NATS for the event bus."
        ]
    );
    let history = server
        .get_json(&format!("/api/memory?project_id={a}&history=true"))
        .await;
    assert_eq!(facts(&history).len(), 3);
    let in_b = server
        .get_json(&format!("/api/memory?project_id={b}&history=true"))
        .await;
    assert_eq!(texts(&in_b), vec!["I prefer terse answers."]);
    // The profile holds the user's preference, not the project's decision.
    let profile = server.get_json("/api/memory/profile").await;
    let values: Vec<&str> = profile["profile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["I prefer terse answers."], "{profile:#}");
    let found_b = server
        .get_json(&format!("/api/memory/search?q=event%20bus&project_id={b}"))
        .await;
    assert!(
        !found_b.to_string().contains("NATS") && !found_b.to_string().contains("Kafka"),
        "{found_b}"
    );
    let found_a = server
        .get_json(&format!("/api/memory/search?q=event%20bus&project_id={a}"))
        .await;
    assert!(
        found_a["items"][0]["text"].as_str().unwrap().contains("NATS"),
        "{found_a}"
    );

    let id = format!("f{}", second["fact"]["id"]);
    let (status, edited) = server
        .call(
            Method::PATCH,
            &format!("/api/memory/{id}"),
            Some(&serde_json::json!({"text": "We use NATS for the event bus."})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["fact"]["text"], "We use NATS for the event bus.");
    let (status, _) = server
        .call(Method::DELETE, &format!("/api/memory/{id}"), None)
        .await;
    assert_eq!(status, 200);
    let (status, gone) = server
        .call(Method::DELETE, &format!("/api/memory/{id}"), None)
        .await;
    assert_eq!(status, 404, "{gone}");
    assert!(
        gone["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no memory item"),
        "{gone}"
    );
    let (status, bad) = server.call(Method::DELETE, "/api/memory/zz", None).await;
    assert_eq!(status, 400, "{bad}");
    let (status, empty) = server.call(Method::GET, "/api/memory/search?q=%20", None).await;
    assert_eq!(status, 400, "{empty}");
}

/// A provider model for memory's extraction calls: it records every prompt and reads
/// release-note wishes. Asked about bullet points, it reuses the subject of a known
/// fact only when the prompt shows that fact (mem0's loop: the nearest facts go with
/// the message).
async fn extracting_model() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::extract::State;
    use serde_json::json;
    use std::sync::{Arc, Mutex};
    async fn complete(
        State(seen): State<Arc<Mutex<Vec<String>>>>,
        axum::Json(body): axum::Json<Value>,
    ) -> axum::response::Response {
        let prompt = body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen.lock().unwrap().push(prompt.clone());
        let message = prompt.rsplit("Message:\n").next().unwrap_or_default();
        let answer = if prompt.starts_with("Turns:\n") {
            // A rolling summary's call: it names turns 0 and 2 (and one that is not there).
            json!({"summary": "They settled on Postgres 16 for the billing service.", "turns": [0, 2, 7]})
        } else if message.contains("bullet points") {
            let subject = if prompt.contains("- release notes style: ") {
                "release notes style"
            } else {
                "bullets"
            };
            json!({"facts": [{"subject": subject, "text": "Release notes are bullet points, one per change.",
                              "category": "preference"}]})
        } else if message.contains("release notes") {
            json!({"facts": [{"subject": "release notes style",
                              "text": "Release notes are plain English, two lines an entry at most.",
                              "category": "preference"}]})
        } else {
            json!({"facts": []})
        };
        // In a code fence, as models often answer.
        streamed_answer(&format!("```json\n{answer}\n```"), 400, 40)
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(complete))
        .with_state(seen.clone());
    (serve_model(app).await, seen)
}

fn notes_transcript(dir: &Path, messages: &[(&str, &str, &str)]) -> std::path::PathBuf {
    conversation_file(dir, "notes", messages)
}

fn conversation_file(dir: &Path, conversation: &str, messages: &[(&str, &str, &str)]) -> std::path::PathBuf {
    let file = dir.join(format!("{conversation}.json"));
    let messages: Vec<Value> = messages
        .iter()
        .map(|(id, speaker, text)| serde_json::json!({"id": id, "speaker": speaker, "text": text}))
        .collect();
    std::fs::write(
        &file,
        serde_json::json!({"conversation_id": conversation, "sessions": [
            {"id": "s1", "started_at": "2026-11-02T10:00:00Z", "messages": messages}]})
        .to_string(),
    )
    .unwrap();
    file
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_model_learns_what_the_rules_cannot_supersedes_by_known_subject_and_stops_at_the_budget() {
    let (model, seen) = extracting_model().await;
    let dirs = Dirs::new();
    let d = &dirs;
    let with_model = [
        ("OPENAI_BASE_URL", model.as_str()),
        ("MODEL_FAST", "compat:mem-model"),
        ("MODEL_VOICE", "compat:mem-model"),
        ("MODEL_THINKER", "compat:mem-model"),
        ("LLM_PRICES", "mem-model=1:2"),
        ("MEMORY_MODEL_EXTRACTION", "true"),
    ];
    let file = notes_transcript(
        dirs.tmp.path(),
        &[
            (
                "m1",
                "user",
                "For the release notes: plain English, two lines an entry, token ghp_0123456789abcdefghijABCDEFGHIJ0123",
            ),
            ("m2", "assistant", "Understood, I will keep release notes short."),
            ("m3", "user", "We use pytest for tests."),
        ],
    );
    let out = tokio::task::block_in_place(|| {
        run(
            d,
            &["memory", "import", file.to_str().unwrap(), "--json"],
            &with_model,
        )
    });
    let report = stdout_json(&out);
    // The people's turns went to the model (not Mira's own answer), the rules still ran.
    assert_eq!(report["extraction"]["read_by_model"], 2, "{report:#}");
    let listed = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--json"], &[])
    }));
    let notes = facts(&listed)
        .into_iter()
        .find(|f| f["text"].as_str().unwrap().contains("plain English"))
        .unwrap_or_else(|| panic!("the model's fact is not stored: {listed:#}"));
    assert_eq!(notes["sources"][0]["message"], "m1", "{notes:#}");
    assert!(texts(&listed).iter().any(|t| t.contains("pytest")), "{listed:#}");
    {
        let prompts = seen.lock().unwrap();
        assert_eq!(prompts.len(), 2, "{prompts:#?}");
        assert!(
            prompts.iter().all(|p| !p.contains("ghp_0123456789")),
            "a secret reached the model"
        );
    }

    // A later message on the same thing: the known fact goes with it, the model reuses
    // its subject, and the old fact is closed, not deleted.
    let file = notes_transcript(
        dirs.tmp.path(),
        &[(
            "m4",
            "user",
            "Change of plan: release notes as bullet points from now on.",
        )],
    );
    let out = tokio::task::block_in_place(|| {
        run(
            d,
            &["memory", "import", file.to_str().unwrap(), "--json"],
            &with_model,
        )
    });
    assert_eq!(stdout_json(&out)["extraction"]["superseded"], 1);
    assert!(
        seen.lock().unwrap()[2].contains("- release notes style: Release notes are plain English"),
        "the nearest known fact was not shown to the model"
    );
    let history = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--history", "--json"], &[])
    }));
    let old = facts(&history)
        .into_iter()
        .find(|f| f["text"].as_str().unwrap().contains("plain English"))
        .unwrap();
    assert!(old["valid_to"].is_i64(), "{old:#}");

    // With the budget spent, no call is made; the rules still learn and nothing fails.
    let calls_before = seen.lock().unwrap().len();
    let file = notes_transcript(
        dirs.tmp.path(),
        &[
            ("m5", "user", "More release notes wishes: name each author."),
            ("m6", "user", "We use ruff for linting."),
        ],
    );
    // A paid provider (the budget counts paid calls; an OpenAI-compatible server is
    // free): the call is refused before it is made, so its address is never reached.
    let broke = [
        ("ANTHROPIC_API_KEY", "sk-ant-test-key-for-the-budget"),
        ("ANTHROPIC_BASE_URL", model.as_str()),
        ("MODEL_FAST", "anthropic:claude-test"),
        ("MODEL_VOICE", "anthropic:claude-test"),
        ("MODEL_THINKER", "anthropic:claude-test"),
        ("LLM_PRICES", "claude-test=1:2"),
        ("BUDGET_DAILY_LIMIT_USD", "0.000001"),
        ("MEMORY_MODEL_EXTRACTION", "true"),
    ];
    let out = tokio::task::block_in_place(|| {
        run(d, &["memory", "import", file.to_str().unwrap(), "--json"], &broke)
    });
    let report = stdout_json(&out);
    assert_eq!(
        report["extraction"]["read_by_model"],
        0,
        "{report:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report["extraction"]["model_failures"], 1,
        "the run stops asking after the budget: {report:#}"
    );
    assert!(
        report["extraction"]["model_error"]
            .as_str()
            .unwrap()
            .contains("budget"),
        "{report:#}"
    );
    assert_eq!(seen.lock().unwrap().len(), calls_before);
    let listed = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "list", "--json"], &[])
    }));
    assert!(texts(&listed).iter().any(|t| t.contains("ruff")), "{listed:#}");

    // The model's preference is the user's profile entry for its subject.
    let profile = stdout_json(&tokio::task::block_in_place(|| {
        run(d, &["memory", "profile", "--json"], &[])
    }));
    let entry = profile["profile"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "release notes style")
        .unwrap_or_else(|| panic!("{profile:#}"))
        .clone();
    // The newest holding preference (the budget-stopped run learned nothing from it).
    assert!(
        entry["value"].as_str().unwrap().contains("bullet points"),
        "{entry:#}"
    );

    // MEMORY_MODEL_EXTRACTION=false: the rules alone, no call.
    let file = notes_transcript(
        dirs.tmp.path(),
        &[("m7", "user", "Release notes get a date line.")],
    );
    let mut off = with_model.to_vec();
    off.retain(|(k, _)| *k != "MEMORY_MODEL_EXTRACTION");
    off.push(("MEMORY_MODEL_EXTRACTION", "false"));
    let out =
        tokio::task::block_in_place(|| run(d, &["memory", "import", file.to_str().unwrap(), "--json"], &off));
    assert_eq!(stdout_json(&out)["extraction"]["read_by_model"], 0);
    assert_eq!(seen.lock().unwrap().len(), calls_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn summaries_are_the_models_when_it_answers_and_extractive_when_it_cannot_and_habits_are_learned() {
    let (model, seen) = extracting_model().await;
    let dirs = Dirs::new();
    let d = &dirs;
    let with_model = [
        ("OPENAI_BASE_URL", model.as_str()),
        ("MODEL_FAST", "compat:mem-model"),
        ("MODEL_VOICE", "compat:mem-model"),
        ("MODEL_THINKER", "compat:mem-model"),
        ("LLM_PRICES", "mem-model=1:2"),
        ("MEMORY_MODEL_EXTRACTION", "true"),
        ("MEMORY_SUMMARY_WINDOW", "4"),
    ];
    let plan = [
        (
            "p1",
            "user",
            "Which database should billing use? Please add tests for the schema.",
        ),
        (
            "p2",
            "assistant",
            "Postgres 16 fits: it has the JSON support billing needs.",
        ),
        (
            "p3",
            "user",
            "Then Postgres 16 it is. Can you write tests for the migration too?",
        ),
        (
            "p4",
            "assistant",
            "Done: the migration and its tests are in place.",
        ),
    ];
    let file = conversation_file(dirs.tmp.path(), "plan", &plan);
    let go = |args: &[&str], env: &[(&str, &str)]| tokio::task::block_in_place(|| run(d, args, env));
    let report = stdout_json(&go(
        &["memory", "import", file.to_str().unwrap(), "--json"],
        &with_model,
    ));
    assert_eq!(report["summaries"]["written"], 1, "{report:#}");
    assert_eq!(report["summaries"]["by_model"], 1, "{report:#}");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|p| p.starts_with("Turns:\n[0] (")),
        "no summary call reached the model"
    );
    let listed = stdout_json(&go(&["memory", "summaries", "--json"], &[]));
    let summary = &listed["summaries"][0];
    assert_eq!(summary["origin"], "model", "{listed:#}");
    assert_eq!(
        summary["text"],
        "They settled on Postgres 16 for the billing service."
    );
    assert_eq!(
        (summary["first_seq"].as_i64(), summary["last_seq"].as_i64()),
        (Some(1), Some(4))
    );
    let cited: Vec<&str> = summary["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["message"].as_str().unwrap())
        .collect();
    assert_eq!(cited, vec!["p1", "p3"], "{summary:#}");
    // Recall finds it by its own words (the turns it cites would stand for it otherwise).
    let found = stdout_json(&go(&["memory", "search", "what was settled", "--json"], &[]));
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "summary"),
        "{found:#}"
    );

    // A provider that cannot be asked (the budget is spent): the extractive summariser
    // writes the window instead, quoting and citing the turns it picked.
    let broke = [
        ("ANTHROPIC_API_KEY", "sk-ant-test-key-for-the-budget"),
        ("ANTHROPIC_BASE_URL", model.as_str()),
        ("MODEL_FAST", "anthropic:claude-test"),
        ("MODEL_VOICE", "anthropic:claude-test"),
        ("MODEL_THINKER", "anthropic:claude-test"),
        ("LLM_PRICES", "claude-test=1:2"),
        ("BUDGET_DAILY_LIMIT_USD", "0.000001"),
        ("MEMORY_MODEL_EXTRACTION", "true"),
        ("MEMORY_SUMMARY_WINDOW", "4"),
    ];
    let more = [
        (
            "q1",
            "user",
            "The cache keeps failing under load. Add a test for the eviction path.",
        ),
        (
            "q2",
            "assistant",
            "The eviction path drops entries twice when Redis restarts.",
        ),
        (
            "q3",
            "user",
            "Fix the Redis eviction path then, and keep it short.",
        ),
        (
            "q4",
            "assistant",
            "Fixed: Redis restarts no longer drop entries twice.",
        ),
    ];
    let file = conversation_file(dirs.tmp.path(), "cache", &more);
    let report = stdout_json(&go(
        &["memory", "import", file.to_str().unwrap(), "--json"],
        &broke,
    ));
    assert_eq!(report["summaries"]["model_failures"], 1, "{report:#}");
    let listed = stdout_json(&go(
        &["memory", "summaries", "--conversation", "cache", "--json"],
        &[],
    ));
    let summary = &listed["summaries"][0];
    assert_eq!(summary["origin"], "extractive", "{listed:#}");
    assert!(summary["text"].as_str().unwrap().contains("Redis"), "{summary:#}");
    assert!(!summary["sources"].as_array().unwrap().is_empty());

    // Three requests for tests across the two conversations: a habit, in the profile.
    let profile = stdout_json(&go(&["memory", "profile", "--json"], &[]));
    let habit = profile["habits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["behaviour"] == "asks for tests")
        .unwrap_or_else(|| panic!("{profile:#}"))
        .clone();
    assert_eq!(habit["evidence_count"], 3, "{habit:#}");
    let id = habit["id"].as_str().unwrap();
    let out = go(&["memory", "forget", id], &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let patterns = stdout_json(&go(&["memory", "patterns", "--json"], &[]));
    assert!(
        patterns["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != id),
        "{patterns:#}"
    );
    let bad = go(&["memory", "forget", "x9"], &[]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("s5 for a summary"));
}
