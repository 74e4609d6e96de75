//! Bad or empty input gets an answer that tells "not indexed" from "not found" from
//! "nothing matched", through the CLI and the API: a misspelt symbol is not "0 callers".

use std::process::Command;

use crate::harness::{Dirs, Server, run};

fn commit_all(dirs: &Dirs) {
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "initial"],
    ] {
        let out = Command::new("git")
            .current_dir(dirs.project())
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ann")
            .env("GIT_AUTHOR_EMAIL", "ann@x.org")
            .env("GIT_COMMITTER_NAME", "Ann")
            .env("GIT_COMMITTER_EMAIL", "ann@x.org")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The command fails (exit 1) and its error says `expected`.
fn refused(dirs: &Dirs, args: &[&str], expected: &[&str]) {
    let out = run(dirs, args, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    for e in expected {
        assert!(stderr.contains(e), "{args:?}: {e:?} not in {stderr}");
    }
}

fn answers(dirs: &Dirs, args: &[&str], expected: &str) {
    let out = run(dirs, args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(expected),
        "{args:?}: {expected:?} not in {stdout}"
    );
}

#[test]
fn the_cli_tells_not_indexed_not_found_and_nothing_matched_apart() {
    let dirs = Dirs::new();
    run(&dirs, &["projects", "add", "."], &[]);
    refused(&dirs, &["callers", "util"], &["not indexed", "mira index"]);
    refused(&dirs, &["log"], &["not in a git repository"]);

    commit_all(&dirs);
    refused(
        &dirs,
        &["log"],
        &["history of this project is not indexed", "mira index"],
    );
    assert!(run(&dirs, &["index", "--no-embed"], &[]).status.success());

    refused(
        &dirs,
        &["callers", "utill"],
        &["no symbol `utill`", "did you mean", "util"],
    );
    refused(
        &dirs,
        &["impact", "src.nested.utl"],
        &["no symbol", "did you mean", "util"],
    );
    refused(
        &dirs,
        &["callees", "zzqqxx"],
        &["no symbol `zzqqxx`", "mira symbols PART"],
    );
    refused(&dirs, &["callers", "  "], &["give a symbol"]);
    refused(&dirs, &["symbols", "utill"], &["did you mean", "util"]);
    answers(&dirs, &["callers", "util"], "util");

    refused(
        &dirs,
        &["log", "missing.py"],
        &["`missing.py` is not in the project"],
    );
    refused(&dirs, &["cochange", "missing.py"], &["not in the project"]);
    refused(&dirs, &["experts", "missing.py"], &["not in the project"]);
    refused(&dirs, &["blame", "missing.py"], &["not in the project"]);
    std::fs::write(dirs.project().join("new.py"), "x = 1\n").unwrap();
    answers(&dirs, &["log", "new.py"], "No commit touches new.py yet");
    answers(&dirs, &["cochange", "new.py"], "No commit touches new.py yet");
}

/// GET `path` on `server`: the status and the JSON body.
async fn get(server: &Server, path: String) -> (u16, serde_json::Value) {
    server.call(reqwest::Method::GET, &path, None).await
}

#[tokio::test]
async fn the_api_answers_not_indexed_409_unknown_404_and_empty_400() {
    let dirs = Dirs::new();
    commit_all(&dirs);
    let mut server = Server::start(&dirs, &[]);
    let id = server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap();
    let (status, body) = get(&server, format!("/api/projects/{id}/code/callers?symbol=util")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_indexed")),
        "{body}"
    );
    let (status, body) = get(&server, format!("/api/projects/{id}/git/log")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("not_indexed")),
        "{body}"
    );
    server.terminate();

    assert!(run(&dirs, &["index", "--no-embed"], &[]).status.success());
    let server = Server::start(&dirs, &[]);
    let (status, body) = get(&server, format!("/api/projects/{id}/code/callers?symbol=utill")).await;
    assert_eq!(status, 404, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("did you mean") && message.contains("util"),
        "{message}"
    );
    let (status, body) = get(&server, format!("/api/projects/{id}/code/impact?symbol=utill")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = get(&server, format!("/api/projects/{id}/code/callers?symbol=")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, body) = get(&server, format!("/api/projects/{id}/git/log?path=missing.py")).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (status, body) = get(&server, format!("/api/projects/{id}/git/experts?path=missing.py")).await;
    assert_eq!(status, 404, "{body}");
    // Nothing matched is an answer, not an error.
    std::fs::write(dirs.project().join("new.py"), "x = 1\n").unwrap();
    let (status, body) = get(&server, format!("/api/projects/{id}/git/log?path=new.py")).await;
    assert_eq!(
        (status, body["commits"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{body}"
    );
    let (status, body) = get(&server, format!("/api/projects/{id}/code/callers?symbol=util")).await;
    assert_eq!(status, 200, "{body}");
}
