//! What the peer adapters share: the protocol's JSON line, hashing, the exit codes.
//!
//! Protocol (conformance/README.md): `ADAPTER FILE` prints one JSON line
//! `{"version", "descr", "fortran_order", "shape", "data_sha256"}` and exits 0 when the
//! reader reads the file, or prints the reader's error on stderr and exits 1.

use std::fs::File;
use std::io::{self, Read};
use std::process::ExitCode;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// What the adapter reports for a file the reader read.
pub struct Described {
    /// The reader's version: the adapters read bytes 6 and 7 themselves, as none of
    /// the crates exposes the version it read.
    pub version: String,
    /// The descr as NumPy's descr with tuples as lists.
    pub descr: Value,
    /// The order; `None` (JSON `null`) for a reader that returns arrays in their logical
    /// order: the data is then hashed in C order.
    pub fortran_order: Option<bool>,
    /// The shape.
    pub shape: Vec<u64>,
    /// SHA-256 of the data bytes the reader read, in file order.
    pub data_sha256: String,
}

/// Runs `describe` on the one argument and speaks the protocol.
pub fn main_with(describe: fn(&str) -> Result<Described, String>) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = &args[..] else {
        eprintln!("usage: ADAPTER FILE");
        return ExitCode::from(2);
    };
    match describe(path) {
        Ok(r) => {
            let line = json!({
                "version": r.version,
                "descr": r.descr,
                "fortran_order": r.fortran_order,
                "shape": r.shape,
                "data_sha256": r.data_sha256,
            });
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

/// A type string as NumPy's descr writes it: the byte order of a type for which it is
/// irrelevant (bool, one-byte integers, `S`, `V`, `O`) is `|` (spec D-2). Crates that
/// keep the file's spelling (`>u1`, `<S3`) read the same type.
pub fn canonical_type(ts: &str) -> String {
    let Some(rest) = ts.strip_prefix(['<', '>', '|', '=']) else {
        return ts.to_string();
    };
    let orderless = matches!(rest, "b1" | "i1" | "u1" | "O" | "O8")
        || rest.starts_with(['S', 'V'])
        || rest.starts_with('?');
    if orderless {
        format!("|{rest}")
    } else {
        ts.to_string()
    }
}

/// Bytes 6 and 7 of the file as `major.minor`.
pub fn version_bytes(path: &str) -> Result<String, String> {
    let mut b = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| format!("io: {e}"))?;
    Ok(format!("{}.{}", b[6], b[7]))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of exactly `len` bytes from `r` (an error if fewer are there).
pub fn sha256_exact(r: impl Read, len: u64) -> io::Result<String> {
    let mut h = Sha256::new();
    let n = io::copy(&mut r.take(len), &mut h)?;
    if n != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the data holds {n} bytes, {len} needed"),
        ));
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 of everything left in `r`.
pub fn sha256_rest(mut r: impl Read) -> io::Result<String> {
    let mut h = Sha256::new();
    io::copy(&mut r, &mut h)?;
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
