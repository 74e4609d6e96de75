//! How weight matrices are held in memory. A GGUF file fixes how weights are stored on
//! disk, not how fast they multiply: on this kind of CPU the Q4_1 that SmolLM2 ships in
//! decodes at about half the speed of F16 or Q8_0, so weights are converted once at load.

use std::str::FromStr;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::int8::Int8Matrix;
use super::vnni::{self, ChannelInt8};

/// The in-memory format of the matrices (`MIRA_LOCAL_MODEL_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightFormat {
    /// Keep whatever the file stores.
    AsStored,
    F32,
    F16,
    Q8_0,
    Q4K,
    /// 8-bit values with per-32 scales, multiplied by Mira's own vector kernels.
    Int8,
}

impl WeightFormat {
    /// Chosen by measurement on a 2-core x86-64 machine (docs/benchmarks.md).
    pub const DEFAULT: WeightFormat = WeightFormat::Int8;

    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::AsStored => "as-stored",
            WeightFormat::F32 => "f32",
            WeightFormat::F16 => "f16",
            WeightFormat::Q8_0 => "q8_0",
            WeightFormat::Q4K => "q4k",
            WeightFormat::Int8 => "int8",
        }
    }
}

impl FromStr for WeightFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" | "default" => WeightFormat::DEFAULT,
            "as-stored" | "stored" => WeightFormat::AsStored,
            "f32" => WeightFormat::F32,
            "f16" => WeightFormat::F16,
            "q8_0" | "q8" => WeightFormat::Q8_0,
            "q4k" | "q4_k" => WeightFormat::Q4K,
            "int8" => WeightFormat::Int8,
            other => {
                return Err(format!(
                    "unknown weight format '{other}': use auto, as-stored, f32, f16, q8_0 or q4k"
                ));
            }
        })
    }
}

/// A weight matrix `(out, in)` applied as `x @ W^T`.
pub enum Matrix {
    /// Dense f32, multiplied by candle's gemm.
    Dense(Tensor),
    Quantized(QMatMul),
    Int8(Int8Matrix),
    Channel(ChannelInt8),
}

impl Matrix {
    /// Converts a stored tensor into `format`. Quantized targets need rows that are a
    /// multiple of the block size; other matrices fall back to f32.
    pub fn convert(stored: QTensor, format: WeightFormat, device: &Device) -> candle_core::Result<Matrix> {
        let cols = stored.shape().dims().last().copied().unwrap_or(0);
        if format == WeightFormat::Int8 {
            let dense = stored.dequantize(device)?;
            let (rows, cols) = dense.dims2()?;
            if vnni::available() && cols % vnni::ALIGN == 0 {
                let data = dense.flatten_all()?.to_vec1::<f32>()?;
                return Ok(Matrix::Channel(ChannelInt8::quantize(&data, rows, cols)));
            }
            if cols % super::int8::BLOCK == 0 {
                let data = dense.flatten_all()?.to_vec1::<f32>()?;
                return Ok(Matrix::Int8(Int8Matrix::quantize(&data, rows, cols)));
            }
            return Ok(Matrix::Dense(dense));
        }
        let target = match format {
            WeightFormat::Int8 => unreachable!("handled above"),
            WeightFormat::AsStored => None,
            WeightFormat::F32 => Some(GgmlDType::F32),
            WeightFormat::F16 => Some(GgmlDType::F16),
            WeightFormat::Q8_0 => Some(GgmlDType::Q8_0),
            WeightFormat::Q4K => Some(GgmlDType::Q4K),
        };
        match target {
            None => Ok(Matrix::Quantized(QMatMul::from_qtensor(stored)?)),
            Some(GgmlDType::F32) => Ok(Matrix::Dense(stored.dequantize(device)?)),
            Some(dtype) if cols % dtype.block_size() != 0 => Ok(Matrix::Dense(stored.dequantize(device)?)),
            Some(dtype) if dtype == stored.dtype() => Ok(Matrix::Quantized(QMatMul::from_qtensor(stored)?)),
            Some(GgmlDType::F16) => {
                let dense = stored.dequantize(device)?.to_dtype(DType::F16)?;
                Ok(Matrix::Quantized(QMatMul::TensorF16(dense)))
            }
            Some(dtype) => {
                let dense = stored.dequantize(device)?;
                Ok(Matrix::Quantized(QMatMul::from_qtensor(QTensor::quantize(
                    &dense, dtype,
                )?)?))
            }
        }
    }

    /// Stacks matrices with the same input size into one, so that one multiplication does
    /// the work of several (q, k and v; gate and up): fewer, larger calls are what makes
    /// single-token decoding fast, where per-call overhead dominates.
    pub fn fuse(parts: Vec<QTensor>, format: WeightFormat, device: &Device) -> candle_core::Result<Matrix> {
        let dense: Vec<Tensor> = parts
            .iter()
            .map(|p| p.dequantize(device))
            .collect::<candle_core::Result<_>>()?;
        let stacked = Tensor::cat(&dense, 0)?;
        let stored = QTensor::quantize(&stacked, GgmlDType::F32)?;
        let format = if format == WeightFormat::AsStored {
            // Fusing needs one dtype; keep the first part's.
            match parts[0].dtype() {
                GgmlDType::F16 => WeightFormat::F16,
                GgmlDType::Q8_0 => WeightFormat::Q8_0,
                GgmlDType::Q4K => WeightFormat::Q4K,
                _ => WeightFormat::F32,
            }
        } else {
            format
        };
        Matrix::convert(stored, format, device)
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Matrix::Dense(w) => match x.rank() {
                3 => {
                    let (b, l, d) = x.dims3()?;
                    x.reshape((b * l, d))?.matmul(&w.t()?)?.reshape((b, l, ()))
                }
                _ => x.matmul(&w.t()?),
            },
            Matrix::Quantized(q) => q.forward(x),
            Matrix::Int8(m) => {
                let dims = x.dims().to_vec();
                let cols = *dims.last().unwrap_or(&0);
                let rows = x.elem_count() / cols.max(1);
                let mut out_dims = dims.clone();
                *out_dims.last_mut().expect("rank >= 1") = m.rows();
                if rows == 1 {
                    let input = x.flatten_all()?.to_vec1::<f32>()?;
                    let mut out = vec![0f32; m.rows()];
                    m.matvec(&input, &mut out);
                    Tensor::from_vec(out, out_dims, x.device())
                } else {
                    let w = m.dequantize(x.device())?;
                    x.reshape((rows, cols))?.matmul(&w.t()?)?.reshape(out_dims)
                }
            }
            Matrix::Channel(m) => {
                let dims = x.dims().to_vec();
                let cols = *dims.last().unwrap_or(&0);
                let rows = x.elem_count() / cols.max(1);
                let mut out_dims = dims;
                *out_dims.last_mut().expect("rank >= 1") = m.rows();
                let input = x.flatten_all()?.to_vec1::<f32>()?;
                let mut out = vec![0f32; rows * m.rows()];
                m.matmul(&input, rows, &mut out);
                Tensor::from_vec(out, out_dims, x.device())
            }
        }
    }

    /// `x (m, cols) W^T` on plain row-major slices: the integer kernels directly, the
    /// other formats through candle.
    pub fn forward_rows(&self, x: &[f32], m: usize) -> candle_core::Result<Vec<f32>> {
        if let Matrix::Channel(c) = self {
            let mut out = vec![0f32; m * c.rows()];
            c.matmul(x, m, &mut out);
            return Ok(out);
        }
        let cols = x.len() / m.max(1);
        let t = Tensor::from_slice(x, (m, cols), &Device::Cpu)?;
        self.forward(&t)?.to_dtype(DType::F32)?.flatten_all()?.to_vec1()
    }

    pub fn size_in_bytes(&self) -> usize {
        match self {
            Matrix::Dense(t) => t.elem_count() * t.dtype().size_in_bytes(),
            Matrix::Quantized(QMatMul::QTensor(q)) => q.storage_size_in_bytes(),
            Matrix::Quantized(QMatMul::Tensor(t) | QMatMul::TensorF16(t)) => {
                t.elem_count() * t.dtype().size_in_bytes()
            }
            Matrix::Int8(m) => m.size_in_bytes(),
            Matrix::Channel(m) => m.size_in_bytes(),
        }
    }
}
