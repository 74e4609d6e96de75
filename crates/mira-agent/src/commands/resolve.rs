//! What a chat, an agent run or the CLI does with the user's input: plain text goes on
//! as it is; a built-in is answered here; a command file or an MCP prompt becomes the
//! prompt to send, with the model and tools it asks for.

use super::builtin::{self, Answer, BuiltinContext};
use super::invoke::{self, Invocation, ModelChoice, Prepared};
use super::{Catalog, LoadProblem};
use crate::error::AgentError;

#[derive(Debug)]
pub enum Resolved {
    /// Not a slash command.
    Text,
    Builtin(Answer),
    Prompt(Prepared),
}

/// Resolves `input`; an unknown command is an error that says what there is.
pub async fn resolve(input: &str, ctx: &BuiltinContext<'_>) -> Result<Resolved, AgentError> {
    if invoke::split(input).is_none() {
        return Ok(Resolved::Text);
    }
    let catalog = Catalog::load(ctx.project.map(|p| p.root.as_path()), ctx.home);
    let prompts = match ctx.extensions {
        Some(e) => e.mcp_prompt_names().await,
        None => Vec::new(),
    };
    match invoke::resolve(input, &catalog, &prompts) {
        Invocation::Text => Ok(Resolved::Text),
        Invocation::Builtin { builtin, args } => {
            Ok(Resolved::Builtin(builtin::run(ctx, builtin, &args).await?))
        }
        Invocation::Command { command, args } => {
            let mut prepared = invoke::prepare(command, &args, ctx.gateway);
            if let Some(project) = ctx.project {
                let root = project
                    .root
                    .canonicalize()
                    .unwrap_or_else(|_| project.root.clone());
                prepared.prompt = super::inline::inline(
                    &prepared.prompt,
                    &root,
                    prepared.tools.as_ref(),
                    &ctx.config.agent.allowed_commands,
                )
                .await;
            }
            Ok(Resolved::Prompt(prepared))
        }
        Invocation::McpPrompt { name, args } => {
            let ext = ctx
                .extensions
                .ok_or_else(|| AgentError::Invalid("no MCP servers here".into()))?;
            let prompt = ext.mcp_prompt(&name, &args).await.map_err(AgentError::Invalid)?;
            Ok(Resolved::Prompt(Prepared {
                command: name,
                prompt,
                model: ModelChoice::default(),
                tools: None,
                allowed_tools: None,
            }))
        }
        Invocation::Unknown { message, .. } => Err(AgentError::Invalid(message)),
    }
}

/// One entry of the command list the UI completes from (`GET .../commands`,
/// `mira commands --json`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub description: String,
    pub argument_hint: Option<String>,
    /// builtin | project | user | mcp
    pub source: String,
    pub origin: Option<String>,
    pub shadowed_by: Option<String>,
    pub model: Option<String>,
    pub allowed_tools: Option<Vec<String>>,
}

/// Every command, built-ins first, then the files (winners and shadowed), then MCP
/// prompts; with what could not be read.
pub async fn list(ctx: &BuiltinContext<'_>) -> (Vec<Listed>, Vec<LoadProblem>) {
    let catalog = Catalog::load(ctx.project.map(|p| p.root.as_path()), ctx.home);
    let mut out: Vec<Listed> = builtin::BUILTINS
        .iter()
        .map(|b| Listed {
            name: b.name.into(),
            description: b.description.into(),
            argument_hint: b.argument_hint.map(str::to_string),
            source: "builtin".into(),
            origin: None,
            shadowed_by: None,
            model: None,
            allowed_tools: None,
        })
        .collect();
    out.extend(catalog.commands.iter().map(|c| Listed {
        name: c.name.clone(),
        description: c.description.clone(),
        argument_hint: c.argument_hint.clone(),
        source: c.scope.as_str().into(),
        origin: Some(c.origin.clone()),
        shadowed_by: c.shadowed_by.clone(),
        model: c.model.clone(),
        allowed_tools: c.allowed_tools.clone(),
    }));
    if let Some(ext) = ctx.extensions {
        out.extend(
            ext.mcp_prompt_list()
                .await
                .into_iter()
                .map(|(name, description, hint)| Listed {
                    name,
                    description,
                    argument_hint: hint,
                    source: "mcp".into(),
                    origin: None,
                    shadowed_by: None,
                    model: None,
                    allowed_tools: None,
                }),
        );
    }
    (out, catalog.problems)
}
