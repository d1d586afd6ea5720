//! `npy conformance`: the runner and the corpus are `npy-conformance`'s; this module
//! adds the reader they check, [`OwnReader`], which reads files as the other commands do.

use std::path::Path;

use npy_conformance::{hash_range, Expected, Observation, Reader};
use npy_header::HeaderParser;

use crate::read::{read_header, write_error};

/// This program's reader: the header as the `npy` tool reads it from a file, the shape
/// resolved against the file size, and the data bytes the shape covers.
#[derive(Clone, Copy, Debug, Default)]
pub struct OwnReader;

impl Reader for OwnReader {
    fn name(&self) -> String {
        "npy (this project's reader, built in)".to_string()
    }

    fn observe(&self, path: &Path, max_header_len: u64) -> Observation {
        observe(path, max_header_len)
    }
}

fn observe(path: &Path, max_header_len: u64) -> Observation {
    let parser = HeaderParser::new().max_header_len(max_header_len);
    let file = match read_header(path, &parser) {
        Ok(file) => file,
        Err(e) => {
            return Observation::Rejected {
                reason: e.to_string(),
            }
        }
    };
    let data_len = file.data_len();
    let parsed = file.parsed;
    let header = &parsed.header;
    let mut warnings: Vec<String> = parsed.warnings.iter().map(|w| w.to_string()).collect();
    let pickled = header.fixed_shape().filter(|_| header.dtype().has_object());
    let (shape, len) = if let Some(shape) = pickled {
        // The data is one pickle of the whole array (D-8), not items: its length says
        // nothing about the shape, and all of it is the data.
        (shape.to_vec(), data_len)
    } else {
        match header.resolve(data_len) {
            Ok(r) => {
                if r.trailing_bytes > 0 {
                    warnings.push(if header.is_open_ended() {
                        format!("a partial trailing row of {} bytes", r.trailing_bytes)
                    } else {
                        format!("{} bytes after the array data", r.trailing_bytes)
                    });
                }
                (r.shape, r.data_bytes)
            }
            Err(e) => {
                let mut reason = String::new();
                write_error(&mut reason, e.kind().name(), e.offset(), e.message())
                    .expect("writing to a String");
                return Observation::Rejected { reason };
            }
        }
    };
    let data_sha256 = match hash_range(path, parsed.data_offset(), len) {
        Ok(h) => h,
        Err(e) => {
            return Observation::Rejected {
                reason: format!("io: {e}"),
            }
        }
    };
    Observation::Accepted {
        values: Expected {
            version: parsed.version.to_string(),
            descr: crate::descr::descr_to_json(header.dtype()),
            fortran_order: header.fortran_order(),
            shape,
            data_sha256,
            data_c_order_sha256: None,
        }
        .into(),
        warnings: Some(warnings),
    }
}
