//! A project's extensions: hooks, MCP servers and sub-agents, loaded from its files.
//! Commands and agents are read from disk at each use (a few small files); hooks are
//! loaded once and again on `/reload-commands`; MCP servers stay connected.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::markdown_dirs;

/// Loaded once per project and shared by its operations.
pub struct Extensions {
    pub root: PathBuf,
    pub home: Option<PathBuf>,
    hooks: RwLock<(mira_hooks::Hooks, Vec<mira_hooks::LoadProblem>)>,
    /// The project's MCP servers (started in the background), with what could not be
    /// configured; `None` when none is configured.
    mcp: Option<mira_mcp_client::McpClients>,
    mcp_problems: Vec<String>,
}

/// How long a tool list waits for MCP servers' first start, so the first operation of a
/// session sees their tools; a server still starting then joins later operations.
const MCP_FIRST_START: std::time::Duration = std::time::Duration::from_secs(20);

/// What reloading the hooks found.
pub struct HooksSummary {
    pub count: usize,
    pub problems: Vec<String>,
}

impl Extensions {
    /// Loads hooks and starts the MCP servers (needs a Tokio runtime when any is
    /// configured).
    pub fn load(root: &Path, home: Option<&Path>) -> Self {
        let paths = mira_mcp_client::ConfigPaths::new(root.to_path_buf(), home.map(Path::to_path_buf));
        let config = mira_mcp_client::load_config(&paths, &|name| std::env::var(name).ok());
        let mcp_problems: Vec<String> = config.problems.iter().map(ToString::to_string).collect();
        let mcp = (!config.servers.is_empty()).then(|| {
            let options = mira_mcp_client::ClientOptions {
                working_dir: Some(root.to_path_buf()),
                ..mira_mcp_client::ClientOptions::default()
            };
            mira_mcp_client::McpClients::start(config.servers, options)
        });
        Self {
            root: root.to_path_buf(),
            home: home.map(Path::to_path_buf),
            hooks: RwLock::new(mira_hooks::load(root, home)),
            mcp,
            mcp_problems,
        }
    }

    pub fn mcp(&self) -> Option<&mira_mcp_client::McpClients> {
        self.mcp.as_ref()
    }

    pub fn hooks(&self) -> mira_hooks::Hooks {
        self.hooks.read().expect("hooks").0.clone()
    }

    /// UserPromptSubmit hooks for a chat message (outside an operation): the context
    /// they add for the model, or why they refused the message.
    pub async fn prompt_hooks(&self, prompt: &str, session: &str) -> Result<Option<String>, String> {
        prompt_hooks(&self.hooks(), &self.root, prompt, session).await
    }

    fn show(&self, path: &Path) -> String {
        markdown_dirs::display(path, Some(&self.root), self.home.as_deref())
    }

    fn problem_text(&self, p: &mira_hooks::LoadProblem) -> String {
        match p.line {
            Some(line) => format!("{}:{line}: {}", self.show(&p.file), p.message),
            None => format!("{}: {}", self.show(&p.file), p.message),
        }
    }

    /// The MCP prompts' names (`mcp__server__prompt`), once each server's first start
    /// has settled.
    pub async fn mcp_prompt_names(&self) -> Vec<String> {
        let Some(m) = &self.mcp else {
            return Vec::new();
        };
        m.settled(MCP_FIRST_START).await;
        m.prompts().into_iter().map(|p| p.qualified_name).collect()
    }

    /// Reads the hook files again.
    pub fn reload_hooks(&self) -> HooksSummary {
        let loaded = mira_hooks::load(&self.root, self.home.as_deref());
        let summary = HooksSummary {
            count: loaded.0.list().len(),
            problems: loaded.1.iter().map(|p| self.problem_text(p)).collect(),
        };
        *self.hooks.write().expect("hooks") = loaded;
        summary
    }

    /// `/mcp`: each server's state, tools, resources, prompts and last error.
    pub async fn mcp_report(&self) -> String {
        let mut out = String::new();
        match &self.mcp {
            None => out.push_str(
                "No MCP servers: add them to `.mcp.json` (Claude Code's format) or `.mira/mcp.json`.\n",
            ),
            Some(m) => {
                for s in m.settled(MCP_FIRST_START).await {
                    let _ = writeln!(
                        out,
                        "**{}** ({:?}, {}): {}{}",
                        s.name,
                        s.transport,
                        self.show(&s.source),
                        s.state,
                        if s.restarts > 0 {
                            format!(", restarted {} times", s.restarts)
                        } else {
                            String::new()
                        }
                    );
                    if let Some(e) = &s.last_error {
                        let _ = writeln!(out, "- last error: {}", e.lines().next().unwrap_or(""));
                    }
                    let names = |items: Vec<String>| {
                        if items.is_empty() {
                            "none".to_string()
                        } else {
                            items.join(", ")
                        }
                    };
                    let _ = writeln!(
                        out,
                        "- tools: {}",
                        names(
                            s.tools
                                .iter()
                                .map(|t| format!("`{}`", t.qualified_name))
                                .collect()
                        )
                    );
                    let _ = writeln!(
                        out,
                        "- resources: {}",
                        names(s.resources.iter().map(|r| r.uri.clone()).collect())
                    );
                    let _ = writeln!(
                        out,
                        "- prompts: {}",
                        names(
                            s.prompts
                                .iter()
                                .map(|p| format!("`/{}`", p.qualified_name))
                                .collect()
                        )
                    );
                }
            }
        }
        if !self.mcp_problems.is_empty() {
            out.push_str("\nNot loaded:\n");
            for p in &self.mcp_problems {
                let _ = writeln!(out, "- {p}");
            }
        }
        out
    }

    /// The servers' states and what could not be configured, as `GET .../mcp` answers.
    pub async fn mcp_json(&self) -> serde_json::Value {
        let servers: Vec<serde_json::Value> = match &self.mcp {
            None => Vec::new(),
            Some(m) => m
                .status()
                .into_iter()
                .map(|s| {
                    let mut v = serde_json::to_value(&s).unwrap_or_default();
                    v["source"] = serde_json::Value::String(self.show(&s.source));
                    v
                })
                .collect(),
        };
        serde_json::json!({ "servers": servers, "problems": self.mcp_problems })
    }

    /// The MCP servers' tools as the model is offered them (`mcp__server__tool`), once
    /// each server's first start has settled.
    pub async fn mcp_tool_specs(&self) -> Vec<mira_llm::ToolSpec> {
        let Some(m) = &self.mcp else {
            return Vec::new();
        };
        m.settled(MCP_FIRST_START).await;
        m.tools()
            .into_iter()
            .map(|t| mira_llm::ToolSpec {
                name: t.qualified_name,
                description: if t.description.is_empty() {
                    format!("`{}` of the MCP server `{}`", t.name, t.server)
                } else {
                    t.description
                },
                parameters: t.input_schema,
            })
            .collect()
    }

    /// Calls an MCP tool; a server that failed answers with why (the chat goes on).
    pub async fn call_mcp_tool(
        &self,
        name: &str,
        arguments: &serde_json::Value,
        cancel: tokio_util::sync::CancellationToken,
    ) -> Result<crate::tools::ToolOutput, String> {
        let m = self
            .mcp
            .as_ref()
            .ok_or_else(|| format!("no MCP server answers `{name}`: none is configured"))?;
        let answer = m
            .call_tool(name, arguments.clone(), Some(cancel))
            .await
            .map_err(|e| e.to_string())?;
        let text = crate::tools::bound(answer.text, crate::tools::MAX_OUTPUT_CHARS, "the tool said more");
        Ok(if answer.is_error {
            crate::tools::ToolOutput::err(text)
        } else {
            crate::tools::ToolOutput::ok(text)
        })
    }

    /// An MCP prompt as a slash command: the words fill its arguments in order.
    pub async fn mcp_prompt(&self, name: &str, args: &str) -> Result<String, String> {
        let m = self
            .mcp
            .as_ref()
            .ok_or_else(|| format!("no MCP server has the prompt `{name}`"))?;
        let prompt = m
            .prompts()
            .into_iter()
            .find(|p| p.qualified_name == name)
            .ok_or_else(|| format!("no MCP server has the prompt `{name}`"))?;
        let declared: Vec<String> = prompt.arguments.iter().map(|a| a.name.clone()).collect();
        let values = crate::commands::invoke::prompt_arguments(&declared, args);
        let missing: Vec<&str> = prompt
            .arguments
            .iter()
            .filter(|a| a.required && !values.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "`/{name}` needs {}: `/{name} {}`",
                missing.join(", "),
                prompt_hint(&prompt.arguments)
            ));
        }
        m.get_prompt(name, values).await.map_err(|e| e.to_string())
    }

    /// (qualified name, description, argument hint) of every MCP prompt.
    pub async fn mcp_prompt_list(&self) -> Vec<(String, String, Option<String>)> {
        let Some(m) = &self.mcp else {
            return Vec::new();
        };
        m.settled(MCP_FIRST_START).await;
        m.prompts()
            .into_iter()
            .map(|p| {
                let hint = (!p.arguments.is_empty()).then(|| prompt_hint(&p.arguments));
                (p.qualified_name, p.description.unwrap_or_default(), hint)
            })
            .collect()
    }

    /// The hooks and what did not load, as `GET .../hooks` answers.
    pub fn hooks_json(&self) -> serde_json::Value {
        let guard = self.hooks.read().expect("hooks");
        let (hooks, problems) = &*guard;
        let hooks: Vec<serde_json::Value> = hooks
            .list()
            .iter()
            .map(|h| {
                serde_json::json!({
                    "event": h.event.as_str(),
                    "matcher": h.matcher,
                    "command": h.command,
                    "timeout_secs": h.timeout.as_secs_f64(),
                    "on_failure": format!("{:?}", h.on_failure).to_ascii_lowercase(),
                    "source": self.show(&h.source),
                    "line": h.line,
                })
            })
            .collect();
        let problems: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| serde_json::json!({"file": self.show(&p.file), "line": p.line, "message": p.message}))
            .collect();
        serde_json::json!({ "hooks": hooks, "problems": problems })
    }

    /// `/hooks`: every hook with its event, matcher and file, and what did not load.
    pub fn hooks_report(&self) -> String {
        let guard = self.hooks.read().expect("hooks");
        let (hooks, problems) = &*guard;
        let list = hooks.list();
        let mut out = String::new();
        if list.is_empty() {
            out.push_str(
                "No hooks: add them to `.mira/hooks.json` or the `hooks` of `.claude/settings.json` (Claude Code's \
                 format).\n",
            );
        } else {
            out.push_str(
                "| event | matcher | command | timeout | on failure | file |\n|---|---|---|---|---|---|\n",
            );
            for h in &list {
                let matcher = if h.matcher.is_empty() {
                    "*"
                } else {
                    h.matcher.as_str()
                };
                let _ = writeln!(
                    out,
                    "| {} | `{}` | `{}` | {} s | {:?} | {}:{} |",
                    h.event.as_str(),
                    matcher.replace('|', "\\|"),
                    h.command.replace('|', "\\|").replace('\n', " "),
                    h.timeout.as_secs(),
                    h.on_failure,
                    self.show(&h.source),
                    h.line
                );
            }
        }
        if !problems.is_empty() {
            out.push_str("\nNot loaded:\n");
            for p in problems {
                let _ = writeln!(out, "- {}", self.problem_text(p));
            }
        }
        out
    }
}

/// Puts what UserPromptSubmit hooks said into a chat turn's grounding (its system
/// context), so the model reads it and the turn's stored context shows it.
pub fn add_hook_context(grounding: &mut Option<mira_llm::chat::Grounding>, context: &str) {
    let g = grounding.get_or_insert_with(|| mira_llm::chat::Grounding {
        prompt: String::new(),
        json: serde_json::json!({}),
    });
    g.prompt = format!("{}\n\nFrom the project's hooks:\n{context}", g.prompt)
        .trim_start()
        .to_string();
    g.json["hook_context"] = serde_json::json!(context);
}

/// [`Extensions::prompt_hooks`] for a process that loads nothing else (`mira ask`).
pub async fn prompt_hooks_at(
    root: &Path,
    home: Option<&Path>,
    prompt: &str,
    session: &str,
) -> Result<Option<String>, String> {
    prompt_hooks(&mira_hooks::load(root, home).0, root, prompt, session).await
}

async fn prompt_hooks(
    hooks: &mira_hooks::Hooks,
    root: &Path,
    prompt: &str,
    session: &str,
) -> Result<Option<String>, String> {
    let event = mira_hooks::HookEvent::UserPromptSubmit;
    if hooks.count(event, None) == 0 {
        return Ok(None);
    }
    let ctx = mira_hooks::RunContext::new(root, session);
    let report = hooks
        .run(event, None, mira_hooks::fields::user_prompt_submit(prompt), &ctx)
        .await;
    if let Some(reason) = report.stop.clone().or_else(|| report.block_reason()) {
        return Err(format!("a UserPromptSubmit hook refused the message: {reason}"));
    }
    Ok(report.context_text())
}

fn prompt_hint(arguments: &[mira_mcp_client::PromptArgument]) -> String {
    arguments
        .iter()
        .map(|a| {
            if a.required {
                format!("<{}>", a.name)
            } else {
                format!("[{}]", a.name)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each project's extensions, loaded on first use and kept while the process runs (the
/// server's MCP servers stay connected between turns).
#[derive(Default)]
pub struct ByProject {
    home: Option<PathBuf>,
    map: std::sync::Mutex<std::collections::HashMap<i64, std::sync::Arc<Extensions>>>,
}

impl std::fmt::Debug for ByProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByProject")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl ByProject {
    /// `home`: where the user's `~/.mira/` and `~/.claude/` are.
    pub fn new(home: Option<PathBuf>) -> Self {
        Self {
            home,
            map: Default::default(),
        }
    }

    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    pub fn get(&self, project: &mira_store::projects::Project) -> std::sync::Arc<Extensions> {
        let mut map = self.map.lock().expect("extensions map");
        map.entry(project.id)
            .or_insert_with(|| std::sync::Arc::new(Extensions::load(&project.root, self.home.as_deref())))
            .clone()
    }
}
