//! Weight matrices as 8-bit integers with one f32 scale per 32 values (the Q8_0 layout),
//! multiplied by our own kernels. Decoding one token is a matrix-vector product over every
//! weight, so its speed is the speed of reading the weights: 8 bits per weight read with
//! AVX2 and FMA (detected at run time, so the build needs no CPU flags) is about four
//! times less memory traffic than f32. candle's own Q8_0 kernels only vectorise when the
//! whole build is compiled for the CPU, which Mira's build does not assume.
//!
//! Prompts (many rows at once) are matrix-matrix products: there the matrix is expanded
//! to f32 one at a time and multiplied by candle's gemm, which is compute-bound anyway.

use candle_core::{Device, Tensor};
use rayon::prelude::*;

pub const BLOCK: usize = 32;

pub struct Int8Matrix {
    rows: usize,
    cols: usize,
    values: Vec<i8>,
    /// One scale per block of BLOCK values of a row.
    scales: Vec<f32>,
}

impl Int8Matrix {
    /// Quantises a row-major `(rows, cols)` f32 matrix; `cols` must be a multiple of BLOCK.
    pub fn quantize(data: &[f32], rows: usize, cols: usize) -> Int8Matrix {
        assert_eq!(data.len(), rows * cols);
        assert_eq!(cols % BLOCK, 0, "columns must be a multiple of {BLOCK}");
        let mut values = vec![0i8; rows * cols];
        let mut scales = vec![0f32; rows * cols / BLOCK];
        values
            .par_chunks_mut(BLOCK)
            .zip(scales.par_iter_mut())
            .zip(data.par_chunks(BLOCK))
            .for_each(|((q, scale), x)| {
                let max = x.iter().fold(0f32, |m, v| m.max(v.abs()));
                *scale = max / 127.0;
                let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
                for (q, v) in q.iter_mut().zip(x) {
                    *q = (v * inv).round().clamp(-127.0, 127.0) as i8;
                }
            });
        Int8Matrix {
            rows,
            cols,
            values,
            scales,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn size_in_bytes(&self) -> usize {
        self.values.len() + self.scales.len() * 4
    }

    /// Row `r` as f32.
    #[cfg(test)]
    pub fn row(&self, r: usize) -> Vec<f32> {
        let q = &self.values[r * self.cols..(r + 1) * self.cols];
        let s = &self.scales[r * self.cols / BLOCK..(r + 1) * self.cols / BLOCK];
        q.chunks(BLOCK)
            .zip(s)
            .flat_map(|(block, &scale)| block.iter().map(move |&v| v as f32 * scale))
            .collect()
    }

    /// `W x` for one input vector: one output per row.
    pub fn matvec(&self, x: &[f32], out: &mut [f32]) {
        assert_eq!(x.len(), self.cols);
        assert_eq!(out.len(), self.rows);
        let blocks = self.cols / BLOCK;
        // 64 rows per task: large enough to amortise scheduling, small enough to balance
        // two cores on the narrowest matrices (576 rows).
        out.par_chunks_mut(64).enumerate().for_each(|(chunk, out)| {
            for (i, o) in out.iter_mut().enumerate() {
                let r = chunk * 64 + i;
                let q = &self.values[r * self.cols..(r + 1) * self.cols];
                let s = &self.scales[r * blocks..(r + 1) * blocks];
                *o = dot(q, s, x);
            }
        });
    }

    /// The whole matrix as f32, for multiplying many rows at once.
    pub fn dequantize(&self, device: &Device) -> candle_core::Result<Tensor> {
        let mut data = vec![0f32; self.rows * self.cols];
        data.par_chunks_mut(BLOCK)
            .zip(self.values.par_chunks(BLOCK))
            .zip(self.scales.par_iter())
            .for_each(|((out, q), &scale)| {
                for (o, &v) in out.iter_mut().zip(q) {
                    *o = v as f32 * scale;
                }
            });
        Tensor::from_vec(data, (self.rows, self.cols), device)
    }
}

fn dot(q: &[i8], scales: &[f32], x: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports the features the function is compiled for (checked
            // just above); slices have matching lengths (q and x: cols, scales: cols/BLOCK).
            return unsafe { dot_avx2(q, scales, x) };
        }
    }
    dot_scalar(q, scales, x)
}

fn dot_scalar(q: &[i8], scales: &[f32], x: &[f32]) -> f32 {
    q.chunks(BLOCK)
        .zip(x.chunks(BLOCK))
        .zip(scales)
        .map(|((q, x), &s)| s * q.iter().zip(x).map(|(&a, &b)| a as f32 * b).sum::<f32>())
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(q: &[i8], scales: &[f32], x: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    debug_assert_eq!(q.len(), x.len());
    debug_assert_eq!(q.len(), scales.len() * BLOCK);
    let mut total = _mm256_setzero_ps();
    let qp = q.as_ptr();
    let xp = x.as_ptr();
    for (b, &scale) in scales.iter().enumerate() {
        let base = b * BLOCK;
        // SAFETY: base + 32 <= len for every block; unaligned loads are used throughout.
        unsafe {
            let mut acc = _mm256_setzero_ps();
            for g in 0..4 {
                let off = base + g * 8;
                let bytes = _mm_loadl_epi64(qp.add(off) as *const __m128i);
                let w = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
                acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(xp.add(off)), acc);
            }
            total = _mm256_fmadd_ps(acc, _mm256_set1_ps(scale), total);
        }
    }
    // Horizontal sum of the 8 lanes.
    let hi = _mm256_extractf128_ps(total, 1);
    let lo = _mm256_castps256_ps128(total);
    let s = _mm_add_ps(hi, lo);
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rows: usize, cols: usize) -> Vec<f32> {
        (0..rows * cols)
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * (1.0 + (i % 13) as f32))
            .collect()
    }

    #[test]
    fn matvec_matches_the_f32_product_within_quantisation_error() {
        let (rows, cols) = (130, 96);
        let w = sample(rows, cols);
        let x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.37).sin()).collect();
        let m = Int8Matrix::quantize(&w, rows, cols);
        let mut out = vec![0.0; rows];
        m.matvec(&x, &mut out);
        for r in 0..rows {
            let exact: f32 = (0..cols).map(|c| w[r * cols + c] * x[c]).sum();
            let bound: f32 = (0..cols).map(|c| w[r * cols + c].abs() * x[c].abs()).sum::<f32>() / 100.0;
            assert!(
                (out[r] - exact).abs() <= bound + 1e-4,
                "row {r}: {} vs {exact}",
                out[r]
            );
        }
    }

    #[test]
    fn the_vector_kernel_agrees_with_the_scalar_one() {
        let (rows, cols) = (3, 576);
        let m = Int8Matrix::quantize(&sample(rows, cols), rows, cols);
        let x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.11).cos()).collect();
        for r in 0..rows {
            let q = &m.values[r * cols..(r + 1) * cols];
            let s = &m.scales[r * cols / BLOCK..(r + 1) * cols / BLOCK];
            let a = dot(q, s, &x);
            let b = dot_scalar(q, s, &x);
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn rows_and_dequantize_round_trip() {
        let (rows, cols) = (4, 64);
        let w = sample(rows, cols);
        let m = Int8Matrix::quantize(&w, rows, cols);
        let dense = m.dequantize(&Device::Cpu).unwrap().to_vec2::<f32>().unwrap();
        for r in 0..rows {
            assert_eq!(dense[r], m.row(r));
            for c in 0..cols {
                assert!((dense[r][c] - w[r * cols + c]).abs() <= 14.0 / 127.0);
            }
        }
    }
}
