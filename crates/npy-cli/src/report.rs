//! Everything `npy inspect` says about a file, worked out once and rendered as
//! `key: value` lines or as one JSON object.

use std::io::{self, Write};

use npy_header::{python_tuple, Limits, Parsed};
use npy_mmap::{Error, Layout};
use serde::Serialize;
use serde_json::Value;

use crate::descr::descr_to_json;
use crate::read::{format_load_error, FileHeader};

/// A header read from a file, with its shape resolved against the file's size exactly
/// as the loader (`npy-mmap`) resolves it.
#[derive(Debug)]
pub struct Report {
    /// The file as named on the command line.
    pub path: String,
    /// The file's length in bytes.
    pub file_len: u64,
    /// The parsed header.
    pub parsed: Parsed,
    /// The loader's layout ([`npy_mmap::Layout::new`]: shape, data and trailing bytes),
    /// or why there is none: the data is shorter than a fixed (1.0–3.0) shape needs, or
    /// exceeds the data-size limit.
    pub resolution: Result<Layout, Error>,
}

impl Report {
    /// Resolves the header of `file` against the file's data length, within `limits`.
    pub fn new(path: impl Into<String>, file: FileHeader, limits: &Limits) -> Report {
        // An object array's data is one pickle of the array (spec D-8, F-6), not items:
        // its length says nothing about the shape, which is then the header's as it
        // stands, with nothing trailing.
        let data_len = match file.parsed.header.data_bytes() {
            Ok(Some(n)) if file.parsed.header.dtype().has_object() => n,
            _ => file.data_len(),
        };
        let resolution = Layout::new(file.parsed.clone(), data_len, limits);
        Report {
            path: path.into(),
            file_len: file.file_len,
            parsed: file.parsed,
            resolution,
        }
    }

    /// Bytes of the file after the header.
    pub fn data_len(&self) -> u64 {
        self.file_len.saturating_sub(self.parsed.data_offset())
    }

    /// Whether the data is a pickle (the dtype holds objects), whose length is not
    /// checked against the shape.
    pub fn pickled(&self) -> bool {
        self.parsed.header.dtype().has_object()
    }

    /// The shape as the header stores it, `-1` on the growth axis of an open-ended
    /// (4.0) header.
    pub fn header_shape(&self) -> Vec<i64> {
        self.parsed.header.written_shape()
    }

    /// Bytes of data the shape covers: for an open-ended header, whole rows times the
    /// row size; for a fixed one, `prod(shape) * itemsize`. `None` only when an
    /// open-ended header could not be resolved.
    pub fn expected_data_bytes(&self) -> Option<u64> {
        if self.pickled() {
            return None;
        }
        match &self.resolution {
            Ok(layout) => Some(layout.data_bytes()),
            Err(_) => self.parsed.header.data_bytes().ok().flatten(),
        }
    }

    /// What is surprising but allowed: the parser's warnings, then trailing bytes (a
    /// partial row of an open-ended header, or extra bytes after fixed-shape data).
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self.parsed.warnings.iter().map(|w| w.to_string()).collect();
        if let (Ok(layout), false) = (&self.resolution, self.pickled()) {
            if layout.has_partial_row() {
                out.push(format!(
                    "partial trailing row of {} (rows are {}; an append in progress or interrupted?)",
                    bytes(layout.trailing_bytes()),
                    bytes(layout.row_bytes())
                ));
            } else if layout.trailing_bytes() > 0 {
                out.push(format!(
                    "{} after the array data (NumPy ignores them)",
                    bytes(layout.trailing_bytes()).replace("byte", "extra byte")
                ));
            }
        }
        out
    }

    /// The resolution error as `<kind> at byte N: message`, if any.
    pub fn error(&self) -> Option<String> {
        self.resolution.as_ref().err().map(format_load_error)
    }

    /// The `key: value` lines of `npy inspect`.
    pub fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let p = &self.parsed;
        let h = &p.header;
        writeln!(out, "file: {}", self.path)?;
        writeln!(out, "version: {}", p.version)?;
        writeln!(out, "dtype: {}", h.dtype())?;
        writeln!(out, "descr: {}", h.dtype().to_descr())?;
        match &self.resolution {
            Ok(layout) => writeln!(out, "shape: {}", python_tuple(layout.shape()))?,
            Err(_) => writeln!(out, "shape: unresolved (see the error)")?,
        }
        writeln!(out, "header shape: {}", python_tuple(&self.header_shape()))?;
        writeln!(
            out,
            "order: {}",
            if h.fortran_order() { "Fortran" } else { "C" }
        )?;
        writeln!(out, "header length: {}", p.header_len)?;
        writeln!(out, "data offset: {}", p.data_offset())?;
        writeln!(out, "item size: {}", h.dtype().itemsize())?;
        match (&self.resolution, self.expected_data_bytes()) {
            _ if self.pickled() => writeln!(
                out,
                "expected data bytes: any (a pickle of the array, not items)"
            )?,
            (Ok(layout), Some(n)) if h.is_open_ended() => writeln!(
                out,
                "expected data bytes: {n} ({} rows of {} bytes)",
                layout.rows(),
                layout.row_bytes()
            )?,
            (_, Some(n)) => writeln!(out, "expected data bytes: {n}")?,
            (_, None) => writeln!(out, "expected data bytes: unknown")?,
        }
        writeln!(out, "actual data bytes: {}", self.data_len())?;
        match &self.resolution {
            _ if self.pickled() => writeln!(out, "trailing bytes: none (a pickle has no rows)")?,
            Ok(layout) if layout.trailing_bytes() == 0 => writeln!(out, "trailing bytes: 0")?,
            Ok(layout) if layout.has_partial_row() => writeln!(
                out,
                "trailing bytes: {} (partial row)",
                layout.trailing_bytes()
            )?,
            Ok(layout) => writeln!(
                out,
                "trailing bytes: {} (extra bytes after the data)",
                layout.trailing_bytes()
            )?,
            Err(e) if matches!(e.kind(), npy_mmap::ErrorKind::DataTooShort { .. }) => {
                writeln!(out, "trailing bytes: none (the data is too short)")?
            }
            Err(_) => writeln!(out, "trailing bytes: unknown (see the error)")?,
        }
        let warnings = self.warnings();
        if warnings.is_empty() {
            writeln!(out, "warnings: none")?;
        }
        for w in warnings {
            writeln!(out, "warning: {w}")?;
        }
        Ok(())
    }

    /// The JSON object of `npy inspect --json`, on one line, keys in a fixed order.
    pub fn to_json(&self) -> String {
        let p = &self.parsed;
        let h = &p.header;
        let json = InspectJson {
            file: &self.path,
            version: p.version.to_string(),
            dtype: h.dtype().to_string(),
            descr: descr_to_json(h.dtype()),
            descr_repr: h.dtype().to_descr(),
            fortran_order: h.fortran_order(),
            shape: self.resolution.as_ref().ok().map(|l| l.shape().to_vec()),
            header_shape: self.header_shape(),
            open_ended: h.is_open_ended(),
            header_len: p.header_len,
            data_offset: p.data_offset(),
            itemsize: h.dtype().itemsize(),
            row_bytes: h.row_bytes().ok(),
            expected_data_bytes: self.expected_data_bytes(),
            data_bytes: self.data_len(),
            trailing_bytes: self
                .resolution
                .as_ref()
                .ok()
                .filter(|_| !self.pickled())
                .map(Layout::trailing_bytes),
            warnings: self.warnings(),
            error: self.resolution.as_ref().err().map(ErrorJson::from),
        };
        serde_json::to_string(&json).expect("plain data serialises")
    }
}

/// The JSON object of `npy inspect --json`, keys in this order.
#[derive(Serialize)]
struct InspectJson<'a> {
    file: &'a str,
    version: String,
    dtype: String,
    descr: Value,
    descr_repr: String,
    fortran_order: bool,
    shape: Option<Vec<u64>>,
    header_shape: Vec<i64>,
    open_ended: bool,
    header_len: u64,
    data_offset: u64,
    itemsize: u64,
    row_bytes: Option<u64>,
    expected_data_bytes: Option<u64>,
    data_bytes: u64,
    trailing_bytes: Option<u64>,
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

/// An error as JSON: `{"kind": ..., "offset": ..., "message": ...}`.
#[derive(Serialize)]
pub struct ErrorJson {
    /// [`npy_mmap::ErrorKind::name`].
    pub kind: &'static str,
    /// Byte offset in the file, if the error has one.
    pub offset: Option<u64>,
    /// The message without kind and offset.
    pub message: String,
}

impl From<&Error> for ErrorJson {
    fn from(e: &Error) -> ErrorJson {
        ErrorJson {
            kind: e.kind().name(),
            offset: e.offset(),
            message: e.message().to_string(),
        }
    }
}

impl From<&crate::read::ReadError> for ErrorJson {
    fn from(e: &crate::read::ReadError) -> ErrorJson {
        ErrorJson {
            kind: e.kind_name(),
            offset: e.offset(),
            message: e.message(),
        }
    }
}

/// `1 byte`, `2 bytes`.
fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(version: u8, dict: &str, data_len: u64) -> Report {
        let mut file = b"\x93NUMPY".to_vec();
        file.extend_from_slice(&[version, 0]);
        // Pad as NumPy does so the data is aligned and no warning is raised.
        let pre = if version == 1 { 10 } else { 12 };
        let mut text = dict.as_bytes().to_vec();
        while !(pre + text.len() + 1).is_multiple_of(64) {
            text.push(b' ');
        }
        text.push(b'\n');
        if version == 1 {
            file.extend_from_slice(&u16::try_from(text.len()).unwrap().to_le_bytes());
        } else {
            file.extend_from_slice(&u32::try_from(text.len()).unwrap().to_le_bytes());
        }
        file.extend_from_slice(&text);
        let parsed = npy_header::parse(&file).unwrap();
        let file_len = parsed.data_offset() + data_len;
        Report::new("x.npy", FileHeader { parsed, file_len }, &Limits::default())
    }

    fn human(r: &Report) -> String {
        let mut out = Vec::new();
        r.write_human(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fixed_header_exact() {
        let r = report(
            1,
            "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
            24,
        );
        assert_eq!(r.expected_data_bytes(), Some(24));
        assert!(r.warnings().is_empty());
        assert_eq!(
            human(&r),
            "file: x.npy\nversion: 1.0\ndtype: int32 little-endian\ndescr: '<i4'\nshape: (2, 3)\n\
             header shape: (2, 3)\norder: C\nheader length: 118\ndata offset: 128\nitem size: 4\n\
             expected data bytes: 24\nactual data bytes: 24\ntrailing bytes: 0\nwarnings: none\n"
        );
    }

    #[test]
    fn fixed_header_extra_bytes_warn() {
        let r = report(
            2,
            "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
            27,
        );
        assert_eq!(
            r.warnings(),
            ["3 extra bytes after the array data (NumPy ignores them)"]
        );
        let text = human(&r);
        assert!(text.contains("\norder: Fortran\n"), "{text}");
        assert!(text.contains("\ntrailing bytes: 3 (extra bytes after the data)\n"));
        assert!(
            text.ends_with("\nwarning: 3 extra bytes after the array data (NumPy ignores them)\n")
        );
    }

    #[test]
    fn fixed_header_short_data() {
        let r = report(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 4), }",
            96,
        );
        let err = r.error().unwrap();
        assert!(
            err.starts_with(
                "data_length: file holds 96 bytes of data but the header's shape needs 128"
            ),
            "{err}"
        );
        let json: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["shape"], Value::Null);
        assert_eq!(json["expected_data_bytes"], 128);
        assert_eq!(json["data_bytes"], 96);
        assert_eq!(json["trailing_bytes"], Value::Null);
        assert_eq!(json["error"]["kind"], "data_length");
        assert_eq!(json["error"]["offset"], Value::Null);
        let text = human(&r);
        assert!(
            text.contains("\nshape: unresolved (see the error)\nheader shape: (4, 4)\n"),
            "{text}"
        );
        assert!(
            text.contains("\ntrailing bytes: none (the data is too short)\n"),
            "{text}"
        );
    }

    #[test]
    fn open_ended_fortran() {
        // Fortran order grows along the last axis.
        let r = report(
            4,
            "{'descr': '<i2', 'fortran_order': True, 'shape': (5, -1), }",
            10 * 3 + 4,
        );
        assert_eq!(r.header_shape(), [5, -1]);
        let json: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["shape"], serde_json::json!([5, 3]));
        assert_eq!(json["header_shape"], serde_json::json!([5, -1]));
        assert_eq!(json["row_bytes"], 10);
        assert_eq!(json["expected_data_bytes"], 30);
        assert_eq!(json["trailing_bytes"], 4);
        assert_eq!(json["open_ended"], true);
        let text = human(&r);
        assert!(
            text.contains("\nexpected data bytes: 30 (3 rows of 10 bytes)\n"),
            "{text}"
        );
        assert!(
            text.contains("\ntrailing bytes: 4 (partial row)\n"),
            "{text}"
        );
        assert!(text.contains(
            "\nwarning: partial trailing row of 4 bytes (rows are 10 bytes; an append in progress or interrupted?)\n"
        ));
    }

    #[test]
    fn parser_warnings_come_first() {
        let r = report(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2L,), }",
            17,
        );
        let w = r.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("Python 2 'L' integer suffix"), "{w:?}");
        assert_eq!(
            w[1],
            "1 extra byte after the array data (NumPy ignores them)"
        );
    }
}
