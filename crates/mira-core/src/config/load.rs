//! Finds Mira's own configuration files and reads them with the process environment.
//!
//! A project's files are never Mira's: a `.env` in the directory Mira runs in belongs to
//! that project (psf/requests ships one that is not dotenv syntax; another holds the
//! project's own `OPENAI_API_KEY`), so it is not read. Mira's settings live in places
//! named for Mira.

use std::path::{Path, PathBuf};

use super::{Config, ConfigError, Sources};

/// Where `mira` looks for settings, highest precedence first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    /// `--config FILE` or MIRA_CONFIG: must exist.
    pub explicit: Option<PathBuf>,
    /// `.mira/mira.toml` in the working directory or the nearest parent that has one.
    pub project: Option<PathBuf>,
    /// Mira's config dir (`$XDG_CONFIG_HOME/mira`, usually `~/.config/mira`): `mira.toml`
    /// there, then `.env` there (dotenv syntax, the shape of `.env.example`).
    pub user_dir: Option<PathBuf>,
}

impl Places {
    /// The places for a process started in `cwd` with `explicit` from the command line
    /// or MIRA_CONFIG.
    pub fn discover(cwd: &Path, explicit: Option<PathBuf>) -> Self {
        let project = cwd
            .ancestors()
            .map(|dir| dir.join(".mira").join("mira.toml"))
            .find(|p| p.is_file());
        Self {
            explicit,
            project,
            user_dir: dirs::config_dir().map(|d| d.join("mira")),
        }
    }
}

/// Loads configuration the way the `mira` binary does: the process environment wins,
/// then the explicit file (`config`, else MIRA_CONFIG), then the project's
/// `.mira/mira.toml`, then `mira.toml` and `.env` in Mira's config dir, then defaults.
pub fn load(config: Option<PathBuf>) -> Result<Config, ConfigError> {
    let explicit = config.or_else(|| {
        std::env::var_os("MIRA_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let sources = gather(std::env::vars(), &Places::discover(&cwd, explicit))?;
    Config::from_sources(&sources)
}

/// Builds the sources from environment variables and the files at `places`.
pub fn gather(
    env: impl IntoIterator<Item = (String, String)>,
    places: &Places,
) -> Result<Sources, ConfigError> {
    let mut sources = Sources::from_env(env);
    if let Some(path) = &places.explicit {
        sources = read_toml(sources, path, true)?;
    }
    if let Some(path) = &places.project {
        sources = read_toml(sources, path, false)?;
    }
    if let Some(dir) = &places.user_dir {
        sources = read_toml(sources, &dir.join("mira.toml"), false)?;
        sources = read_env_file(sources, &dir.join(".env"))?;
    }
    Ok(sources)
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

fn read_env_file(sources: Sources, path: &Path) -> Result<Sources, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => sources.with_env_file(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(sources),
        Err(e) => Err(ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}
