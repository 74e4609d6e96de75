//! Runs one command: output is passed on as it arrives (to a terminal or the UI),
//! parsed as it streams, and kept (up to a limit) as the raw log. A timeout or a
//! cancellation stops the command's whole process group: first politely, then for good.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::BuildError;
use crate::bounds::Kept;
use crate::diagnostic::{Diagnostic, Tool};
use crate::parse::Pipeline;

/// Which pipe a chunk of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Receives output as it arrives. Called on the runtime: it must not block.
pub type OnOutput = Arc<dyn Fn(Stream, &[u8]) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct RunRequest {
    pub argv: Vec<String>,
    /// The directory to run in, relative to the project root (empty: the root). Paths in
    /// diagnostics are recorded relative to the root all the same.
    pub dir: String,
    /// `dir` opened and checked by the caller (a client-given directory): the command
    /// starts in the directory this descriptor names, so a component of `dir` swapped for
    /// a symlink after the check cannot move it outside the project.
    pub pinned_dir: Option<Arc<std::fs::File>>,
    /// Overrides the configured timeout.
    pub timeout: Option<Duration>,
    /// Extra environment for the command (e.g. to keep colours on a terminal).
    pub env: Vec<(String, String)>,
}

impl RunRequest {
    pub fn new(argv: Vec<String>) -> Self {
        Self {
            argv,
            dir: String::new(),
            pinned_dir: None,
            timeout: None,
            env: Vec::new(),
        }
    }

    /// A command line typed as one string (`cargo test -p x`), split like a shell
    /// would split words, without running a shell.
    pub fn from_command_line(line: &str) -> Result<Self, BuildError> {
        let argv = shlex::split(line).ok_or_else(|| BuildError::BadCommandLine(line.to_string()))?;
        if argv.is_empty() {
            return Err(BuildError::EmptyCommand);
        }
        Ok(Self::new(argv))
    }

    pub fn command_line(&self) -> String {
        shlex::try_join(self.argv.iter().map(String::as_str)).unwrap_or_else(|_| self.argv.join(" "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    FailedToStart,
    /// Mira stopped while the run was going (found at the next start).
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::TimedOut => "timed_out",
            RunStatus::FailedToStart => "failed_to_start",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> RunStatus {
        match text {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            "timed_out" => RunStatus::TimedOut,
            "failed_to_start" => RunStatus::FailedToStart,
            _ => RunStatus::Interrupted,
        }
    }

    /// Did the command run to its end, so that what it did not report is fixed?
    pub fn completed(self) -> bool {
        matches!(self, RunStatus::Succeeded | RunStatus::Failed)
    }
}

/// What a finished command left.
#[derive(Debug)]
pub struct Finished {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub failure: Option<String>,
    pub duration: Duration,
    pub diagnostics: Vec<Diagnostic>,
    pub log: Vec<u8>,
    pub log_bytes: u64,
    pub log_truncated: bool,
}

/// The raw log, bounded: the first and the last half of the limit are kept.
struct Log {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    half: usize,
    total: u64,
}

impl Log {
    fn new(max: usize) -> Self {
        Self {
            head: Vec::new(),
            tail: VecDeque::new(),
            half: max / 2,
            total: 0,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        let room = self.half.saturating_sub(self.head.len());
        let (first, rest) = chunk.split_at(room.min(chunk.len()));
        self.head.extend_from_slice(first);
        self.tail.extend(rest);
        let excess = self.tail.len().saturating_sub(self.half);
        self.tail.drain(..excess);
    }

    fn finish(self) -> (Vec<u8>, u64, bool) {
        let kept = (self.head.len() + self.tail.len()) as u64;
        let truncated = kept < self.total;
        let mut out = self.head;
        if truncated {
            out.extend_from_slice(
                format!(
                    "\n[mira: {} bytes of output cut here; BUILD_LOG_MAX_BYTES sets the limit]\n",
                    self.total - kept
                )
                .as_bytes(),
            );
        }
        out.extend(self.tail);
        (out, self.total, truncated)
    }
}

/// Sends `signal` to the whole process group the command leads.
fn signal_group(pid: Option<u32>, signal: libc::c_int) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is touched.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

/// Where the command starts: the pinned directory through the kernel's name for its
/// descriptor (which the child, having inherited it, resolves to that very directory),
/// else `dir` under the root.
fn working_dir(root: &Path, request: &RunRequest) -> PathBuf {
    use std::os::fd::AsRawFd;
    match &request.pinned_dir {
        Some(dir) if cfg!(target_os = "linux") => PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())),
        Some(dir) => PathBuf::from(format!("/dev/fd/{}", dir.as_raw_fd())),
        None => root.join(&request.dir),
    }
}

/// Runs `request` in `root`. A command that cannot start is an error; everything else
/// (failure, timeout, cancellation) is a [`Finished`] with its status.
pub async fn execute(
    root: &Path,
    request: &RunRequest,
    tool: Option<Tool>,
    timeout: Duration,
    log_max: usize,
    on_output: OnOutput,
    cancel: CancellationToken,
) -> Result<Finished, BuildError> {
    let (program, args) = request.argv.split_first().ok_or(BuildError::EmptyCommand)?;
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(working_dir(root, request))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in &request.env {
        command.env(k, v);
    }
    // Its own process group, so a stop reaches what it started too (cargo's rustc,
    // npm's node), and a terminal's Ctrl-C reaches Mira, which then stops the group.
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command.spawn().map_err(|e| BuildError::CannotStart {
        program: program.clone(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => "no such program".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied (is it executable?)".to_string(),
            _ => e.to_string(),
        },
    })?;
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let mut out_parser = Pipeline::new(tool);
    let mut err_parser = Pipeline::new(tool);
    // Kept within `bounds`: a flood of diagnostics is counted, not stored.
    let mut diagnostics = Kept::default();
    let mut log = Log::new(log_max);
    let (mut out_buf, mut err_buf) = (vec![0u8; 16 * 1024], vec![0u8; 16 * 1024]);
    let (mut out_done, mut err_done) = (false, false);
    let mut exit: Option<std::process::ExitStatus> = None;
    let mut stopped: Option<(RunStatus, String)> = None;
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
    let force_kill = tokio::time::sleep_until(far);
    tokio::pin!(force_kill);
    let drain_limit = tokio::time::sleep_until(far);
    tokio::pin!(drain_limit);

    loop {
        if out_done && err_done && exit.is_some() {
            break;
        }
        tokio::select! {
            r = stdout.read(&mut out_buf), if !out_done => match r {
                Ok(0) | Err(_) => out_done = true,
                Ok(n) => {
                    on_output(Stream::Stdout, &out_buf[..n]);
                    log.push(&out_buf[..n]);
                    out_parser.bytes(&out_buf[..n]);
                    diagnostics.extend(out_parser.take_new());
                }
            },
            r = stderr.read(&mut err_buf), if !err_done => match r {
                Ok(0) | Err(_) => err_done = true,
                Ok(n) => {
                    on_output(Stream::Stderr, &err_buf[..n]);
                    log.push(&err_buf[..n]);
                    err_parser.bytes(&err_buf[..n]);
                    diagnostics.extend(err_parser.take_new());
                }
            },
            status = child.wait(), if exit.is_none() => {
                exit = Some(status.map_err(|e| BuildError::Io(format!("waiting for the command: {e}")))?);
                // Something the command started in the background may keep the pipes
                // open; its output is not the build's.
                drain_limit.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(2));
            },
            _ = &mut deadline, if stopped.is_none() => {
                stopped = Some((RunStatus::TimedOut, format!("stopped after the {} s time limit", timeout.as_secs())));
                signal_group(pid, libc::SIGTERM);
                force_kill.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(3));
            },
            _ = cancel.cancelled(), if stopped.is_none() => {
                stopped = Some((RunStatus::Cancelled, "cancelled".to_string()));
                signal_group(pid, libc::SIGTERM);
                force_kill.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(3));
            },
            _ = &mut force_kill, if exit.is_none() => {
                signal_group(pid, libc::SIGKILL);
                force_kill.as_mut().reset(far);
            },
            _ = &mut drain_limit => break,
        }
    }
    // Whatever the command started and left behind goes with it.
    if stopped.is_some() {
        signal_group(pid, libc::SIGKILL);
    }
    diagnostics.extend(err_parser.finish());
    diagnostics.extend(out_parser.finish());
    let exit = exit.expect("loop ends after exit");
    let exit_code = exit.code();
    let (status, failure) = match stopped {
        Some((status, why)) => (status, Some(why)),
        None if exit.success() => (RunStatus::Succeeded, None),
        None => (
            RunStatus::Failed,
            match exit_code {
                Some(code) => Some(format!("exited with status {code}")),
                None => Some(signal_description(&exit)),
            },
        ),
    };
    let (log, log_bytes, log_truncated) = log.finish();
    Ok(Finished {
        status,
        exit_code,
        failure,
        duration: started.elapsed(),
        diagnostics: diagnostics.finish(),
        log,
        log_bytes,
        log_truncated,
    })
}

fn signal_description(exit: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = exit.signal() {
            return format!("killed by signal {sig}");
        }
    }
    format!("ended with {exit}")
}
