//! What a hook costs a tool call: the time of `Hooks::run` for one PreToolUse hook that
//! runs `true`, against spawning `sh -c true` directly (the floor: a hook is a shell), and
//! the cost of an event no hook matches.
//!
//!     cargo run --release -p mira-hooks --example bench_hooks [-- RUNS]

use std::time::{Duration, Instant};

use mira_hooks::{HookEvent, RunContext, fields};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(name: &str, mut times: Vec<Duration>) -> f64 {
    times.sort();
    let p50 = percentile(&times, 0.5);
    println!(
        "{name:<34} p50 {p50:8.3} ms  p95 {:8.3} ms  max {:8.3} ms",
        percentile(&times, 0.95),
        percentile(&times, 1.0)
    );
    p50
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("project");
    std::fs::create_dir_all(root.join(".claude")).expect("project dir");
    std::fs::write(
        root.join(".claude/settings.json"),
        r#"{"hooks": {"PreToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "true"}]}]}}"#,
    )
    .expect("settings");
    let (hooks, problems) = mira_hooks::load(&root, None);
    assert!(problems.is_empty(), "{problems:?}");
    let ctx = RunContext::new(&root, "bench");
    let args = serde_json::json!({"path": "src/lib.rs", "search": "a", "replace": "b"});

    let mut direct = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let status = tokio::process::Command::new("sh")
            .args(["-c", "true"])
            .current_dir(&root)
            .status()
            .await
            .expect("sh runs");
        assert!(status.success());
        direct.push(t.elapsed());
    }
    let mut hooked = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let report = hooks
            .run(
                HookEvent::PreToolUse,
                Some("edit_file"),
                fields::pre_tool_use("edit_file", &args, &root),
                &ctx,
            )
            .await;
        assert_eq!(report.results.len(), 1);
        hooked.push(t.elapsed());
    }
    let mut unmatched = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let n = hooks.count(HookEvent::PreToolUse, Some("read_file"));
        assert_eq!(n, 0);
        unmatched.push(t.elapsed());
    }
    println!("{runs} runs each");
    let floor = report("sh -c true (spawned directly)", direct);
    let hook = report("PreToolUse hook `true`", hooked);
    report("no hook matches (read_file)", unmatched);
    println!("hook / direct spawn: {:.2}x", hook / floor);
}
