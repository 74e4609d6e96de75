//! Mira's server: HTTP API, WebSocket, probes, metrics and the web UI on one origin.
//!
//! [`Server::open`] opens the stores and the auth keys; [`Server::serve`] binds, prints
//! nothing itself (the caller gets the address and token through `on_ready`), and runs
//! until SIGINT/SIGTERM, then shuts down gracefully: it stops accepting, closes
//! WebSockets with a close frame, lets in-flight requests finish within
//! MIRA_SHUTDOWN_TIMEOUT_SECS, and flushes the stores.
//!
//! ```no_run
//! # async fn demo(config: mira_core::Config) -> anyhow::Result<()> {
//! let server = mira_server::Server::open(config).await?;
//! server.serve(|url| println!("Open {url}")).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod auth;
pub mod client;
pub mod confine;
mod connection_slots;
pub mod error;
pub mod events;
mod health;
mod json_errors;
mod listen;
pub mod llm;
mod mcp;
mod memory;
pub mod metrics;
mod rate_limit;
pub mod search;
mod shutdown;
pub mod state;
mod ui;
mod watchers;
pub mod ws;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::middleware;
use axum::routing::{any, get};
use mira_core::Config;
use mira_store::{DataDirLock, Db, vectors};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use auth::{Auth, access_url};
pub use state::AppState;

/// Where the database lives inside the data dir.
pub fn db_path(config: &Config) -> std::path::PathBuf {
    config.data_dir.join("mira.db")
}

/// An opened (not yet listening) server.
pub struct Server {
    state: AppState,
    _lock: DataDirLock,
}

impl Server {
    /// Opens the data dir (taking its lock), the database (migrated), the vector store
    /// (collections created) and the auth keys.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let lock = DataDirLock::acquire(&config.data_dir)?;
        let db = Db::open(&db_path(&config)).await?;
        let vectors = vectors::open(&config.vectors, &config.data_dir).await?;
        let auth = Auth::load_or_create(&config.data_dir, config.server.token_ttl)
            .with_context(|| format!("cannot prepare the access token in {}", config.data_dir.display()))?;
        let metrics: Arc<metrics::Metrics> = Arc::default();
        let local = llm::local_provider(&config).await;
        let llm = mira_llm::setup::gateway(&config, &db, local)
            .await
            .map_err(anyhow::Error::msg)?
            .with_observer(metrics.clone());
        let config = Arc::new(config);
        // Provider embeddings go through the same gateway as chat: one budget, one cache.
        let search = mira_search::service::SearchService::new(config.clone(), db.clone(), vectors.clone())
            .with_gateway(llm.clone());
        let oracle = mira_oracle::Oracle::new(db.clone(), config.clone(), Some(search.clone()))
            .with_gateway(llm.clone());
        let state = AppState {
            config,
            db,
            vectors,
            oracle,
            search,
            auth,
            metrics,
            llm,
            events: events::Events::default(),
            shutdown: CancellationToken::new(),
            indexing: Arc::default(),
            builds: Arc::default(),
            agents: mira_agent::Registry::default(),
            extensions: Arc::new(mira_agent::extensions::ByProject::new(dirs::home_dir())),
        };
        // Operations left running by a process that is gone cannot go on.
        if let Ok(n) = mira_agent::store::mark_interrupted(&state.db).await
            && n > 0
        {
            tracing::info!(
                operations = n,
                "marked agent operations left running by a stopped process as failed"
            );
        }
        // Runs left `running` by a process that is gone (older than any run can last).
        let stale_before =
            chrono::Utc::now().timestamp_millis() - state.config.build.timeout.as_millis() as i64;
        if let Ok(n) = mira_build::record::mark_interrupted(&state.db, stale_before).await
            && n > 0
        {
            tracing::info!(
                runs = n,
                "marked build runs left running by a stopped process as interrupted"
            );
        }
        // Chats stored while no server ran (`mira ask`) reach memory now.
        memory::follow(&state);
        Ok(Self { state, _lock: lock })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Binds MIRA_HOST:MIRA_PORT, calls `on_ready` with the access URL, and serves until
    /// a shutdown signal.
    pub async fn serve(self, on_ready: impl FnOnce(&str)) -> anyhow::Result<()> {
        let addr = self.state.config.server.bind_addr();
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr}; is another server using the port? Set MIRA_PORT to another port"
            )
        })?;
        let bound = listener.local_addr()?;
        let token = self
            .state
            .auth
            .current_token()
            .context("cannot create an access token")?;
        let base = access_url(bound, "");
        let base = base.trim_end_matches("/#token=").to_string();
        let _runtime = client::write_runtime_info(
            &self.state.config.data_dir,
            &client::RuntimeInfo {
                pid: std::process::id(),
                url: base,
            },
        )
        .context("cannot write server.json in the data dir")?;
        // Watching starts before the URL is announced, so no edit made after is missed;
        // the watchers stop when `_watchers` is dropped, when serving ends.
        let _watchers = watchers::start(&self.state).await;
        // Brings every project's search index up to date (keyword first, then vectors).
        search::refresh_all(&self.state).await;
        on_ready(&access_url(bound, &token));
        tracing::info!(%bound, "listening");
        let shutdown = self.state.shutdown.clone();
        tokio::spawn(async move {
            shutdown::signal().await;
            tracing::info!("shutdown requested");
            shutdown.cancel();
        });
        self.run(listener).await
    }

    async fn run(self, listener: TcpListener) -> anyhow::Result<()> {
        let state = self.state.clone();
        let limits = listen::Limits {
            header_timeout: state.config.server.header_timeout,
            max_connections: state
                .config
                .server
                .max_connections
                .unwrap_or_else(connection_slots::default_cap),
        };
        tracing::info!(
            max_connections = limits.max_connections,
            header_timeout_secs = limits.header_timeout.as_secs(),
            "connection limits"
        );
        let server = listen::serve(listener, router(state.clone()), limits, state.shutdown.clone());
        let timeout = state.config.server.shutdown_timeout;
        let forced = async {
            state.shutdown.cancelled().await;
            tokio::time::sleep(timeout).await;
        };
        tokio::select! {
            _ = server => {}
            _ = forced => tracing::warn!("in-flight requests did not finish within {}s; closing anyway", timeout.as_secs()),
        }
        shutdown::flush_stores(&state).await;
        Ok(())
    }
}

/// The whole application: probes, the protected API and WebSocket, and the UI.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    // Unknown `/api` paths are routes of their own (behind the token like the rest), so
    // they answer 404 JSON instead of falling through to the UI page.
    let protected = Router::new()
        .nest("/api", api::router())
        .route("/api", any(json_errors::unknown_route))
        .route("/api/", any(json_errors::unknown_route))
        .route("/api/{*rest}", any(json_errors::unknown_route))
        .route("/ws", get(ws::upgrade))
        .route_service("/mcp", mcp::service(&state))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_token));
    let protected = rate_limit::apply(protected, config.rate_limit, state.auth.clone())
        .layer(middleware::from_fn(json_errors::rewrite));
    Router::new()
        .route("/health", get(health::health))
        .route("/live", get(health::live))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .merge(protected)
        .merge(ui::router(&ui::ui_dir(config.server.ui_dir.as_deref())))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
}

pub use ui::{is_built as ui_is_built, ui_dir};
