//! A stdio server's process: its own process group, stderr drained into a ring of recent
//! lines, and the whole group killed when it is stopped or dropped.

use std::collections::{BTreeMap, VecDeque};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

/// A line of stderr longer than this is cut: the tail is for a person reading an error.
const MAX_LINE_CHARS: usize = 500;

/// The last lines a process wrote to stderr.
#[derive(Clone)]
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    capacity: usize,
}

impl StderrTail {
    fn new(capacity: usize) -> Self {
        Self {
            lines: Arc::new(Mutex::new(VecDeque::with_capacity(capacity))),
            capacity: capacity.max(1),
        }
    }

    fn push(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == self.capacity {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// The last `count` lines, oldest first.
    pub(crate) fn last(&self, count: usize) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines
            .iter()
            .skip(lines.len().saturating_sub(count))
            .cloned()
            .collect()
    }
}

pub(crate) struct ServerProcess {
    child: Child,
    /// The process group: the child leads it, so its own children are in it too.
    pgid: libc::pid_t,
    pub(crate) stderr: StderrTail,
    drain: Option<JoinHandle<()>>,
    exit: Option<ExitStatus>,
}

impl ServerProcess {
    /// Starts `command` with `args` and `env` (added to Mira's own environment) in `cwd`,
    /// as the leader of a new process group.
    pub(crate) fn spawn(
        command: &str,
        args: &[String],
        env: &BTreeMap<String, String>,
        cwd: Option<&Path>,
        stderr_lines: usize,
    ) -> Result<(Self, ChildStdout, ChildStdin), String> {
        let mut cmd = Command::new(command);
        cmd.args(args)
            .envs(env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A group of its own: a terminal's Ctrl-C does not reach it, and killing the
            // group also kills what it started (npx runs node as a child, for instance).
            .process_group(0)
            .kill_on_drop(true);
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        let mut child = cmd.spawn().map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => format!(
                "command \"{command}\" was not found: install it or fix \"command\" in the configuration \
                 (it is looked up on PATH)"
            ),
            std::io::ErrorKind::PermissionDenied => {
                format!("command \"{command}\" cannot be run (permission denied): make it executable")
            }
            _ => format!("command \"{command}\" could not be started: {error}"),
        })?;
        let pid = child
            .id()
            .ok_or("the server process exited before it could be watched")?;
        let stdout = child
            .stdout
            .take()
            .ok_or("the server's stdout was not captured")?;
        let stdin = child.stdin.take().ok_or("the server's stdin was not captured")?;
        let stderr = StderrTail::new(stderr_lines);
        // Drained all the time, so a server that writes a lot to stderr never blocks on a
        // full pipe; only the recent lines are kept.
        let drain = child.stderr.take().map(|pipe| {
            let tail = stderr.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(pipe);
                let mut buffer = Vec::new();
                loop {
                    buffer.clear();
                    match reader.read_until(b'\n', &mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let line = String::from_utf8_lossy(&buffer);
                            let line = line.trim_end();
                            let line: String = line.chars().take(MAX_LINE_CHARS).collect();
                            tail.push(line);
                        }
                    }
                }
            })
        });
        let process = Self {
            child,
            pgid: pid as libc::pid_t,
            stderr,
            drain,
            exit: None,
        };
        Ok((process, stdout, stdin))
    }

    pub(crate) fn pgid(&self) -> libc::pid_t {
        self.pgid
    }

    /// Waits for the process to exit (cancel-safe: can be raced and retried).
    pub(crate) async fn wait(&mut self) -> ExitStatus {
        if let Some(status) = self.exit {
            return status;
        }
        let status = self
            .child
            .wait()
            .await
            .unwrap_or_else(|_| ExitStatus::from_raw(0));
        self.exit = Some(status);
        status
    }

    /// The exit status if the process has exited already.
    pub(crate) fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }

    /// Kills the group, reaps the process and waits (briefly) until stderr is read to its
    /// end, so the tail holds the last words.
    pub(crate) async fn kill_and_collect(&mut self) -> ExitStatus {
        kill_group(self.pgid, libc::SIGKILL);
        let status = self.wait().await;
        if let Some(drain) = self.drain.take() {
            // A grandchild that left the group could hold stderr open: do not wait for it.
            let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
        }
        status
    }

    /// The MCP stdio shutdown: stdin is already closed by the caller; SIGTERM to the
    /// group, a grace period, then SIGKILL.
    pub(crate) async fn terminate(&mut self, grace: Duration) {
        if self.try_exit().is_none() {
            kill_group(self.pgid, libc::SIGTERM);
            if tokio::time::timeout(grace, self.wait()).await.is_err() {
                kill_group(self.pgid, libc::SIGKILL);
            }
        }
        self.kill_and_collect().await;
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Also the group's other members, which may outlive the leader.
        kill_group(self.pgid, libc::SIGKILL);
        if let Some(drain) = self.drain.take() {
            drain.abort();
        }
    }
}

/// Sends `signal` to every process in group `pgid`.
pub(crate) fn kill_group(pgid: libc::pid_t, signal: libc::c_int) {
    if pgid > 1 {
        // SAFETY: killpg only sends a signal; an exited group gives ESRCH, which is fine.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

/// "exited with status 1", "was killed by signal 9 (SIGKILL)".
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("the process exited with status {code}");
    }
    match status.signal() {
        Some(signal) => {
            let name = match signal {
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGINT => " (SIGINT)",
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGABRT => " (SIGABRT)",
                _ => "",
            };
            format!("the process was killed by signal {signal}{name}")
        }
        None => "the process exited".to_string(),
    }
}
