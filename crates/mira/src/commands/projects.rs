use std::path::PathBuf;
use std::process::ExitCode;

use mira_core::Config;
use mira_store::projects::{self, Project};
use mira_store::{DataDirLock, Db, StoreError, vectors};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register a directory (git repository or not) as a project.
    Add {
        path: PathBuf,
        /// Display name; defaults to the directory's name.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List registered projects.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a project (by id or path) with all its data; its files are not touched.
    Remove {
        project: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, command: Command) -> anyhow::Result<ExitCode> {
    // SQLite in WAL mode lets this run beside a running server.
    let db = Db::open(&mira_server::db_path(&config)).await?;
    match command {
        Command::Add { path, name, json } => {
            let project = projects::add(&db, &path, name.as_deref()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&project)?);
            } else {
                println!(
                    "Registered project {} ({}) at {}",
                    project.id,
                    project.name,
                    project.root.display()
                );
            }
        }
        Command::List { json } => {
            let list = projects::list(&db).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "projects": list }))?
                );
            } else if list.is_empty() {
                println!("No projects. Register one with `mira projects add PATH`.");
            } else {
                print_table(&list);
            }
        }
        Command::Remove { project, json } => {
            let project = projects::find(&db, &project).await?;
            remove(&config, &db, &project).await?;
            if json {
                println!("{}", serde_json::json!({ "removed": project.id }));
            } else {
                println!(
                    "Removed project {} ({}); its files were not touched.",
                    project.id, project.name
                );
            }
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Removing touches the vector store, which only one process may open. When a server
/// owns it, the server is asked to do the removal.
async fn remove(config: &Config, db: &Db, project: &Project) -> anyhow::Result<()> {
    match DataDirLock::acquire(&config.data_dir) {
        Ok(_lock) => {
            let store = vectors::open(&config.vectors, &config.data_dir).await?;
            projects::remove(db, store.as_ref(), project.id).await?;
            store.flush().await?;
            Ok(())
        }
        Err(StoreError::Locked { .. }) => mira_server::client::remove_project(config, project.id).await,
        Err(e) => Err(e.into()),
    }
}

fn print_table(list: &[Project]) {
    let name_width = list.iter().map(|p| p.name.len()).max().unwrap_or(4).max(4);
    println!("{:>4}  {:<name_width$}  {:<3}  ROOT", "ID", "NAME", "GIT");
    for p in list {
        println!(
            "{:>4}  {:<name_width$}  {:<3}  {}",
            p.id,
            p.name,
            if p.is_git { "yes" } else { "no" },
            p.root.display()
        );
    }
}
