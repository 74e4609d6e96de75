//! Where the real tools are, and running them the way a user would.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The JavaScript tools installed by `scripts/test.sh` (npm ci in tests/toolchain).
pub fn node_bin(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/toolchain/node_modules/.bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `npm --prefix crates/mira-build/tests/toolchain ci` (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A program on PATH, or a clear failure that says how to install it.
pub fn program(name: &str, install: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_default();
    found.unwrap_or_else(|| panic!("`{name}` is not installed: {install} (scripts/test.sh does)"))
}

pub fn python_with_pytest() -> PathBuf {
    let python = program("python3", "install Python 3");
    let ok = Command::new(&python)
        .args(["-m", "pytest", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "pytest is missing: run `python3 -m pip install pytest` (scripts/test.sh does)"
    );
    python
}

/// Output of a command run in `dir`: stdout and stderr together, as a terminal shows
/// them (tools print diagnostics to either). An empty value in `env` removes that
/// variable (tools such as pytest change their output when `CI` is set at all).
pub fn capture(dir: &Path, program: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    (text, out.status.code().unwrap_or(-1))
}

/// Environment that keeps a fixture's cargo build inside its temp dir and offline.
pub fn cargo_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("CARGO_TARGET_DIR", dir.join("target").display().to_string()),
        ("CARGO_NET_OFFLINE", "true".into()),
        ("CARGO_TERM_COLOR", "never".into()),
    ]
}

pub fn env_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
