//! Code intelligence through the real binary and the real server: `mira index` indexes
//! code (also outside git), the query commands answer in their documented JSON shapes,
//! and the HTTP routes give the same answers.

use std::time::Duration;

use serde_json::Value;

use crate::harness::{Dirs, Server, run, stdout_json};

/// Two Python modules where a name-only matcher would go wrong: two `save` methods.
fn write_code(dirs: &Dirs) {
    let p = dirs.project();
    std::fs::create_dir_all(p.join("app")).unwrap();
    std::fs::write(p.join("app/__init__.py"), "").unwrap();
    std::fs::write(
        p.join("app/store.py"),
        "class Disk:\n    def save(self, x):\n        return x\n\n\nclass Cloud:\n    def save(self, x):\n        return None\n",
    )
    .unwrap();
    std::fs::write(
        p.join("app/main.py"),
        "from app.store import Disk as Local\n\n\ndef run():\n    d = Local()\n    d.save(1)\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("tests")).unwrap();
    std::fs::write(
        p.join("tests/test_main.py"),
        "from app.main import run\n\n\ndef test_run():\n    run()\n",
    )
    .unwrap();
}

#[test]
fn code_commands_answer_in_json() {
    let dirs = Dirs::new();
    write_code(&dirs);
    let indexed = stdout_json(&run(&dirs, &["index", "--json"], &[]));
    assert!(indexed["git"].is_null(), "not a git repository: {indexed}");
    // src/main.rs, src/nested/util.py, the three app files and the test.
    assert_eq!(indexed["code"]["files"], 6);
    assert!(indexed["code"]["symbols"].as_i64().unwrap() >= 8);

    let callers = stdout_json(&run(&dirs, &["callers", "app.store.Disk.save", "--json"], &[]));
    assert_eq!(callers["matches"][0]["symbol"], "app.store.Disk.save");
    let sites = callers["matches"][0]["callers"].as_array().unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0]["symbol"], "app.main.run");
    assert_eq!(sites[0]["file"], "app/main.py");
    assert_eq!(sites[0]["line"], 6);
    assert_eq!(sites[0]["resolution"], "exact");
    let cloud = stdout_json(&run(&dirs, &["callers", "app.store.Cloud.save", "--json"], &[]));
    assert_eq!(cloud["matches"][0]["callers"].as_array().unwrap().len(), 0);

    let callees = stdout_json(&run(&dirs, &["callees", "run", "--json"], &[]));
    let names: Vec<&str> = callees["matches"][0]["callees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app.store.Disk", "app.store.Disk.save"]);

    let impact = stdout_json(&run(
        &dirs,
        &["impact", "app.store.Disk.save", "--depth", "2", "--json"],
        &[],
    ));
    let reached = &impact["results"][0]["impacted"];
    assert_eq!(reached[0]["symbol"], "app.main.run");
    assert_eq!(reached[1]["symbol"], "tests.test_main.test_run");
    assert_eq!(reached[1]["is_test"], true);
    assert_eq!(
        reached[1]["path"],
        serde_json::json!(["app.store.Disk.save", "app.main.run", "tests.test_main.test_run"])
    );

    let symbols = stdout_json(&run(&dirs, &["symbols", "app/store.py", "--json"], &[]));
    assert_eq!(symbols["mode"], "file");
    let outline: Vec<&str> = symbols["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["qualified_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        outline,
        vec![
            "app.store",
            "app.store.Disk",
            "app.store.Disk.save",
            "app.store.Cloud",
            "app.store.Cloud.save"
        ]
    );

    let graph = stdout_json(&run(&dirs, &["callgraph", "app", "--json"], &[]));
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&graph), vec!["edges", "nodes"]);
    assert_eq!(
        keys(&graph["nodes"][0]),
        vec!["file", "id", "kind", "language", "line"]
    );
    assert_eq!(
        keys(&graph["edges"][0]),
        vec!["callee", "caller", "file", "line", "resolution"]
    );
    assert!(
        graph["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["caller"] == "app.main.run"
                && e["callee"] == "app.store.Disk.save"
                && e["resolution"] == "exact")
    );

    // A second run parses nothing.
    let again = stdout_json(&run(&dirs, &["index", "--json"], &[]));
    assert_eq!(again["code"]["parsed"], 0);
}

#[tokio::test]
async fn code_api_indexes_and_answers_queries() {
    let dirs = Dirs::new();
    write_code(&dirs);
    let server = Server::start(&dirs, &[]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();
    let mut socket = crate::websocket::connect(&server).await;
    assert_eq!(crate::websocket::next_reply(&mut socket).await["type"], "hello");
    let started = server
        .client()
        .post(server.url(&format!("/api/projects/{id}/code/index")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let task = started.json::<Value>().await.unwrap()["task"]
        .as_str()
        .unwrap()
        .to_string();
    // Progress with the task id, then the outcome, arrive over the WebSocket.
    use futures_util::StreamExt;
    let (mut progress, mut done) = (false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done && tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await
        else {
            continue;
        };
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["event"] == "progress" && frame["data"]["task"] == task.as_str() {
            progress = true;
            assert_eq!(frame["data"]["total"], 6);
        }
        if frame["event"] == "activity" && frame["data"]["kind"] == "code.indexed" {
            done = true;
        }
    }
    assert!(progress && done, "progress and completion events");
    let files = server.get_json(&format!("/api/projects/{id}/code/files")).await;
    let store = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "app/store.py")
        .unwrap()
        .clone();
    assert_eq!(store["language"], "python");
    assert_eq!(store["symbols"], 4);
    assert_eq!(files["files"].as_array().unwrap().len(), 6);
    let callers = server
        .get_json(&format!(
            "/api/projects/{id}/code/callers?symbol=app.store.Disk.save"
        ))
        .await;
    assert_eq!(callers["matches"][0]["callers"][0]["symbol"], "app.main.run");
    let def = server
        .get_json(&format!(
            "/api/projects/{id}/code/definition?path=app/main.py&line=6&col=7"
        ))
        .await;
    assert_eq!(def["definition"]["qualified_name"], "app.store.Disk.save");
    let impact = server
        .get_json(&format!(
            "/api/projects/{id}/code/impact?symbol=Disk.save&depth=3"
        ))
        .await;
    assert_eq!(impact["results"][0]["tests"], 1);
    let outline = server
        .get_json(&format!("/api/projects/{id}/code/symbols?path=app/main.py"))
        .await;
    assert_eq!(outline["symbols"][1]["qualified_name"], "app.main.run");
    let graph = server
        .get_json(&format!("/api/projects/{id}/code/callgraph?path=app"))
        .await;
    // Calls made from app/: `Local()` and `d.save(1)`.
    assert_eq!(graph["edges"].as_array().unwrap().len(), 2);
    let missing = server
        .client()
        .get(server.url(&format!("/api/projects/{id}/code/callers")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let outside = server
        .client()
        .get(server.url(&format!("/api/projects/{id}/code/symbols?path=../secret.py")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 403);
}

#[tokio::test]
async fn the_server_watches_projects_and_reindexes_changes() {
    let dirs = Dirs::new();
    write_code(&dirs);
    let fast = [
        ("WATCHER_DEBOUNCE_MS", "50"),
        ("WATCHER_BATCH_MS", "100"),
        ("WATCHER_GIT_COOLDOWN_MS", "300"),
    ];
    let server = Server::start(&dirs, &fast);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();
    let mut socket = crate::websocket::connect(&server).await;
    assert_eq!(crate::websocket::next_reply(&mut socket).await["type"], "hello");
    std::fs::write(
        dirs.project().join("app/extra.py"),
        "from app.store import Cloud\n\n\ndef upload():\n    Cloud().save(2)\n",
    )
    .unwrap();
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut updated = false;
    while !updated && tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text)))) =
            tokio::time::timeout(Duration::from_secs(10), socket.next()).await
        else {
            continue;
        };
        let frame: Value = serde_json::from_str(&text).unwrap();
        updated = frame["event"] == "activity" && frame["data"]["kind"] == "code.updated";
    }
    assert!(updated, "a code.updated activity event after the edit");
    let callers = server
        .get_json(&format!(
            "/api/projects/{id}/code/callers?symbol=app.store.Cloud.save"
        ))
        .await;
    assert_eq!(callers["matches"][0]["callers"][0]["symbol"], "app.extra.upload");
}
