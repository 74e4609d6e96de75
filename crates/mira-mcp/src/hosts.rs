//! `mira mcp config HOST`: the set-up snippet of each MCP host, naming this machine's
//! `mira` binary. The formats are those the hosts document; docs/mcp.md shows each.

use std::path::Path;

use serde_json::json;

/// The hosts `mira mcp config` knows.
pub const HOSTS: &[&str] = &["claude", "codex", "gemini", "cursor", "vscode", "zed"];

/// Where the snippet goes, for the line printed above it.
pub fn destination(host: &str) -> Option<&'static str> {
    Some(match host {
        "claude" => "run this (or put the JSON form in .mcp.json):",
        "codex" => "add to ~/.codex/config.toml:",
        "gemini" => "add to ~/.gemini/settings.json (or .gemini/settings.json in the project):",
        "cursor" => "add to .cursor/mcp.json in the project (or ~/.cursor/mcp.json):",
        "vscode" => "add to .vscode/mcp.json in the project:",
        "zed" => "add to Zed's settings.json:",
        _ => return None,
    })
}

/// The snippet for `host`, running `binary mcp` (with `--project` when given).
pub fn snippet(host: &str, binary: &Path, project: Option<&str>) -> Result<String, String> {
    let command = binary.to_string_lossy().to_string();
    let mut args = vec!["mcp".to_string()];
    if let Some(p) = project {
        args.push("--project".into());
        args.push(p.to_string());
    }
    let pretty = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap_or_default();
    Ok(match host {
        "claude" => {
            let quoted: Vec<String> = std::iter::once(&command)
                .chain(args.iter())
                .map(|a| shell_quote(a))
                .collect();
            format!("claude mcp add mira -- {}", quoted.join(" "))
        }
        "codex" => {
            let list: Vec<String> = args.iter().map(|a| toml_string(a)).collect();
            format!(
                "[mcp_servers.mira]\ncommand = {}\nargs = [{}]",
                toml_string(&command),
                list.join(", ")
            )
        }
        "gemini" | "cursor" => pretty(json!({"mcpServers": {"mira": {"command": command, "args": args}}})),
        "vscode" => pretty(json!({"servers": {"mira": {"type": "stdio", "command": command, "args": args}}})),
        "zed" => pretty(
            json!({"context_servers": {"mira": {"source": "custom", "command": command, "args": args, "env": {}}}}),
        ),
        other => {
            return Err(format!("unknown host `{other}`; use one of {}", HOSTS.join(", ")));
        }
    })
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_host_has_a_snippet_naming_the_binary() {
        let bin = Path::new("/opt/my tools/mira");
        for host in HOSTS {
            let s = snippet(host, bin, None).unwrap();
            assert!(s.contains("/opt/my tools/mira"), "{host}: {s}");
            assert!(destination(host).is_some());
        }
        assert_eq!(
            snippet("claude", Path::new("/usr/bin/mira"), Some("/src/app")).unwrap(),
            "claude mcp add mira -- /usr/bin/mira mcp --project /src/app"
        );
        assert!(snippet("emacs", bin, None).unwrap_err().contains("claude, codex"));
    }
}
