//! `C = A B (+ bias) (+ C)` in f32, with the right-hand matrix read as column panels of
//! [`NR`] values: weights are packed into that layout once at load ([`Packed`]), and a
//! row-major matrix whose rows are already NR-aligned runs (the values of one attention
//! head inside the fused q/k/v output) is read in place ([`Rhs::row_major`]), so neither
//! needs a transposed copy per call.
//!
//! The register tile is MR rows by NR = 32 columns: with AVX-512, 12 rows x 2 vectors =
//! 24 accumulators, each step of k one broadcast of an A value per row and two loads of
//! B for 24 FMAs; with AVX2, 6 rows x 2 vectors per half panel.

use super::Level;

/// Columns per panel.
pub const NR: usize = 32;
const MR_AVX512: usize = 12;
const MR_AVX2: usize = 6;
const MR_PORTABLE: usize = 4;
/// A block of B panels of about this many bytes stays in L2 while every row block of A
/// passes over it.
const BLOCK_BYTES: usize = 192 * 1024;

/// The right-hand operand: `k` rows by `n` columns. Panel `p` (columns `p*NR..`) starts
/// at `p * panel_stride`, and its row `kk` at `+ kk * ldb`.
#[derive(Clone, Copy)]
pub struct Rhs<'a> {
    data: &'a [f32],
    k: usize,
    n: usize,
    ldb: usize,
    panel_stride: usize,
    /// Every panel has NR readable values per row (zero padded), so loads need no mask.
    padded: bool,
}

impl<'a> Rhs<'a> {
    /// A row-major `(k, n)` matrix with row stride `ldb`, read in place.
    pub fn row_major(data: &'a [f32], k: usize, n: usize, ldb: usize) -> Rhs<'a> {
        assert!(ldb >= n);
        if k > 0 && n > 0 {
            assert!(data.len() >= (k - 1) * ldb + n, "row-major operand too short");
        }
        Rhs {
            data,
            k,
            n,
            ldb,
            panel_stride: NR,
            padded: false,
        }
    }

    /// Data already in the packed layout (zero-padded panels of `k x NR`), such as a key
    /// cache that appends each key as one column.
    pub fn panels(data: &'a [f32], k: usize, n: usize) -> Rhs<'a> {
        assert!(data.len() >= n.div_ceil(NR) * k * NR, "packed operand too short");
        Rhs {
            data,
            k,
            n,
            ldb: NR,
            panel_stride: k * NR,
            padded: true,
        }
    }
}

/// A matrix packed once into zero-padded panels, each `k x NR` and contiguous.
pub struct Packed {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl Packed {
    /// From a row-major `(n, k)` matrix, as stored by a PyTorch `Linear` (`y = x W^T`).
    pub fn from_transposed(w: &[f32], n: usize, k: usize) -> Packed {
        assert_eq!(w.len(), n * k);
        Packed::from_transposed_strided(w, n, k, k)
    }

    /// The same from `n` rows of `k` values, `ld` apart (one head's keys inside the fused
    /// q/k/v output).
    pub fn from_transposed_strided(w: &[f32], n: usize, k: usize, ld: usize) -> Packed {
        assert!(ld >= k);
        if n > 0 {
            assert!(w.len() >= (n - 1) * ld + k);
        }
        let mut data = vec![0f32; n.div_ceil(NR) * k * NR];
        for j in 0..n {
            let row = &w[j * ld..j * ld + k];
            let (p, col) = (j / NR, j % NR);
            let panel = &mut data[p * k * NR..(p + 1) * k * NR];
            for (kk, &v) in row.iter().enumerate() {
                panel[kk * NR + col] = v;
            }
        }
        Packed { k, n, data }
    }

    /// From a row-major `(k, n)` matrix.
    #[cfg(test)]
    pub fn from_row_major(b: &[f32], k: usize, n: usize) -> Packed {
        assert_eq!(b.len(), k * n);
        let mut data = vec![0f32; n.div_ceil(NR) * k * NR];
        for (kk, row) in b.chunks_exact(n.max(1)).enumerate().take(k) {
            for (j, &v) in row.iter().enumerate() {
                data[(j / NR) * k * NR + kk * NR + j % NR] = v;
            }
        }
        Packed { k, n, data }
    }

    pub fn rhs(&self) -> Rhs<'_> {
        Rhs {
            data: &self.data,
            k: self.k,
            n: self.n,
            ldb: NR,
            panel_stride: self.k * NR,
            padded: true,
        }
    }
}

/// Where a product goes: `c` row-major with stride `ldc`, plus an optional bias per column,
/// added to what `c` holds when `accumulate` (a residual connection for free).
pub struct Out<'a> {
    pub c: &'a mut [f32],
    pub ldc: usize,
    pub bias: Option<&'a [f32]>,
    pub accumulate: bool,
}

/// `out = a (m x k, row stride lda) . b`, on this thread.
pub fn gemm(level: Level, a: &[f32], m: usize, lda: usize, b: Rhs, out: Out) {
    let level = level.min(super::level());
    check(a, m, lda, &b, &out);
    if m == 0 || b.n == 0 {
        return;
    }
    // SAFETY: `check` proved every index the tiles touch is inside the slices.
    unsafe { gemm_unchecked(level, a.as_ptr(), m, lda, &b, out.c.as_mut_ptr(), &out) }
}

fn check(a: &[f32], m: usize, lda: usize, b: &Rhs, out: &Out) {
    assert!(lda >= b.k, "lda {lda} < k {}", b.k);
    assert!(out.ldc >= b.n, "ldc {} < n {}", out.ldc, b.n);
    if m > 0 {
        assert!(a.len() >= (m - 1) * lda + b.k, "left operand too short");
        if b.n > 0 {
            assert!(out.c.len() >= (m - 1) * out.ldc + b.n, "output too short");
        }
    }
    if let Some(bias) = out.bias {
        assert!(bias.len() >= b.n, "bias too short");
    }
    if b.padded {
        assert!(b.data.len() >= b.n.div_ceil(NR) * b.panel_stride);
    }
}

fn mr_max(level: Level) -> usize {
    match level {
        Level::Avx512 => MR_AVX512,
        Level::Avx2 => MR_AVX2,
        Level::Portable => MR_PORTABLE,
    }
}

/// One register tile: `mr` rows of A times one panel of B.
struct Tile {
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    ldb: usize,
    /// Valid columns in this panel (1..=NR).
    nr: usize,
    /// B has NR readable values per row.
    full: bool,
    c: *mut f32,
    ldc: usize,
    bias: *const f32,
    accumulate: bool,
}

/// # Safety
/// The operands must hold every element `check` requires, and `level` must be supported.
unsafe fn gemm_unchecked(level: Level, a: *const f32, m: usize, lda: usize, b: &Rhs, c: *mut f32, out: &Out) {
    let (k, n) = (b.k, b.n);
    let mr_max = mr_max(level);
    let panels = n.div_ceil(NR);
    let per_block = (BLOCK_BYTES / (k.max(1) * NR * 4)).max(1);
    let mut pb = 0;
    while pb < panels {
        let pe = (pb + per_block).min(panels);
        let mut i0 = 0;
        while i0 < m {
            let mr = mr_max.min(m - i0);
            for p in pb..pe {
                let nr = NR.min(n - p * NR);
                // SAFETY (all offsets): rows i0..i0+mr < m and columns p*NR..p*NR+nr <= n,
                // which `check` proved to be in bounds.
                let tile = unsafe {
                    Tile {
                        k,
                        a: a.add(i0 * lda),
                        lda,
                        b: b.data.as_ptr().add(p * b.panel_stride),
                        ldb: b.ldb,
                        nr,
                        full: b.padded || nr == NR,
                        c: c.add(i0 * out.ldc + p * NR),
                        ldc: out.ldc,
                        bias: out.bias.map_or(std::ptr::null(), |v| v.as_ptr().add(p * NR)),
                        accumulate: out.accumulate,
                    }
                };
                // SAFETY: as above; the level was checked against the CPU by the caller.
                unsafe { run_tile(level, mr, &tile) };
            }
            i0 += mr;
        }
        pb = pe;
    }
}

macro_rules! by_rows {
    ($f:ident, $mr:expr, $t:expr, [$($n:literal),*]) => {
        match $mr {
            $($n => $f::<$n>($t),)*
            _ => unreachable!("tile rows out of range"),
        }
    };
}

unsafe fn run_tile(level: Level, mr: usize, t: &Tile) {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller checked the CPU has AVX-512 (`Level` is clamped to `level()`).
        Level::Avx512 => unsafe { by_rows!(tile_avx512, mr, t, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, AVX2 and FMA.
        Level::Avx2 => unsafe { by_rows!(tile_avx2, mr, t, [1, 2, 3, 4, 5, 6]) },
        // SAFETY: pointers as documented on `Tile`.
        _ => unsafe { tile_portable(mr, t) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn tile_avx512<const MR: usize>(t: &Tile) {
    use std::arch::x86_64::*;
    let mask = |from: usize| -> __mmask16 {
        let w = t.nr.saturating_sub(from).min(16);
        if w == 16 { 0xFFFF } else { ((1u32 << w) - 1) as u16 }
    };
    let (m0, m1) = (mask(0), mask(16));
    // Masked loads never fault on the lanes they leave out, so a short last panel of a
    // row-major operand reads nothing past its end.
    let (l0, l1) = if t.full { (0xFFFF, 0xFFFF) } else { (m0, m1) };
    // SAFETY (whole body): the caller guarantees MR rows of `k` values from `a`, `k` rows
    // of `nr` (or NR when `full`) values from `b`, and MR rows of `nr` values in `c`.
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); 2]; MR];
        if t.accumulate {
            for (i, acc) in acc.iter_mut().enumerate() {
                let row = t.c.add(i * t.ldc);
                acc[0] = _mm512_maskz_loadu_ps(m0, row);
                acc[1] = _mm512_maskz_loadu_ps(m1, row.add(16));
            }
        }
        let mut a = t.a;
        let mut b = t.b;
        for _ in 0..t.k {
            let b0 = _mm512_maskz_loadu_ps(l0, b);
            let b1 = _mm512_maskz_loadu_ps(l1, b.add(16));
            for (i, acc) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*a.add(i * t.lda));
                acc[0] = _mm512_fmadd_ps(x, b0, acc[0]);
                acc[1] = _mm512_fmadd_ps(x, b1, acc[1]);
            }
            a = a.add(1);
            b = b.add(t.ldb);
        }
        let (bias0, bias1) = if t.bias.is_null() {
            (_mm512_setzero_ps(), _mm512_setzero_ps())
        } else {
            (
                _mm512_maskz_loadu_ps(m0, t.bias),
                _mm512_maskz_loadu_ps(m1, t.bias.add(16)),
            )
        };
        for (i, acc) in acc.iter().enumerate() {
            let row = t.c.add(i * t.ldc);
            _mm512_mask_storeu_ps(row, m0, _mm512_add_ps(acc[0], bias0));
            _mm512_mask_storeu_ps(row.add(16), m1, _mm512_add_ps(acc[1], bias1));
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_avx2<const MR: usize>(t: &Tile) {
    use std::arch::x86_64::*;
    // Sixteen columns (two vectors) at a time: 6 rows x 2 = 12 accumulators of 16 registers.
    for half in 0..2 {
        let c0 = half * 16;
        if c0 >= t.nr {
            break;
        }
        let lanes = |from: usize| -> __m256i {
            let w = (t.nr - c0).saturating_sub(from).min(8) as i32;
            _mm256_setr_epi32(
                -((w > 0) as i32),
                -((w > 1) as i32),
                -((w > 2) as i32),
                -((w > 3) as i32),
                -((w > 4) as i32),
                -((w > 5) as i32),
                -((w > 6) as i32),
                -((w > 7) as i32),
            )
        };
        let (m0, m1) = (lanes(0), lanes(8));
        let all = t.nr - c0 >= 16;
        let b_full = t.full || all;
        // SAFETY (whole body): as for the AVX-512 tile; masked loads and stores touch only
        // the valid columns.
        unsafe {
            let load = |p: *const f32, m: __m256i, full: bool| -> __m256 {
                if full {
                    _mm256_loadu_ps(p)
                } else {
                    _mm256_maskload_ps(p, m)
                }
            };
            let mut acc = [[_mm256_setzero_ps(); 2]; MR];
            if t.accumulate {
                for (i, acc) in acc.iter_mut().enumerate() {
                    let row = t.c.add(i * t.ldc + c0);
                    acc[0] = load(row, m0, all);
                    acc[1] = load(row.add(8), m1, all);
                }
            }
            let mut a = t.a;
            let mut b = t.b.add(c0);
            for _ in 0..t.k {
                let b0 = load(b, m0, b_full);
                let b1 = load(b.add(8), m1, b_full);
                for (i, acc) in acc.iter_mut().enumerate() {
                    let x = _mm256_set1_ps(*a.add(i * t.lda));
                    acc[0] = _mm256_fmadd_ps(x, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(x, b1, acc[1]);
                }
                a = a.add(1);
                b = b.add(t.ldb);
            }
            let (bias0, bias1) = if t.bias.is_null() {
                (_mm256_setzero_ps(), _mm256_setzero_ps())
            } else {
                (load(t.bias.add(c0), m0, all), load(t.bias.add(c0 + 8), m1, all))
            };
            for (i, acc) in acc.iter().enumerate() {
                let row = t.c.add(i * t.ldc + c0);
                let (v0, v1) = (_mm256_add_ps(acc[0], bias0), _mm256_add_ps(acc[1], bias1));
                if all {
                    _mm256_storeu_ps(row, v0);
                    _mm256_storeu_ps(row.add(8), v1);
                } else {
                    _mm256_maskstore_ps(row, m0, v0);
                    _mm256_maskstore_ps(row.add(8), m1, v1);
                }
            }
        }
    }
}

/// The same tile in plain Rust (other CPUs, and the reference in the tests).
unsafe fn tile_portable(mr: usize, t: &Tile) {
    for i in 0..mr {
        let mut acc = [0f32; NR];
        // SAFETY (whole loop): in bounds as documented on `Tile`.
        unsafe {
            let row = t.c.add(i * t.ldc);
            if t.accumulate {
                for (j, acc) in acc.iter_mut().enumerate().take(t.nr) {
                    *acc = *row.add(j);
                }
            }
            for kk in 0..t.k {
                let x = *t.a.add(i * t.lda + kk);
                let b = t.b.add(kk * t.ldb);
                for (j, acc) in acc.iter_mut().enumerate().take(t.nr) {
                    *acc += x * *b.add(j);
                }
            }
            for (j, acc) in acc.iter().enumerate().take(t.nr) {
                let bias = if t.bias.is_null() { 0.0 } else { *t.bias.add(j) };
                *row.add(j) = acc + bias;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::available_levels;
    use super::*;

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.0 - 1.0)
            .collect()
    }

    /// Plain triple loop in f64.
    fn reference(a: &[f32], m: usize, lda: usize, b: &[f32], k: usize, n: usize, ldb: usize) -> Vec<f64> {
        let mut c = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k)
                    .map(|kk| a[i * lda + kk] as f64 * b[kk * ldb + j] as f64)
                    .sum();
            }
        }
        c
    }

    #[test]
    fn every_level_matches_the_reference_for_packed_and_in_place_operands() {
        // Shapes with partial row tiles, partial panels and one-column products.
        for &(m, k, n) in &[
            (1, 1, 1),
            (5, 7, 3),
            (13, 64, 32),
            (25, 40, 70),
            (12, 384, 96),
            (130, 33, 17),
        ] {
            let lda = k + 3;
            let a = values(m * lda, 1);
            let b = values(k * n, 2);
            let bias = values(n, 3);
            let expect = reference(&a, m, lda, &b, k, n, n);
            // B^T as a Linear weight, for `from_transposed`.
            let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let packed = Packed::from_transposed(&bt, n, k);
            let packed2 = Packed::from_row_major(&b, k, n);
            for level in available_levels() {
                for (name, rhs) in [
                    ("packed", packed.rhs()),
                    ("packed from rows", packed2.rhs()),
                    ("in place", Rhs::row_major(&b, k, n, n)),
                ] {
                    let ldc = n + 5;
                    let start = values(m * ldc, 4);
                    let mut c = start.clone();
                    gemm(
                        level,
                        &a,
                        m,
                        lda,
                        rhs,
                        Out {
                            c: &mut c,
                            ldc,
                            bias: Some(&bias),
                            accumulate: true,
                        },
                    );
                    let mut c2 = vec![0f32; m * ldc];
                    gemm(
                        level,
                        &a,
                        m,
                        lda,
                        rhs,
                        Out {
                            c: &mut c2,
                            ldc,
                            bias: None,
                            accumulate: false,
                        },
                    );
                    for i in 0..m {
                        for j in 0..ldc {
                            if j >= n {
                                assert_eq!(
                                    c[i * ldc + j],
                                    start[i * ldc + j],
                                    "{level:?} {name} wrote past n"
                                );
                                assert_eq!(c2[i * ldc + j], 0.0);
                                continue;
                            }
                            let e = expect[i * n + j];
                            let tol = 1e-5 * (k as f64).sqrt() + 1e-5;
                            let got = c[i * ldc + j] as f64;
                            let want = e + bias[j] as f64 + start[i * ldc + j] as f64;
                            assert!(
                                (got - want).abs() < tol,
                                "{level:?} {name} ({m},{k},{n}) [{i},{j}]: {got} vs {want}"
                            );
                            assert!(
                                (c2[i * ldc + j] as f64 - e).abs() < tol,
                                "{level:?} {name} no bias"
                            );
                        }
                    }
                }
            }
        }
    }
}
