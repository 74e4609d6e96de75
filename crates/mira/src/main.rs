//! The `mira` command. It parses arguments and prints; the behaviour lives in the
//! library crates, which the server shares.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mira",
    version,
    about = "Mira: a self-hosted AI coding assistant that understands your code and you"
)]
struct Cli {
    /// A settings file (TOML, `KEY = value`) that wins over every file but the
    /// environment (also MIRA_CONFIG). Without it Mira reads the project's
    /// `.mira/mira.toml` and `mira.toml` / `.env` in ~/.config/mira, never a project's `.env`.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server and web UI (registers the current directory if no project is registered).
    Serve(commands::serve::Args),
    /// Print the URL (with access token) that opens the web UI.
    Token(commands::token::Args),
    /// Check configuration, data dir, stores, UI, models and providers.
    Doctor(commands::doctor::Args),
    /// Ask a question; the answer streams to the terminal (routed, cached, budgeted, stored).
    Ask(commands::llm::AskArgs),
    /// Spend today and this month against the limits, cache hit rate and savings, tiers.
    Budget(commands::llm::BudgetArgs),
    /// Register, list and remove projects.
    #[command(subcommand)]
    Projects(commands::projects::Command),
    /// Index a project's code, git history and search index (registers the directory if needed).
    Index(commands::git::IndexArgs),
    /// Commits of the project, or of one file following renames.
    Log(commands::git::LogArgs),
    /// Files that usually change together with FILE, with the evidence.
    Cochange(commands::git::FileArgs),
    /// Who last changed each line of FILE (identical to `git blame`).
    Blame(commands::git::FileArgs),
    /// Who knows a file or directory best: 40% commits, 30% lines, 30% recency.
    Experts(commands::git::ExpertsArgs),
    /// Past commits that fixed errors like this one, with the diff that fixed it.
    Fixes(commands::git::FixesArgs),
    /// What Mira would tell a model about a task: the files that matter, ranked, and the
    /// context that fits a token budget, with citations.
    Context(commands::context::ContextArgs),
    /// Search code, docs, commits or chats by words and by meaning (hybrid BM25 + dense).
    Search(commands::search::SearchArgs),
    /// Ask the fast-tier model what each symbol is for; its concepts join concept search.
    Analyze(commands::analyze::AnalyzeArgs),
    /// The concept index: concepts found, symbols tagged with one, rules to add.
    #[command(subcommand)]
    Concepts(commands::search::ConceptsCommand),
    /// Symbols of the project, of one file (its outline), or matching a name.
    Symbols(commands::code::SymbolsArgs),
    /// Who calls SYMBOL (a qualified name, or a name to look up), with the call sites.
    Callers(commands::code::SymbolArgs),
    /// What SYMBOL calls, with the call sites and how sure each link is.
    Callees(commands::code::SymbolArgs),
    /// What may break if SYMBOL changes: callers up to --depth levels, tests flagged.
    Impact(commands::code::ImpactArgs),
    /// The call graph of the project or of PATH (`--json`: nodes and edges).
    Callgraph(commands::code::CallgraphArgs),
    /// Run a build or test command (after `--`), stream its output and record its errors.
    Build(commands::build::BuildArgs),
    /// Errors from recorded builds that are still open (or all, or one in detail).
    Errors(commands::build::ErrorsArgs),
    /// Let the agent work on a task with tools: read, search, edit, build, test (each change y/n unless --auto).
    Agent(commands::agent::AgentArgs),
    /// Checkpoints taken before each change the agent made, newest first.
    Checkpoints(commands::agent::CheckpointsArgs),
    /// Slash commands: built-ins, .mira/ and .claude/ command files (project, then ~/), MCP prompts.
    Commands(commands::slash::CommandsArgs),
    /// Put the files an operation changed back as they were at a checkpoint (ID or a prefix).
    Rewind(commands::agent::RewindArgs),
    /// Serve Mira's tools to a coding agent over MCP (stdio); `mira mcp config HOST`
    /// prints the host's set-up snippet.
    Mcp(commands::mcp::McpArgs),
    /// Local models: list, pull (hub, else the Python package), path, remove.
    #[command(subcommand)]
    Models(commands::models::Command),
    /// What Mira remembers about you and your projects: remember, list, search, edit,
    /// forget, export, import.
    #[command(subcommand)]
    Memory(commands::memory::Command),
}

fn main() -> ExitCode {
    restore_sigpipe();
    // Any HTTPS client of the process (MCP servers over streamable HTTP) uses ring.
    mira_mcp_client::install_tls_provider();
    let cli = Cli::parse();
    let config = match mira_core::config::load(cli.config.clone()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("mira: {e}");
            return ExitCode::from(2);
        }
    };
    commands::init_logging(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mira: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => commands::serve::run(config, args).await,
            Command::Token(args) => commands::token::run(config, args).await,
            Command::Doctor(args) => commands::doctor::run(config, args).await,
            Command::Ask(args) => commands::llm::ask(config, args).await,
            Command::Budget(args) => commands::llm::budget(config, args).await,
            Command::Projects(cmd) => commands::projects::run(config, cmd).await,
            Command::Index(args) => commands::git::index(config, args).await,
            Command::Log(args) => commands::git::log(config, args).await,
            Command::Cochange(args) => commands::git::cochange(config, args).await,
            Command::Blame(args) => commands::git::blame(config, args).await,
            Command::Experts(args) => commands::git::experts(config, args).await,
            Command::Fixes(args) => commands::git::fixes(config, args).await,
            Command::Context(args) => commands::context::context(config, args).await,
            Command::Search(args) => commands::search::search(config, args).await,
            Command::Analyze(args) => commands::analyze::analyze(config, args).await,
            Command::Concepts(cmd) => commands::search::concepts(config, cmd).await,
            Command::Symbols(args) => commands::code::symbols(config, args).await,
            Command::Callers(args) => commands::code::callers(config, args).await,
            Command::Callees(args) => commands::code::callees(config, args).await,
            Command::Impact(args) => commands::code::impact(config, args).await,
            Command::Callgraph(args) => commands::code::callgraph(config, args).await,
            Command::Build(args) => commands::build::build(config, args).await,
            Command::Errors(args) => commands::build::errors(config, args).await,
            Command::Mcp(args) => commands::mcp::run(config, args).await,
            Command::Models(cmd) => commands::models::run(config, cmd).await,
            Command::Memory(cmd) => commands::memory::run(config, cmd).await,
            Command::Agent(args) => commands::agent::agent(config, args).await,
            Command::Commands(args) => commands::slash::commands(config, args).await,
            Command::Checkpoints(args) => commands::agent::checkpoints(config, args).await,
            Command::Rewind(args) => commands::agent::rewind(config, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mira: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, so `mira log | head` would panic on a closed pipe; a command-line
/// tool should just stop, as `git log | head` does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
