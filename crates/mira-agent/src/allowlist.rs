//! Which commands `run_build` may run: the build and test commands detected for the
//! project, plus AGENT_ALLOWED_COMMANDS. A command is allowed when an allowed command
//! line is a prefix of its words (after shell-like splitting); nothing runs through a
//! shell, so `;`, `&&` and pipes are just arguments.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allowlist {
    commands: Vec<Vec<String>>,
}

fn words(line: &str) -> Option<Vec<String>> {
    shlex::split(line).filter(|w| !w.is_empty())
}

impl Allowlist {
    /// The defaults for the project at `root` and the extra command lines configured.
    pub fn for_project(root: &Path, extra: &[String]) -> Self {
        let mut lines: Vec<&str> = Vec::new();
        let has = |name: &str| root.join(name).exists();
        if has("Cargo.toml") {
            lines.extend(["cargo build", "cargo test", "cargo check"]);
        }
        if has("package.json") {
            lines.extend(["npm test", "npm run build"]);
        }
        if [
            "pyproject.toml",
            "setup.py",
            "setup.cfg",
            "pytest.ini",
            "tox.ini",
            "requirements.txt",
        ]
        .iter()
        .any(|f| has(f))
        {
            lines.extend(["pytest", "python -m pytest", "python3 -m pytest"]);
        }
        if has("go.mod") {
            lines.extend(["go build ./...", "go test ./..."]);
        }
        let mut commands: Vec<Vec<String>> = lines.into_iter().filter_map(words).collect();
        commands.extend(extra.iter().filter_map(|l| words(l)));
        Self { commands }
    }

    /// Checks a command's words; the error says what is allowed.
    pub fn check(&self, argv: &[String]) -> Result<(), String> {
        if argv.is_empty() {
            return Err("no command given".into());
        }
        if self
            .commands
            .iter()
            .any(|allowed| argv.len() >= allowed.len() && argv[..allowed.len()] == allowed[..])
        {
            return Ok(());
        }
        Err(format!(
            "`{}` is not an allowed command. Allowed (with any further arguments): {}. \
             The user can allow more with AGENT_ALLOWED_COMMANDS.",
            argv.join(" "),
            if self.commands.is_empty() {
                "none for this project".to_string()
            } else {
                self.describe().join(", ")
            }
        ))
    }

    pub fn describe(&self) -> Vec<String> {
        self.commands.iter().map(|c| c.join(" ")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<String> {
        shlex::split(line).unwrap()
    }

    #[test]
    fn defaults_follow_the_project_and_match_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[package]").unwrap();
        let list = Allowlist::for_project(dir.path(), &["make lint".into()]);
        assert!(list.check(&argv("cargo test")).is_ok());
        assert!(list.check(&argv("cargo test -p x -- --nocapture")).is_ok());
        assert!(list.check(&argv("make lint")).is_ok());
        let err = list.check(&argv("rm -rf /")).unwrap_err();
        assert!(err.contains("not an allowed command"), "{err}");
        assert!(err.contains("cargo test"), "{err}");
        assert!(list.check(&argv("cargo")).is_err());
        assert!(list.check(&argv("npm test")).is_err());
        assert!(list.check(&argv("cargo-test")).is_err());
    }
}
