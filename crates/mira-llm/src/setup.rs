//! The gateway as configured: providers from the keys, tiers from MODEL_*, cache,
//! budget limits and prices from their settings.

use std::sync::Arc;

use mira_core::Config;
use mira_store::Db;

use crate::budget::{Budget, Limits};
use crate::cache::{Cache, CacheConfig};
use crate::gateway::Gateway;
use crate::pricing::Pricing;
use crate::provider::Provider;
use crate::providers::Providers;
use crate::router::{Router, RouterConfig};

/// Reservation rows (left by older versions, which reserved per call) older than this
/// belong to a process that died mid-call. Leases need no such age: they expire.
const STALE_RESERVATION: std::time::Duration = std::time::Duration::from_secs(3600);

/// Builds the gateway over `db`. `local` is the in-process model (or
/// [`crate::providers::local::Local::unavailable`] with why not).
pub async fn gateway(config: &Config, db: &Db, local: Arc<dyn Provider>) -> Result<Gateway, String> {
    let providers = Providers::from_config(config, local);
    let router = Router::new(RouterConfig::from_config(&config.llm), providers);
    let pricing = Pricing::from_config(config.llm.prices.as_deref())?;
    let budget = Budget::new(
        db.clone(),
        Limits {
            daily_usd: config.budget.daily_limit_usd,
            monthly_usd: config.budget.monthly_limit_usd,
        },
    );
    match budget.release_stale(STALE_RESERVATION).await {
        Ok(n) if n > 0 => tracing::info!(calls = n, "released budget reservations of interrupted calls"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot release stale budget reservations"),
    }
    let cache = Cache::new(db.clone(), CacheConfig::from_config(&config.llm));
    Ok(Gateway::new(
        router,
        cache,
        budget,
        pricing,
        config.llm.max_output_tokens,
    ))
}

/// Which provider and model each tier uses now, and which providers are usable, for
/// `mira budget`, the API and `mira doctor`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoutingSummary {
    pub router_enabled: bool,
    pub tiers: Vec<TierRoute>,
    pub providers: Vec<ProviderState>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TierRoute {
    pub tier: &'static str,
    pub configured: String,
    /// Where a call of this tier goes now (after skipping unusable providers).
    pub provider: Option<String>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderState {
    pub id: String,
    pub available: bool,
    pub why: Option<String>,
    pub paid: bool,
}

pub fn routing_summary(gateway: &Gateway) -> RoutingSummary {
    let router = &gateway.router;
    let tiers = crate::router::Tier::ALL
        .iter()
        .map(|&tier| {
            let spec = router.spec(tier);
            let decision = router.decide(&crate::router::Task::default(), Some(tier), None);
            let first = decision.candidates.first();
            TierRoute {
                tier: tier.as_str(),
                configured: format!("{}:{}", spec.provider, spec.model),
                provider: first.map(|c| c.provider.id().to_string()),
                model: first.map(|c| c.model.clone()),
            }
        })
        .collect();
    let providers = router
        .providers()
        .iter()
        .map(|p| {
            let check = p.check();
            ProviderState {
                id: p.id().to_string(),
                available: check.is_ok(),
                why: check.err().map(|e| e.to_string()),
                paid: p.is_paid(),
            }
        })
        .collect();
    RoutingSummary {
        router_enabled: router.config.enabled,
        tiers,
        providers,
    }
}

/// The budget as `mira budget --json` and `GET /api/budget` give it: spend against the
/// limits, cache hit rate and savings (embedding hits included), spend by day, and the
/// sizes of the answer and embedding caches.
pub async fn budget_report(gateway: &Gateway) -> Result<serde_json::Value, crate::LlmError> {
    let status = gateway.budget.status().await?;
    let cache = gateway.cache.size().await?;
    let embeddings = gateway.embed_cache.size().await?;
    let mut value = serde_json::to_value(status).expect("status serializes");
    value["cache"] = serde_json::json!({
        "enabled": gateway.cache.config.enabled,
        "entries": cache.entries,
        "bytes": cache.bytes,
        "max_bytes": gateway.cache.config.max_bytes,
        "embeddings": { "entries": embeddings.entries, "bytes": embeddings.bytes },
    });
    Ok(value)
}
