//! `mira doctor`: checks each part Mira needs and says in plain words what works
//! offline and what needs a key.

use std::path::Path;
use std::process::ExitCode;

use mira_core::Config;
use mira_store::{DataDirLock, Db, StoreError, vectors};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    /// Works, with a limitation the user should know.
    Warn,
    /// Broken: Mira cannot run properly until fixed.
    Fail,
}

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
}

fn check(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
    }
}

pub async fn run(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    let mut checks = vec![check(
        "configuration",
        Status::Ok,
        format!(
            "valid; server binds {} (data dir {})",
            config.server.bind_addr(),
            config.data_dir.display()
        ),
    )];
    checks.push(data_dir(&config.data_dir));
    checks.push(database(&config).await);
    checks.extend(vector_store(&config).await);
    checks.push(web_ui(&config));
    checks.extend(models(&config));
    let (provider_checks, offline, needs_key) = providers(&config);
    checks.extend(provider_checks);

    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if args.json {
        let report = serde_json::json!({
            "ok": !failed,
            "checks": checks,
            "works_offline": offline,
            "needs_a_key": needs_key,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for c in &checks {
            let mark = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("[{mark}] {:<22} {}", c.name, c.detail);
        }
        println!();
        println!("Works offline: {}.", offline.join(", "));
        if needs_key.is_empty() {
            println!("Every remote provider is configured.");
        } else {
            println!("Needs a key: {}.", needs_key.join("; "));
        }
        if failed {
            println!("\nSome checks failed: fix them and run `mira doctor` again.");
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn data_dir(dir: &Path) -> Check {
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"probe"))
        .and_then(|_| std::fs::remove_file(&probe));
    match result {
        Ok(()) => check("data dir", Status::Ok, format!("{} is writable", dir.display())),
        Err(e) => check(
            "data dir",
            Status::Fail,
            format!(
                "{} is not writable ({e}); set MIRA_DATA_DIR to a directory you own",
                dir.display()
            ),
        ),
    }
}

async fn database(config: &Config) -> Check {
    let path = mira_server::db_path(config);
    match Db::open(&path).await {
        Ok(db) => {
            let version = db.schema_version().await.unwrap_or(0);
            let projects = mira_store::projects::list(&db)
                .await
                .map(|p| p.len())
                .unwrap_or(0);
            db.close().await;
            check(
                "database",
                Status::Ok,
                format!(
                    "SQLite at {} (schema {version}, {projects} project(s))",
                    path.display()
                ),
            )
        }
        Err(e) => check("database", Status::Fail, e.to_string()),
    }
}

async fn vector_store(config: &Config) -> Vec<Check> {
    if let Some(url) = &config.vectors.qdrant_url {
        return match vectors::open(&config.vectors, &config.data_dir).await {
            Ok(store) => match store.health().await {
                Ok(()) => vec![
                    check(
                        "vector store",
                        Status::Ok,
                        format!("Qdrant server at {url} answers"),
                    ),
                    agreement(config, store.as_ref()).await,
                ],
                Err(e) => vec![check("vector store", Status::Fail, e.to_string())],
            },
            Err(e) => vec![check("vector store", Status::Fail, e.to_string())],
        };
    }
    match DataDirLock::acquire(&config.data_dir) {
        Ok(_lock) => match vectors::open(&config.vectors, &config.data_dir).await {
            Ok(store) => {
                let mut counts = Vec::new();
                for c in vectors::Collection::ALL {
                    let n = store.count(c, None).await.unwrap_or(0);
                    counts.push(format!("{} {n}", c.name()));
                }
                vec![
                    check(
                        "vector store",
                        Status::Ok,
                        format!(
                            "embedded Qdrant in {} ({}-dim; points: {})",
                            config.data_dir.join("vectors").display(),
                            store.dimension(),
                            counts.join(", ")
                        ),
                    ),
                    agreement(config, store.as_ref()).await,
                ]
            }
            Err(e) => vec![check("vector store", Status::Fail, e.to_string())],
        },
        Err(StoreError::Locked { pid, .. }) => vec![check(
            "vector store",
            Status::Ok,
            format!(
                "embedded Qdrant is open in another Mira process (pid {pid}); a server reports on it at /ready and mends its search index when it starts"
            ),
        )],
        Err(e) => vec![check("vector store", Status::Fail, e.to_string())],
    }
}

/// Whether SQLite's search chunks and the store's points agree, project by project (a
/// crash of an older version, or a data dir copied while a run wrote, can part them).
async fn agreement(config: &Config, store: &dyn vectors::VectorStore) -> Check {
    let name = "search index";
    let db = match Db::open(&mira_server::db_path(config)).await {
        Ok(db) => db,
        Err(e) => return check(name, Status::Fail, e.to_string()),
    };
    let projects = match mira_store::projects::list(&db).await {
        Ok(p) => p,
        Err(e) => return check(name, Status::Fail, e.to_string()),
    };
    let mut problems = Vec::new();
    let mut chunks = 0;
    for project in &projects {
        let collections = match mira_search::index::check(&db, store, project.id).await {
            Ok(c) => c,
            Err(e) => return check(name, Status::Fail, format!("project {}: {e}", project.name)),
        };
        chunks += collections.iter().map(|c| c.rows).sum::<usize>();
        let (missing, dense, orphans) = collections.iter().fold((0, 0, 0), |(m, d, o), c| {
            (m + c.missing, d + c.dense_missing, o + c.orphans)
        });
        if missing + dense + orphans > 0 {
            problems.push(format!(
                "project {} ({}): {missing} chunk(s) without their vectors, {dense} without their dense vector, {orphans} vector(s) of no chunk; run `mira index {}` to repair",
                project.name,
                project.id,
                project.root.display()
            ));
        }
    }
    if problems.is_empty() {
        check(
            name,
            Status::Ok,
            format!(
                "SQLite and the vector store agree ({chunks} chunk(s) in {} project(s))",
                projects.len()
            ),
        )
    } else {
        check(name, Status::Fail, problems.join("; "))
    }
}

fn web_ui(config: &Config) -> Check {
    let dir = mira_server::ui_dir(config.server.ui_dir.as_deref());
    if mira_server::ui_is_built(&dir) {
        check("web ui", Status::Ok, format!("built at {}", dir.display()))
    } else {
        check(
            "web ui",
            Status::Warn,
            format!(
                "not built at {}: run `npm --prefix frontend ci && npm --prefix frontend run build` (the API works without it)",
                dir.display()
            ),
        )
    }
}

fn models(config: &Config) -> Vec<Check> {
    let embed = mira_models::default_embed_model_dir(config);
    let chat = mira_models::default_chat_model_path(config);
    let missing = |path: &Path, what: &str, id: &str, setting: &str| {
        format!(
            "no {what} at {}: run `mira models pull {id}` (or set {setting}); until then {}",
            path.display(),
            if what.starts_with("embedding") {
                "semantic search uses keywords only"
            } else {
                "chat needs a provider key"
            }
        )
    };
    let embed_check = if !embed.exists() {
        check(
            "local embedding model",
            Status::Warn,
            missing(&embed, "embedding model", "all-MiniLM-L6-v2", "MIRA_EMBED_MODEL"),
        )
    } else {
        match measure_embedder(&embed) {
            Ok(detail) => check("local embedding model", Status::Ok, detail),
            Err(e) => check(
                "local embedding model",
                Status::Fail,
                format!("{} does not load: {e}", embed.display()),
            ),
        }
    };
    let chat_check = if !chat.exists() {
        check(
            "local chat model",
            Status::Warn,
            missing(&chat, "chat model", "SmolLM2-135M-Instruct", "MIRA_LOCAL_MODEL"),
        )
    } else {
        match measure_chat(config, &chat) {
            Ok(detail) => check("local chat model", Status::Ok, detail),
            Err(e) => check(
                "local chat model",
                Status::Fail,
                format!("{} does not load: {e}", chat.display()),
            ),
        }
    };
    vec![embed_check, chat_check]
}

/// Loads the embedder and times one batch, so the report says what speed to expect here.
fn measure_embedder(dir: &Path) -> Result<String, mira_models::ModelError> {
    let model = mira_models::Embedder::load(dir)?;
    let texts: Vec<String> = (0..16)
        .map(|i| format!("fn handler_{i}(request: Request) -> Response {{ route the request to service {i} and log it }}"))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = refs
        .iter()
        .map(|t| model.token_ids(t).map(|ids| ids.len()).unwrap_or(0))
        .sum();
    let started = std::time::Instant::now();
    model.embed(&refs)?;
    let rate = tokens as f64 / started.elapsed().as_secs_f64();
    Ok(format!(
        "{} at {} ({}), {} dimensions, {rate:.0} tokens/s measured now",
        model.name(),
        dir.display(),
        human_size(dir_size(dir)),
        model.dim()
    ))
}

/// Loads the chat model and times a short greedy answer.
fn measure_chat(config: &Config, path: &Path) -> Result<String, mira_models::ModelError> {
    let options = mira_models::ChatLoadOptions::from_config(config);
    let model = mira_models::ChatModel::load_with(path, &options)?;
    let never = std::sync::atomic::AtomicBool::new(false);
    let params = mira_models::GenerateParams {
        max_tokens: 24,
        ..Default::default()
    };
    let question = [mira_models::ChatMessage::new(
        mira_models::Role::User,
        "Name three uses of a hash map.",
    )];
    let g = model.generate(&question, &params, &never, &mut |_| {})?;
    Ok(format!(
        "{} at {} ({}, {} in memory as {}), context {} tokens, {:.1} tokens/s decode, first token in {} ms, measured now",
        model.name(),
        path.display(),
        human_size(dir_size(path)),
        human_size(model.weight_bytes() as u64),
        model.format().name(),
        model.context_length(),
        g.decode_tokens_per_second(),
        g.time_to_first_token.as_millis()
    ))
}

fn dir_size(path: &Path) -> u64 {
    mira_models::manage::size_of(path)
}

fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB {
        format!("{:.1} MiB", bytes as f64 / MB)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// Provider checks, plus the plain-words lists of what works offline and what needs a key.
fn providers(config: &Config) -> (Vec<Check>, Vec<&'static str>, Vec<String>) {
    let p = &config.providers;
    let mut checks = Vec::new();
    let mut needs_key = Vec::new();
    for (name, key, setting) in [
        ("Gemini", &p.gemini_api_key, "GEMINI_API_KEY"),
        ("OpenAI", &p.openai_api_key, "OPENAI_API_KEY"),
        ("Anthropic", &p.anthropic_api_key, "ANTHROPIC_API_KEY"),
    ] {
        if key.is_some() {
            checks.push(check(
                "provider",
                Status::Ok,
                format!("{name}: key set ({setting})"),
            ));
        } else {
            checks.push(check(
                "provider",
                Status::Warn,
                format!("{name}: no key; set {setting} to use it"),
            ));
            needs_key.push(format!("{name} models (set {setting})"));
        }
    }
    match &p.openai_base_url {
        Some(url) => checks.push(check(
            "provider",
            Status::Ok,
            format!("OpenAI-compatible server at {url}"),
        )),
        None => checks.push(check(
            "provider",
            Status::Ok,
            "no OpenAI-compatible server configured (OPENAI_BASE_URL); optional",
        )),
    }
    let offline = vec![
        "the server and web UI",
        "local models (chat and embeddings, once pulled)",
        "projects",
        "the file browser and editor",
        "the SQLite and embedded vector stores",
    ];
    (checks, offline, needs_key)
}
