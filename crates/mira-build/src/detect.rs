//! Which tool a command runs, from its words: `cargo clippy`, `npx tsc`,
//! `python -m pytest`, `go vet ./...`. Commands that run scripts (`npm test`, `make`)
//! are unknown here; their output tells.

use crate::diagnostic::Tool;

/// The tool behind `argv`, or `None` when only the output can tell.
pub fn tool_of(argv: &[String]) -> Option<Tool> {
    let program = argv.first()?;
    let name = program.rsplit('/').next().unwrap_or(program);
    let rest = &argv[1..];
    let name = name.strip_suffix(".exe").unwrap_or(name);
    match name {
        "cargo" => Some(match first_word(rest) {
            Some("clippy") => Tool::Clippy,
            _ => Tool::Cargo,
        }),
        "cargo-clippy" | "clippy-driver" => Some(Tool::Clippy),
        "rustc" => Some(Tool::Rustc),
        "tsc" | "vue-tsc" => Some(Tool::Tsc),
        "eslint" => Some(Tool::Eslint),
        "jest" => Some(Tool::Jest),
        "vitest" => Some(Tool::Vitest),
        "pytest" | "py.test" => Some(Tool::Pytest),
        "go" => Some(Tool::Go),
        "gcc" | "g++" | "cc" | "c++" => Some(Tool::Gcc),
        "clang" | "clang++" => Some(Tool::Clang),
        _ if name.starts_with("python") => match rest {
            [flag, module, ..] if flag == "-m" => tool_of(std::slice::from_ref(module)),
            _ => None,
        },
        "npx" | "bunx" | "pnpx" => tool_of(&skip_flags(rest)),
        "npm" | "pnpm" | "yarn" | "bun" => match first_word(rest) {
            Some("exec") | Some("dlx") | Some("x") => tool_of(&skip_flags(&rest[1..])),
            // `yarn tsc`, `pnpm vitest`: a binary of the project.
            Some(word) if name != "npm" && !matches!(word, "run" | "test" | "install" | "build") => {
                tool_of(&skip_flags(rest))
            }
            _ => None,
        },
        _ => None,
    }
}

fn first_word(args: &[String]) -> Option<&str> {
    args.iter()
        .map(String::as_str)
        .find(|a| !a.starts_with('-') && !a.starts_with('+'))
}

fn skip_flags(args: &[String]) -> Vec<String> {
    args.iter()
        .skip_while(|a| a.starts_with('-') || *a == "--")
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(cmd: &str) -> Option<Tool> {
        tool_of(&shlex::split(cmd).unwrap())
    }

    #[test]
    fn tools_are_found_behind_wrappers() {
        assert_eq!(t("cargo build --message-format=json"), Some(Tool::Cargo));
        assert_eq!(t("cargo +nightly clippy --all-targets"), Some(Tool::Clippy));
        assert_eq!(t("/usr/bin/gcc -c main.c"), Some(Tool::Gcc));
        assert_eq!(t("npx --yes tsc --noEmit"), Some(Tool::Tsc));
        assert_eq!(t("npm exec -- eslint ."), Some(Tool::Eslint));
        assert_eq!(t("pnpm vitest run"), Some(Tool::Vitest));
        assert_eq!(t("python3 -m pytest -q"), Some(Tool::Pytest));
        assert_eq!(t("go vet ./..."), Some(Tool::Go));
        assert_eq!(t("npm test"), None);
        assert_eq!(t("make all"), None);
        assert_eq!(t("python3 script.py"), None);
    }
}
