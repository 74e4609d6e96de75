//! `mira analyze`: a model labels the project's symbols (purpose, concepts, domain)
//! through the gateway; the concepts join the concept index, so `mira search` and
//! `mira concepts show` find symbols by them.

use std::process::ExitCode;

use mira_core::Config;
use mira_search::analyse::{AnalyseOptions, AnalyseReport};
use mira_store::Db;
use serde_json::json;

use super::search::{bar, progress_of};
use super::target;

#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// The project (a registered directory or id); default: the registered project
    /// containing the current directory.
    path: Option<String>,
    /// Symbols analysed at most, most called and largest first; unchanged ones are not
    /// sent again.
    #[arg(long, default_value_t = 200)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

pub async fn analyze(config: Config, args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let db = Db::open(&mira_server::db_path(&config)).await?;
    let project = target::project(&db, args.path.as_deref()).await?;
    // Line numbers must match the files read, so the code index is brought up to date
    // first (incremental: unchanged files are not parsed).
    super::code::index_code(&db, &project, true).await?;
    let local = mira_server::llm::local_provider(&config).await;
    let gateway = mira_llm::setup::gateway(&config, &db, local)
        .await
        .map_err(anyhow::Error::msg)?;
    let b = bar(args.json, "symbols", "Analysing symbols");
    let options = AnalyseOptions {
        limit: args.limit,
        ..Default::default()
    };
    let report = mira_search::analyse::analyse(&db, &gateway, &project, &options, progress_of(&b)).await;
    b.finish_and_clear();
    // The calls' spend is written before exiting, whatever happened.
    gateway.flush().await;
    let report = report?;
    if !args.json {
        print_report(&report);
    }
    // New concepts reach the vector store's tags through the search index's re-tag path.
    let search = if report.analysed > 0 {
        super::search::index(&config, &db, &project, args.json, false).await?
    } else {
        serde_json::Value::Null
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "analysis": report, "search": search }))?
        );
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &AnalyseReport) {
    println!(
        "Analysed {} symbol(s), {} unchanged (not sent), {} failed; {} request(s), {} input / {} output tokens, ${:.4}",
        r.analysed, r.unchanged, r.failed, r.requests, r.input_tokens, r.output_tokens, r.cost_usd
    );
    if r.pruned > 0 {
        println!(
            "Dropped the analyses of {} symbol(s) no longer in the code.",
            r.pruned
        );
    }
    if let Some(why) = &r.error {
        println!("{} request(s) failed; the first: {why}", r.failed_batches);
    }
    if r.analysed == 0 && r.failed > 0 && r.stopped.is_none() {
        // The usual cause: the keyless default, a 135M local model, rarely writes the
        // JSON asked for. Failed symbols are sent again on the next run.
        println!(
            "No answer could be used. Small local models (the default SmolLM2-135M) rarely answer in the JSON this needs: \
             set GEMINI_API_KEY, OPENAI_API_KEY or ANTHROPIC_API_KEY, or OPENAI_BASE_URL (an Ollama or llama.cpp server) \
             or MIRA_LOCAL_MODEL for a larger model, and run `mira analyze` again."
        );
    }
    if let Some(why) = &r.stopped {
        println!("Stopped early, keeping what was analysed: {why}");
    }
}
