//! Runs recorded in a real database: streaming, failures to start, time limits,
//! cancellation, bounded logs, and errors deduplicated and resolved across real commits.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mira_build::queries::{self, ErrorFilter};
use mira_build::runner::{RunRequest, RunStatus, Stream};
use mira_build::{BuildError, run};
use mira_core::config::BuildConfig;
use mira_store::Db;
use mira_store::projects::{self, Project};
use tokio_util::sync::CancellationToken;

use crate::fixtures::{self, write};
use crate::tools::cargo_env;

struct Fixture {
    _data: tempfile::TempDir,
    dir: tempfile::TempDir,
    db: Db,
    project: Project,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ann")
        .env("GIT_AUTHOR_EMAIL", "ann@example.org")
        .env("GIT_COMMITTER_NAME", "Ann")
        .env("GIT_COMMITTER_EMAIL", "ann@example.org")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    let out = Command::new("git")
        .current_dir(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn fixture(files: &[(&str, &str)]) -> Fixture {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), &[(".gitignore", "target/\n")]);
    commit(dir.path(), "start");
    let db = Db::open(&data.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, dir.path(), None).await.unwrap();
    Fixture {
        _data: data,
        dir,
        db,
        project,
    }
}

fn config() -> BuildConfig {
    BuildConfig {
        timeout: Duration::from_secs(120),
        log_max_bytes: 1 << 20,
    }
}

fn sh(script: &str) -> RunRequest {
    RunRequest::new(vec!["sh".into(), "-c".into(), script.into()])
}

fn quiet() -> mira_build::runner::OnOutput {
    Arc::new(|_, _| {})
}

#[tokio::test]
async fn output_streams_live_and_the_run_is_recorded() {
    let f = fixture(&[("src/lib.c", "int f(void) { return 0; }\n")]).await;
    let seen: Arc<Mutex<Vec<(Stream, String, Instant)>>> = Arc::default();
    let sink = seen.clone();
    let on_output = Arc::new(move |stream, bytes: &[u8]| {
        sink.lock().unwrap().push((
            stream,
            String::from_utf8_lossy(bytes).into_owned(),
            Instant::now(),
        ));
    });
    let script =
        "echo building; echo 'src/lib.c:1:5: error: expected something' >&2; sleep 1; echo done; exit 3";
    let outcome = run(
        &f.db,
        &f.project,
        &config(),
        sh(script),
        on_output,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let ended = Instant::now();
    let seen = seen.lock().unwrap().clone();
    let first = seen
        .iter()
        .find(|(_, t, _)| t.contains("building"))
        .expect("stdout arrived");
    // The script sleeps a second after its first line: that line must have reached the
    // callback at least that long before the run ended (however slowly the run started).
    assert!(
        ended - first.2 >= Duration::from_millis(900),
        "output arrives while the command runs"
    );
    assert!(
        seen.iter()
            .any(|(s, t, _)| *s == Stream::Stderr && t.contains("error: expected"))
    );

    let r = &outcome.run;
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(r.failure.as_deref(), Some("exited with status 3"));
    assert_eq!((r.errors, r.warnings), (1, 0));
    assert_eq!(r.tool.as_deref(), Some("gcc"), "detected from the output");
    assert_eq!(r.dirty, Some(false));
    assert_eq!(r.commit.as_ref().map(String::len), Some(40));
    assert!(r.duration_ms.unwrap() >= 1000);
    assert_eq!(outcome.diagnostics[0].location(), "src/lib.c:1:5");
    let log = String::from_utf8(queries::run_log(&f.db, r.id).await.unwrap()).unwrap();
    assert!(
        log.contains("building\n") && log.contains("done\n") && log.contains("error: expected"),
        "{log}"
    );
    assert_eq!(
        queries::runs(&f.db, f.project.id, 10).await.unwrap(),
        vec![r.clone()]
    );
    let recorded = queries::run_diagnostics(&f.db, r.id).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].1, outcome.diagnostics[0]);
}

#[tokio::test]
async fn a_command_that_cannot_start_is_a_clear_error() {
    let f = fixture(&[("a.txt", "x\n")]).await;
    let request = RunRequest::new(vec!["mira-no-such-program".into(), "--flag".into()]);
    let err = run(
        &f.db,
        &f.project,
        &config(),
        request,
        quiet(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, BuildError::CannotStart { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("cannot run `mira-no-such-program`: no such program"),
        "{err}"
    );
    let runs = queries::runs(&f.db, f.project.id, 10).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::FailedToStart);
    assert!(runs[0].failure.as_deref().unwrap().contains("PATH"));
    assert!(matches!(
        RunRequest::from_command_line("echo 'unclosed"),
        Err(BuildError::BadCommandLine(_))
    ));
    assert!(matches!(
        RunRequest::from_command_line("   "),
        Err(BuildError::EmptyCommand)
    ));
}

/// Running, not a zombie: a killed child whose parent is gone may wait to be reaped by
/// an init that never does.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_time_limit_stops_the_command_and_what_it_started() {
    let f = fixture(&[("a.txt", "x\n")]).await;
    let pid_file = f.dir.path().join("child.pid");
    let script = format!("sleep 60 & echo $! > {}; echo started; wait", pid_file.display());
    let mut request = sh(&script);
    request.timeout = Some(Duration::from_secs(1));
    let t = Instant::now();
    let outcome = run(
        &f.db,
        &f.project,
        &config(),
        request,
        quiet(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(outcome.run.status, RunStatus::TimedOut);
    assert!(outcome.run.failure.as_deref().unwrap().contains("time limit"));
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!alive(pid), "the background child {pid} was stopped too");
}

#[tokio::test]
async fn cancelling_stops_a_run_and_keeps_its_output() {
    let f = fixture(&[("a.txt", "x\n")]).await;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let on_output = Arc::new(move |_, bytes: &[u8]| {
        if String::from_utf8_lossy(bytes).contains("ready") {
            trigger.cancel();
        }
    });
    let outcome = run(
        &f.db,
        &f.project,
        &config(),
        sh("echo ready; sleep 60"),
        on_output,
        cancel,
    )
    .await
    .unwrap();
    assert_eq!(outcome.run.status, RunStatus::Cancelled);
    assert!(outcome.run.duration_ms.unwrap() < 10_000);
    let log = queries::run_log(&f.db, outcome.run.id).await.unwrap();
    assert_eq!(log, b"ready\n");
}

#[tokio::test]
async fn a_failure_no_parser_reads_is_still_an_error() {
    let f = fixture(&[("broken", "x\n")]).await;
    let script = "echo preparing; if [ -f broken ]; then echo 'something went badly' >&2; exit 2; fi";
    let first = run(
        &f.db,
        &f.project,
        &config(),
        sh(script),
        quiet(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(first.run.errors, 1);
    let d = &first.diagnostics[0];
    assert_eq!(d.code.as_deref(), Some("exit"));
    assert!(d.message.contains("exited with status 2"), "{}", d.message);
    // Stdout and stderr are two pipes: which one is read first is up to the scheduler.
    let mut notes = d.notes.clone();
    notes.sort();
    assert_eq!(notes, vec!["preparing", "something went badly"]);
    let second = run(
        &f.db,
        &f.project,
        &config(),
        sh(script),
        quiet(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(second.new_errors, 0, "the same failure again");
    // Once the same command passes, the failure is resolved.
    std::fs::remove_file(f.dir.path().join("broken")).unwrap();
    let third = run(
        &f.db,
        &f.project,
        &config(),
        sh(script),
        quiet(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(third.run.errors, 0);
    assert_eq!(third.resolved.len(), 1);
    assert_eq!(
        third.resolved[0].error_id,
        queries::run_diagnostics(&f.db, first.run.id).await.unwrap()[0].0
    );
    assert!(!third.resolved[0].unchanged, "a file was removed: a change");
}

#[tokio::test]
async fn a_failure_that_goes_away_without_a_change_is_not_a_fix() {
    let f = fixture(&[("src/app.c", "int main(void) { return 0; }\n")]).await;
    // The failure depends on something outside the project (a tool, a service, a file
    // elsewhere), not on the project's sources.
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("toolchain-ready");
    let script = format!(
        "if [ ! -f '{}' ]; then echo 'src/app.c:1:5: error: the toolchain is not ready' >&2; exit 1; fi",
        marker.display()
    );
    let config = config();
    let go = || {
        run(
            &f.db,
            &f.project,
            &config,
            sh(&script),
            quiet(),
            CancellationToken::new(),
        )
    };
    // Untracked and uncommitted changes count as part of the work tree.
    write(f.dir.path(), &[("notes.txt", "draft\n")]);
    let failing = go().await.unwrap();
    assert_eq!(failing.run.errors, 1, "{:#?}", failing.diagnostics);
    let error_id = queries::run_diagnostics(&f.db, failing.run.id).await.unwrap()[0].0;

    std::fs::write(&marker, "yes").unwrap();
    let passing = go().await.unwrap();
    assert_eq!(passing.run.errors, 0);
    assert_eq!(passing.resolved.len(), 1);
    let r = &passing.resolved[0];
    assert_eq!(r.error_id, error_id);
    assert!(r.unchanged, "{r:#?}");
    assert!(
        r.commits.is_empty() && r.files.is_empty() && r.diff.is_none(),
        "{r:#?}"
    );
    let done = queries::error(&f.db, &f.project, error_id).await.unwrap().error;
    assert!(done.resolved_at.is_some());
    assert!(done.resolved_unchanged);
    assert!(done.known_fixes.is_empty(), "not a fix: {:#?}", done.known_fixes);

    // It comes back; this time an edit to an untracked file goes with the pass.
    std::fs::remove_file(&marker).unwrap();
    let again = go().await.unwrap();
    assert_eq!(again.recurring, vec![error_id]);
    std::fs::write(&marker, "yes").unwrap();
    write(f.dir.path(), &[("notes.txt", "draft, edited\n")]);
    let passing = go().await.unwrap();
    assert_eq!(passing.resolved.len(), 1);
    assert!(!passing.resolved[0].unchanged, "{:#?}", passing.resolved[0]);
    let done = queries::error(&f.db, &f.project, error_id).await.unwrap().error;
    assert!(!done.resolved_unchanged);
    assert_eq!(done.known_fixes.len(), 1, "{:#?}", done.known_fixes);
}

#[tokio::test]
async fn a_long_log_keeps_its_start_and_end() {
    let f = fixture(&[("a.txt", "x\n")]).await;
    let config = BuildConfig {
        timeout: Duration::from_secs(60),
        log_max_bytes: 4096,
    };
    let script =
        "echo FIRST; i=0; while [ $i -lt 2000 ]; do echo line-$i-padding; i=$((i+1)); done; echo LAST";
    let outcome = run(
        &f.db,
        &f.project,
        &config,
        sh(script),
        quiet(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(outcome.run.log_truncated);
    assert!(outcome.run.log_bytes > 30_000, "{}", outcome.run.log_bytes);
    let log = String::from_utf8(queries::run_log(&f.db, outcome.run.id).await.unwrap()).unwrap();
    assert!(log.starts_with("FIRST\n"));
    assert!(log.ends_with("LAST\n"));
    assert!(log.contains("bytes of output cut here"));
    assert!(log.len() < 4096 + 200);
}

#[tokio::test]
async fn errors_are_deduplicated_resolved_by_a_commit_and_flagged_when_they_return() {
    let f = fixture(&[
        ("Cargo.toml", fixtures::CARGO_TOML),
        ("src/main.rs", fixtures::RUST_MAIN),
        ("src/store.rs", fixtures::RUST_STORE),
    ])
    .await;
    let cargo_build = || {
        let mut r = RunRequest::new(vec!["cargo".into(), "build".into()]);
        r.env = cargo_env(f.dir.path())
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        r
    };
    let config = config();
    let go = |r| run(&f.db, &f.project, &config, r, quiet(), CancellationToken::new());

    let first = go(cargo_build()).await.unwrap();
    assert_eq!(first.run.status, RunStatus::Failed);
    assert_eq!(first.run.tool.as_deref(), Some("cargo"));
    assert_eq!(first.new_errors, 3, "{:#?}", first.diagnostics);
    let second = go(cargo_build()).await.unwrap();
    assert_eq!(second.new_errors, 0, "the same errors again");
    let open = queries::errors(&f.db, &f.project, ErrorFilter::Unresolved, 50)
        .await
        .unwrap();
    assert_eq!(open.len(), 3);
    assert!(
        open.iter()
            .all(|e| e.occurrences == 2 && e.run_count == 2 && !e.recurring)
    );
    let missing = open.iter().find(|e| e.code.as_deref() == Some("E0425")).unwrap();
    assert_eq!(missing.file.as_deref(), Some("src/main.rs"));
    assert!(
        missing
            .excerpt
            .iter()
            .any(|l| l.line == 24 && l.text.contains("missing_total")),
        "{:?}",
        missing.excerpt
    );

    // A run of another command resolves nothing.
    let other = go(sh("true")).await.unwrap();
    assert!(other.resolved.is_empty());

    // Fix one error in a commit; the next run of the same command records the fix.
    let fixed_main = fixtures::RUST_MAIN.replace(
        "println!(\"{}\", missing_total);",
        "println!(\"{}\", accounts.len());",
    );
    write(f.dir.path(), &[("src/main.rs", &fixed_main)]);
    let fix_commit = commit(f.dir.path(), "Fix the undefined total");
    let third = go(cargo_build()).await.unwrap();
    assert_eq!(third.resolved.len(), 1, "{:#?}", third.resolved);
    let resolution = &third.resolved[0];
    assert_eq!(resolution.error_id, missing.id);
    assert_eq!(resolution.failing_run_id, second.run.id);
    assert_eq!(resolution.commits, vec![fix_commit.clone()]);
    assert!(resolution.files.contains(&"src/main.rs".to_string()));
    let diff = resolution.diff.as_deref().unwrap();
    assert!(diff.contains("-    println!(\"{}\", missing_total);"), "{diff}");
    assert!(diff.contains("+    println!(\"{}\", accounts.len());"), "{diff}");
    let open = queries::errors(&f.db, &f.project, ErrorFilter::Unresolved, 50)
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    let done = queries::errors(&f.db, &f.project, ErrorFilter::Resolved, 50)
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].resolved_run_id, Some(third.run.id));
    assert_eq!(
        done[0].known_fixes[0].commit.as_deref(),
        Some(fix_commit.as_str())
    );
    let linked: Vec<(String, String)> =
        sqlx::query_as("SELECT commit_sha, source FROM historical_fixes WHERE project_id = ?")
            .bind(f.project.id)
            .fetch_all(f.db.pool())
            .await
            .unwrap();
    assert_eq!(linked, vec![(fix_commit.clone(), "build".to_string())]);
    // `mira fixes` with the error as the compiler printed it ranks that commit first.
    let git_config = mira_core::config::Config::with_data_dir(f._data.path()).git;
    mira_git::index::index_project(&f.db, &f.project, &git_config, Arc::new(|_, _| {}))
        .await
        .unwrap();
    let pasted = "error[E0425]: cannot find value `missing_total` in this scope\n  --> src/main.rs:24:20";
    let report = mira_git::fixes::find(&f.db, &f.project, pasted, 5).await.unwrap();
    assert_eq!(report.fixes[0].commit, fix_commit);
    assert!(
        report.fixes[0]
            .reasons
            .iter()
            .any(|r| r.contains("a failing build passed")),
        "{report:#?}"
    );

    // The mistake comes back, uncommitted: the same error, now recurring.
    write(f.dir.path(), &[("src/main.rs", fixtures::RUST_MAIN)]);
    let fourth = go(cargo_build()).await.unwrap();
    assert_eq!(fourth.run.dirty, Some(true));
    assert_eq!(fourth.recurring, vec![missing.id]);
    let again = queries::error(&f.db, &f.project, missing.id).await.unwrap();
    assert!(again.error.recurring);
    assert_eq!(again.error.run_count, 3);
    assert_eq!(again.occurrences.len(), 3);
    assert_eq!(again.error.known_fixes.len(), 1, "the earlier fix is offered");
    assert!(again.error.known_fixes[0].diff.is_some());
}
