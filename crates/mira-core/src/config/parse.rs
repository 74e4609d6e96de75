//! Typed parsing of setting values, with errors that name the setting and what it accepts.

use std::net::IpAddr;
use std::path::PathBuf;

use super::ConfigError;
use super::sources::Value;
use super::spec::Setting;

fn invalid(setting: &Setting, value: &Value) -> ConfigError {
    ConfigError::Invalid {
        key: setting.key,
        value: value.text.clone(),
        origin: value.origin.clone(),
        accepts: setting.accepts,
    }
}

pub fn bool(setting: &Setting, value: &Value) -> Result<bool, ConfigError> {
    match value.text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(setting, value)),
    }
}

pub fn int_in(setting: &Setting, value: &Value, min: u64, max: u64) -> Result<u64, ConfigError> {
    match value.text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(setting, value)),
    }
}

pub fn usd(setting: &Setting, value: &Value) -> Result<f64, ConfigError> {
    let text = value.text.trim().trim_start_matches('$');
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(invalid(setting, value)),
    }
}

pub fn ip(setting: &Setting, value: &Value) -> Result<IpAddr, ConfigError> {
    let text = value.text.trim();
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    text.parse().map_err(|_| invalid(setting, value))
}

pub fn url(setting: &Setting, value: &Value) -> Result<String, ConfigError> {
    let text = value.text.trim();
    let ok = (text.starts_with("http://") || text.starts_with("https://"))
        && text.len() > "https://".len()
        && !text.contains(char::is_whitespace);
    if ok {
        Ok(text.trim_end_matches('/').to_string())
    } else {
        Err(invalid(setting, value))
    }
}

/// A path; `~` at the start means the home directory.
pub fn path(setting: &Setting, value: &Value) -> Result<PathBuf, ConfigError> {
    let text = value.text.trim();
    if text.is_empty() {
        return Err(invalid(setting, value));
    }
    if let (Some(rest), Some(home)) = (text.strip_prefix("~/"), dirs::home_dir()) {
        return Ok(home.join(rest));
    }
    Ok(PathBuf::from(text))
}

/// A log filter is checked loosely here (the subscriber checks it fully): no spaces.
pub fn log_filter(setting: &Setting, value: &Value) -> Result<String, ConfigError> {
    let text = value.text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(invalid(setting, value));
    }
    Ok(text.to_string())
}

pub fn fraction(setting: &Setting, value: &Value) -> Result<f64, ConfigError> {
    match value.text.trim().parse::<f64>() {
        Ok(n) if (0.0..=1.0).contains(&n) => Ok(n),
        _ => Err(invalid(setting, value)),
    }
}

pub fn positive(setting: &Setting, value: &Value) -> Result<f64, ConfigError> {
    match value.text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(invalid(setting, value)),
    }
}

/// LLM_PRICES: `MODEL=INPUT:OUTPUT[:CACHED]` entries separated by `;`, each price a
/// non-negative number of US dollars per million tokens. Kept as text (mira-llm reads
/// it into its table) but checked here, so a typo stops start-up.
pub fn prices(setting: &Setting, value: &Value) -> Result<String, ConfigError> {
    let text = value.text.trim();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((model, numbers)) = entry.split_once('=') else {
            return Err(invalid(setting, value));
        };
        let parts: Vec<&str> = numbers.split(':').collect();
        let numbers_ok = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| p.trim().parse::<f64>().is_ok_and(|n| n.is_finite() && n >= 0.0));
        if model.trim().is_empty() || !numbers_ok {
            return Err(invalid(setting, value));
        }
    }
    Ok(text.to_string())
}

/// MIRA_LOCAL_MODEL_FORMAT: one of the in-memory weight formats mira-models knows.
pub fn embedder(setting: &Setting, value: &Value) -> Result<String, ConfigError> {
    let text = value.text.trim().to_ascii_lowercase();
    match text.as_str() {
        "local" | "gemini" | "openai" | "compat" => Ok(text),
        _ => Err(invalid(setting, value)),
    }
}

pub fn weight_format(setting: &Setting, value: &Value) -> Result<String, ConfigError> {
    let text = value.text.trim().to_ascii_lowercase();
    match text.as_str() {
        "auto" | "as-stored" | "f32" | "f16" | "q8_0" | "q4k" | "int8" => Ok(text),
        _ => Err(invalid(setting, value)),
    }
}

/// AGENT_ALLOWED_COMMANDS: command lines separated by `;`, each split into words like a
/// shell would (quotes allowed); empty entries are skipped.
pub fn command_lines(setting: &Setting, value: &Value) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for part in value.text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match shlex::split(part) {
            Some(words) if !words.is_empty() => out.push(part.to_string()),
            _ => return Err(invalid(setting, value)),
        }
    }
    Ok(out)
}
