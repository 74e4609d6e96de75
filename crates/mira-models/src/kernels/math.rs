//! Element-wise and per-row steps in one pass each: layer norm, softmax with its scale,
//! GELU. Each is written once as plain Rust over slices (with 16 independent partial sums
//! where a row is reduced, so the compiler may vectorise without reordering one sum) and
//! compiled three times: for AVX-512, for AVX2 with FMA, and for the baseline target;
//! [`Level`] picks one at run time. `exp` and `erf` are polynomial approximations
//! (Cephes' `expf`, Eigen's rational `erf`) because the library calls do not vectorise.

use super::Level;

const LANES: usize = 16;

/// Defines `pub fn $name(level, args...)` that runs `$body` compiled for that level.
macro_rules! multiversion {
    ($(#[$meta:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident) => {
        $(#[$meta])*
        pub fn $name(level: Level, $($arg: $ty),*) $(-> $ret)? {
            match level.min(super::level()) {
                #[cfg(target_arch = "x86_64")]
                Level::Avx512 => {
                    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
                    unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                        $body($($arg),*)
                    }
                    // SAFETY: the level is clamped to what the CPU supports.
                    unsafe { fast($($arg),*) }
                }
                #[cfg(target_arch = "x86_64")]
                Level::Avx2 => {
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn fast($($arg: $ty),*) $(-> $ret)? {
                        $body($($arg),*)
                    }
                    // SAFETY: the level is clamped to what the CPU supports.
                    unsafe { fast($($arg),*) }
                }
                _ => $body($($arg),*),
            }
        }
    };
}

multiversion! {
    /// Normalises each row of `x` (rows of `gamma.len()` values) to zero mean and unit
    /// variance, then scales by `gamma` and shifts by `beta`.
    pub fn layer_norm(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) => layer_norm_body
}

multiversion! {
    /// Root-mean-square norm of each row (rows of `gamma.len()` values), scaled by `gamma`.
    pub fn rms_norm(x: &mut [f32], gamma: &[f32], eps: f32) => rms_norm_body
}

multiversion! {
    /// `row = softmax(row * scale)`.
    pub fn softmax(row: &mut [f32], scale: f32) => softmax_body
}

multiversion! {
    /// GELU with the exact (erf) form: `x/2 (1 + erf(x/sqrt 2))`.
    pub fn gelu_erf(x: &mut [f32]) => gelu_erf_body
}

multiversion! {
    /// GELU with the tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
    pub fn gelu_tanh(x: &mut [f32]) => gelu_tanh_body
}

multiversion! {
    /// `out[i] = silu(gate[i]) * up[i]` (SwiGLU).
    pub fn silu_mul(gate: &[f32], up: &[f32], out: &mut [f32]) => silu_mul_body
}

#[inline(always)]
fn sum(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = x.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = if v > *a { v } else { *a };
        }
    }
    acc.iter().fold(tail, |m, &v| if v > m { v } else { m })
}

#[inline(always)]
fn layer_norm_body(x: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let d = gamma.len();
    assert!(d > 0 && beta.len() == d && x.len().is_multiple_of(d));
    for row in x.chunks_exact_mut(d) {
        let mean = sum(row) / d as f32;
        let mut acc = [0f32; LANES];
        let chunks = row.chunks_exact(LANES);
        let tail: f32 = chunks.remainder().iter().map(|v| (v - mean) * (v - mean)).sum();
        for c in chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += (v - mean) * (v - mean);
            }
        }
        let var = (acc.iter().sum::<f32>() + tail) / d as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

#[inline(always)]
fn rms_norm_body(x: &mut [f32], gamma: &[f32], eps: f32) {
    let d = gamma.len();
    assert!(d > 0 && x.len().is_multiple_of(d));
    for row in x.chunks_exact_mut(d) {
        let mut acc = [0f32; LANES];
        let chunks = row.chunks_exact(LANES);
        let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
        for c in chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += v * v;
            }
        }
        let inv = 1.0 / ((acc.iter().sum::<f32>() + tail) / d as f32 + eps).sqrt();
        for (v, g) in row.iter_mut().zip(gamma) {
            *v = *v * inv * g;
        }
    }
}

#[inline(always)]
fn softmax_body(row: &mut [f32], scale: f32) {
    if row.is_empty() {
        return;
    }
    let m = max(row);
    for v in row.iter_mut() {
        *v = exp((*v - m) * scale);
    }
    let inv = 1.0 / sum(row);
    for v in row.iter_mut() {
        *v *= inv;
    }
}

#[inline(always)]
fn gelu_erf_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[inline(always)]
fn gelu_tanh_body(x: &mut [f32]) {
    const C: f32 = 0.797_884_6; // sqrt(2 / pi)
    for v in x.iter_mut() {
        let y = C * (*v + 0.044_715 * *v * *v * *v);
        // tanh y = 1 - 2 / (exp(2y) + 1), exact enough and free of library calls.
        let t = 1.0 - 2.0 / (exp(2.0 * y) + 1.0);
        *v = 0.5 * *v * (1.0 + t);
    }
}

#[inline(always)]
fn silu_mul_body(gate: &[f32], up: &[f32], out: &mut [f32]) {
    assert!(gate.len() == out.len() && up.len() == out.len());
    for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
        *o = g / (1.0 + exp(-g)) * u;
    }
}

/// `e^x` within about 2 ulp for x in [-87, 88] (clamped outside): Cephes' `expf`, with the
/// rounding to an integer done by adding 1.5 * 2^23 so that it vectorises.
// The coefficients are written as published, even where f32 cannot hold every digit.
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let y = p * r * r + r + 1.0;
    // The integer n sits in the low bits of t.
    let n = t.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    y * f32::from_bits(((n + 127) as u32) << 23)
}

/// erf within a few ulp: the rational approximation Eigen and XLA use (x clamped to
/// [-4, 4], where erf is +-1 in f32).
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = x2 * -2.726_142_3e-10 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_599_8e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = x2 * -1.456_607_2e-5 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329_3e-3;
    q = q * x2 + -1.426_473_9e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::super::available_levels;
    use super::*;

    /// erf by its Taylor series in f64 (converges well for |x| <= 4).
    fn erf_ref(x: f64) -> f64 {
        let (mut term, mut total) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            total += term / (2 * n + 1) as f64;
        }
        total * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_and_erf_are_accurate() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let e = (x as f64).exp();
            assert!(
                ((exp(x) as f64) - e).abs() <= e * 3e-7,
                "exp({x}) = {} vs {e}",
                exp(x)
            );
        }
        for i in -600..=600 {
            let x = i as f32 / 100.0;
            let e = if x.abs() <= 4.0 {
                erf_ref(x as f64)
            } else {
                (x as f64).signum()
            };
            // A few ulp of 1.0 near the clamp, far below what GELU needs.
            assert!(((erf(x) as f64) - e).abs() < 5e-7, "erf({x}) = {} vs {e}", erf(x));
        }
    }

    #[test]
    fn every_level_matches_plain_formulas() {
        let x: Vec<f32> = (0..1000).map(|i| ((i * 37) % 101) as f32 / 10.0 - 5.0).collect();
        let d = 40;
        let gamma: Vec<f32> = (0..d).map(|i| 0.5 + i as f32 / 40.0).collect();
        let beta: Vec<f32> = (0..d).map(|i| i as f32 / 100.0).collect();
        for level in available_levels() {
            let mut ln = x.clone();
            layer_norm(level, &mut ln, &gamma, &beta, 1e-12);
            let mut rms = x.clone();
            rms_norm(level, &mut rms, &gamma, 1e-6);
            for (r, row) in x.chunks(d).enumerate() {
                let mean = row.iter().map(|&v| v as f64).sum::<f64>() / d as f64;
                let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / d as f64;
                let ms = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / d as f64;
                for j in 0..d {
                    let want =
                        (row[j] as f64 - mean) / (var + 1e-12).sqrt() * gamma[j] as f64 + beta[j] as f64;
                    assert!((ln[r * d + j] as f64 - want).abs() < 1e-5, "{level:?} layer norm");
                    let want = row[j] as f64 / (ms + 1e-6).sqrt() * gamma[j] as f64;
                    assert!((rms[r * d + j] as f64 - want).abs() < 1e-5, "{level:?} rms norm");
                }
            }
            for len in [1, 15, 16, 17, 129] {
                let mut row = x[..len].to_vec();
                softmax(level, &mut row, 0.7);
                let m = x[..len].iter().cloned().fold(f64::MIN, |a, b| a.max(b as f64));
                let total: f64 = x[..len].iter().map(|&v| ((v as f64 - m) * 0.7).exp()).sum();
                for (g, &v) in row.iter().zip(&x[..len]) {
                    let want = ((v as f64 - m) * 0.7).exp() / total;
                    assert!((*g as f64 - want).abs() < 1e-6, "{level:?} softmax");
                }
            }
            let mut g = x.clone();
            gelu_erf(level, &mut g);
            let mut t = x.clone();
            gelu_tanh(level, &mut t);
            let mut s = vec![0f32; x.len()];
            silu_mul(level, &x, &g, &mut s);
            for i in 0..x.len() {
                let v = x[i] as f64;
                let want = 0.5 * v * (1.0 + erf_ref(v / 2f64.sqrt()));
                assert!((g[i] as f64 - want).abs() < 1e-6, "{level:?} gelu({v})");
                let want = 0.5
                    * v
                    * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v)).tanh());
                assert!((t[i] as f64 - want).abs() < 1e-5, "{level:?} gelu_tanh({v})");
                let want = v / (1.0 + (-v).exp()) * g[i] as f64;
                assert!(
                    (s[i] as f64 - want).abs() < 1e-5 * want.abs().max(1.0),
                    "{level:?} silu"
                );
            }
        }
    }
}
