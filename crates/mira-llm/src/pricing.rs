//! What model calls cost: a built-in table of list prices (US dollars per million
//! tokens), overridden per model by LLM_PRICES, and the cost of a call's usage.

use std::collections::HashMap;

use serde::Serialize;

use crate::types::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    /// Per million uncached input tokens.
    pub input: f64,
    pub output: f64,
    /// Per million input tokens read from the provider's prompt cache.
    pub cached: f64,
    /// Some models charge more for every token once the prompt passes a size
    /// (Gemini Pro above 200k tokens): that threshold and price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_context: Option<(u64, LongPrice)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LongPrice {
    pub input: f64,
    pub output: f64,
    pub cached: f64,
}

const fn p(input: f64, output: f64, cached: f64) -> Price {
    Price {
        input,
        output,
        cached,
        long_context: None,
    }
}

/// List prices at the time of writing. Names match by longest prefix, so dated
/// snapshots (`gpt-5.1-2025-11-13`) find their family.
const DEFAULTS: &[(&str, Price)] = &[
    ("gpt-5.1-mini", p(0.25, 2.0, 0.025)),
    ("gpt-5.1-nano", p(0.05, 0.4, 0.005)),
    ("gpt-5.1", p(1.25, 10.0, 0.125)),
    ("gpt-5-mini", p(0.25, 2.0, 0.025)),
    ("gpt-5-nano", p(0.05, 0.4, 0.005)),
    ("gpt-5", p(1.25, 10.0, 0.125)),
    ("gpt-4.1-mini", p(0.4, 1.6, 0.1)),
    ("gpt-4.1", p(2.0, 8.0, 0.5)),
    ("gpt-4o-mini", p(0.15, 0.6, 0.075)),
    ("gpt-4o", p(2.5, 10.0, 1.25)),
    // Embedding models are billed per input token only. From the providers' pricing
    // pages (OpenAI's model pages, Google's Gemini API pricing) at the time of writing;
    // LLM_PRICES overrides them like any other (`text-embedding-3-small=0.02:0`).
    ("text-embedding-3-small", p(0.02, 0.0, 0.0)),
    ("text-embedding-3-large", p(0.13, 0.0, 0.0)),
    ("text-embedding-ada-002", p(0.10, 0.0, 0.0)),
    (
        "gemini-3-pro",
        Price {
            input: 2.0,
            output: 12.0,
            cached: 0.2,
            long_context: Some((
                200_000,
                LongPrice {
                    input: 4.0,
                    output: 18.0,
                    cached: 0.4,
                },
            )),
        },
    ),
    (
        "gemini-2.5-pro",
        Price {
            input: 1.25,
            output: 10.0,
            cached: 0.125,
            long_context: Some((
                200_000,
                LongPrice {
                    input: 2.5,
                    output: 15.0,
                    cached: 0.25,
                },
            )),
        },
    ),
    ("gemini-2.5-flash-lite", p(0.1, 0.4, 0.01)),
    ("gemini-2.5-flash", p(0.3, 2.5, 0.03)),
    // Gemini API, standard (not batch) price; see the embedding models above.
    ("gemini-embedding-001", p(0.15, 0.0, 0.0)),
    ("claude-opus-4-5", p(5.0, 25.0, 0.5)),
    ("claude-opus-4", p(15.0, 75.0, 1.5)),
    ("claude-sonnet-4", p(3.0, 15.0, 0.3)),
    ("claude-haiku-4-5", p(1.0, 5.0, 0.1)),
    ("claude-3-5-haiku", p(0.8, 4.0, 0.08)),
];

/// What an unknown model of a paid provider is assumed to cost, so the budget check
/// errs on the safe side; LLM_PRICES sets the real price.
pub const UNKNOWN_PAID: Price = p(15.0, 75.0, 1.5);

#[derive(Debug, Clone, Default)]
pub struct Pricing {
    overrides: HashMap<String, Price>,
}

impl Pricing {
    /// The built-in table with LLM_PRICES applied (`model=in:out[:cached];...`).
    pub fn from_config(prices: Option<&str>) -> Result<Self, String> {
        let mut overrides = HashMap::new();
        for entry in prices
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (model, numbers) = entry
                .split_once('=')
                .ok_or_else(|| format!("LLM_PRICES entry `{entry}` needs MODEL=INPUT:OUTPUT"))?;
            let n: Vec<f64> = numbers
                .split(':')
                .map(|x| x.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| format!("LLM_PRICES entry `{entry}`: prices must be numbers"))?;
            let price = match n.as_slice() {
                [i, o] => p(*i, *o, *i),
                [i, o, c] => p(*i, *o, *c),
                _ => return Err(format!("LLM_PRICES entry `{entry}` needs 2 or 3 prices")),
            };
            overrides.insert(model.trim().to_string(), price);
        }
        Ok(Self { overrides })
    }

    /// The price of `model`; `None` for a model nobody priced.
    pub fn find(&self, model: &str) -> Option<Price> {
        if let Some(price) = self.overrides.get(model) {
            return Some(*price);
        }
        DEFAULTS
            .iter()
            .filter(|(name, _)| model.starts_with(name))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, price)| *price)
    }

    /// The price used for a call: free for unpriced models of free providers (local,
    /// OpenAI-compatible servers), the cautious [`UNKNOWN_PAID`] for unpriced paid ones.
    pub fn price(&self, model: &str, paid: bool) -> Price {
        self.find(model)
            .unwrap_or(if paid { UNKNOWN_PAID } else { p(0.0, 0.0, 0.0) })
    }

    /// Every priced model, overrides included, for `mira budget --prices`.
    pub fn table(&self) -> Vec<(String, Price)> {
        let mut rows: HashMap<String, Price> = DEFAULTS.iter().map(|(n, p)| (n.to_string(), *p)).collect();
        rows.extend(self.overrides.iter().map(|(n, p)| (n.clone(), *p)));
        let mut rows: Vec<_> = rows.into_iter().collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }
}

impl Price {
    /// US dollars for `usage`.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let (input, output, cached) = match self.long_context {
            Some((threshold, long)) if usage.input > threshold => (long.input, long.output, long.cached),
            _ => (self.input, self.output, self.cached),
        };
        let cached_tokens = usage.cached.min(usage.input);
        let uncached = usage.input - cached_tokens;
        (uncached as f64 * input + cached_tokens as f64 * cached + usage.output as f64 * output) / 1e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, output: u64, cached: u64) -> Usage {
        Usage {
            input,
            output,
            cached,
            reasoning: 0,
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let pricing = Pricing::default();
        assert_eq!(pricing.find("gpt-5.1-mini-2025-11-13").unwrap().input, 0.25);
        assert_eq!(pricing.find("gpt-5.1").unwrap().input, 1.25);
        assert!(pricing.find("llama3.2:3b").is_none());
    }

    #[test]
    fn cost_counts_cached_tokens_at_their_price() {
        let price = Pricing::default().find("gpt-5.1").unwrap();
        // 1M input of which 400k cached, 100k output.
        let cost = price.cost(&usage(1_000_000, 100_000, 400_000));
        assert!(
            (cost - (0.6 * 1.25 + 0.4 * 0.125 + 0.1 * 10.0)).abs() < 1e-9,
            "{cost}"
        );
    }

    #[test]
    fn gemini_pro_long_prompts_cost_more() {
        let price = Pricing::default().find("gemini-3-pro-preview").unwrap();
        let short = price.cost(&usage(100_000, 0, 0));
        let long = price.cost(&usage(300_000, 0, 0));
        assert!((short - 0.2).abs() < 1e-9);
        assert!((long - 1.2).abs() < 1e-9);
    }

    #[test]
    fn embedding_models_cost_their_input_only() {
        let pricing = Pricing::default();
        for (model, per_million) in [
            ("gemini-embedding-001", 0.15),
            ("text-embedding-3-small", 0.02),
            ("text-embedding-3-large", 0.13),
        ] {
            let cost = pricing.price(model, true).cost(&usage(2_000_000, 0, 0));
            assert!((cost - 2.0 * per_million).abs() < 1e-12, "{model}: {cost}");
        }
        let overridden = Pricing::from_config(Some("text-embedding-3-small=0.5:0")).unwrap();
        assert_eq!(overridden.price("text-embedding-3-small", true).input, 0.5);
    }

    #[test]
    fn overrides_and_unknown_models() {
        let pricing = Pricing::from_config(Some("gpt-5.1=2:20:0.2; my-model=1:1")).unwrap();
        assert_eq!(pricing.find("gpt-5.1").unwrap().output, 20.0);
        assert_eq!(pricing.price("my-model", true).input, 1.0);
        assert_eq!(pricing.price("unknown", false).input, 0.0);
        assert_eq!(pricing.price("unknown", true), UNKNOWN_PAID);
        assert!(Pricing::from_config(Some("x=1")).is_err());
    }
}
