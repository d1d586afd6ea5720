//! Conformance adapter for candle-core 0.9 (`Tensor::read_npy`): `candle_adapter FILE`.
//!
//! candle reads a file into a tensor of its own element types: `u8` (also for bools),
//! `u32`, `i16`, `i32`, `i64`, `f16`, `f32`, `f64`. The adapter reports the descr of
//! the tensor's type (little-endian, as candle decodes) and hashes the tensor's items
//! in its logical (C) order; a tensor has no order flag, so `fortran_order` is reported
//! as unknown (`null`). candle has no header-length limit (NPY_MAX_HEADER_LEN is
//! ignored).

use std::process::ExitCode;

use candle_core::{DType, Tensor};
use npy_conformance_peers::{main_with, sha256_hex, version_bytes, Described};
use serde_json::json;

fn items(t: &Tensor) -> candle_core::Result<(&'static str, Vec<u8>)> {
    let flat = t.flatten_all()?;
    macro_rules! le {
        ($t:ty, $descr:expr) => {
            (
                $descr,
                flat.to_vec1::<$t>()?
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect(),
            )
        };
    }
    Ok(match t.dtype() {
        DType::U8 => ("|u1", flat.to_vec1::<u8>()?),
        DType::U32 => le!(u32, "<u4"),
        DType::I16 => le!(i16, "<i2"),
        DType::I32 => le!(i32, "<i4"),
        DType::I64 => le!(i64, "<i8"),
        DType::F16 => le!(half::f16, "<f2"),
        DType::F32 => le!(f32, "<f4"),
        DType::F64 => le!(f64, "<f8"),
        other => return Err(candle_core::Error::Msg(format!("no descr for {other:?}"))),
    })
}

fn describe(path: &str) -> Result<Described, String> {
    let t = Tensor::read_npy(path).map_err(|e| format!("candle: {e}"))?;
    let (descr, data) = items(&t).map_err(|e| format!("candle: {e}"))?;
    Ok(Described {
        version: version_bytes(path)?,
        descr: json!(descr),
        fortran_order: None,
        shape: t.dims().iter().map(|d| *d as u64).collect(),
        data_sha256: sha256_hex(&data),
    })
}

fn main() -> ExitCode {
    main_with(describe)
}
