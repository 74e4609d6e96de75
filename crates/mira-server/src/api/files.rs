//! A project's directory tree and file contents, confined to its root.

use std::io::Read;
use std::path::Path as FsPath;

use axum::Json;
use axum::extract::{Path, Query, State};
use mira_agent::confine_open::{Opened, special_kind};
use mira_store::projects;
use serde::{Deserialize, Serialize};

use crate::confine;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Directory listings stop here; `truncated` tells the client.
const MAX_ENTRIES: usize = 5000;
/// How much of a file is sniffed for NUL bytes to call it binary.
const SNIFF_BYTES: usize = 8192;

#[derive(Debug, Deserialize)]
pub struct PathQuery {
    #[serde(default)]
    pub path: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
}

#[derive(Debug, Serialize)]
pub struct TreeEntry {
    pub name: String,
    pub path: String,
    pub kind: EntryKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Tree {
    pub path: String,
    pub entries: Vec<TreeEntry>,
    pub truncated: bool,
}

/// Lists one directory (lazily, so huge repositories stay fast), honouring .gitignore
/// and hiding `.git`. Directories come first, then files, each sorted by name.
pub async fn tree(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<PathQuery>,
) -> ApiResult<Json<Tree>> {
    Ok(Json(tree_of(&state, id, &q.path).await?))
}

/// The listing behind `GET /api/projects/{id}/tree` and the WebSocket `fs.tree`.
pub async fn tree_of(state: &AppState, id: i64, relative: &str) -> ApiResult<Tree> {
    let project = projects::get(&state.db, id).await?;
    let root = project.root.clone();
    let relative = relative.to_string();
    tokio::task::spawn_blocking(move || {
        let opened = confine::open(&root, &relative)?;
        if !opened.metadata.is_dir() {
            return Err(ApiError::bad_request(format!("{relative} is not a directory")));
        }
        Ok(list_dir(&root, &opened))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

/// Walks the directory by its path (so .gitignore files above it apply), but shows an
/// entry only as the opened directory holds it: a name is looked up again through the
/// descriptor, and its kind and size come from there. A directory swapped for a symlink
/// during the walk so shows nothing from outside the root.
fn list_dir(root: &FsPath, opened: &Opened) -> Tree {
    let dir = opened.path.as_path();
    let held = opened.dir_path();
    let walker = ignore::WalkBuilder::new(dir)
        .max_depth(Some(1))
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    let mut entries = Vec::new();
    let mut truncated = false;
    for entry in walker.flatten() {
        if entry.depth() == 0 {
            continue;
        }
        if entries.len() >= MAX_ENTRIES {
            truncated = true;
            break;
        }
        let Ok(metadata) = std::fs::symlink_metadata(held.join(entry.file_name())) else {
            continue;
        };
        let file_type = metadata.file_type();
        let kind = if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        let size = (kind == EntryKind::File).then_some(metadata.len());
        entries.push(TreeEntry {
            name: entry.file_name().to_string_lossy().into_owned(),
            path: confine::display_relative(root, &dir.join(entry.file_name())),
            kind,
            size,
        });
    }
    entries.sort_by(|a, b| (a.kind != EntryKind::Dir, &a.name).cmp(&(b.kind != EntryKind::Dir, &b.name)));
    Tree {
        path: confine::display_relative(root, dir),
        entries,
        truncated,
    }
}

#[derive(Debug, Serialize)]
pub struct FileContent {
    pub path: String,
    /// `file`, or `fifo`, `socket`, `char_device`, `block_device`: those are never read
    /// (`content` is `null`).
    pub kind: &'static str,
    pub size: u64,
    pub modified: Option<String>,
    pub language: Option<&'static str>,
    pub binary: bool,
    pub too_large: bool,
    /// The text, or `null` for binary and too-large files.
    pub content: Option<String>,
    /// SHA-256 (hex) of the text, `null` with it; a save names it as its base.
    pub hash: Option<String>,
}

/// A file's text, or only its metadata when it is binary or over MIRA_MAX_FILE_BYTES.
pub async fn file(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<PathQuery>,
) -> ApiResult<Json<FileContent>> {
    Ok(Json(file_of(&state, id, &q.path).await?))
}

/// The read behind `GET /api/projects/{id}/file` and the WebSocket `fs.read`.
pub async fn file_of(state: &AppState, id: i64, relative: &str) -> ApiResult<FileContent> {
    let project = projects::get(&state.db, id).await?;
    let max = state.config.server.max_file_bytes;
    let root = project.root.clone();
    let relative = relative.to_string();
    tokio::task::spawn_blocking(move || {
        // Opened once and checked (what was opened is the checked path), so a symlink
        // swapped in after the check is never served.
        let opened = confine::open(&root, &relative)?;
        if opened.metadata.is_dir() {
            return Err(ApiError::bad_request(format!(
                "{relative} is a directory; use /tree to list it"
            )));
        }
        read_file(&root, &opened, max)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
}

fn read_file(root: &FsPath, opened: &Opened, max_bytes: u64) -> Result<FileContent, ApiError> {
    let path = opened.path.as_path();
    let io = |e: std::io::Error| ApiError::internal(format!("cannot read {}: {e}", path.display()));
    let metadata = &opened.metadata;
    let size = metadata.len();
    let modified = metadata
        .modified()
        .ok()
        .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let kind = special_kind(metadata);
    let mut out = FileContent {
        path: confine::display_relative(root, path),
        kind,
        size,
        modified,
        language: language_of(path),
        binary: false,
        too_large: size > max_bytes,
        content: None,
        hash: None,
    };
    // A FIFO, socket or device is answered with its metadata only: reading a FIFO
    // blocks forever and a device may never end.
    if kind != "file" {
        out.too_large = false;
        return Ok(out);
    }
    let mut file = opened.read().map_err(io)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES.min(size as usize));
    (&mut file)
        .take(SNIFF_BYTES.min(size as usize) as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    if head.contains(&0) {
        out.binary = true;
        return Ok(out);
    }
    if out.too_large {
        return Ok(out);
    }
    let mut bytes = head;
    // Never more than the size checked above, even if the file grows meanwhile.
    file.take(max_bytes.saturating_sub(bytes.len() as u64))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            out.hash = Some(super::file_save::hash_of(text.as_bytes()));
            out.content = Some(text);
        }
        Err(_) => out.binary = true,
    }
    Ok(out)
}

/// The editor language for a file, by extension or well-known name.
pub fn language_of(path: &FsPath) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    match name {
        "Dockerfile" => return Some("dockerfile"),
        "Makefile" => return Some("makefile"),
        "Cargo.lock" => return Some("toml"),
        _ => {}
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "rs" => "rust",
        "py" | "pyi" => "python",
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "typescript",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "go" => "go",
        "json" => "json",
        "toml" => "toml",
        "yaml" | "yml" => "yaml",
        "md" | "markdown" => "markdown",
        "html" | "htm" => "html",
        "css" => "css",
        "scss" => "scss",
        "sh" | "bash" | "zsh" => "shell",
        "sql" => "sql",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "cpp",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "rb" => "ruby",
        "php" => "php",
        "swift" => "swift",
        "xml" | "svg" => "xml",
        "ini" | "cfg" => "ini",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_large_files_answer_with_metadata_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.rs"), "fn main() {}\n").unwrap();
        std::fs::write(root.join("img.png"), [0x89, b'P', b'N', b'G', 0, 0, 1]).unwrap();
        std::fs::write(root.join("latin1.txt"), [b'c', b'a', b'f', 0xe9]).unwrap();
        std::fs::write(root.join("big.txt"), "x".repeat(5000)).unwrap();

        let read = |name: &str| read_file(&root, &mira_agent::confine_open::open(&root, name).unwrap(), 4096);
        let text = read("a.rs").unwrap();
        assert_eq!(text.content.as_deref(), Some("fn main() {}\n"));
        assert_eq!(text.language, Some("rust"));
        assert_eq!(text.path, "a.rs");

        let bin = read("img.png").unwrap();
        assert!(bin.binary && bin.content.is_none());
        assert!(read("latin1.txt").unwrap().binary);

        let big = read("big.txt").unwrap();
        assert!(big.too_large && big.content.is_none() && !big.binary);
        assert_eq!(big.size, 5000);
    }

    #[test]
    fn listing_honours_gitignore_hides_dot_git_and_sorts_dirs_first() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::write(root.join("b.txt"), "b").unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(root.join("debug.log"), "l").unwrap();
        let tree = list_dir(&root, &mira_agent::confine_open::open(&root, "").unwrap());
        let names: Vec<_> = tree.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["src", ".gitignore", "a.txt", "b.txt"]);
        assert_eq!(tree.entries[2].size, Some(1));
        assert!(!tree.truncated);
    }
}
