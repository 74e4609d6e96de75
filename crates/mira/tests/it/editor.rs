//! The editor's save route (`PUT /api/projects/{id}/file`) through the real server: a
//! save needs the hash of what the client opened, a stale one is refused with the disk's
//! text and the disk left alone, paths are confined like the file API's, and the watcher
//! brings a saved file into the code index.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Dirs, Server};

async fn project_id(server: &Server) -> i64 {
    server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap()
}

async fn put(server: &Server, id: i64, body: Value) -> (u16, Value) {
    let path = format!("/api/projects/{id}/file");
    server.call(reqwest::Method::PUT, &path, Some(&body)).await
}

#[tokio::test]
async fn a_save_writes_and_a_stale_base_is_refused_with_the_disk_text() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[("TASK_FILE_WATCHER_ENABLED", "false")]);
    let id = project_id(&server).await;
    let file = dirs.project().join("src/main.rs");

    let opened = server
        .get_json(&format!("/api/projects/{id}/file?path=src/main.rs"))
        .await;
    let base = opened["hash"].as_str().unwrap().to_string();
    assert_eq!(base.len(), 64, "a SHA-256 in hex: {opened}");

    let edited = "fn main() {\n    println!(\"saved\");\n}\n";
    let (status, saved) = put(
        &server,
        id,
        json!({"path": "src/main.rs", "content": edited, "base_hash": base}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["path"], "src/main.rs");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    // What the save answers is what a fresh read answers.
    let reread = server
        .get_json(&format!("/api/projects/{id}/file?path=src/main.rs"))
        .await;
    assert_eq!(reread["hash"], saved["hash"]);

    // Another program changes the file; a save from the first base is stale.
    std::fs::write(&file, "fn main() {}\n").unwrap();
    let (status, refused) = put(
        &server,
        id,
        json!({"path": "src/main.rs", "content": "mine\n", "base_hash": saved["hash"]}),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "conflict");
    assert_eq!(refused["current"]["content"], "fn main() {}\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "fn main() {}\n");

    // Keeping one's own version is a save that names the disk's hash.
    let (status, _) = put(
        &server,
        id,
        json!({"path": "src/main.rs", "content": "mine\n", "base_hash": refused["current"]["hash"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");

    // No base never overwrites an existing file, and creates a missing one.
    let (status, _) = put(&server, id, json!({"path": "README.md", "content": "x"})).await;
    assert_eq!(status, 409);
    assert_eq!(
        std::fs::read_to_string(dirs.project().join("README.md")).unwrap(),
        "# Fixture\n"
    );
    let (status, _) = put(&server, id, json!({"path": "docs/new.md", "content": "new\n"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        std::fs::read_to_string(dirs.project().join("docs/new.md")).unwrap(),
        "new\n"
    );
}

#[tokio::test]
async fn saves_outside_the_project_are_refused() {
    let dirs = Dirs::new();
    let outside = dirs.tmp.path().join("outside.txt");
    std::fs::write(&outside, "outside").unwrap();
    std::os::unix::fs::symlink(dirs.tmp.path(), dirs.project().join("escape")).unwrap();
    std::os::unix::fs::symlink(&outside, dirs.project().join("link.txt")).unwrap();
    let server = Server::start(&dirs, &[("TASK_FILE_WATCHER_ENABLED", "false")]);
    let id = project_id(&server).await;

    let absolute = outside.display().to_string();
    for path in [
        "../outside.txt",
        "src/../../outside.txt",
        absolute.as_str(),
        "escape/outside.txt",
        "link.txt",
    ] {
        let (status, body) = put(
            &server,
            id,
            json!({"path": path, "content": "pwned", "base_hash": null}),
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"]["code"], "forbidden", "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "outside");
    assert!(!dirs.tmp.path().join("escape").join("pwned").exists());

    // A directory is not a file to save; a malformed body is a JSON 4xx, not a 500.
    let (status, body) = put(&server, id, json!({"path": "src", "content": "x"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = put(&server, id, json!({"content": "no path"})).await;
    assert!(status == 400 || status == 422, "{status} {body}");
    assert!(body["error"]["code"].is_string(), "{body}");
}

#[tokio::test]
async fn a_saved_file_reaches_the_code_index() {
    let dirs = Dirs::new();
    let fast = [
        ("WATCHER_DEBOUNCE_MS", "50"),
        ("WATCHER_BATCH_MS", "100"),
        ("WATCHER_GIT_COOLDOWN_MS", "300"),
    ];
    let server = Server::start(&dirs, &fast);
    let id = project_id(&server).await;
    let opened = server
        .get_json(&format!("/api/projects/{id}/file?path=src/nested/util.py"))
        .await;
    let content = "def util():\n    return 1\n\n\ndef saved_from_the_editor():\n    return util()\n";
    let (status, body) = put(
        &server,
        id,
        json!({"path": "src/nested/util.py", "content": content, "base_hash": opened["hash"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut names = Vec::new();
    while tokio::time::Instant::now() < deadline {
        let symbols = server
            .get_json(&format!(
                "/api/projects/{id}/code/symbols?path=src/nested/util.py"
            ))
            .await;
        names = symbols["symbols"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap_or_default().to_string())
            .collect();
        if names.iter().any(|n| n == "saved_from_the_editor") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the saved function never reached the index; symbols: {names:?}");
}

/// A stand-in build: an asset with its gzip beside it, as `npm run build` writes them.
fn write_assets(dirs: &Dirs) -> (Vec<u8>, Vec<u8>) {
    let assets = dirs.ui().join("assets");
    std::fs::create_dir_all(&assets).unwrap();
    let plain = "console.log('mira');\n".repeat(200).into_bytes();
    std::fs::write(assets.join("index-Ab12Cd34.js"), &plain).unwrap();
    let gzipped = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .arg(assets.join("index-Ab12Cd34.js"))
        .output()
        .unwrap()
        .stdout;
    assert!(!gzipped.is_empty() && gzipped.len() < plain.len());
    std::fs::write(assets.join("index-Ab12Cd34.js.gz"), &gzipped).unwrap();
    (plain, gzipped)
}

#[tokio::test]
async fn the_ui_is_served_compressed_with_cache_headers() {
    let dirs = Dirs::new();
    let (plain, gzipped) = write_assets(&dirs);
    let server = Server::start(&dirs, &[("TASK_FILE_WATCHER_ENABLED", "false")]);
    let client = server.client();
    let get = |path: &str, encoding: Option<&str>| {
        let mut request = client.get(server.url(path));
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };

    let asset = get("/assets/index-Ab12Cd34.js", Some("gzip, deflate"))
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(header(&asset, "content-encoding"), "gzip");
    assert!(header(&asset, "content-type").contains("javascript"));
    assert_eq!(
        header(&asset, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(
        header(&asset, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    assert_eq!(asset.bytes().await.unwrap().as_ref(), gzipped.as_slice());

    // A client that takes no compression gets the file itself.
    let asset = get("/assets/index-Ab12Cd34.js", None).await.unwrap();
    assert_eq!(header(&asset, "content-encoding"), "");
    assert_eq!(asset.bytes().await.unwrap().as_ref(), plain.as_slice());

    // The page naming the assets is revalidated; client routes get the page too.
    for path in ["/", "/some/client/route"] {
        let page = get(path, Some("gzip")).await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(header(&page, "cache-control"), "no-cache", "{path}");
        assert!(page.text().await.unwrap().contains("Mira test UI"));
    }

    // A missing asset is a 404, not the page cached for a year under its name.
    let missing = get("/assets/gone-0000.js", Some("gzip")).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_ne!(
        header(&missing, "cache-control"),
        "public, max-age=31536000, immutable"
    );
}
