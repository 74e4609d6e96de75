//! Mira's own CPU kernels for the hot loops of both models: an f32 matrix product over
//! packed panels (`gemm`) and the element-wise steps around it (`math`: layer norm,
//! softmax, GELU). candle's CPU path spends much of a BERT pass on transposed copies,
//! separate passes for scaling, masking and `exp`, and a scalar `erf`; these do each step
//! in one pass over data that is still in cache.
//!
//! The build assumes no CPU flags: every entry point takes a [`Level`] detected at run
//! time (AVX-512, AVX2 with FMA, or portable code), so one binary runs on any x86-64 and
//! the tests can run every level the machine has against a plain reference.

pub mod gemm;
pub mod math;

use std::sync::OnceLock;

/// The instruction sets a kernel may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Plain Rust, whatever the compiler makes of it for the baseline target.
    Portable,
    /// AVX2 and FMA (x86-64 since 2013).
    Avx2,
    /// AVX-512 F/BW/DQ/VL with FMA.
    Avx512,
}

/// The best level this CPU supports (detected once).
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(detect)
}

fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vl") && has!("fma") {
            return Level::Avx512;
        }
        if has!("avx2") && has!("fma") {
            return Level::Avx2;
        }
    }
    Level::Portable
}

/// Every level up to the detected one (the tests compare each against the portable code).
#[cfg(test)]
pub fn available_levels() -> Vec<Level> {
    [Level::Portable, Level::Avx2, Level::Avx512]
        .into_iter()
        .filter(|l| *l <= level())
        .collect()
}
