use std::process::ExitCode;

use mira_core::Config;
use mira_server::{Auth, access_url};

#[derive(clap::Args)]
pub struct Args {
    /// Replace the signing secret: every earlier token stops working (restart a running server).
    #[arg(long)]
    rotate: bool,
}

pub fn run(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    let ttl = config.server.token_ttl;
    let token = if args.rotate {
        let (_, token) = Auth::rotate(&config.data_dir, ttl)?;
        eprintln!(
            "Secret rotated: earlier tokens no longer work. Restart a running server to use the new secret."
        );
        token
    } else {
        Auth::load_or_create(&config.data_dir, ttl)?.current_token()?
    };
    println!("{}", access_url(config.server.bind_addr(), &token));
    Ok(ExitCode::SUCCESS)
}
