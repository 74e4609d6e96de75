//! Reading a tool's arguments, with errors that say what to send instead.

use std::path::Path;

use mira_agent::confine;

use serde_json::{Map, Value};

/// A tool call the host can correct: answered as an `isError` result with this text.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolError(pub String);

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An internal failure (a database error): still an `isError` result, never a crash.
pub fn failed(e: impl std::fmt::Display) -> ToolError {
    ToolError(format!("the query failed: {e}"))
}

pub type Args = Map<String, Value>;

/// Checks the argument names against the tool's schema, so a misspelt one is reported
/// instead of silently ignored.
pub fn known(args: &Args, schema: &Value) -> Result<(), ToolError> {
    let props = schema["properties"].as_object();
    for name in args.keys() {
        if !props.is_some_and(|p| p.contains_key(name)) {
            let allowed: Vec<String> = props
                .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                .unwrap_or_default();
            return Err(ToolError(format!(
                "unknown argument `{name}`; this tool takes {}",
                if allowed.is_empty() {
                    "no arguments".to_string()
                } else {
                    allowed.join(", ")
                }
            )));
        }
    }
    Ok(())
}

pub fn string<'a>(args: &'a Args, name: &str, example: &str) -> Result<&'a str, ToolError> {
    match args.get(name) {
        None | Some(Value::Null) => Err(ToolError(format!(
            "the argument `{name}` is missing: send it as a string, e.g. {{\"{name}\": \"{example}\"}}"
        ))),
        Some(Value::String(s)) if s.trim().is_empty() => Err(ToolError(format!(
            "the argument `{name}` is empty: send e.g. {{\"{name}\": \"{example}\"}}"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(ToolError(format!(
            "the argument `{name}` must be a string, not {}: send e.g. {{\"{name}\": \"{example}\"}}",
            kind(other)
        ))),
    }
}

pub fn opt_string<'a>(args: &'a Args, name: &str) -> Result<Option<&'a str>, ToolError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ToolError(format!(
            "the argument `{name}` must be a string, not {}",
            kind(other)
        ))),
    }
}

/// An optional integer in `min..=max`; `default` when absent.
pub fn integer(args: &Args, name: &str, default: u64, min: u64, max: u64) -> Result<u64, ToolError> {
    let value = match args.get(name) {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v,
    };
    let n = value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .map(|f| f as u64)
    });
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(n) => Err(ToolError(format!(
            "the argument `{name}` is {n}; send an integer from {min} to {max}"
        ))),
        None => Err(ToolError(format!(
            "the argument `{name}` must be an integer from {min} to {max}, not {}",
            kind(value)
        ))),
    }
}

pub fn opt_integer(args: &Args, name: &str, min: u64, max: u64) -> Result<Option<u64>, ToolError> {
    if args.get(name).is_none_or(Value::is_null) {
        return Ok(None);
    }
    integer(args, name, 0, min, max).map(Some)
}

pub fn boolean(args: &Args, name: &str) -> Result<bool, ToolError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(ToolError(format!(
            "the argument `{name}` must be true or false, not {}",
            kind(other)
        ))),
    }
}

/// One of `allowed`, or `None` when absent.
pub fn choice<'a>(args: &'a Args, name: &str, allowed: &[&str]) -> Result<Option<&'a str>, ToolError> {
    match opt_string(args, name)? {
        None => Ok(None),
        Some(s) if allowed.contains(&s) => Ok(Some(s)),
        Some(s) => Err(ToolError(format!(
            "`{s}` is not a valid `{name}`; send one of {}",
            allowed.join(", ")
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A path argument as a root-relative string with `/`: relative paths must stay inside
/// the project (mira-agent's confinement rules); absolute ones must be under the root.
pub fn project_path(root: &Path, arg: &str) -> Result<String, ToolError> {
    let outside = || {
        ToolError(format!(
            "`{arg}` is outside the project {}; give a path relative to the project root, e.g. `src/main.rs`",
            root.display()
        ))
    };
    let path = Path::new(arg);
    if path.is_absolute() {
        let clean = path
            .canonicalize()
            .unwrap_or_else(|_| confine::lexical_normalize(path));
        let rel = clean.strip_prefix(root).map_err(|_| outside())?;
        return Ok(confine::slash_path(rel));
    }
    confine::relative_string(arg).map_err(|_| outside())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn errors_say_what_to_send() {
        let a = args(json!({"symbol": 3, "limit": "x"}));
        let e = string(&a, "symbol", "Db::open").unwrap_err();
        assert!(e.0.contains("must be a string, not a number"), "{e}");
        let e = integer(&a, "limit", 10, 1, 50).unwrap_err();
        assert!(e.0.contains("integer from 1 to 50"), "{e}");
        let e = string(&args(json!({})), "symbol", "Db::open").unwrap_err();
        assert!(e.0.contains("{\"symbol\": \"Db::open\"}"), "{e}");
        let schema = json!({"properties": {"symbol": {}}});
        assert!(
            known(&args(json!({"symbl": "x"})), &schema)
                .unwrap_err()
                .0
                .contains("`symbol`")
        );
    }

    #[test]
    fn paths_stay_inside_the_project() {
        let root = Path::new("/nonexistent/project");
        assert_eq!(project_path(root, "src/a.rs").unwrap(), "src/a.rs");
        assert_eq!(
            project_path(root, "/nonexistent/project/src/a.rs").unwrap(),
            "src/a.rs"
        );
        assert!(project_path(root, "../etc/passwd").is_err());
        assert!(project_path(root, "/etc/passwd").is_err());
    }
}
