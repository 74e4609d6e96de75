//! Integer matrix products on CPUs with AVX-512 VNNI (detected at run time): weights as
//! int8 with one scale per output row and block of [`BLOCK`] input columns, inputs
//! quantised to int8 per row and block on the fly, and each block's inner products summed
//! exactly in 32-bit integers by `vpdpbusd` (64 multiply-adds per instruction against 16
//! for f32 FMA), then scaled and added up in f32.
//!
//! Why blocks: one scale per whole row let a single large value (the activations of
//! llama-family models have a few channels far larger than the rest) coarsen every other
//! value of the row, which moved the 135M model's logits by 1.3 (RMS) from f32 and flipped
//! greedy answers; scales per 64 columns bring that to about 0.25, below candle's Q8_0.
//!
//! Weights are packed once into panels of [`NR`] output rows, each group of 4 input
//! columns stored as 32 x 4 bytes, so one `vpdpbusd` adds 4 products into each of 16
//! outputs at once: a register tile of [`MR`] input rows x 32 outputs keeps its integer
//! and f32 accumulators in registers and needs no horizontal sums.
//!
//! `vpdpbusd` multiplies unsigned by signed bytes, so weights are stored shifted by +128
//! and the shift is taken back out exactly: dot(w + 128, x) = dot(w, x) + 128 sum(x), by
//! starting each block's integer sum at -128 sum(x). The f32 steps run in the same order
//! in the vector and portable code, so every tiling and thread split gives bit-identical
//! results.

use rayon::prelude::*;

/// Input columns per scale; columns must be a multiple of it.
pub const BLOCK: usize = 64;
/// Input columns must be a multiple of this.
pub const ALIGN: usize = BLOCK;
/// Groups of 4 columns per block.
const GROUPS: usize = BLOCK / 4;
/// Output rows per panel (two vectors of 16).
const NR: usize = 32;
/// Input rows per register tile: 6 rows x 2 vectors of integer sums and as many of f32
/// sums, plus the weights and scales, fill the 32 vector registers.
const MR: usize = 6;
/// A block of panels of about this many bytes stays in L2 while every row block passes.
const BLOCK_BYTES: usize = 160 * 1024;

pub struct ChannelInt8 {
    rows: usize,
    cols: usize,
    /// `rows.div_ceil(NR)` panels of `cols / 4` groups of `NR x 4` bytes, each w + 128.
    packed: Vec<u8>,
    /// Per panel, `cols / BLOCK` runs of `NR` scales (zeros past the last row).
    scales: Vec<f32>,
}

pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

impl ChannelInt8 {
    /// `data` is row-major `(rows, cols)`; `cols` must be a multiple of ALIGN.
    pub fn quantize(data: &[f32], rows: usize, cols: usize) -> ChannelInt8 {
        assert_eq!(data.len(), rows * cols);
        assert_eq!(cols % ALIGN, 0);
        let panels = rows.div_ceil(NR);
        let blocks = cols / BLOCK;
        let panel_bytes = cols * NR;
        let mut packed = vec![128u8; panels * panel_bytes];
        let mut scales = vec![0f32; panels * blocks * NR];
        packed
            .par_chunks_mut(panel_bytes)
            .zip(scales.par_chunks_mut(blocks * NR))
            .enumerate()
            .for_each(|(p, (panel, scales))| {
                for c in 0..NR.min(rows - p * NR) {
                    let row = &data[(p * NR + c) * cols..(p * NR + c + 1) * cols];
                    for (b, block) in row.chunks_exact(BLOCK).enumerate() {
                        let max = block.iter().fold(0f32, |m, v| m.max(v.abs()));
                        scales[b * NR + c] = max / 127.0;
                        let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
                        for (j, v) in block.iter().enumerate() {
                            let k = b * BLOCK + j;
                            let q = (v * inv).round().clamp(-127.0, 127.0) as i32 + 128;
                            panel[(k / 4) * NR * 4 + c * 4 + k % 4] = q as u8;
                        }
                    }
                }
            });
        ChannelInt8 {
            rows,
            cols,
            packed,
            scales,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn size_in_bytes(&self) -> usize {
        self.packed.len() + self.scales.len() * 4
    }

    /// `out (m, rows) = x (m, cols) W^T`. Fast with AVX-512 VNNI (`available()`), exact
    /// but slow without.
    pub fn matmul(&self, x: &[f32], m: usize, out: &mut [f32]) {
        assert_eq!(x.len(), m * self.cols);
        assert_eq!(out.len(), m * self.rows);
        if m == 0 || self.rows == 0 {
            return;
        }
        let input = QuantizedInput::new(x, m, self.cols);
        let n = self.rows;
        let panels = n.div_ceil(NR);
        let fast = available();
        if m <= MR {
            // Decoding (one or a few rows): the weights are read once, so the work is
            // split by panels; each task returns its columns for every row.
            let per_task = panels.div_ceil(rayon::current_num_threads().max(1) * 8).max(1);
            let parts: Vec<(usize, Vec<f32>)> = (0..panels.div_ceil(per_task))
                .into_par_iter()
                .map(|t| {
                    let (p0, p1) = (t * per_task, ((t + 1) * per_task).min(panels));
                    let width = (p1 * NR).min(n) - p0 * NR;
                    let mut part = vec![0f32; m * width];
                    self.run(&input, 0, m, p0, p1, &mut part, width, p0 * NR, fast);
                    (p0 * NR, part)
                })
                .collect();
            for (c0, part) in parts {
                let width = part.len() / m;
                for i in 0..m {
                    out[i * n + c0..i * n + c0 + width].copy_from_slice(&part[i * width..(i + 1) * width]);
                }
            }
            return;
        }
        // Prompts: parallel over groups of input rows; each task walks all panels.
        let threads = rayon::current_num_threads().max(1);
        let rows_per_task = m.div_ceil(threads * 4).div_ceil(MR) * MR;
        out.par_chunks_mut(rows_per_task * n)
            .enumerate()
            .for_each(|(t, out)| {
                let first = t * rows_per_task;
                let rows = out.len() / n;
                self.run(&input, first, rows, 0, panels, out, n, 0, fast);
            });
    }

    /// Rows `first..first+m` of the input times panels `p0..p1`, into `out` (row stride
    /// `ldo`, column `p0 * NR - c0` first).
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        input: &QuantizedInput,
        first: usize,
        m: usize,
        p0: usize,
        p1: usize,
        out: &mut [f32],
        ldo: usize,
        c0: usize,
        fast: bool,
    ) {
        let blocks = self.cols / BLOCK;
        let panel_bytes = self.cols * NR;
        let per_block = (BLOCK_BYTES / panel_bytes.max(1)).max(1);
        let mut pb = p0;
        while pb < p1 {
            let pe = (pb + per_block).min(p1);
            let mut i0 = 0;
            while i0 < m {
                let mr = MR.min(m - i0);
                let (r0, r1) = (first + i0, first + i0 + mr);
                for p in pb..pe {
                    let nr = NR.min(self.rows - p * NR);
                    let col = p * NR - c0;
                    let dst = &mut out[i0 * ldo + col..];
                    let tile = Tile {
                        blocks,
                        x: &input.values[r0 * self.cols..],
                        ldx: self.cols,
                        w: &self.packed[p * panel_bytes..(p + 1) * panel_bytes],
                        x_scales: &input.scales[r0 * blocks..r1 * blocks],
                        x_shifts: &input.shifts[r0 * blocks..r1 * blocks],
                        w_scales: &self.scales[p * blocks * NR..(p + 1) * blocks * NR],
                        nr,
                    };
                    assert!(dst.len() >= (mr - 1) * ldo + nr && tile.x.len() >= mr * self.cols);
                    #[cfg(target_arch = "x86_64")]
                    if fast {
                        // SAFETY: `available()` checked the features; the slices hold the
                        // rows, blocks and columns the tile reads and writes (asserted above
                        // and by the slicing).
                        unsafe { by_rows(mr, &tile, dst, ldo) };
                        continue;
                    }
                    let _ = fast;
                    tile_portable(mr, &tile, dst, ldo);
                }
                i0 += mr;
            }
            pb = pe;
        }
    }
}

/// One register tile: `mr` quantised input rows times one panel.
struct Tile<'a> {
    blocks: usize,
    x: &'a [i8],
    ldx: usize,
    w: &'a [u8],
    /// Row-major `(mr, blocks)`.
    x_scales: &'a [f32],
    /// `-128 * sum` of each row's block, row-major `(mr, blocks)`.
    x_shifts: &'a [i32],
    /// `blocks` runs of `NR`.
    w_scales: &'a [f32],
    nr: usize,
}

#[cfg(target_arch = "x86_64")]
unsafe fn by_rows(mr: usize, t: &Tile, out: &mut [f32], ldo: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match mr {
            1 => tile_vnni::<1>(t, out, ldo),
            2 => tile_vnni::<2>(t, out, ldo),
            3 => tile_vnni::<3>(t, out, ldo),
            4 => tile_vnni::<4>(t, out, ldo),
            5 => tile_vnni::<5>(t, out, ldo),
            6 => tile_vnni::<6>(t, out, ldo),
            _ => unreachable!("tile rows out of range"),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn tile_vnni<const R: usize>(t: &Tile, out: &mut [f32], ldo: usize) {
    use std::arch::x86_64::*;
    let w = |from: usize| t.nr.saturating_sub(from).min(16);
    let mask = |w: usize| -> __mmask16 { if w == 16 { 0xFFFF } else { ((1u32 << w) - 1) as u16 } };
    let (m0, m1) = (mask(w(0)), mask(w(16)));
    // SAFETY (whole body): the caller guarantees R rows of `blocks * BLOCK` bytes in `x`,
    // a whole panel in `w`, `blocks * NR` weight scales, R x blocks input scales and
    // shifts, and R rows of `nr` values in `out`; unaligned reads are used.
    unsafe {
        let mut sum = [[_mm512_setzero_ps(); 2]; R];
        let mut wp = t.w.as_ptr();
        let xp = t.x.as_ptr();
        for b in 0..t.blocks {
            let mut acc = [[_mm512_setzero_si512(); 2]; R];
            for (i, acc) in acc.iter_mut().enumerate() {
                let shift = _mm512_set1_epi32(*t.x_shifts.get_unchecked(i * t.blocks + b));
                *acc = [shift, shift];
            }
            for g in 0..GROUPS {
                let w0 = _mm512_loadu_si512(wp as *const _);
                let w1 = _mm512_loadu_si512(wp.add(64) as *const _);
                for (i, acc) in acc.iter_mut().enumerate() {
                    let x4 = (xp.add(i * t.ldx + (b * GROUPS + g) * 4) as *const i32).read_unaligned();
                    let xv = _mm512_set1_epi32(x4);
                    acc[0] = _mm512_dpbusd_epi32(acc[0], w0, xv);
                    acc[1] = _mm512_dpbusd_epi32(acc[1], w1, xv);
                }
                wp = wp.add(NR * 4);
            }
            let s0 = _mm512_loadu_ps(t.w_scales.as_ptr().add(b * NR));
            let s1 = _mm512_loadu_ps(t.w_scales.as_ptr().add(b * NR + 16));
            for (i, (acc, sum)) in acc.iter().zip(sum.iter_mut()).enumerate() {
                // The same order as the portable code: ((dot - 128 sum) * sx) * sw + total.
                let sx = _mm512_set1_ps(*t.x_scales.get_unchecked(i * t.blocks + b));
                sum[0] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[0]), sx), s0, sum[0]);
                sum[1] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[1]), sx), s1, sum[1]);
            }
        }
        for (i, sum) in sum.iter().enumerate() {
            let row = out.as_mut_ptr().add(i * ldo);
            _mm512_mask_storeu_ps(row, m0, sum[0]);
            _mm512_mask_storeu_ps(row.add(16), m1, sum[1]);
        }
    }
}

/// The same sums and scaling without vector instructions (other CPUs, and the tests'
/// check of the fast kernel).
fn tile_portable(mr: usize, t: &Tile, out: &mut [f32], ldo: usize) {
    for i in 0..mr {
        let x = &t.x[i * t.ldx..i * t.ldx + t.blocks * BLOCK];
        for c in 0..t.nr {
            let mut total = 0f32;
            for b in 0..t.blocks {
                let mut dot = t.x_shifts[i * t.blocks + b];
                for g in b * GROUPS..(b + 1) * GROUPS {
                    for k in 0..4 {
                        dot += t.w[g * NR * 4 + c * 4 + k] as i32 * x[g * 4 + k] as i32;
                    }
                }
                let scaled = dot as f32 * t.x_scales[i * t.blocks + b];
                total = scaled.mul_add(t.w_scales[b * NR + c], total);
            }
            out[i * ldo + c] = total;
        }
    }
}

/// One block's quantised values, scale and shift, and its input.
type BlockOf<'a> = ((&'a mut [i8], (&'a mut f32, &'a mut i32)), &'a [f32]);

/// Input rows as int8 with one scale per block, plus each block's -128 * sum (the
/// correction for the weights' +128 shift).
struct QuantizedInput {
    values: Vec<i8>,
    scales: Vec<f32>,
    shifts: Vec<i32>,
}

impl QuantizedInput {
    fn new(x: &[f32], m: usize, cols: usize) -> Self {
        let blocks = cols / BLOCK;
        let mut values = vec![0i8; m * cols];
        let mut scales = vec![0f32; m * blocks];
        let mut shifts = vec![0i32; m * blocks];
        let quantize = |((q, (scale, shift)), v): BlockOf<'_>| {
            let max = v.iter().fold(0f32, |m, v| m.max(v.abs()));
            *scale = max / 127.0;
            let inv = if max > 0.0 { 127.0 / max } else { 0.0 };
            let mut s = 0i32;
            for (q, v) in q.iter_mut().zip(v) {
                // Round half away from zero without a libm call, so the loop vectorises.
                let scaled = (v * inv).clamp(-127.0, 127.0);
                *q = (scaled + 0.5f32.copysign(scaled)) as i8;
                s += *q as i32;
            }
            *shift = -128 * s;
        };
        if m < 8 {
            // A decoding step: not worth waking other threads.
            values
                .chunks_mut(BLOCK)
                .zip(scales.iter_mut().zip(shifts.iter_mut()))
                .zip(x.chunks(BLOCK))
                .for_each(quantize);
        } else {
            values
                .par_chunks_mut(BLOCK)
                .zip(scales.par_iter_mut().zip(shifts.par_iter_mut()))
                .zip(x.par_chunks(BLOCK))
                .with_min_len(64)
                .for_each(quantize);
        }
        QuantizedInput {
            values,
            scales,
            shifts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(rows: usize, cols: usize) -> Vec<f32> {
        (0..rows * cols)
            .map(|i| (i * 7919 % 997) as f32 / 498.0 - 1.0)
            .collect()
    }

    #[test]
    fn the_vector_kernel_gives_the_same_bits_as_the_portable_one() {
        // Partial panels, partial row tiles, decode and prompt paths.
        for &(rows, cols) in &[(10usize, 64usize), (70, 192), (96, 576)] {
            let w = weights(rows, cols);
            let m = ChannelInt8::quantize(&w, rows, cols);
            for batch in [1usize, 3, 6, 7, 13, 40] {
                let x: Vec<f32> = (0..batch * cols).map(|i| (i as f32 * 0.37).sin()).collect();
                let mut fast = vec![0f32; batch * rows];
                m.matmul(&x, batch, &mut fast);
                let input = QuantizedInput::new(&x, batch, cols);
                let mut slow = vec![0f32; batch * rows];
                m.run(&input, 0, batch, 0, rows.div_ceil(NR), &mut slow, rows, 0, false);
                assert_eq!(fast, slow, "rows {rows} cols {cols} batch {batch}");
            }
        }
    }

    #[test]
    fn products_match_f32_within_quantisation_error() {
        let (rows, cols) = (10, 128);
        let w = weights(rows, cols);
        let m = ChannelInt8::quantize(&w, rows, cols);
        for batch in [1usize, 3, 9, 30] {
            let x: Vec<f32> = (0..batch * cols).map(|i| (i as f32 * 0.37).sin()).collect();
            let mut out = vec![0f32; batch * rows];
            m.matmul(&x, batch, &mut out);
            for i in 0..batch {
                for r in 0..rows {
                    let exact: f32 = (0..cols).map(|c| w[r * cols + c] * x[i * cols + c]).sum();
                    let scale: f32 = (0..cols).map(|c| (w[r * cols + c] * x[i * cols + c]).abs()).sum();
                    assert!(
                        (out[i * rows + r] - exact).abs() <= scale * 0.03 + 1e-3,
                        "batch {batch} row {i} col {r}: {} vs {exact}",
                        out[i * rows + r]
                    );
                }
            }
        }
    }

    #[test]
    fn one_large_input_value_only_coarsens_its_own_block() {
        // Llama-family activations have a few channels far larger than the rest; with one
        // scale per row they would leave the other values a handful of levels.
        let (rows, cols) = (4, 256);
        let w = weights(rows, cols);
        let m = ChannelInt8::quantize(&w, rows, cols);
        let mut x: Vec<f32> = (0..cols).map(|i| (i as f32 * 0.37).sin() * 0.05).collect();
        x[3] = 60.0;
        let mut out = vec![0f32; rows];
        m.matmul(&x, 1, &mut out);
        for r in 0..rows {
            // The block holding the large value, exactly; the rest is what must survive.
            let big: f32 = (0..BLOCK).map(|c| w[r * cols + c] * x[c]).sum();
            let rest: f32 = (BLOCK..cols).map(|c| w[r * cols + c] * x[c]).sum();
            let rest_scale: f32 = (BLOCK..cols).map(|c| (w[r * cols + c] * x[c]).abs()).sum();
            // Within its own block everything small rounds to zero (half a level of
            // 60 / 127 each, at most) and the large value meets the weights' rounding.
            let w_block = &w[r * cols..r * cols + BLOCK];
            let w_max = w_block.iter().fold(0f32, |m, v| m.max(v.abs()));
            let big_bound: f32 =
                w_block.iter().map(|v| v.abs()).sum::<f32>() * 60.0 / 254.0 + 60.0 * w_max / 254.0;
            let err = (out[r] - big - rest).abs();
            assert!(
                err <= big_bound + rest_scale * 0.03,
                "row {r}: {} vs {}, rest {rest} (scale {rest_scale})",
                out[r],
                big + rest
            );
        }
    }
}
