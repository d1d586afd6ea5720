//! Reading a header from a file without trusting it.
//!
//! [`npy_mmap::read_header`] does the reading, in the order that makes it safe on
//! hostile files: at most [`npy_header::MAX_PREAMBLE_LEN`] bytes first; then the
//! header-length field is checked against the limit *before* anything is sized from
//! it; then exactly the header text is read (never more than the file holds, whatever
//! the field says). The array data is never read; its length comes from the file's
//! metadata, taken after the header as the loader takes it.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use npy_header::{HeaderParser, Parsed};

/// A parsed header and the length of the file it came from.
#[derive(Clone, Debug)]
pub struct FileHeader {
    /// The parsed header.
    pub parsed: Parsed,
    /// The file's length in bytes, from its metadata.
    pub file_len: u64,
}

impl FileHeader {
    /// Bytes of the file after the header: the array data as the file holds it.
    pub fn data_len(&self) -> u64 {
        self.file_len.saturating_sub(self.parsed.data_offset())
    }
}

/// Why a file could not be read: the loader's error, shown the way every command of
/// the tool shows errors (`<kind> at byte N: message`).
#[derive(Debug)]
pub struct ReadError(pub npy_mmap::Error);

impl ReadError {
    /// A short stable name for machine-readable output:
    /// [`npy_mmap::ErrorKind::name`] (`"io"`, `"bad_magic"`, `"data_length"`, …).
    pub fn kind_name(&self) -> &'static str {
        self.0.kind().name()
    }

    /// The byte offset in the file where the problem is, when there is one.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset()
    }

    /// The message without the kind and offset.
    pub fn message(&self) -> String {
        self.0.message().to_string()
    }
}

impl fmt::Display for ReadError {
    /// `<kind_name> at byte N: message`, or `<kind_name>: message` without an offset.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_error(f, self.kind_name(), self.offset(), &self.message())
    }
}

impl std::error::Error for ReadError {}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> ReadError {
        ReadError(e.into())
    }
}

impl From<npy_mmap::Error> for ReadError {
    fn from(e: npy_mmap::Error) -> ReadError {
        ReadError(e)
    }
}

/// Formats an error as `<kind> at byte N: message` (or `<kind>: message`), the form
/// every command of the tool prints.
pub fn write_error(
    f: &mut dyn fmt::Write,
    kind: &str,
    offset: Option<u64>,
    message: &str,
) -> fmt::Result {
    match offset {
        Some(off) => write!(f, "{kind} at byte {off}: {message}"),
        None => write!(f, "{kind}: {message}"),
    }
}

/// [`write_error`] for an [`npy_mmap::Error`], into a new string.
pub fn format_load_error(e: &npy_mmap::Error) -> String {
    let mut s = String::new();
    write_error(&mut s, e.kind().name(), e.offset(), e.message()).expect("writing to a String");
    s
}

/// Opens `path` and reads its header with `parser` (see the module docs for how).
pub fn read_header(path: &Path, parser: &HeaderParser) -> Result<FileHeader, ReadError> {
    let mut file = File::open(path)?;
    let parsed = read_header_from(&mut file, parser)?;
    let file_len = file.metadata()?.len();
    Ok(FileHeader { parsed, file_len })
}

/// Reads a header from the start of `reader`: the preamble and the header text,
/// nothing after.
pub fn read_header_from(reader: &mut dyn Read, parser: &HeaderParser) -> Result<Parsed, ReadError> {
    Ok(npy_mmap::read_header(reader, parser)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use npy_header::{ErrorKind, MAX_PREAMBLE_LEN};

    fn v1(text: &str) -> Vec<u8> {
        let mut file = b"\x93NUMPY\x01\x00".to_vec();
        file.extend_from_slice(&u16::try_from(text.len()).unwrap().to_le_bytes());
        file.extend_from_slice(text.as_bytes());
        file
    }

    fn read(bytes: &[u8], parser: &HeaderParser) -> Result<Parsed, ReadError> {
        read_header_from(&mut &bytes[..], parser)
    }

    /// A reader that fails the test if more than `limit` bytes are read from it.
    struct Counting<'a> {
        bytes: &'a [u8],
        read: usize,
        limit: usize,
    }

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = (&self.bytes[self.read..]).read(buf)?;
            self.read += n;
            assert!(self.read <= self.limit, "read {} bytes", self.read);
            Ok(n)
        }
    }

    #[test]
    fn reads_a_header_and_not_the_data() {
        let mut file = v1("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n");
        let header_end = file.len();
        file.extend_from_slice(&[0; 16]);
        let mut reader = Counting {
            bytes: &file,
            read: 0,
            limit: header_end,
        };
        let parsed = read_header_from(&mut reader, &HeaderParser::new()).unwrap();
        assert_eq!(parsed.header.fixed_shape(), Some(&[2][..]));
        assert_eq!(parsed.data_offset(), header_end as u64);
        assert_eq!(reader.read, header_end);
    }

    #[test]
    fn checks_the_limit_before_reading_the_header() {
        let file = v1("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n");
        let mut reader = Counting {
            bytes: &file,
            read: 0,
            limit: MAX_PREAMBLE_LEN,
        };
        let err =
            read_header_from(&mut reader, &HeaderParser::new().max_header_len(10)).unwrap_err();
        assert_eq!(err.kind_name(), "header_too_long");
        assert_eq!(err.offset(), Some(8));
        assert!(err
            .to_string()
            .starts_with("header_too_long at byte 8: header length 58 exceeds"));
    }

    #[test]
    fn huge_length_field_on_a_short_file_is_truncated_not_allocated() {
        let mut file = b"\x93NUMPY\x02\x00".to_vec();
        file.extend_from_slice(&u32::MAX.to_le_bytes());
        file.extend_from_slice(b"{'descr'");
        let parser = HeaderParser::new().max_header_len(u64::from(u32::MAX));
        let err = read(&file, &parser).unwrap_err();
        let e = err.0.header_error().expect("a header error");
        assert_eq!(
            e.kind(),
            &ErrorKind::Truncated {
                needed: 12 + u64::from(u32::MAX),
                available: 20
            }
        );
        assert_eq!(err.offset(), Some(20));
    }

    #[test]
    fn tiny_header_lengths_in_version_1() {
        for len in [0u16, 1] {
            let mut file = b"\x93NUMPY\x01\x00".to_vec();
            file.extend_from_slice(&len.to_le_bytes());
            file.extend_from_slice(b"{}   ");
            let err = read(&file, &HeaderParser::new()).unwrap_err();
            assert_eq!(err.kind_name(), "syntax", "len {len}: {err}");
        }
    }

    #[test]
    fn bad_magic_and_empty_file() {
        let err = read(b"\x93NUMPZ\x01\x00", &HeaderParser::new()).unwrap_err();
        assert_eq!((err.kind_name(), err.offset()), ("bad_magic", Some(5)));
        let err = read(b"", &HeaderParser::new()).unwrap_err();
        assert_eq!((err.kind_name(), err.offset()), ("truncated", Some(0)));
    }

    #[test]
    fn io_errors_have_no_offset() {
        let err = read_header(Path::new("/nonexistent/x.npy"), &HeaderParser::new()).unwrap_err();
        assert_eq!(err.kind_name(), "io");
        assert_eq!(err.offset(), None);
        assert!(err.to_string().starts_with("io: "), "{err}");
    }
}
