//! Resource limits for parsing untrusted headers.

use crate::version::MAX_DIM;

/// Resource limits for parsing untrusted headers. Each has its own [`ErrorKind`](crate::ErrorKind).
///
/// | limit | default | why |
/// |---|---|---|
/// | `max_header_len` | 10 000 bytes | NumPy's `max_header_size` (it counts characters) |
/// | `max_depth` | 64 | nesting of brackets; at most 200, CPython's own parser limit |
/// | `max_dims` | 64 | NumPy 2's `NPY_MAXDIMS` |
/// | `max_fields` | 65 536 | fields counted across all nesting levels |
/// | `max_data_bytes` | 2⁶³−1 | `prod(shape) * itemsize`; NumPy cannot address more |
///
/// Start from [`Limits::default`] or [`Limits::none`] and change the fields you need
/// (limits may be added in minor releases, so the struct cannot be written out), or
/// set them on a [`HeaderParser`](crate::HeaderParser):
///
/// ```
/// let mut limits = npy_header::Limits::default();
/// limits.max_header_len = 1 << 20;
/// let parser = npy_header::HeaderParser::with_limits(limits);
/// assert_eq!(parser.limits().max_header_len, 1 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest accepted header-length field (header text plus padding, in bytes).
    /// Checked before any buffer is sized from it.
    pub max_header_len: u64,
    /// Deepest accepted bracket nesting. Values above [`Limits::MAX_DEPTH`] act as it.
    pub max_depth: u32,
    /// Most dimensions in the shape or in any subarray.
    pub max_dims: u32,
    /// Most fields in the descr, counted at every nesting level.
    pub max_fields: u32,
    /// Largest data size the header may declare.
    pub max_data_bytes: u64,
}

impl Limits {
    /// The hard ceiling on `max_depth`: CPython refuses to parse more than 200 nested
    /// parentheses, so NumPy can never read such a header.
    pub const MAX_DEPTH: u32 = 200;

    /// No limit beyond what the format and NumPy themselves impose: the largest header
    /// a 4-byte length field holds, the deepest nesting CPython parses.
    pub fn none() -> Limits {
        Limits {
            max_header_len: u64::from(u32::MAX),
            max_depth: Limits::MAX_DEPTH,
            max_dims: u32::MAX,
            max_fields: u32::MAX,
            max_data_bytes: MAX_DIM,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_header_len: 10_000,
            max_depth: 64,
            max_dims: 64,
            max_fields: 65_536,
            max_data_bytes: MAX_DIM,
        }
    }
}
