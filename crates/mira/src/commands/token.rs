use std::process::ExitCode;

use mira_core::Config;
use mira_server::{Auth, access_url};
use mira_store::{DataDirLock, StoreError};

#[derive(clap::Args)]
pub struct Args {
    /// Replace the signing secret: every earlier token stops working at once, on a running
    /// server too (its open WebSockets are closed).
    #[arg(long)]
    rotate: bool,
}

pub async fn run(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    let ttl = config.server.token_ttl;
    let token = if args.rotate {
        rotate(&config).await?;
        eprintln!("Secret rotated: earlier tokens no longer work.");
        Auth::load_or_create(&config.data_dir, ttl)?.current_token()?
    } else {
        Auth::load_or_create(&config.data_dir, ttl)?.current_token()?
    };
    println!("{}", access_url(config.server.bind_addr(), &token));
    Ok(ExitCode::SUCCESS)
}

/// A running server holds the keys in memory, so it rotates them itself (and closes the
/// WebSockets opened with the old token); with no server, the files are rotated here,
/// holding the data dir's lock so a server cannot start half-way.
async fn rotate(config: &Config) -> anyhow::Result<()> {
    match DataDirLock::acquire(&config.data_dir) {
        Ok(_lock) => {
            Auth::rotate(&config.data_dir, config.server.token_ttl)?;
            Ok(())
        }
        Err(StoreError::Locked { .. }) => {
            mira_server::client::post_json(config, "/api/token/rotate", &serde_json::json!({})).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
