//! Slash commands on the command line: `mira commands` lists them, and `mira ask` /
//! `mira agent` resolve a question or task that starts with `/name` the way the chat
//! does (a built-in is answered, a command file's prompt is sent).

use std::process::ExitCode;
use std::sync::Arc;

use mira_agent::commands::builtin::BuiltinContext;
use mira_agent::commands::resolve::{self, Resolved};
use mira_agent::extensions::Extensions;
use mira_core::Config;
use mira_llm::Gateway;
use mira_store::Db;
use mira_store::projects::Project;

#[derive(clap::Args)]
pub struct CommandsArgs {
    #[command(flatten)]
    target: super::git::ProjectArg,
    /// One JSON object: `{"commands": [...], "problems": [...]}`.
    #[arg(long)]
    json: bool,
}

/// Resolves `input` in `project` (or outside any), as the chat does.
pub async fn resolve_input(
    config: &Arc<Config>,
    db: &Db,
    gateway: Option<&Gateway>,
    project: Option<&Project>,
    input: &str,
) -> anyhow::Result<Resolved> {
    if mira_agent::commands::invoke::split(input).is_none() {
        return Ok(Resolved::Text);
    }
    let home = dirs::home_dir();
    let ext = project.map(|p| Extensions::load(&p.root, home.as_deref()));
    let ctx = BuiltinContext {
        db,
        config,
        gateway,
        project,
        home: home.as_deref(),
        search: None,
        extensions: ext.as_ref(),
    };
    Ok(resolve::resolve(input, &ctx).await?)
}

pub async fn commands(config: Config, args: CommandsArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = super::target::project(&db, args.target.project.as_deref())
        .await
        .ok();
    let home = dirs::home_dir();
    let ext = project
        .as_ref()
        .map(|p| Extensions::load(&p.root, home.as_deref()));
    let config = Arc::new(config);
    let ctx = BuiltinContext {
        db: &db,
        config: &config,
        gateway: None,
        project: project.as_ref(),
        home: home.as_deref(),
        search: None,
        extensions: ext.as_ref(),
    };
    let (list, problems) = resolve::list(&ctx).await;
    if args.json {
        println!(
            "{}",
            serde_json::json!({ "commands": list, "problems": problems })
        );
        return Ok(ExitCode::SUCCESS);
    }
    for c in &list {
        let hint = c
            .argument_hint
            .as_deref()
            .map(|h| format!(" {h}"))
            .unwrap_or_default();
        let from = c.origin.as_deref().unwrap_or(&c.source);
        let shadowed = c
            .shadowed_by
            .as_deref()
            .map(|w| format!(" (shadowed by {w})"))
            .unwrap_or_default();
        println!("/{}{hint}  {}  [{from}]{shadowed}", c.name, c.description);
    }
    for p in &problems {
        eprintln!("mira: not loaded: {p}");
    }
    Ok(ExitCode::SUCCESS)
}
