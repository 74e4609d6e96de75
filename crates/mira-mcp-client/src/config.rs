//! Reading the MCP server configuration: Mira's own files and Claude Code's, as they are.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::expand::expand;

/// Where a server definition came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// `projects["<abs project path>"].mcpServers` in `~/.claude.json` (Claude Code's
    /// "local" scope: this user, this project).
    Local,
    /// `<project>/.mira/mcp.json`.
    ProjectMira,
    /// `<project>/.mcp.json` (Claude Code's "project" scope, usually committed).
    Project,
    /// `<home>/.mira/mcp.json`.
    UserMira,
    /// Top-level `mcpServers` in `~/.claude.json` (Claude Code's "user" scope).
    User,
}

impl Scope {
    /// A short name for messages and status: `local`, `project (.mira)`, ...
    pub fn label(self) -> &'static str {
        match self {
            Scope::Local => "local (~/.claude.json, this project)",
            Scope::ProjectMira => "project (.mira/mcp.json)",
            Scope::Project => "project (.mcp.json)",
            Scope::UserMira => "user (~/.mira/mcp.json)",
            Scope::User => "user (~/.claude.json)",
        }
    }
}

/// One configuration file to read, with the scope its servers get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub scope: Scope,
    pub path: PathBuf,
}

/// The files to read for one project.
#[derive(Debug, Clone)]
pub struct ConfigPaths {
    /// The project's root directory (absolute: it is the key of the local scope).
    pub project: PathBuf,
    /// The user's home directory; `None` reads only the project's files.
    pub home: Option<PathBuf>,
}

impl ConfigPaths {
    pub fn new(project: impl Into<PathBuf>, home: Option<PathBuf>) -> Self {
        Self {
            project: project.into(),
            home,
        }
    }

    /// The project's files and the current user's (home directory from the OS).
    pub fn for_project(project: impl Into<PathBuf>) -> Self {
        Self::new(project, dirs::home_dir())
    }

    /// Every file that is read, highest precedence first.
    pub fn sources(&self) -> Vec<ConfigSource> {
        let mut sources = Vec::new();
        let claude = self.home.as_ref().map(|home| home.join(".claude.json"));
        if let Some(claude) = &claude {
            sources.push(ConfigSource {
                scope: Scope::Local,
                path: claude.clone(),
            });
        }
        sources.push(ConfigSource {
            scope: Scope::ProjectMira,
            path: self.project.join(".mira/mcp.json"),
        });
        sources.push(ConfigSource {
            scope: Scope::Project,
            path: self.project.join(".mcp.json"),
        });
        if let Some(home) = &self.home {
            sources.push(ConfigSource {
                scope: Scope::UserMira,
                path: home.join(".mira/mcp.json"),
            });
        }
        if let Some(claude) = claude {
            sources.push(ConfigSource {
                scope: Scope::User,
                path: claude,
            });
        }
        sources
    }
}

/// How to reach a server, with every `${VAR}` already expanded.
#[derive(Clone, PartialEq, Eq)]
pub enum TransportConfig {
    /// A child process speaking MCP on its stdin and stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
    },
    /// A streamable HTTP endpoint.
    Http {
        url: String,
        headers: BTreeMap<String, String>,
    },
}

impl TransportConfig {
    pub fn kind(&self) -> TransportKind {
        match self {
            TransportConfig::Stdio { .. } => TransportKind::Stdio,
            TransportConfig::Http { .. } => TransportKind::Http,
        }
    }
}

/// Env values and headers usually hold tokens: Debug shows their names only.
impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportConfig::Stdio { command, args, env } => f
                .debug_struct("Stdio")
                .field("command", command)
                .field("args", args)
                .field("env", &env.keys().collect::<Vec<_>>())
                .finish(),
            TransportConfig::Http { url, headers } => f
                .debug_struct("Http")
                .field("url", url)
                .field("headers", &headers.keys().collect::<Vec<_>>())
                .finish(),
        }
    }
}

/// The two transports Mira speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    Stdio,
    Http,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Stdio => "stdio",
            TransportKind::Http => "http",
        })
    }
}

/// One server to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The key under `mcpServers`, as written.
    pub name: String,
    pub source: ConfigSource,
    pub transport: TransportConfig,
}

/// Everything read: the servers to start and what was wrong or shadowed.
#[derive(Debug, Clone, Default)]
pub struct McpConfig {
    /// In precedence order of their sources; a file's servers in name order.
    pub servers: Vec<ServerConfig>,
    pub problems: Vec<ConfigProblem>,
}

/// Something the user should know about a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: PathBuf,
    /// The server concerned, when the problem is one entry's.
    pub server: Option<String>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The file exists but could not be read; none of its servers load.
    Unreadable { error: String },
    /// The file is not JSON; none of its servers load.
    InvalidJson {
        line: usize,
        column: usize,
        error: String,
    },
    /// The file or entry has the wrong shape; what is wrong is said.
    InvalidEntry { error: String },
    /// `${VAR}` without a default and `VAR` unset: the server is skipped.
    MissingVariable { variables: Vec<String> },
    /// A transport Mira does not speak (`sse`, or an unknown `type`): the server is skipped.
    UnsupportedTransport { transport: String },
    /// A server of the same name in a source of higher precedence wins; this one is ignored.
    Shadowed { by: PathBuf, by_scope: Scope },
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let server = self.server.as_deref().unwrap_or("");
        match &self.kind {
            ProblemKind::Unreadable { error } => {
                write!(
                    f,
                    "{path}: cannot be read ({error}); its MCP servers are not loaded"
                )
            }
            ProblemKind::InvalidJson { line, column, error } => write!(
                f,
                "{path}:{line}:{column}: invalid JSON ({error}); fix the file, its MCP servers are not loaded"
            ),
            ProblemKind::InvalidEntry { error } if self.server.is_some() => {
                write!(f, "{path}: MCP server \"{server}\" is skipped: {error}")
            }
            ProblemKind::InvalidEntry { error } => {
                write!(f, "{path}: {error}; its MCP servers are not loaded")
            }
            ProblemKind::MissingVariable { variables } => {
                let list = variables.join(", ");
                let first = &variables[0];
                write!(
                    f,
                    "{path}: MCP server \"{server}\" is skipped: environment variable {list} is not set \
                     (set it, or give a default as ${{{first}:-value}})"
                )
            }
            ProblemKind::UnsupportedTransport { transport } if transport == "sse" => write!(
                f,
                "{path}: MCP server \"{server}\" is skipped: the SSE transport is deprecated by MCP and \
                 Mira does not speak it; point it at the server's streamable HTTP endpoint with \"type\": \"http\""
            ),
            ProblemKind::UnsupportedTransport { transport } => write!(
                f,
                "{path}: MCP server \"{server}\" is skipped: unknown transport type \"{transport}\" \
                 (Mira speaks \"stdio\" and \"http\")"
            ),
            ProblemKind::Shadowed { by, by_scope } => write!(
                f,
                "{path}: MCP server \"{server}\" is shadowed by the one in {} ({}), which takes precedence",
                by.display(),
                by_scope.label()
            ),
        }
    }
}

/// Reads every source of `paths` in precedence order. `env` looks up variables for
/// `${VAR}` (pass `|name| std::env::var(name).ok()` for the process environment).
///
/// Never fails: a missing file is skipped silently, anything else wrong becomes a
/// [`ConfigProblem`] and the rest still loads. A server name is claimed by its first
/// definition even when that one is skipped for a problem, so fixing the problem, not a
/// lower-precedence copy, is what makes it run.
pub fn load_config(paths: &ConfigPaths, env: &dyn Fn(&str) -> Option<String>) -> McpConfig {
    let mut config = McpConfig::default();
    let mut claimed: HashMap<String, ConfigSource> = HashMap::new();
    let mut files: HashMap<PathBuf, Option<Value>> = HashMap::new();
    for source in paths.sources() {
        // ~/.claude.json is two sources; read (and report) it once.
        let document = match files.get(&source.path) {
            Some(document) => document.clone(),
            None => {
                let document = read_json(&source.path, &mut config.problems);
                files.insert(source.path.clone(), document.clone());
                document
            }
        };
        let Some(document) = document else { continue };
        let Some(servers) = servers_of(&document, &source, paths, &mut config.problems) else {
            continue;
        };
        let mut names: Vec<&String> = servers.keys().collect();
        names.sort();
        for name in names {
            if let Some(winner) = claimed.get(name) {
                config.problems.push(ConfigProblem {
                    path: source.path.clone(),
                    server: Some(name.clone()),
                    kind: ProblemKind::Shadowed {
                        by: winner.path.clone(),
                        by_scope: winner.scope,
                    },
                });
                continue;
            }
            claimed.insert(name.clone(), source.clone());
            match parse_server(&servers[name], env) {
                Ok(transport) => config.servers.push(ServerConfig {
                    name: name.clone(),
                    source: source.clone(),
                    transport,
                }),
                Err(kind) => config.problems.push(ConfigProblem {
                    path: source.path.clone(),
                    server: Some(name.clone()),
                    kind,
                }),
            }
        }
    }
    config
}

fn read_json(path: &Path, problems: &mut Vec<ConfigProblem>) -> Option<Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            problems.push(ConfigProblem {
                path: path.to_path_buf(),
                server: None,
                kind: ProblemKind::Unreadable {
                    error: error.to_string(),
                },
            });
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(value) => Some(value),
        Err(error) => {
            problems.push(ConfigProblem {
                path: path.to_path_buf(),
                server: None,
                kind: ProblemKind::InvalidJson {
                    line: error.line(),
                    column: error.column(),
                    error: error
                        .to_string()
                        .split(" at line ")
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                },
            });
            None
        }
    }
}

/// The `mcpServers` object of `source` in `document`, if it has one.
fn servers_of<'a>(
    document: &'a Value,
    source: &ConfigSource,
    paths: &ConfigPaths,
    problems: &mut Vec<ConfigProblem>,
) -> Option<&'a Map<String, Value>> {
    let holder = match source.scope {
        Scope::Local => local_scope(document, &paths.project)?,
        _ => document,
    };
    let servers = holder.get("mcpServers")?;
    match servers.as_object() {
        Some(servers) => Some(servers),
        None => {
            problems.push(ConfigProblem {
                path: source.path.clone(),
                server: None,
                kind: ProblemKind::InvalidEntry {
                    error: "\"mcpServers\" must be an object".to_string(),
                },
            });
            None
        }
    }
}

/// `projects["<project>"]` of `~/.claude.json`, keyed by the absolute path Claude Code
/// was started in: the path as given, else its canonical form (symlinks resolved).
fn local_scope<'a>(document: &'a Value, project: &Path) -> Option<&'a Value> {
    let projects = document.get("projects")?.as_object()?;
    let as_given = project.to_string_lossy();
    if let Some(entry) = projects.get(as_given.as_ref()) {
        return Some(entry);
    }
    let canonical = std::fs::canonicalize(project).ok()?;
    projects.get(canonical.to_string_lossy().as_ref())
}

fn parse_server(entry: &Value, env: &dyn Fn(&str) -> Option<String>) -> Result<TransportConfig, ProblemKind> {
    let invalid = |error: &str| ProblemKind::InvalidEntry {
        error: error.to_string(),
    };
    let entry = entry
        .as_object()
        .ok_or_else(|| invalid("the entry must be an object"))?;
    let kind = match entry.get("type") {
        None | Some(Value::Null) => {
            // Claude Code requires "type" for HTTP servers; an entry with only a URL
            // cannot mean anything else, so it is read as HTTP rather than refused.
            if entry.get("command").is_none() && entry.get("url").is_some() {
                "http"
            } else {
                "stdio"
            }
        }
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err(invalid("\"type\" must be a string")),
    };
    let mut missing = Vec::new();
    let transport = match kind {
        "stdio" => {
            let command = string_field(entry, "command")?.ok_or_else(|| invalid("it has no \"command\""))?;
            let args = string_list(entry, "args")?;
            let env_values = string_map(entry, "env")?;
            TransportConfig::Stdio {
                command: expand(&command, env, &mut missing),
                args: args.iter().map(|arg| expand(arg, env, &mut missing)).collect(),
                env: env_values
                    .into_iter()
                    .map(|(k, v)| (k, expand(&v, env, &mut missing)))
                    .collect(),
            }
        }
        "http" | "streamable-http" | "streamableHttp" => {
            let url = string_field(entry, "url")?.ok_or_else(|| invalid("it has no \"url\""))?;
            let headers = string_map(entry, "headers")?;
            TransportConfig::Http {
                url: expand(&url, env, &mut missing),
                headers: headers
                    .into_iter()
                    .map(|(k, v)| (k, expand(&v, env, &mut missing)))
                    .collect(),
            }
        }
        other => {
            return Err(ProblemKind::UnsupportedTransport {
                transport: other.to_string(),
            });
        }
    };
    if !missing.is_empty() {
        return Err(ProblemKind::MissingVariable { variables: missing });
    }
    Ok(transport)
}

fn string_field(entry: &Map<String, Value>, key: &str) -> Result<Option<String>, ProblemKind> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ProblemKind::InvalidEntry {
            error: format!("\"{key}\" must be a string"),
        }),
    }
}

fn string_list(entry: &Map<String, Value>, key: &str) -> Result<Vec<String>, ProblemKind> {
    let wrong = || ProblemKind::InvalidEntry {
        error: format!("\"{key}\" must be an array of strings"),
    };
    match entry.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string).ok_or_else(wrong))
            .collect(),
        Some(_) => Err(wrong()),
    }
}

fn string_map(entry: &Map<String, Value>, key: &str) -> Result<BTreeMap<String, String>, ProblemKind> {
    let wrong = || ProblemKind::InvalidEntry {
        error: format!("\"{key}\" must be an object of strings"),
    };
    match entry.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(items)) => items
            .iter()
            .map(|(name, value)| {
                value
                    .as_str()
                    .map(|v| (name.clone(), v.to_string()))
                    .ok_or_else(wrong)
            })
            .collect(),
        Some(_) => Err(wrong()),
    }
}
