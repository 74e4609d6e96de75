//! Loading hooks from Claude Code's settings files and Mira's `.mira/hooks.json`.
//!
//! Loading never fails as a whole: a file that cannot be read or parsed is one problem and
//! the other files still load; an entry that cannot be used is one problem and the rest of
//! its file still loads.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::event::{self, HookEvent};
use crate::json_lines::{JsonLines, Step};
use crate::matcher::Matcher;

/// A hook runs this long unless its entry says `timeout` (seconds), as in Claude Code.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What a hook's failure (an exit code other than 0 and 2, a failure to start, a timeout)
/// does. Mira's own `on_failure` field; Claude Code's behaviour is `Warn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnFailure {
    /// Block as exit code 2 would, with a reason naming the hook and what went wrong.
    Block,
    /// Show the user an error and carry on.
    #[default]
    Warn,
    /// Carry on without showing anything.
    Ignore,
}

impl OnFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::Block => "block",
            OnFailure::Warn => "warn",
            OnFailure::Ignore => "ignore",
        }
    }

    fn parse(text: &str) -> Option<OnFailure> {
        match text {
            "block" => Some(OnFailure::Block),
            "warn" => Some(OnFailure::Warn),
            "ignore" => Some(OnFailure::Ignore),
            _ => None,
        }
    }
}

/// One loaded hook, as a `/hooks` listing shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct HookEntry {
    pub event: HookEvent,
    /// The matcher as written; empty when the entry has none (it matches everything).
    pub matcher: String,
    /// The shell command, run with `sh -c`.
    pub command: String,
    pub timeout: Duration,
    pub on_failure: OnFailure,
    /// The file it was read from.
    pub source: PathBuf,
    /// The 1-based line of its entry in that file.
    pub line: usize,
}

/// Something in a hooks file that could not be used; the rest still loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub file: PathBuf,
    /// 1-based; `None` when the problem is the whole file (it cannot be read).
    pub line: Option<usize>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for LoadProblem {}

/// How a file holds its hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Claude Code's settings: the `hooks` key; every other key is Claude Code's business.
    ClaudeSettings,
    /// Mira's `.mira/hooks.json`: `{"hooks": {...}}` or the event map itself.
    MiraHooks,
}

/// The files hooks are read from, in the order their hooks run: the user's (from `home`),
/// then the project's. Missing files are simply skipped by [`load`].
pub fn sources(project_root: &Path, home: Option<&Path>) -> Vec<(PathBuf, SourceKind)> {
    let mut out = Vec::new();
    if let Some(home) = home {
        out.push((home.join(".claude/settings.json"), SourceKind::ClaudeSettings));
        out.push((home.join(".mira/hooks.json"), SourceKind::MiraHooks));
    }
    out.push((
        project_root.join(".claude/settings.json"),
        SourceKind::ClaudeSettings,
    ));
    out.push((
        project_root.join(".claude/settings.local.json"),
        SourceKind::ClaudeSettings,
    ));
    out.push((project_root.join(".mira/hooks.json"), SourceKind::MiraHooks));
    out
}

/// Reads every source file; the entries in configuration order, and the problems sorted by
/// file and line.
pub(crate) fn load_entries(
    project_root: &Path,
    home: Option<&Path>,
) -> (Vec<(HookEntry, Matcher)>, Vec<LoadProblem>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    // A project at the home directory has the user's files as its own: read them once.
    let mut seen = HashSet::new();
    for (path, kind) in sources(project_root, home) {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(LoadProblem {
                    file: path.clone(),
                    line: None,
                    message: format!("cannot be read ({e}); check that it is a readable UTF-8 file"),
                });
                continue;
            }
        };
        if !seen.insert(std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone())) {
            continue;
        }
        let mut file = FileLoader {
            path: &path,
            lines: None,
            text: &text,
            entries: &mut entries,
            problems: &mut problems,
        };
        file.load(kind);
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    (entries, problems)
}

struct FileLoader<'a> {
    path: &'a Path,
    text: &'a str,
    /// Scanned only when a problem needs a line, or an entry is kept.
    lines: Option<JsonLines>,
    entries: &'a mut Vec<(HookEntry, Matcher)>,
    problems: &'a mut Vec<LoadProblem>,
}

impl FileLoader<'_> {
    fn line(&mut self, path: &[Step]) -> usize {
        let text = self.text;
        self.lines
            .get_or_insert_with(|| JsonLines::scan(text))
            .line_of(path)
            .unwrap_or(1)
    }

    fn problem(&mut self, path: &[Step], message: String) {
        let line = self.line(path);
        self.problems.push(LoadProblem {
            file: self.path.to_path_buf(),
            line: Some(line),
            message,
        });
    }

    fn load(&mut self, kind: SourceKind) {
        let root: Value = match serde_json::from_str(self.text) {
            Ok(root) => root,
            Err(e) => {
                self.problems.push(LoadProblem {
                    file: self.path.to_path_buf(),
                    line: Some(e.line().max(1)),
                    message: format!("is not valid JSON ({e}); fix it: none of its hooks are loaded"),
                });
                return;
            }
        };
        let Value::Object(root) = root else {
            self.problem(
                &[],
                "must be a JSON object, such as {\"hooks\": {...}}".to_string(),
            );
            return;
        };
        let hooks_key = vec![Step::Key("hooks".into())];
        match (kind, root.get("hooks")) {
            (_, Some(Value::Object(events))) => self.events(events, &hooks_key),
            (SourceKind::ClaudeSettings, Some(_)) => self.problem(
                &hooks_key,
                "`hooks` must be an object of event names, such as {\"PreToolUse\": [...]}".to_string(),
            ),
            (SourceKind::ClaudeSettings, None) => {}
            (SourceKind::MiraHooks, _) => self.events(&root, &[]),
        }
    }

    fn events(&mut self, events: &Map<String, Value>, at: &[Step]) {
        for (name, groups) in events {
            let path = [at, &[Step::Key(name.clone())]].concat();
            let Some(event) = HookEvent::parse(name) else {
                self.problem(
                    &path,
                    format!(
                        "unknown hook event `{name}`; the events are {} (the names are case-sensitive)",
                        event::known_names()
                    ),
                );
                continue;
            };
            let Value::Array(groups) = groups else {
                self.problem(
                    &path,
                    format!("`{name}` must be a list of groups, such as [{{\"matcher\": \"Edit\", \"hooks\": [...]}}]"),
                );
                continue;
            };
            for (index, group) in groups.iter().enumerate() {
                let group_path = [path.as_slice(), &[Step::Index(index)]].concat();
                self.group(event, group, &group_path);
            }
        }
    }

    fn group(&mut self, event: HookEvent, group: &Value, path: &[Step]) {
        let Value::Object(group) = group else {
            self.problem(
                path,
                "a group must be an object such as {\"matcher\": \"Edit\", \"hooks\": [...]}".to_string(),
            );
            return;
        };
        let matcher = match group.get("matcher") {
            None | Some(Value::Null) => Matcher::new(None),
            Some(Value::String(text)) => Matcher::new(Some(text)),
            Some(_) => Err("`matcher` must be a string such as \"Edit|Write\"".to_string()),
        };
        let matcher = match matcher {
            Ok(matcher) => matcher,
            Err(message) => {
                let matcher_path = [path, &[Step::Key("matcher".into())]].concat();
                self.problem(
                    &matcher_path,
                    format!("{message}; the group's hooks are not loaded"),
                );
                return;
            }
        };
        let hooks_path = [path, &[Step::Key("hooks".into())]].concat();
        let Some(Value::Array(hooks)) = group.get("hooks") else {
            self.problem(
                path,
                "a group needs `hooks`, a list such as [{\"type\": \"command\", \"command\": \"./check.sh\"}]"
                    .to_string(),
            );
            return;
        };
        for (index, hook) in hooks.iter().enumerate() {
            let hook_path = [hooks_path.as_slice(), &[Step::Index(index)]].concat();
            match read_hook(hook) {
                Ok(hook) => {
                    let line = self.line(&hook_path);
                    self.entries.push((
                        HookEntry {
                            event,
                            matcher: matcher.as_str().to_string(),
                            command: hook.command,
                            timeout: hook.timeout,
                            on_failure: hook.on_failure,
                            source: self.path.to_path_buf(),
                            line,
                        },
                        matcher.clone(),
                    ));
                }
                Err(message) => self.problem(&hook_path, message),
            }
        }
    }
}

struct ReadHook {
    command: String,
    timeout: Duration,
    on_failure: OnFailure,
}

fn read_hook(hook: &Value) -> Result<ReadHook, String> {
    let Value::Object(hook) = hook else {
        return Err(
            "a hook must be an object such as {\"type\": \"command\", \"command\": \"./check.sh\"}".into(),
        );
    };
    match hook.get("type") {
        None => {}
        Some(Value::String(kind)) if kind == "command" => {}
        Some(Value::String(kind)) if kind == "prompt" => {
            return Err(
                "prompt hooks (a model judging the event) are not supported by Mira; \
                        use a command hook, {\"type\": \"command\", \"command\": ...}"
                    .into(),
            );
        }
        Some(other) => return Err(format!("unknown hook type {other}; use \"command\"")),
    }
    let command = match hook.get("command") {
        Some(Value::String(command)) if !command.trim().is_empty() => command.clone(),
        _ => return Err("the hook has no `command`; add the shell command to run, as a string".into()),
    };
    let timeout = match hook.get("timeout") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT,
        Some(value) => match value.as_f64() {
            Some(secs) if secs > 0.0 && secs.is_finite() && secs < 1e9 => Duration::from_secs_f64(secs),
            _ => {
                return Err(format!(
                    "`timeout` is {value}; give a number of seconds greater than 0"
                ));
            }
        },
    };
    let on_failure = match hook.get("on_failure") {
        None | Some(Value::Null) => OnFailure::default(),
        Some(Value::String(text)) => OnFailure::parse(text)
            .ok_or_else(|| format!("`on_failure` is \"{text}\"; use \"block\", \"warn\" or \"ignore\""))?,
        Some(other) => {
            return Err(format!(
                "`on_failure` is {other}; use \"block\", \"warn\" or \"ignore\""
            ));
        }
    };
    Ok(ReadHook {
        command,
        timeout,
        on_failure,
    })
}
