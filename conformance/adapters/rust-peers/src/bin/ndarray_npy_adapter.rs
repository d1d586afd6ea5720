//! Conformance adapter for ndarray-npy 0.10: `ndarray_npy_adapter FILE`.
//!
//! ndarray-npy reads arrays of one element type chosen by the caller. The adapter reads
//! the header with `ndarray_npy::npy::header::Header::from_reader`, picks the element
//! type that ndarray-npy maps to the header's type descriptor (bool, i8–i64, u8–u64,
//! f32, f64, Complex<f32>, Complex<f64>), and reads the array with
//! `ArrayD::<T>::read_npy`. Other types (strings, structures, datetimes, f16, …) have
//! no element type in ndarray-npy: such files count as rejected. ndarray-npy has no
//! header-length limit, so NPY_MAX_HEADER_LEN is ignored.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use ndarray::ArrayD;
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyExt, ReadableElement};
use npy_conformance_peers::{main_with, sha256_hex, version_bytes, Described};
use num_complex::Complex;

fn read<T: ReadableElement>(path: &str, to_bytes: fn(&T, &mut Vec<u8>)) -> Result<Vec<u8>, String> {
    let file = File::open(path).map_err(|e| format!("io: {e}"))?;
    let arr =
        ArrayD::<T>::read_npy(BufReader::new(file)).map_err(|e| format!("ndarray-npy: {e}"))?;
    let mut out = Vec::new();
    let items = arr
        .as_slice_memory_order()
        .ok_or("ndarray-npy returned an array that is not contiguous")?;
    for x in items {
        to_bytes(x, &mut out);
    }
    Ok(out)
}

fn data_bytes(path: &str, descr: &str) -> Result<Vec<u8>, String> {
    macro_rules! num {
        ($t:ty, $le:expr) => {
            read::<$t>(
                path,
                if $le {
                    |x, o| o.extend_from_slice(&x.to_le_bytes())
                } else {
                    |x, o| o.extend_from_slice(&x.to_be_bytes())
                },
            )
        };
    }
    macro_rules! complex {
        ($t:ty, $le:expr) => {
            read::<Complex<$t>>(
                path,
                if $le {
                    |x, o| {
                        o.extend_from_slice(&x.re.to_le_bytes());
                        o.extend_from_slice(&x.im.to_le_bytes())
                    }
                } else {
                    |x, o| {
                        o.extend_from_slice(&x.re.to_be_bytes());
                        o.extend_from_slice(&x.im.to_be_bytes())
                    }
                },
            )
        };
    }
    match descr {
        "|b1" => read::<bool>(path, |x, o| o.push(u8::from(*x))),
        "|i1" | "i1" | "b" => read::<i8>(path, |x, o| o.extend_from_slice(&x.to_le_bytes())),
        "|u1" | "u1" | "B" => read::<u8>(path, |x, o| o.push(*x)),
        "<i2" => num!(i16, true),
        ">i2" => num!(i16, false),
        "<i4" => num!(i32, true),
        ">i4" => num!(i32, false),
        "<i8" => num!(i64, true),
        ">i8" => num!(i64, false),
        "<u2" => num!(u16, true),
        ">u2" => num!(u16, false),
        "<u4" => num!(u32, true),
        ">u4" => num!(u32, false),
        "<u8" => num!(u64, true),
        ">u8" => num!(u64, false),
        "<f4" => num!(f32, true),
        ">f4" => num!(f32, false),
        "<f8" => num!(f64, true),
        ">f8" => num!(f64, false),
        "<c8" => complex!(f32, true),
        ">c8" => complex!(f32, false),
        "<c16" => complex!(f64, true),
        ">c16" => complex!(f64, false),
        other => Err(format!(
            "ndarray-npy has no element type for descr {other:?}"
        )),
    }
}

/// The descr NumPy writes for what ndarray-npy read (one-byte types have no order).
fn canonical(descr: &str) -> String {
    match descr {
        "i1" | "b" => "|i1".to_string(),
        "u1" | "B" => "|u1".to_string(),
        other => other.to_string(),
    }
}

fn describe(path: &str) -> Result<Described, String> {
    let version = version_bytes(path)?;
    let file = File::open(path).map_err(|e| format!("io: {e}"))?;
    let header =
        Header::from_reader(&mut BufReader::new(file)).map_err(|e| format!("ndarray-npy: {e}"))?;
    let descr = match &header.type_descriptor {
        py_literal::Value::String(s) => s.clone(),
        other => return Err(format!("ndarray-npy has no element type for descr {other}")),
    };
    let data = data_bytes(path, &descr)?;
    Ok(Described {
        version,
        descr: serde_json::Value::String(canonical(&descr)),
        fortran_order: Some(header.layout.is_fortran()),
        shape: header.shape.iter().map(|&d| d as u64).collect(),
        data_sha256: sha256_hex(&data),
    })
}

fn main() -> ExitCode {
    main_with(describe)
}
