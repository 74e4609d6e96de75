//! Running one hook command: `sh -c` in the project root, in its own process group, its
//! input on stdin, its output captured within bounds, killed with everything it started
//! at its timeout or on cancellation.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::capture::{Capture, CapturedOutput, OUTPUT_LIMIT};

/// After the hook's shell exits, its pipes get this long to deliver what is left. Only a
/// process that escaped the group (setsid) can hold them open longer, and its output is
/// not the hook's.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// How a hook's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It exited by itself (or was killed by a signal nobody here sent).
    Exited,
    /// It ran past its timeout; its process group was killed.
    TimedOut,
    /// The run was cancelled; its process group was killed.
    Cancelled,
    /// `sh` could not be started; the reason.
    NotStarted(String),
    /// Waiting for it failed; the reason. Its process group was killed.
    Lost(String),
}

#[derive(Debug)]
pub(crate) struct ProcessRun {
    pub(crate) ending: Ending,
    pub(crate) exit_code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) stdout: CapturedOutput,
    pub(crate) stderr: CapturedOutput,
    pub(crate) duration: Duration,
}

/// Runs `command` to its end. Never panics and never leaves a process of its group
/// behind: the group is killed when the shell exits (a hook is a command, not a way to
/// start daemons), at the timeout, on cancellation, and if this future is dropped.
pub(crate) async fn run_command(
    command: &str,
    project_root: &Path,
    input: Vec<u8>,
    timeout: Duration,
    cancel: Option<&CancellationToken>,
) -> ProcessRun {
    let started = Instant::now();
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .current_dir(project_root)
        .env("CLAUDE_PROJECT_DIR", project_root)
        .env("MIRA_PROJECT_DIR", project_root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        // Its own group, so a kill reaches what it started in the background too.
        .process_group(0);
    let mut child = match shell.spawn() {
        Ok(child) => child,
        Err(e) => {
            return ProcessRun {
                ending: Ending::NotStarted(format!(
                    "cannot start `sh` in {} ({e}); check that the project directory exists",
                    project_root.display()
                )),
                exit_code: None,
                signal: None,
                stdout: CapturedOutput::default(),
                stderr: CapturedOutput::default(),
                duration: started.elapsed(),
            };
        }
    };
    let mut group = ProcessGroup::of(child.id());
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        group.kill();
        return ProcessRun {
            ending: Ending::NotStarted("its output pipes could not be opened".into()),
            exit_code: None,
            signal: None,
            stdout: CapturedOutput::default(),
            stderr: CapturedOutput::default(),
            duration: started.elapsed(),
        };
    };
    let stdin = child.stdin.take();
    // Written alongside the reading: a hook that never reads its stdin must not block us
    // on a full pipe, and one that reads it to the end sees it closed.
    let writing = async move {
        if let Some(mut stdin) = stdin {
            // A hook may exit without reading its input: a broken pipe is not an error.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        }
    };
    tokio::pin!(writing);
    let cancelled = async {
        match cancel {
            Some(token) => token.cancelled().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(cancelled);
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let drain = tokio::time::sleep(Duration::MAX / 4);
    tokio::pin!(drain);

    let mut out = Capture::new(OUTPUT_LIMIT);
    let mut err = Capture::new(OUTPUT_LIMIT);
    let (mut out_buf, mut err_buf) = (vec![0u8; 8192], vec![0u8; 8192]);
    let (mut out_done, mut err_done, mut written) = (false, false, false);
    let mut exited: Option<Result<ExitStatus, String>> = None;
    let mut stopped: Option<Ending> = None;
    loop {
        if exited.is_some() && out_done && err_done {
            break;
        }
        tokio::select! {
            _ = &mut writing, if !written => written = true,
            read = stdout.read(&mut out_buf), if !out_done => match read {
                Ok(0) | Err(_) => out_done = true,
                Ok(n) => out.push(&out_buf[..n]),
            },
            read = stderr.read(&mut err_buf), if !err_done => match read {
                Ok(0) | Err(_) => err_done = true,
                Ok(n) => err.push(&err_buf[..n]),
            },
            status = child.wait(), if exited.is_none() => {
                // Whatever the shell left running in its group goes with it.
                group.kill();
                exited = Some(status.map_err(|e| format!("waiting for it failed ({e})")));
                drain.as_mut().reset(tokio::time::Instant::now() + DRAIN_AFTER_EXIT);
            },
            _ = &mut deadline, if exited.is_none() && stopped.is_none() => {
                stopped = Some(Ending::TimedOut);
                group.kill();
            },
            _ = &mut cancelled, if exited.is_none() && stopped.is_none() => {
                stopped = Some(Ending::Cancelled);
                group.kill();
            },
            _ = &mut drain => break,
        }
    }
    group.finished();
    let (ending, exit_code, signal) = match (stopped, exited) {
        (Some(stopped), _) => (stopped, None, None),
        (None, Some(Ok(status))) => (Ending::Exited, status.code(), status.signal()),
        (None, Some(Err(why))) => (Ending::Lost(why), None, None),
        (None, None) => (Ending::Lost("it did not exit".into()), None, None),
    };
    ProcessRun {
        ending,
        exit_code,
        signal,
        stdout: out.finish(),
        stderr: err.finish(),
        duration: started.elapsed(),
    }
}

/// The hook's process group, killed (SIGKILL) on demand and when dropped before the run
/// finished, so a run abandoned mid-way (its future dropped) leaves nothing behind.
struct ProcessGroup {
    id: Option<libc::pid_t>,
}

impl ProcessGroup {
    fn of(pid: Option<u32>) -> ProcessGroup {
        // kill(-1) would signal every process we may signal, and kill(-0) our own group:
        // only a real child's pid names its group.
        let id = pid
            .and_then(|pid| libc::pid_t::try_from(pid).ok())
            .filter(|pid| *pid > 1);
        ProcessGroup { id }
    }

    fn kill(&self) {
        if let Some(id) = self.id {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory is
            // touched. The group's leader is our child, not yet reaped, or reaped moments
            // ago while its group's members keep the id from being reused.
            unsafe {
                libc::kill(-id, libc::SIGKILL);
            }
        }
    }

    /// The run ended with the group killed; nothing to do when dropped.
    fn finished(&mut self) {
        self.id = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}
