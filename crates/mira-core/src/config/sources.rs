//! Where setting values come from: the process environment wins over Mira's files,
//! which are layered in precedence order (the first file to set a key wins), which win
//! over the built-in default.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ConfigError;
use super::spec;

/// A raw setting value and where it was found, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub text: String,
    pub origin: String,
}

/// Raw values gathered from the environment and from Mira's configuration files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub env: HashMap<String, String>,
    /// Values from files, each with the file it came from.
    pub file: HashMap<String, (String, PathBuf)>,
}

impl Sources {
    /// Values from a map of environment variables only.
    pub fn from_env(env: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            env: env.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Adds the values of a `mira.toml` under those of files added before it. Keys are
    /// the setting names, in upper or lower case (`MIRA_PORT = 3001` or
    /// `mira_port = 3001`). An unknown key is an error so that a typo does not silently
    /// fall back to a default.
    pub fn with_toml(mut self, text: &str, path: &Path) -> Result<Self, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError::File {
                        path: path.to_path_buf(),
                        message: format!(
                            "{key}: expected a string, number or boolean, found {}",
                            other.type_str()
                        ),
                    });
                }
            };
            self.add(key, text, path)?;
        }
        Ok(self)
    }

    /// Adds the values of a dotenv-syntax file of Mira's own (`KEY=value` lines, the
    /// shape of `.env.example`) under those of files added before it.
    pub fn with_env_file(mut self, text: &str, path: &Path) -> Result<Self, ConfigError> {
        for item in dotenvy::Iter::new(text.as_bytes()) {
            let (key, value) = item.map_err(|e| ConfigError::File {
                path: path.to_path_buf(),
                message: format!("{e} (expected KEY=value lines, as in .env.example)"),
            })?;
            self.add(key, value, path)?;
        }
        Ok(self)
    }

    fn add(&mut self, key: String, text: String, path: &Path) -> Result<(), ConfigError> {
        let upper = key.to_ascii_uppercase();
        if spec::find(&upper).is_none() {
            return Err(ConfigError::UnknownKey {
                key,
                path: path.to_path_buf(),
            });
        }
        self.file
            .entry(upper)
            .or_insert_with(|| (text, path.to_path_buf()));
        Ok(())
    }

    /// The value a setting takes, or `None` when it is unset everywhere (an empty string
    /// counts as unset, so `KEY=` in `.env` means "use the default").
    pub fn get(&self, key: &str) -> Option<Value> {
        if let Some(text) = self.env.get(key).filter(|v| !v.trim().is_empty()) {
            return Some(Value {
                text: text.clone(),
                origin: "environment".into(),
            });
        }
        if let Some((text, path)) = self.file.get(key).filter(|(v, _)| !v.trim().is_empty()) {
            return Some(Value {
                text: text.clone(),
                origin: path.display().to_string(),
            });
        }
        let setting = spec::find(key)?;
        (!setting.default.is_empty()).then(|| Value {
            text: setting.default.to_string(),
            origin: "default".into(),
        })
    }
}
