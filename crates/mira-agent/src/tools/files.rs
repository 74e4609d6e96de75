//! Reading the project: read_file, list_files, grep. Every path goes through the
//! confinement the server's file API uses.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

use super::{Args, MAX_OUTPUT_CHARS, ToolContext, ToolOutput, bound, opt_str, opt_u64, refused, str_arg};
use crate::{confine, confine_open};

/// Files larger than this are not read whole or searched (generated or binary data).
const MAX_FILE_BYTES: u64 = 4 << 20;
const MAX_LIST: usize = 500;
const MAX_MATCHES: usize = 200;

pub async fn read_file(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let rel = str_arg(args, "path")?;
    // Opened once and checked, so a symlink swapped in after the check is never read.
    let opened = confine_open::open(&ctx.root, rel).map_err(refused)?;
    if opened.metadata.is_dir() {
        return Err(format!(
            "{rel} is a directory; use list_files to see what it holds"
        ));
    }
    if !opened.metadata.is_file() {
        return Err(format!(
            "{rel} is a {}, not a regular file; it is not read",
            confine_open::special_kind(&opened.metadata)
        ));
    }
    let size = opened.metadata.len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{rel} is {size} bytes, too large to read; use grep to find the part you need"
        ));
    }
    let bytes = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut bytes = Vec::new();
        opened.read()?.read_to_end(&mut bytes).map(|_| bytes)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot read {rel}: {e}"))?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(format!("{rel} is not a text file (not UTF-8)"));
    };
    let total = text.lines().count();
    let start = opt_u64(args, "start_line").unwrap_or(1).max(1) as usize;
    let end = opt_u64(args, "end_line")
        .map(|e| e as usize)
        .unwrap_or(total)
        .min(total);
    if total == 0 {
        return Ok(ToolOutput::ok(format!("{rel} is empty")));
    }
    if start > total {
        return Err(format!(
            "{rel} has {total} lines; start_line {start} is past its end"
        ));
    }
    if end < start {
        return Err(format!("end_line {end} is before start_line {start}"));
    }
    let mut out = String::new();
    for (i, line) in text.lines().enumerate().skip(start - 1).take(end - start + 1) {
        out.push_str(&format!("{}\t{line}\n", i + 1));
    }
    let header =
        format!("{rel} (lines {start}-{end} of {total}; each line is prefixed by its number and a tab)\n");
    Ok(ToolOutput::ok(bound(
        header + &out,
        MAX_OUTPUT_CHARS,
        "read the rest with start_line/end_line",
    )))
}

/// Lines of `files` matching `regex`, as `path:line: text`, at most [`MAX_MATCHES`];
/// `(lines, more)`.
fn search_files(root: &Path, files: Vec<PathBuf>, regex: &regex::Regex) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    for file in files {
        // Each file is opened once through the confinement: one swapped for a
        // symlink (or a FIFO) after the walk listed it is skipped, never read.
        let shown = confine::display_relative(root, &file);
        let Ok(opened) = confine_open::open(root, &shown) else {
            continue;
        };
        if !opened.metadata.is_file() || opened.metadata.len() > MAX_FILE_BYTES {
            continue;
        }
        let Ok(text) = read_text(&opened) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if regex.is_match(line) {
                if out.len() == MAX_MATCHES {
                    return (out, true);
                }
                let line: String = line.chars().take(300).collect();
                out.push(format!("{shown}:{}: {line}", i + 1));
            }
        }
    }
    (out, false)
}

/// The text of a file opened through the confinement (`Err` when it is not UTF-8).
fn read_text(opened: &confine_open::Opened) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    opened.read()?.read_to_string(&mut text)?;
    Ok(text)
}

fn overrides(root: &Path, glob: Option<&str>) -> Result<Option<ignore::overrides::Override>, String> {
    let Some(glob) = glob else { return Ok(None) };
    let mut builder = OverrideBuilder::new(root);
    builder
        .add(glob)
        .map_err(|e| format!("`{glob}` is not a valid glob: {e}"))?;
    builder
        .build()
        .map(Some)
        .map_err(|e| format!("`{glob}` is not a valid glob: {e}"))
}

/// `.gitignore` and `.ignore` rules of the directories from `root` down to `dir`'s parent:
/// the walk starts at a pinned descriptor path, above which it sees none of them.
fn ancestor_ignores(root: &Path, dir: &Path) -> Vec<ignore::gitignore::Gitignore> {
    let mut out = Vec::new();
    let mut at = dir.parent();
    while let Some(a) = at.filter(|a| a.starts_with(root)) {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(a);
        for name in [".gitignore", ".ignore"] {
            if a.join(name).is_file() {
                // A bad line only loses that rule, as in git.
                let _ = builder.add(a.join(name));
            }
        }
        if let Ok(matcher) = builder.build()
            && !matcher.is_empty()
        {
            out.push(matcher);
        }
        at = a.parent();
    }
    out
}

/// Files under `dir` (a checked canonical directory inside `root`, respecting
/// .gitignore), as paths under `dir`; matched against `glob` when given.
/// `Ok(files, more)`. The directory is opened once and walked through its descriptor, so
/// one swapped for a symlink after the check is never listed.
fn walk(root: &Path, dir: &Path, glob: Option<&str>, limit: usize) -> Result<(Vec<PathBuf>, bool), String> {
    let overrides = overrides(root, glob)?;
    let opened = confine_open::open(root, &confine::display_relative(root, dir)).map_err(refused)?;
    if !opened.metadata.is_dir() {
        return Err(format!(
            "{} is not a directory",
            confine::display_relative(root, dir)
        ));
    }
    let pinned = opened.dir_path();
    let shown = {
        let (pinned, dir) = (pinned.clone(), dir.to_path_buf());
        move |p: &Path| dir.join(p.strip_prefix(&pinned).unwrap_or(p))
    };
    let ancestors = ancestor_ignores(root, dir);
    let mut builder = WalkBuilder::new(&pinned);
    builder
        .hidden(false)
        .parents(false)
        .git_ignore(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b));
    {
        let shown = shown.clone();
        builder.filter_entry(move |e| {
            if e.file_name() == std::ffi::OsStr::new(".git") {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            let path = shown(e.path());
            !ancestors
                .iter()
                .any(|m| m.matched_path_or_any_parents(&path, is_dir).is_ignore())
        });
    }
    let mut files = Vec::new();
    for entry in builder.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = shown(entry.path());
        if let Some(o) = &overrides {
            // Globs without a `/` match the file name anywhere, as in .gitignore.
            if !o.matched(&path, false).is_whitelist() {
                continue;
            }
        }
        if files.len() == limit {
            return Ok((files, true));
        }
        files.push(path);
    }
    drop(opened);
    Ok((files, false))
}

pub async fn list_files(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let rel = opt_str(args, "directory").unwrap_or("");
    let dir = confine::resolve(&ctx.root, rel).map_err(refused)?;
    if !dir.is_dir() {
        return Err(format!("{rel} is a file, not a directory; use read_file"));
    }
    let root = ctx.root.clone();
    let glob = opt_str(args, "pattern").map(str::to_string);
    let (files, more) = tokio::task::spawn_blocking(move || walk(&root, &dir, glob.as_deref(), MAX_LIST))
        .await
        .map_err(|e| e.to_string())??;
    if files.is_empty() {
        return Ok(ToolOutput::ok("no files match"));
    }
    let mut out: Vec<String> = files
        .iter()
        .map(|f| confine::display_relative(&ctx.root, f))
        .collect();
    if more {
        out.push(format!(
            "[more than {MAX_LIST} files; narrow the directory or the pattern]"
        ));
    }
    Ok(ToolOutput::ok(bound(
        out.join("\n"),
        MAX_OUTPUT_CHARS,
        "narrow the directory or the pattern",
    )))
}

pub async fn grep(ctx: &ToolContext, args: &Args) -> Result<ToolOutput, String> {
    let pattern = str_arg(args, "pattern")?;
    let regex = regex::Regex::new(pattern).map_err(|e| format!("`{pattern}` is not a valid regex: {e}"))?;
    let rel = opt_str(args, "path").unwrap_or("");
    let start = confine::resolve(&ctx.root, rel).map_err(refused)?;
    let root = ctx.root.clone();
    let glob = opt_str(args, "glob").map(str::to_string);
    let found = tokio::task::spawn_blocking(move || -> Result<(Vec<String>, bool), String> {
        let files = if start.is_file() {
            vec![start]
        } else {
            walk(&root, &start, glob.as_deref(), 200_000)?.0
        };
        Ok(search_files(&root, files, &regex))
    })
    .await
    .map_err(|e| e.to_string())??;
    let (mut lines, more) = found;
    if lines.is_empty() {
        return Ok(ToolOutput::ok(format!("no line matches `{pattern}`")));
    }
    if more {
        lines.push(format!(
            "[stopped at {MAX_MATCHES} matches; narrow the pattern, path or glob]"
        ));
    }
    Ok(ToolOutput::ok(bound(
        lines.join("\n"),
        MAX_OUTPUT_CHARS,
        "narrow the pattern, path or glob",
    )))
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// Swaps two names atomically, so each always exists (`renameat2(RENAME_EXCHANGE)`).
    fn exchange(a: &Path, b: &Path) {
        let a = CString::new(a.as_os_str().as_bytes()).unwrap();
        let b = CString::new(b.as_os_str().as_bytes()).unwrap();
        // SAFETY: both are valid NUL-terminated paths for the duration of the call.
        unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            );
        }
    }

    /// grep lists files, then reads them: a file swapped for a symlink to a file outside
    /// the root in between must be skipped, never read (a plain read followed the link).
    #[test]
    fn grep_never_reads_a_file_swapped_for_a_symlink_after_the_walk() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "OUTSIDE-SECRET\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("f.txt"), "inside OUTSIDE-SECRET? no: inside only\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("link")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, a, b) = (stop.clone(), root.join("f.txt"), root.join("link"));
            std::thread::spawn(move || {
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    exchange(&a, &b);
                    swaps += 1;
                }
                swaps
            })
        };
        let regex = regex::Regex::new("^OUTSIDE-SECRET$").unwrap();
        let inside = regex::Regex::new("inside only").unwrap();
        let (mut leaked, mut served) = (0, 0);
        for _ in 0..3000 {
            leaked += search_files(&root, vec![root.join("f.txt")], &regex).0.len();
            served += search_files(&root, vec![root.join("f.txt")], &inside).0.len();
        }
        stop.store(true, Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(swaps > 1000, "the names were swapped throughout ({swaps})");
        assert_eq!(leaked, 0, "the outside file was read {leaked} times");
        assert!(
            served > 0,
            "the inside file is still searched when it is in place"
        );
    }

    /// A directory swapped for a symlink to a directory outside the root between the
    /// check and the walk: the walk goes through the descriptor it opened, so the
    /// outside directory's names are never listed.
    #[test]
    fn a_directory_swapped_for_a_symlink_is_never_walked() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("outside-name.txt"), "x").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/inside.txt"), "x").unwrap();
        std::fs::write(root.join(".gitignore"), "*.log\n").unwrap();
        std::fs::write(root.join("sub/noise.log"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
        // The root's .gitignore still applies to a subdirectory's listing.
        let (files, _) = walk(&root, &root.join("sub"), None, 100).unwrap();
        assert_eq!(files, vec![root.join("sub/inside.txt")]);

        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, a, b) = (stop.clone(), root.join("sub"), root.join("link"));
            std::thread::spawn(move || {
                let mut swaps = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    exchange(&a, &b);
                    swaps += 1;
                }
                swaps
            })
        };
        let (mut leaked, mut listed) = (0, 0);
        for _ in 0..3000 {
            if let Ok((files, _)) = walk(&root, &root.join("sub"), None, 100) {
                leaked += files.iter().filter(|f| f.ends_with("outside-name.txt")).count();
                listed += files.iter().filter(|f| f.ends_with("inside.txt")).count();
            }
        }
        stop.store(true, Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(swaps > 1000, "the names were swapped throughout ({swaps})");
        assert_eq!(leaked, 0, "the outside directory was listed {leaked} times");
        assert!(
            listed > 0,
            "the inside directory is still listed when it is in place"
        );
    }
}
