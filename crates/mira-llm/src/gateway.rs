//! The gateway: every model call of Mira goes through it. It routes the call, answers
//! from the cache when it can, reserves the estimated cost within the budget, calls the
//! provider (falling back to the next candidate when one cannot serve), and settles the
//! real cost, the tokens and the cache when the answer ends, however it ends.

use std::sync::Arc;
use std::time::Instant;

use futures_util::{Stream, StreamExt};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::budget::{Budget, CallMeta, Reservation, Settlement};
use crate::cache::{self, Cache};
use crate::embed_cache::EmbedCache;
use crate::error::LlmError;
use crate::pricing::Pricing;
use crate::router::{Candidate, Router, Task, Tier};
use crate::stream::{ChatStream, StreamEvent, replay, with_cancel};
use crate::types::{ChatRequest, ChatResponse, FinishReason, ToolCall, Usage};

/// How one call should be made.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Force a tier (the classifier is not asked).
    pub tier: Option<Tier>,
    /// Force a model (`gpt-5.1`, `compat:llama3.2`, `local`), with no fallback.
    pub model: Option<String>,
    /// What the classifier looks at; its token estimate is raised to the request's.
    pub task: Task,
    /// What the call is for, recorded with its cost (`chat`, `summary`, ...).
    pub operation: String,
    /// Skip the cache for this call (neither read nor written).
    pub bypass_cache: bool,
    pub cancel: Option<CancellationToken>,
}

/// Where a call went, sent first on the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    pub tier: Option<Tier>,
    pub provider: String,
    pub model: String,
    pub reason: String,
    pub cached: bool,
    /// Providers tried before this one, and why they failed or were skipped.
    pub passed_over: Vec<String>,
}

/// What a call came to, sent last on the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallReport {
    pub route: Route,
    pub usage: Usage,
    /// Whether `usage` came from the provider (else it is estimated).
    pub usage_reported: bool,
    pub cost_usd: f64,
    pub saved_usd: f64,
    pub latency_ms: u64,
    pub finish: FinishReason,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GatewayEvent {
    Routed { route: Route },
    Event { event: StreamEvent },
    Done { report: CallReport },
}

pub type GatewayStream = std::pin::Pin<Box<dyn Stream<Item = Result<GatewayEvent, LlmError>> + Send>>;

/// Told about routing and calls, for metrics.
pub trait Observer: Send + Sync + 'static {
    fn routed(&self, route: &Route) {
        let _ = route;
    }
    fn finished(&self, report: &CallReport) {
        let _ = report;
    }
    fn failed(&self, provider: &str, error: &LlmError) {
        let _ = (provider, error);
    }
}

struct Silent;
impl Observer for Silent {}

#[derive(Clone)]
pub struct Gateway {
    pub router: Arc<Router>,
    pub cache: Cache,
    /// Provider embeddings per text ([`Gateway::embed`]), under the cache's settings.
    pub embed_cache: EmbedCache,
    pub budget: Budget,
    pub pricing: Arc<Pricing>,
    /// Output tokens of a call that does not say; what the budget reserves for it.
    pub max_output_tokens: u32,
    pub(crate) observer: Arc<dyn Observer>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").field("router", &self.router).finish()
    }
}

/// A cautious token count of text: about three characters a token (code runs denser
/// than prose), so the budget reserves rather too much.
pub fn estimate_text_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(3)
}

/// A cautious token count of a request: its text ([`estimate_text_tokens`]) plus
/// framing per message.
pub fn estimate_tokens(request: &ChatRequest) -> u64 {
    let chars: usize = request
        .messages
        .iter()
        .map(|m| {
            m.content.len()
                + m.tool_calls
                    .iter()
                    .map(|c| c.arguments.to_string().len())
                    .sum::<usize>()
        })
        .sum::<usize>()
        + request
            .tools
            .iter()
            .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
            .sum::<usize>();
    estimate_text_tokens(chars) + 8 * request.messages.len() as u64
}

impl Gateway {
    pub fn new(
        router: Router,
        cache: Cache,
        budget: Budget,
        pricing: Pricing,
        max_output_tokens: u32,
    ) -> Self {
        // One writer for both, so a call's settlement and its answer share a batch.
        let mut cache = cache;
        cache.use_writer(budget.writer());
        let embed_cache = EmbedCache::new(budget.writer(), cache.config.enabled, cache.config.max_bytes);
        Self {
            router: Arc::new(router),
            cache,
            embed_cache,
            budget,
            pricing: Arc::new(pricing),
            max_output_tokens,
            observer: Arc::new(Silent),
        }
    }

    /// Writes every queued settlement, hit and cached answer. Call it before the
    /// process exits (what is still queued then is lost) and before reading the LLM
    /// tables directly; [`Budget::status`] and [`Cache::size`] do it themselves.
    pub async fn flush(&self) {
        self.budget.flush().await;
        if !self.cache.writer().same(self.budget.writer()) {
            self.cache.writer().flush().await;
        }
    }

    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// The whole answer and its report.
    pub async fn chat(
        &self,
        request: ChatRequest,
        options: CallOptions,
    ) -> Result<(ChatResponse, CallReport), LlmError> {
        let mut stream = self.chat_stream(request, options).await?;
        let mut events = Vec::new();
        let mut report = None;
        while let Some(item) = stream.next().await {
            match item? {
                GatewayEvent::Event { event } => events.push(Ok(event)),
                GatewayEvent::Done { report: r } => report = Some(r),
                GatewayEvent::Routed { .. } => {}
            }
        }
        let response = crate::stream::collect(Box::pin(futures_util::stream::iter(events))).await?;
        let report =
            report.ok_or_else(|| LlmError::protocol("gateway", "the call ended without a report"))?;
        Ok((response, report))
    }

    /// The answer as a stream: `Routed`, the provider's events, then `Done`.
    pub async fn chat_stream(
        &self,
        request: ChatRequest,
        options: CallOptions,
    ) -> Result<GatewayStream, LlmError> {
        let started = Instant::now();
        let mut request = request;
        if request.max_tokens.is_none() {
            request.max_tokens = Some(self.max_output_tokens);
        }
        let input_estimate = estimate_tokens(&request);
        let mut task = options.task.clone();
        task.estimated_tokens = task.estimated_tokens.max(input_estimate);
        let decision = self.router.decide(&task, options.tier, options.model.as_deref());
        tracing::debug!(tier = ?decision.tier, reason = %decision.reason, candidates = ?decision.candidates, "routed");
        let mut passed_over = decision.skipped.clone();
        let mut budget_error = None;
        let mut last_error = None;
        let cacheable = self.cache.config.enabled && !options.bypass_cache;
        for candidate in &decision.candidates {
            let mut call = request.clone();
            call.model = candidate.model.clone();
            let provider_id = candidate.provider.id().to_string();
            let route = Route {
                tier: candidate.tier,
                provider: provider_id.clone(),
                model: candidate.model.clone(),
                reason: if candidate.tier == decision.tier || decision.tier.is_none() {
                    decision.reason.clone()
                } else {
                    format!("fallback from {}", decision.tier.map(Tier::as_str).unwrap_or("?"))
                },
                cached: false,
                passed_over: passed_over.clone(),
            };
            let meta = CallMeta {
                provider: provider_id.clone(),
                model: candidate.model.clone(),
                tier: candidate.tier.map(|t| t.as_str().to_string()),
                operation: if options.operation.is_empty() {
                    "chat".into()
                } else {
                    options.operation.clone()
                },
                cacheable,
            };
            let key = cache::key(&provider_id, &call);
            if cacheable && let Some(hit) = self.cache.get(&key).await? {
                let usage = hit.response.usage.unwrap_or_default();
                let latency_ms = started.elapsed().as_millis() as u64;
                self.budget.record_hit(&meta, usage, hit.cost_usd, latency_ms);
                let route = Route {
                    cached: true,
                    ..route
                };
                self.observer.routed(&route);
                let report = CallReport {
                    route: route.clone(),
                    usage,
                    usage_reported: hit.response.usage.is_some(),
                    cost_usd: 0.0,
                    saved_usd: hit.cost_usd,
                    latency_ms,
                    finish: hit.response.finish.clone(),
                };
                self.observer.finished(&report);
                let events = replay(hit.response).map(|e| e.map(|event| GatewayEvent::Event { event }));
                let head = futures_util::stream::iter([Ok(GatewayEvent::Routed { route })]);
                let tail = futures_util::stream::iter([Ok(GatewayEvent::Done { report })]);
                return Ok(Box::pin(head.chain(events).chain(tail)));
            }
            let paid = candidate.provider.is_paid();
            let price = self.pricing.price(&candidate.model, paid);
            let estimate = if paid {
                price.cost(&Usage {
                    input: input_estimate,
                    output: u64::from(call.max_tokens.unwrap_or(self.max_output_tokens)),
                    cached: 0,
                    reasoning: 0,
                })
            } else {
                0.0
            };
            let reservation = match self.budget.reserve(&meta, estimate).await {
                Ok(id) => id,
                Err(e @ LlmError::BudgetExceeded { .. }) => {
                    passed_over.push(format!("{provider_id}:{}: {e}", candidate.model));
                    budget_error.get_or_insert(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            // Every error of the provider, before the call or in its stream, is scrubbed
            // of keys before it is logged, stored in the budget rows or returned.
            match candidate
                .provider
                .chat_stream(&call)
                .await
                .map_err(|e| candidate.provider.redact(e))
            {
                Ok(stream) => {
                    let provider = candidate.provider.clone();
                    let stream: ChatStream =
                        Box::pin(stream.map(move |item| item.map_err(|e| provider.redact(e))));
                    self.observer.routed(&route);
                    let stream = match &options.cancel {
                        Some(token) => with_cancel(stream, token.clone()),
                        None => stream,
                    };
                    let settle = SettleCtx {
                        gateway: self.clone(),
                        reservation,
                        key: cacheable.then_some(key),
                        candidate: candidate.clone(),
                        route: route.clone(),
                        price,
                        input_estimate,
                        started,
                    };
                    return Ok(accounted(stream, route, settle));
                }
                Err(e) => {
                    self.observer.failed(&provider_id, &e);
                    let failed = Settlement {
                        latency_ms: started.elapsed().as_millis() as u64,
                        error: Some(e.to_string()),
                        ..Settlement::default()
                    };
                    self.budget.settle(reservation, failed);
                    if !e.try_elsewhere() {
                        return Err(e);
                    }
                    tracing::warn!(provider = %provider_id, model = %candidate.model, error = %e, "provider failed; trying the next one");
                    passed_over.push(format!("{provider_id}:{}: {e}", candidate.model));
                    last_error = Some(e);
                }
            }
        }
        if let Some(e) = budget_error {
            return Err(e);
        }
        Err(last_error.unwrap_or_else(|| {
            LlmError::unavailable(
                "router",
                format!(
                    "no model can take this call: {}",
                    if passed_over.is_empty() {
                        "no provider is configured".to_string()
                    } else {
                        passed_over.join("; ")
                    }
                ),
            )
        }))
    }
}

/// Everything needed to settle a call once its stream ends or is dropped.
struct SettleCtx {
    gateway: Gateway,
    reservation: Reservation,
    key: Option<String>,
    candidate: Candidate,
    route: Route,
    price: crate::pricing::Price,
    input_estimate: u64,
    started: Instant,
}

/// What the stream has carried so far.
#[derive(Default)]
struct Seen {
    text: String,
    calls: Vec<(usize, ToolCall)>,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    error: Option<LlmError>,
}

impl SettleCtx {
    /// Records the call and returns its report.
    async fn settle(self, seen: Seen) -> CallReport {
        let usage_reported = seen.usage.is_some();
        // Without reported usage (cut short, or a server that sends none) the cost is
        // estimated from what was received, so the budget never undercounts to zero.
        let usage = seen.usage.unwrap_or(Usage {
            input: self.input_estimate,
            output: (seen.text.len() as u64).div_ceil(4),
            cached: 0,
            reasoning: 0,
        });
        let cost_usd = self.price.cost(&usage);
        let latency_ms = self.started.elapsed().as_millis() as u64;
        let finish = match (&seen.error, &seen.finish) {
            (Some(_), _) => FinishReason::Other("error".into()),
            (None, Some(f)) => f.clone(),
            (None, None) => FinishReason::Cancelled,
        };
        let settlement = Settlement {
            usage,
            cost_usd,
            latency_ms,
            error: seen.error.as_ref().map(ToString::to_string),
        };
        self.gateway.budget.settle(self.reservation, settlement);
        let complete = seen.error.is_none()
            && matches!(
                finish,
                FinishReason::Stop | FinishReason::ToolCalls | FinishReason::Length
            );
        if complete && let Some(key) = &self.key {
            let mut calls = seen.calls;
            calls.sort_by_key(|c| c.0);
            let response = ChatResponse {
                text: seen.text,
                tool_calls: calls.into_iter().map(|c| c.1).collect(),
                usage: usage_reported.then_some(usage),
                finish: finish.clone(),
            };
            self.gateway.cache.queue_put(
                key,
                self.candidate.provider.id(),
                &self.candidate.model,
                response,
                cost_usd,
            );
        }
        let report = CallReport {
            route: self.route,
            usage,
            usage_reported,
            cost_usd,
            saved_usd: 0.0,
            latency_ms,
            finish,
        };
        self.gateway.observer.finished(&report);
        report
    }
}

/// Settles on drop when the stream did not run to its end (the caller stopped it).
struct Guard {
    ctx: Option<SettleCtx>,
    seen: Option<Seen>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let (Some(ctx), Some(seen)) = (self.ctx.take(), self.seen.take())
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            handle.spawn(async move {
                ctx.settle(seen).await;
            });
        }
    }
}

fn accounted(inner: ChatStream, route: Route, ctx: SettleCtx) -> GatewayStream {
    enum State {
        Start(Route),
        Running,
        Finished,
    }
    let guard = Guard {
        ctx: Some(ctx),
        seen: Some(Seen::default()),
    };
    Box::pin(futures_util::stream::unfold(
        (State::Start(route), inner, guard),
        |(state, mut inner, mut guard)| async move {
            match state {
                State::Finished => None,
                State::Start(route) => {
                    Some((Ok(GatewayEvent::Routed { route }), (State::Running, inner, guard)))
                }
                State::Running => {
                    let item = inner.next().await;
                    let seen = guard.seen.as_mut().expect("seen until settled");
                    match item {
                        Some(Ok(event)) => {
                            match &event {
                                StreamEvent::Text { text } => seen.text.push_str(text),
                                StreamEvent::ToolCall { index, call } => {
                                    seen.calls.push((*index, call.clone()))
                                }
                                StreamEvent::Usage { usage } => seen.usage = Some(*usage),
                                StreamEvent::Finish { reason } => seen.finish = Some(reason.clone()),
                                StreamEvent::ToolCallDelta { .. } => {}
                            }
                            Some((Ok(GatewayEvent::Event { event }), (State::Running, inner, guard)))
                        }
                        Some(Err(e)) => {
                            seen.error = Some(e.clone());
                            let (ctx, seen) = (guard.ctx.take(), guard.seen.take());
                            if let (Some(ctx), Some(seen)) = (ctx, seen) {
                                ctx.settle(seen).await;
                            }
                            Some((Err(e), (State::Finished, inner, guard)))
                        }
                        None => {
                            let (ctx, seen) = (guard.ctx.take(), guard.seen.take());
                            let (Some(ctx), Some(seen)) = (ctx, seen) else {
                                return None;
                            };
                            let report = ctx.settle(seen).await;
                            Some((Ok(GatewayEvent::Done { report }), (State::Finished, inner, guard)))
                        }
                    }
                }
            }
        },
    ))
}
