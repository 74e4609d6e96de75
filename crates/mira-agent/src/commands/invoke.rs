//! Reading what the user typed: a slash command's name and arguments, what it names
//! (a built-in, a command file, an MCP server's prompt), and a command file's prompt
//! ready to send.

use mira_llm::{Gateway, Tier};
use serde::Serialize;

use super::builtin::{self, Builtin};
use super::{Catalog, Command, expand};
use crate::tool_filter::ToolFilter;

/// `/name args` split; `None` when the text is not a slash command (it does not start
/// with `/`, or the first word holds another `/`, as a path does: `/usr/bin/env`).
pub fn split(input: &str) -> Option<(&str, &str)> {
    let rest = input.strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() || name.contains('/') {
        return None;
    }
    Some((name, rest[end..].trim()))
}

/// What a slash command names.
#[derive(Debug)]
pub enum Invocation<'a> {
    /// Not a slash command: send the text as it is.
    Text,
    Builtin {
        builtin: &'static Builtin,
        args: String,
    },
    Command {
        command: &'a Command,
        args: String,
    },
    /// `/mcp__server__prompt`: an MCP server's prompt.
    McpPrompt {
        name: String,
        args: String,
    },
    Unknown {
        name: String,
        message: String,
    },
}

/// Resolves `input` against the built-ins, `catalog` and the MCP prompts' names.
pub fn resolve<'a>(input: &str, catalog: &'a Catalog, mcp_prompts: &[String]) -> Invocation<'a> {
    let Some((name, args)) = split(input) else {
        return Invocation::Text;
    };
    let args = args.to_string();
    if let Some(builtin) = builtin::find(name) {
        return Invocation::Builtin { builtin, args };
    }
    if let Some(command) = catalog.get(name) {
        return Invocation::Command { command, args };
    }
    if mcp_prompts.iter().any(|p| p == name) {
        return Invocation::McpPrompt {
            name: name.to_string(),
            args,
        };
    }
    let known = builtin::BUILTINS
        .iter()
        .map(|b| b.name)
        .chain(catalog.names())
        .chain(mcp_prompts.iter().map(String::as_str));
    let nearest = known
        .map(|k| (strsim::levenshtein(k, name), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min();
    let mut message = format!("there is no command `/{name}`");
    if let Some((_, k)) = nearest {
        message.push_str(&format!("; did you mean `/{k}`?"));
    }
    message.push_str(
        " `/commands` lists them all. To send text that starts with `/`, begin the message with a space.",
    );
    Invocation::Unknown {
        name: name.to_string(),
        message,
    }
}

/// The model a command or agent file asks for, as Mira can route it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelChoice {
    pub tier: Option<Tier>,
    pub model: Option<String>,
    /// Why the file's choice was not taken as written.
    pub note: Option<String>,
}

/// Reads a file's `model`: a tier (`fast`, `voice`, `thinker`), Claude Code's aliases
/// (`haiku` is fast, `sonnet` voice, `opus` thinker), or a model that some configured
/// provider serves; a model no provider serves falls back to the tier its family names,
/// else to the default routing, with a note.
pub fn model_choice(gateway: Option<&Gateway>, text: Option<&str>) -> ModelChoice {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty() && *t != "inherit") else {
        return ModelChoice::default();
    };
    if let Some(tier) = Tier::parse(text) {
        return ModelChoice {
            tier: Some(tier),
            ..ModelChoice::default()
        };
    }
    let lower = text.to_ascii_lowercase();
    let family = [
        ("haiku", Tier::Fast),
        ("sonnet", Tier::Voice),
        ("opus", Tier::Thinker),
    ]
    .into_iter()
    .find(|(f, _)| lower.contains(f))
    .map(|(_, t)| t);
    if lower == "haiku" || lower == "sonnet" || lower == "opus" {
        return ModelChoice {
            tier: family,
            ..ModelChoice::default()
        };
    }
    let served = gateway.is_some_and(|g| {
        let decision = g.router.decide(&mira_llm::Task::default(), None, Some(text));
        decision
            .candidates
            .first()
            .is_some_and(|c| c.provider.id() != "local")
    });
    if served {
        return ModelChoice {
            model: Some(text.to_string()),
            ..ModelChoice::default()
        };
    }
    ModelChoice {
        tier: family,
        model: None,
        note: Some(match family {
            Some(t) => format!(
                "no configured provider serves `{text}`; using the {} tier instead",
                t.as_str()
            ),
            None => format!("no configured provider serves `{text}`; using the default routing"),
        }),
    }
}

/// A command file's prompt with its arguments, and what it asks of the model and tools.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prepared {
    pub command: String,
    pub prompt: String,
    pub model: ModelChoice,
    /// `None`: every tool.
    #[serde(skip)]
    pub tools: Option<ToolFilter>,
    pub allowed_tools: Option<Vec<String>>,
}

pub fn prepare(command: &Command, args: &str, gateway: Option<&Gateway>) -> Prepared {
    Prepared {
        command: command.name.clone(),
        prompt: expand::expand(&command.body, args),
        model: model_choice(gateway, command.model.as_deref()),
        tools: command.allowed_tools.as_deref().map(ToolFilter::parse),
        allowed_tools: command.allowed_tools.clone(),
    }
}

/// Positional arguments given to an MCP prompt's declared arguments in order; the last
/// declared argument takes the rest of the words.
pub fn prompt_arguments(declared: &[String], args: &str) -> std::collections::BTreeMap<String, String> {
    let words = expand::positional(args);
    let mut out = std::collections::BTreeMap::new();
    for (i, name) in declared.iter().enumerate() {
        let value = if i + 1 == declared.len() {
            words.get(i..).map(|w| w.join(" ")).unwrap_or_default()
        } else {
            words.get(i).cloned().unwrap_or_default()
        };
        if !value.is_empty() {
            out.insert(name.clone(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_reads_names_and_leaves_paths_alone() {
        assert_eq!(split("/git:pr 123 high"), Some(("git:pr", "123 high")));
        assert_eq!(split("/help"), Some(("help", "")));
        assert_eq!(split("/usr/bin/env is slow"), None);
        assert_eq!(split("hello /help"), None);
        assert_eq!(split(" /help"), None);
        assert_eq!(split("/"), None);
    }

    #[test]
    fn unknown_commands_suggest_the_nearest() {
        let catalog = Catalog::default();
        match resolve("/comands", &catalog, &[]) {
            Invocation::Unknown { message, .. } => assert!(message.contains("`/commands`"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve("/rewind abc", &catalog, &[]),
            Invocation::Builtin { .. }
        ));
        assert!(matches!(
            resolve("/mcp__fs__greet Ann", &catalog, &["mcp__fs__greet".into()]),
            Invocation::McpPrompt { .. }
        ));
    }

    #[test]
    fn models_map_to_tiers_without_a_gateway() {
        assert_eq!(model_choice(None, Some("haiku")).tier, Some(Tier::Fast));
        assert_eq!(model_choice(None, Some("thinker")).tier, Some(Tier::Thinker));
        assert_eq!(model_choice(None, Some("inherit")), ModelChoice::default());
        let c = model_choice(None, Some("claude-3-5-haiku-20241022"));
        assert_eq!(c.tier, Some(Tier::Fast));
        assert!(c.note.unwrap().contains("fast tier"));
        let c = model_choice(None, Some("mystery-1"));
        assert_eq!((c.tier, c.model.is_none()), (None, true));
    }

    #[test]
    fn prompt_arguments_fill_in_order() {
        let declared = vec!["name".to_string(), "style".to_string()];
        let args = prompt_arguments(&declared, "Ann very formal");
        assert_eq!(args["name"], "Ann");
        assert_eq!(args["style"], "very formal");
        assert_eq!(prompt_arguments(&declared, "").len(), 0);
    }
}
