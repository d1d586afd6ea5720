//! Conformance adapter for npyz 0.9.1: `npyz_adapter FILE`.
//!
//! The header is read with `npyz::NpyFile::new` (its type strings reported as NumPy
//! writes them: `>u1` is `|u1`); the data is then read as npyz's own
//! numbers give it: `len()` items of `dtype().num_bytes()` bytes from the reader npyz
//! leaves at the start of the data (npyz reads typed items the same way). npyz has no
//! header-length limit, so NPY_MAX_HEADER_LEN is ignored. For an object dtype the data
//! is the pickle: every byte after the header.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use npy_conformance_peers::{
    canonical_type, main_with, sha256_exact, sha256_rest, version_bytes, Described,
};
use npyz::{DType, Order};
use serde_json::{json, Value};

fn descr(dtype: &DType) -> Value {
    match dtype {
        DType::Plain(ts) => json!(canonical_type(&ts.to_string())),
        DType::Record(fields) => Value::Array(
            fields
                .iter()
                .map(|f| {
                    let mut shape = Vec::new();
                    let mut base = &f.dtype;
                    while let DType::Array(n, inner) = base {
                        shape.push(*n);
                        base = inner;
                    }
                    if shape.is_empty() {
                        json!([f.name, descr(base)])
                    } else {
                        json!([f.name, descr(base), shape])
                    }
                })
                .collect(),
        ),
        // Only inside records (see above); npyz never returns it for a whole file.
        DType::Array(n, inner) => json!([descr(inner), [n]]),
    }
}

fn describe(path: &str) -> Result<Described, String> {
    let version = version_bytes(path)?;
    let file = File::open(path).map_err(|e| format!("io: {e}"))?;
    let npy = npyz::NpyFile::new(BufReader::new(file)).map_err(|e| format!("npyz: {e}"))?;
    let header = npy.header().clone();
    let dtype = header.dtype();
    let data = npy.into_inner();
    let data_sha256 = if header.uses_pickled_array() {
        sha256_rest(data).map_err(|e| format!("io: {e}"))?
    } else {
        let item = dtype
            .num_bytes()
            .ok_or("npyz: the item size does not fit a usize")?;
        let len = header
            .len()
            .checked_mul(item as u64)
            .ok_or("npyz: the data size overflows")?;
        sha256_exact(data, len).map_err(|e| format!("npyz: {e}"))?
    };
    Ok(Described {
        version,
        descr: descr(&dtype),
        fortran_order: Some(header.order() == Order::Fortran),
        shape: header.shape().to_vec(),
        data_sha256,
    })
}

fn main() -> ExitCode {
    main_with(describe)
}
