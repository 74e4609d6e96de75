//! Starting and stopping the real `mira serve` for a test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_mira");

/// A data dir, a fixture project and a built-UI stand-in, all temporary.
pub struct Dirs {
    pub tmp: tempfile::TempDir,
}

impl Dirs {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        std::fs::create_dir_all(project.join("src/nested")).unwrap();
        std::fs::write(project.join("README.md"), "# Fixture\n").unwrap();
        std::fs::write(
            project.join("src/main.rs"),
            "fn main() {\n    println!(\"hi\");\n}\n",
        )
        .unwrap();
        std::fs::write(project.join("src/nested/util.py"), "def util():\n    return 1\n").unwrap();
        let ui = tmp.path().join("ui");
        std::fs::create_dir_all(&ui).unwrap();
        std::fs::write(
            ui.join("index.html"),
            "<!doctype html><title>Mira test UI</title>",
        )
        .unwrap();
        Self { tmp }
    }

    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub fn project(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    pub fn ui(&self) -> PathBuf {
        self.tmp.path().join("ui")
    }

    /// A `mira` command with a clean environment pointing at these dirs.
    pub fn command(&self, extra_env: &[(&str, &str)]) -> Command {
        self.configure(Command::new(BIN), extra_env)
    }

    /// A `mira` command run by `prlimit` with an open-file limit (soft and hard) of `files`.
    pub fn command_with_file_limit(&self, files: u64, extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--nofile={files}:{files}")).arg("--").arg(BIN);
        self.configure(cmd, extra_env)
    }

    fn configure(&self, mut cmd: Command, extra_env: &[(&str, &str)]) -> Command {
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.tmp.path())
            .env("MIRA_DATA_DIR", self.data())
            .env("MIRA_UI_DIR", self.ui())
            .env("MIRA_PORT", "0")
            .env("MIRA_LOG", "info")
            // The stand-in models answer chats; memory's extraction calls are tested on
            // their own (memory.rs), where a test turns this back on.
            .env("MEMORY_MODEL_EXTRACTION", "false")
            .current_dir(self.project());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }
}

/// A running server, killed when dropped.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub token: String,
    pub stderr: mpsc::Receiver<String>,
    pub stdout_lines: Vec<String>,
}

impl Server {
    pub fn start(dirs: &Dirs, extra_env: &[(&str, &str)]) -> Self {
        Self::spawn(dirs.command(extra_env))
    }

    /// Runs `command` (a `mira` command from [`Dirs`]) with `serve` and waits for its URL.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mira serve");
        let (err_tx, err_rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = err_tx.send(line);
            }
        });
        let (out_tx, out_rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = out_tx.send(line);
            }
        });
        let mut stdout_lines = Vec::new();
        let url = loop {
            match out_rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    stdout_lines.push(line.clone());
                    if let Some(url) = line.strip_prefix("Open ") {
                        break url.to_string();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let errors: Vec<String> = err_rx.try_iter().collect();
                    panic!(
                        "server printed no URL; stdout {stdout_lines:?}; stderr:\n{}",
                        errors.join("\n")
                    );
                }
            }
        };
        // The rest of stdout is drained so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in out_rx {});
        let (base, token) = url.split_once("/#token=").expect("URL with #token=");
        Self {
            child,
            base: base.to_string(),
            token: token.to_string(),
            stderr: err_rx,
            stdout_lines,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http://", "ws://", 1))
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// `method path` with the token (and `body` as JSON): the status and the JSON answer,
    /// whatever the status.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .client()
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self
            .client()
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Sends SIGTERM and waits for the process to end; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not exit within 30 s of SIGTERM");
    }

    /// Everything the server wrote to stderr so far (all of it, once it has exited).
    pub fn stderr_text(&self) -> String {
        let mut lines = Vec::new();
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_millis(500)) {
            lines.push(line);
        }
        lines.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a `mira` subcommand to completion.
pub fn run(dirs: &Dirs, args: &[&str], extra_env: &[(&str, &str)]) -> std::process::Output {
    dirs.command(extra_env).args(args).output().expect("run mira")
}

pub fn canonical(path: &Path) -> String {
    path.canonicalize().unwrap().display().to_string()
}

/// The JSON a successful command printed on stdout.
pub fn stdout_json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
