//! [`Gateway::embed`]: provider embeddings with the same care as chat. Texts already
//! embedded come from the cache ([`crate::embed_cache`]); the rest go to the provider in
//! one request, whose estimated cost is first reserved from the budget lease (refused
//! before any request when it would pass a limit) and settled with the tokens the
//! provider reports, or the estimate when it reports none. A provider request gets a
//! `budget_tracking` row of operation `embed`; the part answered from the cache gets a
//! hit row, as a cached chat answer does. There is no fallback to another provider:
//! another model's vectors do not compare with the ones already stored. Retries are the
//! provider's HTTP layer's, as for chat.

use std::time::Instant;

use serde::Serialize;

use crate::budget::{Budget, CallMeta, Reservation, Settlement};
use crate::embed_cache::{self, CachedVector, EmbedRow};
use crate::error::LlmError;
use crate::gateway::{CallReport, Gateway, Route, estimate_text_tokens};
use crate::types::{EmbedRequest, Embeddings, FinishReason, Usage};

/// How one embedding call should be made.
#[derive(Debug, Clone, Default)]
pub struct EmbedOptions {
    /// What the call is for, recorded with its cost; `embed` when empty.
    pub operation: String,
    /// Neither read nor write the embedding cache for this call.
    pub bypass_cache: bool,
}

/// What an embedding call came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedReport {
    pub provider: String,
    pub model: String,
    /// Texts answered from the cache.
    pub cached: usize,
    /// Texts sent to the provider (in one request, or none).
    pub fetched: usize,
    /// Tokens of the texts sent: the provider's count, else the estimate.
    pub input_tokens: u64,
    pub usage_reported: bool,
    pub cost_usd: f64,
    /// What the cached texts cost when they were embedded.
    pub saved_usd: f64,
    pub latency_ms: u64,
}

/// A reservation that is settled however the call ends: dropped mid-request (the caller
/// gave up), it is settled as cancelled, so its estimate goes back to the lease.
struct Pending {
    budget: Budget,
    reservation: Option<Reservation>,
    started: Instant,
}

impl Pending {
    fn settle(mut self, settlement: Settlement) {
        if let Some(r) = self.reservation.take() {
            self.budget.settle(r, settlement);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(r) = self.reservation.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            self.budget.settle(
                r,
                Settlement {
                    latency_ms: self.started.elapsed().as_millis() as u64,
                    error: Some(LlmError::Cancelled.to_string()),
                    ..Settlement::default()
                },
            );
        }
    }
}

fn input(tokens: u64) -> Usage {
    Usage {
        input: tokens,
        ..Usage::default()
    }
}

impl Gateway {
    /// Vectors of `request.texts`, in order, from `provider` (`gemini`, `openai`,
    /// `compat`). Errors are the provider's (after its retries), or
    /// [`LlmError::BudgetExceeded`] before any request when the texts not cached would
    /// pass a limit.
    pub async fn embed(
        &self,
        provider: &str,
        request: EmbedRequest,
        options: EmbedOptions,
    ) -> Result<(Embeddings, EmbedReport), LlmError> {
        let started = Instant::now();
        let backend = self.router.providers().get(provider).cloned().ok_or_else(|| {
            LlmError::unavailable(
                provider,
                "no such provider; embeddings come from gemini, openai or compat",
            )
        })?;
        backend.check()?;
        let cacheable = self.embed_cache.enabled && !options.bypass_cache;
        let meta = CallMeta {
            provider: provider.to_string(),
            model: request.model.clone(),
            tier: None,
            operation: if options.operation.is_empty() {
                "embed".into()
            } else {
                options.operation.clone()
            },
            cacheable,
        };
        let mut report = EmbedReport {
            provider: provider.to_string(),
            model: request.model.clone(),
            cached: 0,
            fetched: 0,
            input_tokens: 0,
            usage_reported: false,
            cost_usd: 0.0,
            saved_usd: 0.0,
            latency_ms: 0,
        };
        if request.texts.is_empty() {
            return Ok((
                Embeddings {
                    vectors: Vec::new(),
                    input_tokens: None,
                },
                report,
            ));
        }
        let keys: Vec<String> = if cacheable {
            request
                .texts
                .iter()
                .map(|t| embed_cache::key(provider, &request.model, request.dimensions, request.task, t))
                .collect()
        } else {
            Vec::new()
        };
        let mut found = if cacheable {
            self.embed_cache.get_many(&keys).await?
        } else {
            vec![None; request.texts.len()]
        };
        let hit_tokens: u64 = found.iter().flatten().map(|c| c.input_tokens).sum();
        report.saved_usd = found.iter().flatten().map(|c| c.cost_usd).sum();
        let missing: Vec<usize> = (0..found.len()).filter(|&i| found[i].is_none()).collect();
        report.cached = found.len() - missing.len();
        report.fetched = missing.len();
        let route = Route {
            tier: None,
            provider: provider.to_string(),
            model: request.model.clone(),
            reason: "embedding".into(),
            cached: missing.is_empty(),
            passed_over: Vec::new(),
        };

        if !missing.is_empty() {
            let estimates: Vec<u64> = missing
                .iter()
                .map(|&i| estimate_text_tokens(request.texts[i].len()))
                .collect();
            let input_estimate: u64 = estimates.iter().sum();
            let paid = backend.is_paid();
            let price = self.pricing.price(&request.model, paid);
            let estimate = if paid {
                price.cost(&input(input_estimate))
            } else {
                0.0
            };
            let pending = Pending {
                reservation: Some(self.budget.reserve(&meta, estimate).await?),
                budget: self.budget.clone(),
                started,
            };
            let call = EmbedRequest {
                model: request.model.clone(),
                texts: missing.iter().map(|&i| request.texts[i].clone()).collect(),
                dimensions: request.dimensions,
                task: request.task,
            };
            let answer = backend
                .embed(&call)
                .await
                .map_err(|e| backend.redact(e))
                .and_then(|a| {
                    if a.vectors.len() == call.texts.len() {
                        Ok(a)
                    } else {
                        Err(LlmError::protocol(
                            provider,
                            format!(
                                "asked for {} embeddings, got {}",
                                call.texts.len(),
                                a.vectors.len()
                            ),
                        ))
                    }
                });
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    self.observer.failed(provider, &e);
                    pending.settle(Settlement {
                        latency_ms: started.elapsed().as_millis() as u64,
                        error: Some(e.to_string()),
                        ..Settlement::default()
                    });
                    return Err(e);
                }
            };
            report.usage_reported = answer.input_tokens.is_some();
            report.input_tokens = answer.input_tokens.unwrap_or(input_estimate);
            report.cost_usd = price.cost(&input(report.input_tokens));
            pending.settle(Settlement {
                usage: input(report.input_tokens),
                cost_usd: report.cost_usd,
                latency_ms: started.elapsed().as_millis() as u64,
                error: None,
            });
            // Each text's share of the call's tokens and cost, by its estimate: what a
            // later hit on it saves.
            let mut rows = Vec::new();
            for ((&i, vector), est) in missing.iter().zip(answer.vectors).zip(&estimates) {
                let share = if input_estimate > 0 {
                    *est as f64 / input_estimate as f64
                } else {
                    1.0 / missing.len() as f64
                };
                let entry = CachedVector {
                    vector,
                    input_tokens: (report.input_tokens as f64 * share).round() as u64,
                    cost_usd: report.cost_usd * share,
                };
                if cacheable {
                    rows.push(EmbedRow {
                        key: keys[i].clone(),
                        provider: provider.to_string(),
                        model: request.model.clone(),
                        dimensions: request.dimensions,
                        entry: entry.clone(),
                    });
                }
                found[i] = Some(entry);
            }
            self.embed_cache.queue_put(rows);
        }

        report.latency_ms = started.elapsed().as_millis() as u64;
        if report.cached > 0 {
            self.budget
                .record_hit(&meta, input(hit_tokens), report.saved_usd, report.latency_ms);
        }
        self.observer.routed(&route);
        self.observer.finished(&CallReport {
            route,
            usage: input(report.input_tokens),
            usage_reported: report.usage_reported,
            cost_usd: report.cost_usd,
            saved_usd: report.saved_usd,
            latency_ms: report.latency_ms,
            finish: FinishReason::Stop,
        });
        let vectors = found
            .into_iter()
            .map(|v| v.map(|c| c.vector).unwrap_or_default())
            .collect();
        Ok((
            Embeddings {
                vectors,
                input_tokens: report.usage_reported.then_some(report.input_tokens),
            },
            report,
        ))
    }
}
