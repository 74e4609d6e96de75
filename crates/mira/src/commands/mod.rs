pub mod agent;
pub mod analyze;
pub mod build;
pub mod code;
pub mod context;
pub mod doctor;
pub mod git;
pub mod llm;
pub mod mcp;
pub mod memory;
pub mod models;
pub mod projects;
pub mod search;
pub mod serve;
pub mod slash;
pub mod target;
pub mod token;

/// Logs go to stderr, so stdout carries only what a command prints for the user; colour
/// only on a terminal, so a pipe or a host's log file gets plain lines.
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("mira: MIRA_LOG={filter:?} is not a valid filter ({e}); using `info`");
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}
