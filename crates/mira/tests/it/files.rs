use crate::harness::{Dirs, Server};

async fn project_id(server: &Server) -> i64 {
    server.get_json("/api/projects").await["projects"][0]["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn tree_and_file_contents_of_the_project() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let id = project_id(&server).await;

    let root = server.get_json(&format!("/api/projects/{id}/tree")).await;
    let names: Vec<&str> = root["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["src", "README.md"]);
    assert_eq!(root["entries"][0]["kind"], "dir");

    let src = server
        .get_json(&format!("/api/projects/{id}/tree?path=src"))
        .await;
    let paths: Vec<&str> = src["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["src/nested", "src/main.rs"]);

    let file = server
        .get_json(&format!("/api/projects/{id}/file?path=src%2Fmain.rs"))
        .await;
    assert_eq!(file["path"], "src/main.rs");
    assert_eq!(file["language"], "rust");
    assert!(file["content"].as_str().unwrap().contains("println!"));
    assert_eq!(file["binary"], false);
}

#[tokio::test]
async fn binary_and_large_files_come_back_as_metadata() {
    let dirs = Dirs::new();
    std::fs::write(
        dirs.project().join("logo.png"),
        [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13],
    )
    .unwrap();
    std::fs::write(dirs.project().join("huge.txt"), "y".repeat(4096)).unwrap();
    let server = Server::start(&dirs, &[("MIRA_MAX_FILE_BYTES", "2048")]);
    let id = project_id(&server).await;
    let png = server
        .get_json(&format!("/api/projects/{id}/file?path=logo.png"))
        .await;
    assert_eq!(png["binary"], true);
    assert!(png["content"].is_null());
    assert_eq!(png["size"], 8);
    let huge = server
        .get_json(&format!("/api/projects/{id}/file?path=huge.txt"))
        .await;
    assert_eq!(huge["too_large"], true);
    assert!(huge["content"].is_null());
}

#[tokio::test]
async fn traversal_attempts_are_refused() {
    let dirs = Dirs::new();
    // A secret next to the project, and a symlink inside the project pointing at it.
    std::fs::write(dirs.tmp.path().join("secret.txt"), "top secret").unwrap();
    std::os::unix::fs::symlink(dirs.tmp.path(), dirs.project().join("escape")).unwrap();
    std::os::unix::fs::symlink(
        dirs.tmp.path().join("secret.txt"),
        dirs.project().join("secret-link.txt"),
    )
    .unwrap();
    let server = Server::start(&dirs, &[]);
    let id = project_id(&server).await;
    let client = server.client();

    for (query, expected) in [
        ("../secret.txt", 403),
        ("src/../../secret.txt", 403),
        ("%2e%2e/secret.txt", 403),
        ("%2E%2E%2Fsecret.txt", 403),
        ("..%2fsecret.txt", 403),
        ("/etc/passwd", 403),
        ("%2Fetc%2Fpasswd", 403),
        ("escape/secret.txt", 403),
        ("secret-link.txt", 403),
        // Double-encoded dots are a literal name inside the root, which does not exist.
        ("%252e%252e/secret.txt", 404),
    ] {
        for endpoint in ["file", "tree"] {
            let url = server.url(&format!("/api/projects/{id}/{endpoint}?path={query}"));
            let response = client.get(&url).bearer_auth(&server.token).send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(status, expected, "{endpoint} {query}: {body}");
            assert!(!body.to_string().contains("top secret"));
            let code = if expected == 403 { "forbidden" } else { "not_found" };
            assert_eq!(body["error"]["code"], code, "{endpoint} {query}");
        }
    }
    // The raw path form of a traversal never reaches the file either (the UI's
    // client-side route fallback answers instead).
    let raw = client
        .get(server.url(&format!("/api/projects/{id}/../../../secret.txt")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert!(!raw.text().await.unwrap().contains("top secret"));
}

#[tokio::test]
async fn unknown_project_and_directory_reads_are_clear_errors() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let id = project_id(&server).await;
    let client = server.client();
    let missing = client
        .get(server.url("/api/projects/999/tree"))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let dir = client
        .get(server.url(&format!("/api/projects/{id}/file?path=src")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(dir.status(), 400);
    let body: serde_json::Value = dir.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is a directory")
    );
}

#[tokio::test]
async fn projects_can_be_added_and_removed_over_http() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let client = server.client();
    let other = dirs.tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let created = client
        .post(server.url("/api/projects"))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"path": other, "name": "Other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let project: serde_json::Value = created.json().await.unwrap();
    assert_eq!(project["name"], "Other");

    let again = client
        .post(server.url("/api/projects"))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"path": other}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);

    let bad = client
        .post(server.url("/api/projects"))
        .bearer_auth(&server.token)
        .json(&serde_json::json!({"path": dirs.tmp.path().join("missing")}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let id = project["id"].as_i64().unwrap();
    let removed = client
        .delete(server.url(&format!("/api/projects/{id}")))
        .bearer_auth(&server.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(
        server.get_json("/api/projects").await["projects"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(other.exists(), "removing a project never touches its files");
}
