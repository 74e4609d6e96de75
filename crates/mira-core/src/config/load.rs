//! Reads `.env`, `mira.toml` and the process environment.

use std::path::{Path, PathBuf};

use super::{Config, ConfigError, Sources};

/// Loads configuration the way the `mira` binary does:
/// 1. `.env` in the current directory or a parent (values already set in the
///    environment win, as dotenvy never overrides them);
/// 2. `mira.toml` named by `MIRA_CONFIG`, else `./mira.toml` if present;
/// 3. the process environment.
pub fn load() -> Result<Config, ConfigError> {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => {
            return Err(ConfigError::File {
                path: PathBuf::from(".env"),
                message: e.to_string(),
            });
        }
    }
    let sources = gather(
        std::env::vars(),
        std::env::var_os("MIRA_CONFIG").map(PathBuf::from),
    )?;
    Config::from_sources(&sources)
}

/// Builds the sources from environment variables and an optional explicit config path.
pub fn gather(
    env: impl IntoIterator<Item = (String, String)>,
    explicit: Option<PathBuf>,
) -> Result<Sources, ConfigError> {
    let sources = Sources::from_env(env);
    let (path, required) = match explicit {
        Some(p) => (p, true),
        None => (PathBuf::from("mira.toml"), false),
    };
    read_toml(sources, &path, required)
}

fn read_toml(sources: Sources, path: &Path, required: bool) -> Result<Sources, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => sources.with_toml(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(sources),
        Err(e) => Err(ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}
