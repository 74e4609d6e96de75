//! Where setting values come from: the process environment (which includes a loaded
//! `.env`) wins over `mira.toml`, which wins over the built-in default.

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

/// Raw values gathered from the environment and from a `mira.toml` file.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub env: HashMap<String, String>,
    pub file: HashMap<String, String>,
    /// The `mira.toml` the file values came from, if any.
    pub file_path: Option<PathBuf>,
}

impl Sources {
    /// Values from a map of environment variables only.
    pub fn from_env(env: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            env: env.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Adds the values of a `mira.toml`. Keys are the setting names, in upper or lower
    /// case (`MIRA_PORT = 3001` or `mira_port = 3001`). An unknown key is an error so
    /// that a typo does not silently fall back to a default.
    pub fn with_toml(mut self, text: &str, path: &Path) -> Result<Self, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        for (key, value) in table {
            let upper = key.to_ascii_uppercase();
            if spec::find(&upper).is_none() {
                return Err(ConfigError::UnknownKey {
                    key,
                    path: path.to_path_buf(),
                });
            }
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
            self.file.insert(upper, text);
        }
        self.file_path = Some(path.to_path_buf());
        Ok(self)
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
        if let Some(text) = self.file.get(key).filter(|v| !v.trim().is_empty()) {
            let origin = match &self.file_path {
                Some(p) => p.display().to_string(),
                None => "mira.toml".into(),
            };
            return Some(Value {
                text: text.clone(),
                origin,
            });
        }
        let setting = spec::find(key)?;
        (!setting.default.is_empty()).then(|| Value {
            text: setting.default.to_string(),
            origin: "default".into(),
        })
    }
}
