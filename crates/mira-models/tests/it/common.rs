//! Where the tests find the real models.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use mira_models::{ChatModel, Embedder};

/// `MIRA_TEST_MODELS_DIR`, else the cache dir scripts/test.sh fills.
pub fn models_dir() -> PathBuf {
    std::env::var_os("MIRA_TEST_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dirs_home().join(".cache/mira-models"))
}

fn dirs_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}

fn require(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run `MIRA_MODELS_DIR={} mira models pull --all` (scripts/test.sh does)",
        path.display(),
        models_dir().display()
    );
    path
}

pub fn embed_dir() -> PathBuf {
    require(models_dir().join("all-MiniLM-L6-v2"))
}

pub fn chat_path() -> PathBuf {
    require(models_dir().join("SmolLM2-135M-Instruct.Q4_1.gguf"))
}

/// One loaded copy per test binary: loading takes a second and the tests run in parallel.
pub fn embedder() -> Arc<Embedder> {
    static E: OnceLock<Arc<Embedder>> = OnceLock::new();
    E.get_or_init(|| Arc::new(Embedder::load(&embed_dir()).expect("embedder loads")))
        .clone()
}

pub fn chat_model() -> Arc<ChatModel> {
    static C: OnceLock<Arc<ChatModel>> = OnceLock::new();
    C.get_or_init(|| Arc::new(ChatModel::load(&chat_path()).expect("chat model loads")))
        .clone()
}

/// Runs the Python reference `tests/reference/{script}` with `args`, the JSON of `input`
/// on its standard input, and parses the JSON it prints. `needs` names the packages it
/// imports (scripts/test.sh installs them), for the message when python3 is missing.
pub fn python_reference<I: serde::Serialize, O: serde::de::DeserializeOwned>(
    script: &str,
    args: &[&std::ffi::OsStr],
    input: &I,
    needs: &str,
) -> O {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let path = format!("{}/tests/reference/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("python3")
        .arg(&path)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 runs {script} ({e}; scripts/test.sh installs {needs})"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the reference {script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
