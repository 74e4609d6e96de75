use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Dirs, Server, run, stdout_json};

/// Makes the fixture project a git repository with three commits by two people.
fn make_history(dirs: &Dirs) {
    let git = |args: &[&str], who: (&str, &str), day: i64| {
        let date = format!("@{} +0000", 1_700_000_000 + day * 86_400);
        let out = Command::new("git")
            .current_dir(dirs.project())
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
    };
    let ann = ("Ann", "ann@x.org");
    let bob = ("Bob", "bob@x.org");
    git(&["init", "-q", "-b", "main"], ann, 0);
    git(&["add", "-A"], ann, 0);
    git(&["commit", "-q", "-m", "initial"], ann, 0);
    std::fs::write(
        dirs.project().join("src/main.rs"),
        "fn main() {\n    println!(\"hello\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dirs.project().join("src/nested/util.py"),
        "def util():\n    return 2\n",
    )
    .unwrap();
    git(&["commit", "-q", "-am", "fix: greeting and util"], bob, 1);
    std::fs::write(
        dirs.project().join("src/main.rs"),
        "fn main() {\n    println!(\"hello!\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dirs.project().join("src/nested/util.py"),
        "def util():\n    return 3\n",
    )
    .unwrap();
    git(&["commit", "-q", "-am", "tune"], ann, 2);
}

#[test]
fn git_commands_answer_in_json() {
    let dirs = Dirs::new();
    make_history(&dirs);
    let indexed = stdout_json(&run(&dirs, &["index", "--json"], &[]));
    assert_eq!(indexed["git"]["new_commits"], 3);
    assert_eq!(
        stdout_json(&run(&dirs, &["index", "--json"], &[]))["git"]["new_commits"],
        0
    );

    let log = stdout_json(&run(&dirs, &["log", "--json", "src/main.rs"], &[]));
    assert_eq!(log["commits"].as_array().unwrap().len(), 3);
    assert_eq!(log["commits"][0]["summary"], "tune");

    let cochange = stdout_json(&run(&dirs, &["cochange", "src/main.rs", "--json"], &[]));
    assert_eq!(cochange["file"], "src/main.rs");
    let util = &cochange["suggestions"][0];
    assert_eq!(util["file"], "src/nested/util.py");
    assert_eq!(util["shared_commits"], 3);
    assert_eq!(util["confidence"], 1.0);

    let experts = stdout_json(&run(&dirs, &["experts", "src", "--json"], &[]));
    let names: Vec<&str> = experts["experts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Ann", "Bob"]);

    let blame = stdout_json(&run(&dirs, &["blame", "src/main.rs", "--json"], &[]));
    assert_eq!(blame["lines"][1]["author_name"], "Ann");
    assert_eq!(blame["lines"][0]["summary"], "initial");
    assert_eq!(blame["lines"][1]["summary"], "tune");

    let fixes = stdout_json(&run(
        &dirs,
        &["fixes", "--json", "panic at src/main.rs:2:5: greeting is wrong"],
        &[],
    ));
    assert_eq!(fixes["fixes"][0]["summary"], "fix: greeting and util");
    // An empty error is refused with what to pass, not answered with every fix.
    let empty = run(&dirs, &["fixes", "  "], &[]);
    assert_eq!(empty.status.code(), Some(2));
    let said = String::from_utf8_lossy(&empty.stderr);
    assert!(said.contains("paste the error message or stack trace"), "{said}");
    let unrelated = run(
        &dirs,
        &["fixes", "OSError: no space left on device writing thumbnails"],
        &[],
    );
    assert!(unrelated.status.success());
    assert!(
        String::from_utf8_lossy(&unrelated.stdout).contains("no past fix matches this error"),
        "{}",
        String::from_utf8_lossy(&unrelated.stdout)
    );
    assert!(
        fixes["fixes"][0]["diff"]
            .as_str()
            .unwrap()
            .contains("+    println!(\"hello\");")
    );

    // From a subdirectory, paths are taken relative to it.
    let nested = dirs.project().join("src/nested");
    let out = dirs
        .command(&[])
        .current_dir(&nested)
        .args(["cochange", "util.py", "--json"])
        .output()
        .unwrap();
    assert_eq!(stdout_json(&out)["file"], "src/nested/util.py");
}

#[tokio::test]
async fn git_api_indexes_with_progress_and_answers_queries() {
    let dirs = Dirs::new();
    make_history(&dirs);
    let server = Server::start(&dirs, &[]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();
    let mut socket = crate::websocket::connect(&server).await;
    assert_eq!(crate::websocket::next_reply(&mut socket).await["type"], "hello");

    let started = server
        .client()
        .post(server.url(&format!("/api/projects/{id}/git/index")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let task = started.json::<Value>().await.unwrap()["task"]
        .as_str()
        .unwrap()
        .to_string();

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
            assert_eq!(frame["data"]["total"], 3);
        }
        if frame["event"] == "activity" && frame["data"]["kind"] == "git.indexed" {
            done = true;
        }
    }
    assert!(progress && done, "progress and completion events");

    let cochange = server
        .get_json(&format!("/api/projects/{id}/git/cochange?path=src/main.rs"))
        .await;
    assert_eq!(cochange["suggestions"][0]["file"], "src/nested/util.py");
    let experts = server
        .get_json(&format!("/api/projects/{id}/git/experts?path=src/main.rs"))
        .await;
    assert_eq!(experts["experts"][0]["name"], "Ann");
    let blame = server
        .get_json(&format!("/api/projects/{id}/git/blame?path=src/main.rs"))
        .await;
    assert_eq!(blame["lines"].as_array().unwrap().len(), 3);
    let log = server
        .get_json(&format!("/api/projects/{id}/git/log?path=src/nested/util.py"))
        .await;
    assert_eq!(log["commits"].as_array().unwrap().len(), 3);

    let outside = server
        .client()
        .get(server.url(&format!("/api/projects/{id}/git/blame?path=../secret")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 403);
    let fixes = server
        .client()
        .post(server.url(&format!("/api/projects/{id}/git/fixes")))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"error": "src/main.rs:2: greeting"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fixes.status(), 200);
    let body: Value = fixes.json().await.unwrap();
    assert_eq!(body["fixes"][0]["summary"], "fix: greeting and util");
    let empty = server
        .client()
        .post(server.url(&format!("/api/projects/{id}/git/fixes")))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"error": " \n "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    let body: Value = empty.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("paste the error message or stack trace")),
        "{body}"
    );
}
