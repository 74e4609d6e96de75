//! Replays the hostile-output attack of issue 21: a command that prints diagnostics
//! without end, and one that prints a single line of hundreds of megabytes. Before the
//! fix the first grew to 3.3 GB and ran past its time limit, the second took more memory
//! than the line. Now both end with a bounded record and flat memory.

use std::time::{Duration, Instant};

use mira_build::bounds::{
    DROPPED_CODE, MAX_DIAGNOSTICS, MAX_DIAGNOSTICS_BYTES, MAX_LINE_BYTES, MAX_ONE_DIAGNOSTIC_BYTES,
};
use mira_build::queries;
use mira_build::runner::{RunRequest, RunStatus};
use mira_build::{Diagnostic, run};
use mira_core::config::BuildConfig;
use mira_store::Db;
use mira_store::projects::{self, Project};
use tokio_util::sync::CancellationToken;

struct Fixture {
    _data: tempfile::TempDir,
    _dir: tempfile::TempDir,
    db: Db,
    project: Project,
}

async fn fixture() -> Fixture {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.c"), "int main(void) { return 0; }\n").unwrap();
    let db = Db::open(&data.path().join("mira.db")).await.unwrap();
    let project = projects::add(&db, dir.path(), None).await.unwrap();
    Fixture {
        _data: data,
        _dir: dir,
        db,
        project,
    }
}

fn config(timeout: u64) -> BuildConfig {
    BuildConfig {
        timeout: Duration::from_secs(timeout),
        log_max_bytes: 1 << 20,
    }
}

fn size(d: &Diagnostic) -> usize {
    serde_json::to_string(d).unwrap().len()
}

/// The peak resident memory of this process so far, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[tokio::test]
async fn a_flood_of_errors_stops_at_the_time_limit_with_a_bounded_record() {
    let f = fixture().await;
    let started = Instant::now();
    // `mira build --timeout 3 -- yes "error: spam"`, and the same with a new file and
    // line each time, so nothing collapses into one error.
    let outcome = run(
        &f.db,
        &f.project,
        &config(3),
        RunRequest::new(vec!["yes".into(), "error: spam".into()]),
        std::sync::Arc::new(|_, _| {}),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.run.status, RunStatus::TimedOut);
    check_bounded(&f, &outcome.diagnostics, outcome.run.id).await;

    let script = "i=0; while :; do i=$((i+1)); echo \"src/f$i.c:$i:1: error: spam number $i\"; done";
    let outcome = run(
        &f.db,
        &f.project,
        &config(3),
        RunRequest::new(vec!["sh".into(), "-c".into(), script.into()]),
        std::sync::Arc::new(|_, _| {}),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.run.status, RunStatus::TimedOut);
    check_bounded(&f, &outcome.diagnostics, outcome.run.id).await;
}

async fn check_bounded(f: &Fixture, diagnostics: &[Diagnostic], run_id: i64) {
    assert_eq!(diagnostics.len(), MAX_DIAGNOSTICS + 1, "kept ones and the marker");
    let marker = diagnostics.last().unwrap();
    assert_eq!(marker.code.as_deref(), Some(DROPPED_CODE));
    let dropped: u64 = marker.message.split(' ').next().unwrap().parse().unwrap();
    assert!(dropped > 0, "{}", marker.message);
    let bytes: usize = diagnostics.iter().map(size).sum();
    assert!(bytes < 2 * MAX_DIAGNOSTICS_BYTES, "{bytes}");
    let stored = queries::run_diagnostics(&f.db, run_id).await.unwrap();
    assert_eq!(stored.len(), MAX_DIAGNOSTICS + 1, "stored as kept");
    assert!(
        stored
            .iter()
            .any(|(_, d)| d.code.as_deref() == Some(DROPPED_CODE))
    );
    let log = queries::run_log(&f.db, run_id).await.unwrap();
    assert!(log.len() <= (1 << 20) + 200, "{}", log.len());
}

#[tokio::test]
async fn one_huge_line_is_cut_and_never_held_whole() {
    let f = fixture().await;
    const LINE: u64 = 300 << 20;
    let before = peak_rss();
    // A gcc-shaped error whose message runs on for 300 MB, then a normal one.
    let script = format!(
        "printf 'main.c:1:1: error: '; head -c {LINE} /dev/zero | tr '\\0' x; echo; \
         echo 'main.c:2:1: error: after the long line'; exit 1"
    );
    let outcome = run(
        &f.db,
        &f.project,
        &config(120),
        RunRequest::new(vec!["sh".into(), "-c".into(), script]),
        std::sync::Arc::new(|_, _| {}),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(outcome.run.status, RunStatus::Failed);
    assert!(outcome.run.log_truncated);
    assert!(outcome.run.log_bytes as u64 > LINE);
    let long = outcome
        .diagnostics
        .iter()
        .find(|d| d.line == Some(1))
        .expect("the long line is still read as an error");
    assert!(
        long.message.len() <= MAX_ONE_DIAGNOSTIC_BYTES,
        "{}",
        long.message.len()
    );
    assert!(long.message.contains("bytes cut]"), "the cut is marked");
    assert!(
        outcome
            .diagnostics
            .iter()
            .any(|d| d.message == "after the long line"),
        "the next line is parsed as usual: {:?}",
        outcome.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
    let stored = queries::run_diagnostics(&f.db, outcome.run.id).await.unwrap();
    assert!(stored.iter().map(|(_, d)| size(d)).sum::<usize>() < 2 * MAX_LINE_BYTES);
    // Memory: a line held whole would add at least its 300 MB to the peak.
    if let (Some(before), Some(after)) = (before, peak_rss()) {
        assert!(
            after.saturating_sub(before) < 150 << 20,
            "peak memory grew by {} MB",
            (after - before) >> 20
        );
    }
}
