//! Shared fixtures: a home and a project in a temp dir, hooks files written into them.

use std::path::{Path, PathBuf};

use mira_hooks::{HookEvent, Hooks, Report, RunContext};
use serde_json::{Map, Value};

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub home: PathBuf,
    pub project: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        Fixture {
            _dir: dir,
            home,
            project,
        }
    }

    /// Writes `text` at `rel` under the project, creating directories.
    pub fn project_file(&self, rel: &str, text: &str) -> PathBuf {
        write(&self.project, rel, text)
    }

    pub fn home_file(&self, rel: &str, text: &str) -> PathBuf {
        write(&self.home, rel, text)
    }

    /// Loads, failing the test on any load problem.
    pub fn load(&self) -> Hooks {
        let (hooks, problems) = mira_hooks::load(&self.project, Some(&self.home));
        assert!(problems.is_empty(), "unexpected problems: {problems:?}");
        hooks
    }

    pub fn ctx(&self) -> RunContext {
        RunContext::new(&self.project, "session-1")
    }

    /// Loads `.mira/hooks.json` holding `event_map` and runs `event`.
    pub async fn run_mira_hooks(
        &self,
        event_map: Value,
        event: HookEvent,
        target: Option<&str>,
        fields: Map<String, Value>,
    ) -> Report {
        self.project_file(".mira/hooks.json", &event_map.to_string());
        self.load().run(event, target, fields, &self.ctx()).await
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.project.join(rel)
    }
}

pub fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A one-hook event map for `.mira/hooks.json`.
pub fn one_hook(event: &str, matcher: &str, hook: Value) -> Value {
    serde_json::json!({ event: [{"matcher": matcher, "hooks": [hook]}] })
}

pub fn command(command: &str) -> Value {
    serde_json::json!({"type": "command", "command": command})
}

/// Whether process `pid` is gone: kill(pid, 0) fails, or it is a zombie nobody has reaped
/// yet (killed, but its parent, also killed, left it to init).
pub fn process_gone(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    if !alive {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// Waits until `pid` is gone, a bounded wait since a killed process disappears only once
/// it is reaped; false if it is still there after the bound.
pub async fn wait_gone(pid: i32) -> bool {
    for _ in 0..200 {
        if process_gone(pid) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    process_gone(pid)
}

pub fn read_pid(path: &Path) -> i32 {
    std::fs::read_to_string(path).unwrap().trim().parse().unwrap()
}
