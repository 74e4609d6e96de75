use crate::harness::{Dirs, Server, canonical, run, stdout_json};

#[test]
fn projects_add_list_remove_without_a_server() {
    let dirs = Dirs::new();
    let added = stdout_json(&run(
        &dirs,
        &["projects", "add", dirs.project().to_str().unwrap(), "--json"],
        &[],
    ));
    assert_eq!(added["root"], canonical(&dirs.project()));
    let id = added["id"].as_i64().unwrap();

    let listed = stdout_json(&run(&dirs, &["projects", "list", "--json"], &[]));
    assert_eq!(listed["projects"].as_array().unwrap().len(), 1);

    let table = run(&dirs, &["projects", "list"], &[]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("project"));

    let again = run(&dirs, &["projects", "add", dirs.project().to_str().unwrap()], &[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already registered"));

    let missing = run(&dirs, &["projects", "add", "/no/such/dir"], &[]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("existing directory"));

    let removed = stdout_json(&run(
        &dirs,
        &["projects", "remove", &id.to_string(), "--json"],
        &[],
    ));
    assert_eq!(removed["removed"], id);
    let listed = stdout_json(&run(&dirs, &["projects", "list", "--json"], &[]));
    assert!(listed["projects"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn removing_while_the_server_runs_goes_through_the_server() {
    let dirs = Dirs::new();
    let server = Server::start(&dirs, &[]);
    let project = canonical(&dirs.project());
    let removed = stdout_json(&run(&dirs, &["projects", "remove", &project, "--json"], &[]));
    assert!(removed["removed"].as_i64().is_some());
    let listed = server.get_json("/api/projects").await;
    assert!(listed["projects"].as_array().unwrap().is_empty());
}

#[test]
fn token_prints_a_working_access_url() {
    let dirs = Dirs::new();
    let output = run(&dirs, &["token"], &[("MIRA_PORT", "3999")]);
    assert!(output.status.success());
    let url = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let token = url
        .strip_prefix("http://127.0.0.1:3999/#token=")
        .expect("URL shape");
    let auth = mira_server::Auth::load_or_create(&dirs.data(), std::time::Duration::from_secs(3600)).unwrap();
    assert!(auth.verify(token).is_ok());
    // Asking again gives the same token; rotating gives one that differs.
    let again = run(&dirs, &["token"], &[("MIRA_PORT", "3999")]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), url);
    let rotated = run(&dirs, &["token", "--rotate"], &[("MIRA_PORT", "3999")]);
    assert_ne!(String::from_utf8_lossy(&rotated.stdout).trim(), url);
}

#[test]
fn doctor_reports_every_part_and_what_needs_a_key() {
    let dirs = Dirs::new();
    let report = stdout_json(&run(
        &dirs,
        &["doctor", "--json"],
        &[("OPENAI_API_KEY", "sk-doctor-test")],
    ));
    assert_eq!(report["ok"], true);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for expected in [
        "configuration",
        "data dir",
        "database",
        "vector store",
        "web ui",
        "local embedding model",
        "local chat model",
        "provider",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let needs: Vec<&str> = report["needs_a_key"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(needs.iter().any(|n| n.contains("GEMINI_API_KEY")));
    assert!(
        !needs.iter().any(|n| n.contains("OPENAI_API_KEY")),
        "OpenAI has a key: {needs:?}"
    );
    assert!(
        !String::from_utf8_lossy(&run(&dirs, &["doctor"], &[("OPENAI_API_KEY", "sk-doctor-test")]).stdout)
            .contains("sk-doctor-test")
    );
}

#[test]
fn an_invalid_setting_stops_start_up_naming_the_setting() {
    let dirs = Dirs::new();
    let output = run(&dirs, &["serve"], &[("MIRA_PORT", "not-a-port")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("MIRA_PORT") && stderr.contains("port number"),
        "{stderr}"
    );

    std::fs::create_dir_all(dirs.project().join(".mira")).unwrap();
    std::fs::write(dirs.project().join(".mira/mira.toml"), "RATE_LIMIT_BURST = 0\n").unwrap();
    let output = run(&dirs, &["doctor"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("RATE_LIMIT_BURST") && stderr.contains(".mira/mira.toml"),
        "{stderr}"
    );
}

/// A project's own `.env` (not dotenv syntax, or holding the project's keys) is never
/// Mira's configuration; Mira's files and `--config` are.
#[test]
fn a_projects_env_file_is_left_alone_and_mira_files_are_read() {
    let dirs = Dirs::new();
    std::fs::write(
        dirs.project().join(".env"),
        "export this is not dotenv\nOPENAI_API_KEY=sk-the-projects-own\n",
    )
    .unwrap();
    let doctor = stdout_json(&run(&dirs, &["doctor", "--json"], &[]));
    let needs = doctor["needs_a_key"].to_string();
    assert!(
        needs.contains("OPENAI_API_KEY"),
        "the project's key became Mira's: {needs}"
    );

    // Mira's own .env in its config dir ($HOME/.config/mira here) is read...
    let user = dirs.tmp.path().join(".config/mira");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join(".env"), "RATE_LIMIT_BURST=0\n").unwrap();
    let output = run(&dirs, &["doctor"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("RATE_LIMIT_BURST") && stderr.contains(".config/mira/.env"),
        "{stderr}"
    );

    // ...and an explicit --config wins over it.
    let explicit = dirs.tmp.path().join("explicit.toml");
    std::fs::write(&explicit, "RATE_LIMIT_BURST = 50\n").unwrap();
    let output = run(
        &dirs,
        &["--config", explicit.to_str().unwrap(), "doctor", "--json"],
        &[],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let missing = run(&dirs, &["--config", "/nonexistent/mira.toml", "doctor"], &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/mira.toml"));
}
