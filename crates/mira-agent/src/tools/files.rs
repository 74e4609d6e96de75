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

/// Files under `dir` (respecting .gitignore), relative to the root; matched against
/// `glob` when given. `Ok(files, more)`.
fn walk(root: &Path, dir: &Path, glob: Option<&str>, limit: usize) -> Result<(Vec<PathBuf>, bool), String> {
    let overrides = overrides(root, glob)?;
    let mut builder = WalkBuilder::new(dir);
    builder
        .hidden(false)
        .git_ignore(true)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b));
    builder.filter_entry(|e| e.file_name() != std::ffi::OsStr::new(".git"));
    let mut files = Vec::new();
    for entry in builder.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Some(o) = &overrides {
            // Globs without a `/` match the file name anywhere, as in .gitignore.
            if !o.matched(entry.path(), false).is_whitelist() {
                continue;
            }
        }
        if files.len() == limit {
            return Ok((files, true));
        }
        files.push(entry.into_path());
    }
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
        let mut out = Vec::new();
        for file in files {
            if std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) > MAX_FILE_BYTES {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for (i, line) in text.lines().enumerate() {
                if regex.is_match(line) {
                    if out.len() == MAX_MATCHES {
                        return Ok((out, true));
                    }
                    let line: String = line.chars().take(300).collect();
                    out.push(format!(
                        "{}:{}: {line}",
                        confine::display_relative(&root, &file),
                        i + 1
                    ));
                }
            }
        }
        Ok((out, false))
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
