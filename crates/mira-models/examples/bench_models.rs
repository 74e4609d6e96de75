//! Measures the local models: `cargo run -p mira-models --example bench_models -- chat
//! GGUF [FORMAT...]` (prefill and decode speed, time to first token for a 1,000-token
//! prompt, memory), `... -- agree GGUF [FORMAT...]` (how often a format's greedy answers
//! follow f32's, token by token, over a fixed set of questions) and `... -- embed DIR`
//! (tokens/s at batch 32 x 128, memory).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use mira_models::{ChatLoadOptions, ChatMessage, ChatModel, Embedder, GenerateParams, Role, WeightFormat};

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
        Some("agree") if args.len() >= 2 => {
            let formats: Vec<WeightFormat> = if args.len() > 2 {
                args[2..].iter().map(|f| f.parse()).collect::<Result<_, _>>()?
            } else {
                vec![WeightFormat::DEFAULT]
            };
            agree(Path::new(&args[1]), &formats)
        }
        Some("embed") if args.len() == 2 => embed(Path::new(&args[1])),
        _ => Err("usage: bench_models chat GGUF [FORMAT...] | agree GGUF [FORMAT...] | embed DIR".into()),
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

/// Questions of the kinds Mira asks its local model, answered greedily.
const QUESTIONS: &[&str] = &[
    "What is the capital of France?",
    "What is the capital of Japan?",
    "How many days are in a week?",
    "What does the acronym CPU stand for?",
    "Explain what a hash map is in one sentence.",
    "Write a Python function that returns the square of a number.",
    "Write a Rust function that adds two integers.",
    "What is the difference between a process and a thread?",
    "Name three programming languages.",
    "What is git used for?",
    "Translate 'good morning' into Spanish.",
    "What colour is the sky on a clear day?",
    "What is 12 plus 30?",
    "Give me a name for a pet cat.",
    "What is recursion?",
    "Summarise the plot of Romeo and Juliet in one sentence.",
    "Why do we write unit tests?",
    "What is the boiling point of water in Celsius?",
    "Write a haiku about the sea.",
    "What is a compiler?",
    "List the planets closest to the sun.",
    "How do I reverse a list in Python?",
    "What does HTTP stand for?",
    "Who wrote Hamlet?",
    "What is the largest ocean on Earth?",
    "Explain what an API is to a child.",
    "What is a binary search?",
    "Suggest a title for a blog post about databases.",
    "What is the square root of 81?",
    "Why is the ocean salty?",
];

/// Greedy answers (24 tokens) of each format against f32's: the share whose first token
/// is the same, whose whole answer is the same, and how many tokens agree before the
/// first difference. Where a question is a near tie for the model, any rounding can pick
/// the other branch, so a format is judged over many questions rather than one.
fn agree(path: &Path, formats: &[WeightFormat]) -> Result<(), Box<dyn std::error::Error>> {
    let cancel = AtomicBool::new(false);
    let params = GenerateParams {
        max_tokens: 24,
        ..GenerateParams::default()
    };
    type Answers = Vec<(Vec<String>, Vec<f32>)>;
    let answers = |format: WeightFormat| -> Result<Answers, Box<dyn std::error::Error>> {
        let model = ChatModel::load_with(
            path,
            &ChatLoadOptions {
                format,
                max_context: 1024,
            },
        )?;
        QUESTIONS
            .iter()
            .map(|q| {
                let question = [ChatMessage::new(Role::User, *q)];
                let mut pieces = Vec::new();
                model.generate(&question, &params, &cancel, &mut |t| pieces.push(t.to_string()))?;
                Ok((pieces, model.next_token_logits(&question)?))
            })
            .collect()
    };
    let reference = answers("f32".parse()?)?;
    for &format in formats {
        let got = answers(format)?;
        let (mut first, mut whole, mut prefix, mut rms) = (0, 0, 0usize, 0f64);
        let mut differing = Vec::new();
        for ((q, (r, lr)), (g, lg)) in QUESTIONS.iter().zip(&reference).zip(&got) {
            let sq: f64 = lr.iter().zip(lg).map(|(a, b)| f64::from(a - b).powi(2)).sum();
            rms += (sq / lr.len().max(1) as f64).sqrt();
            let same = r.iter().zip(g).take_while(|(a, b)| a == b).count();
            prefix += same;
            first += usize::from(same > 0 || r.is_empty() && g.is_empty());
            if r == g {
                whole += 1;
            } else {
                differing.push(format!(
                    "{q:?}: f32 {:?} / {} {:?}",
                    r.concat(),
                    format.name(),
                    g.concat()
                ));
            }
        }
        let n = QUESTIONS.len();
        println!(
            "agree {} vs f32 over {n} questions: first token {first}/{n}, whole answer {whole}/{n}, mean tokens before the first difference {:.1} of 24, first-token logits {:.3} RMS from f32",
            format.name(),
            prefix as f64 / n as f64,
            rms / n as f64
        );
        for d in differing {
            println!("  differs: {d}");
        }
    }
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
