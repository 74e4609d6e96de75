//! Measures the local models: `cargo run -p mira-models --example bench_models -- chat
//! GGUF [FORMAT...]` (prefill and decode speed, time to first token for a 1,000-token
//! prompt, memory) and `... -- embed DIR` (tokens/s at batch 32 x 128, memory).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use mira_models::{ChatLoadOptions, ChatModel, Embedder, GenerateParams, WeightFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("chat") if args.len() >= 2 => {
            let formats: Vec<WeightFormat> = if args.len() > 2 {
                args[2..].iter().map(|f| f.parse()).collect::<Result<_, _>>()?
            } else {
                vec![WeightFormat::DEFAULT]
            };
            for format in formats {
                chat(Path::new(&args[1]), format)?;
            }
            Ok(())
        }
        Some("embed") if args.len() == 2 => embed(Path::new(&args[1])),
        _ => Err("usage: bench_models chat GGUF [FORMAT...] | embed DIR".into()),
    }
}

fn chat(path: &Path, format: WeightFormat) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let model = ChatModel::load_with(
        path,
        &ChatLoadOptions {
            format,
            max_context: 4096,
        },
    )?;
    let load = t.elapsed();
    let text = "Mira indexes the symbols, call graph and git history of a repository so that an assistant can answer questions about it. ".repeat(60);
    let all = model.tokenize(&text)?;
    let cancel = AtomicBool::new(false);
    let params = GenerateParams {
        max_tokens: 64,
        ..GenerateParams::default()
    };
    // Warm-up, then the measured runs: a 199-token prompt with 64 greedy tokens, and a
    // 1,000-token prompt for time to first token.
    model.generate_from_tokens(
        &all[..32],
        &GenerateParams {
            max_tokens: 4,
            ..GenerateParams::default()
        },
        &cancel,
        &mut |_| {},
    )?;
    let mut decode = Vec::new();
    let mut prefill = Vec::new();
    for _ in 0..3 {
        let g = model.generate_from_tokens(&all[..199], &params, &cancel, &mut |_| {})?;
        prefill.push(199.0 / g.time_to_first_token.as_secs_f64());
        decode.push(g.decode_tokens_per_second());
    }
    let cpu_before = cpu_ms();
    let long = model.generate_from_tokens(
        &all[..1000],
        &GenerateParams {
            max_tokens: 8,
            ..GenerateParams::default()
        },
        &cancel,
        &mut |_| {},
    )?;
    let long_cpu = cpu_ms() - cpu_before;
    prefill.sort_by(f64::total_cmp);
    decode.sort_by(f64::total_cmp);
    println!(
        "chat {} format={:<9} load {:>5} ms  weights {:>4} MB  prefill(199) {:>6.0} tok/s  decode {:>5.1} tok/s (runs {:.1}-{:.1})  ttft(1000) {:>5} ms (CPU {} ms for it and 8 tokens)  peak RSS {} MB",
        model.name(),
        format.name(),
        load.as_millis(),
        model.weight_bytes() / 1_000_000,
        prefill[1],
        decode[1],
        decode[0],
        decode[2],
        long.time_to_first_token.as_millis(),
        long_cpu,
        peak_rss_mb()
    );
    Ok(())
}

fn embed(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let model = Embedder::load(dir)?;
    let filler = model.token_ids(&"semantic code search over a large repository ".repeat(40))?;
    // 32 rows of exactly 128 tokens: [CLS] + 126 words + [SEP].
    let row: Vec<u32> = std::iter::once(filler[0])
        .chain(filler[1..127].iter().copied())
        .chain(std::iter::once(*filler.last().unwrap_or(&102)))
        .collect();
    let batch: Vec<Vec<u32>> = (0..32).map(|_| row.clone()).collect();
    model.embed_ids(&batch)?;
    let mut rates = Vec::new();
    let cpu_before = cpu_ms();
    for _ in 0..5 {
        let t = Instant::now();
        model.embed_ids(&batch)?;
        rates.push((32 * 128) as f64 / t.elapsed().as_secs_f64());
    }
    let per_cpu_second = (5 * 32 * 128) as f64 / ((cpu_ms() - cpu_before).max(1) as f64 / 1000.0);
    rates.sort_by(f64::total_cmp);
    println!(
        "embed {} batch 32x128: median {:.0} tokens/s (runs {:.0}-{:.0}), {:.0} tokens per CPU-second  peak RSS {} MB",
        model.name(),
        rates[2],
        rates[0],
        rates[4],
        per_cpu_second,
        peak_rss_mb()
    );
    Ok(())
}

/// CPU time of this process so far (user + system), so a run on a busy machine still
/// tells what an idle one would do.
fn cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks * 10
}

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
