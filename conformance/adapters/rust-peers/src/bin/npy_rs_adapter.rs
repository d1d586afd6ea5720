//! Conformance adapter for the `npy` crate (npy-rs) 0.4.0: `npy_rs_adapter FILE`.
//!
//! npy-rs reads one-dimensional arrays of a Rust element type chosen by the caller
//! (`NpyData::<T>::from_bytes`), and says "Types don't match" when the file holds
//! another. The adapter tries every primitive type npy-rs implements (`i8`–`i64`,
//! `u8`–`u64`, `f32`, `f64`), takes the one npy-rs accepts, and hashes the items
//! `to_vec` returns, little-endian as npy-rs decodes them (the descr is NumPy's name of
//! that type: npy-rs's `<i1` is `|i1`). npy-rs ignores
//! `fortran_order`, so the adapter reports it as unknown (`null`: the data is compared
//! in C order). npy-rs has no header-length limit (NPY_MAX_HEADER_LEN is ignored).

use std::process::ExitCode;

use npy::{DType, NpyData, Serializable};
use npy_conformance_peers::{main_with, sha256_hex, version_bytes, Described};
use serde_json::json;

/// What npy-rs read: the descr of the element type, the number of items, their bytes.
type Read = (String, u64, Vec<u8>);

/// Reads the file as `T`: `None` when npy-rs says the types do not match.
fn read<T: Serializable>(
    bytes: &[u8],
    to_bytes: fn(&T, &mut Vec<u8>),
) -> Option<Result<Read, String>> {
    match NpyData::<T>::from_bytes(bytes) {
        Err(e) if e.to_string().starts_with("Types don't match") => None,
        Err(e) => Some(Err(format!("npy: {e}"))),
        Ok(data) => {
            let mut out = Vec::new();
            for x in data.to_vec() {
                to_bytes(&x, &mut out);
            }
            let DType::Plain { ty, .. } = T::dtype() else {
                unreachable!("primitive types are plain")
            };
            // npy-rs names its one-byte types '<i1' and '<u1'; NumPy's descr (what the
            // protocol compares) has no order for them.
            let ty = match ty.as_str() {
                "<i1" => "|i1".to_string(),
                "<u1" => "|u1".to_string(),
                _ => ty,
            };
            Some(Ok((ty, data.len() as u64, out)))
        }
    }
}

fn describe(path: &str) -> Result<Described, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("io: {e}"))?;
    macro_rules! try_types {
        ($($t:ty),*) => {
            None$(.or_else(|| read::<$t>(&bytes, |x, o| o.extend_from_slice(&x.to_le_bytes()))))*
        };
    }
    let (descr, len, data) = try_types!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8)
        .unwrap_or_else(|| Err("npy: no element type of npy-rs matches the file's descr".into()))?;
    Ok(Described {
        version: version_bytes(path)?,
        descr: json!(descr),
        fortran_order: None,
        shape: vec![len],
        data_sha256: sha256_hex(&data),
    })
}

fn main() -> ExitCode {
    main_with(describe)
}
