//! Finding the Markdown files of command and agent folders: `.mira/<kind>/` and
//! `.claude/<kind>/` in the project, then the same under the user's home. The first
//! folder that defines a name wins; later ones are kept as shadowed so lists can show
//! them.

use std::path::{Path, PathBuf};

/// Deepest folder nesting read under a commands or agents folder.
const MAX_DEPTH: usize = 8;
/// Largest file read; a bigger one is a problem, not a command.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Where a definition comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Project,
    User,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::User => "user",
        }
    }
}

/// One folder to read, in precedence order.
#[derive(Debug, Clone)]
pub struct Source {
    pub dir: PathBuf,
    pub scope: Scope,
}

/// The folders of `kind` ("commands" or "agents"), highest precedence first: the
/// project's `.mira/`, its `.claude/`, then the user's `~/.mira/` and `~/.claude/`.
pub fn sources(project_root: Option<&Path>, home: Option<&Path>, kind: &str) -> Vec<Source> {
    let mut out = Vec::new();
    for (base, scope) in [(project_root, Scope::Project), (home, Scope::User)] {
        if let Some(base) = base {
            for tool in [".mira", ".claude"] {
                out.push(Source {
                    dir: base.join(tool).join(kind),
                    scope,
                });
            }
        }
    }
    out
}

/// A Markdown file found in a source folder, with its path relative to the folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub relative: PathBuf,
}

/// The `.md` files under `dir`, sorted; folders nested deeper than [`MAX_DEPTH`] and
/// symlinked folders (which could loop) are not entered. A missing folder is no files.
pub fn markdown_files(dir: &Path, recursive: bool) -> Vec<Found> {
    let mut out = Vec::new();
    walk(dir, dir, recursive, 0, &mut out);
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    out
}

fn walk(root: &Path, dir: &Path, recursive: bool, depth: usize, out: &mut Vec<Found>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if recursive && depth < MAX_DEPTH && !entry.file_name().to_string_lossy().starts_with('.') {
                walk(root, &path, recursive, depth + 1, out);
            }
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"))
            && let Ok(relative) = path.strip_prefix(root)
        {
            out.push(Found {
                relative: relative.to_path_buf(),
                path,
            });
        }
    }
}

/// A file's text, or why it cannot be read.
pub fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "it is {} bytes; the most read is {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())
}

/// `path` for display: `~/...` under the home, relative under the project root.
pub fn display(path: &Path, project_root: Option<&Path>, home: Option<&Path>) -> String {
    if let Some(rest) = project_root.and_then(|r| path.strip_prefix(r).ok()) {
        return rest.display().to_string();
    }
    if let Some(rest) = home.and_then(|h| path.strip_prefix(h).ok()) {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}
