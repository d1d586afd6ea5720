//! The file's fixed parts: magic, version, preamble, and the constants of the layout.

use std::fmt;

/// The magic string every `.npy` file starts with.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Data starts on a multiple of this many bytes (NumPy's `ARRAY_ALIGN`).
pub const ARRAY_ALIGN: u64 = 64;

/// Spare characters NumPy reserves for the growth-axis length so that appending can
/// rewrite the header in place (NumPy's `GROWTH_AXIS_MAX_DIGITS`).
pub const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// Bytes needed to read any preamble (magic, version, a 4-byte length field).
pub const MAX_PREAMBLE_LEN: usize = 12;

/// NumPy addresses arrays with a signed 64-bit `npy_intp`; no dimension or byte count
/// can exceed it.
pub const MAX_DIM: u64 = i64::MAX as u64;

/// The format versions this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// 1.0: 2-byte length field, latin-1 header.
    V1_0,
    /// 2.0: 4-byte length field, latin-1 header (NumPy ≥ 1.9).
    V2_0,
    /// 3.0: 4-byte length field, UTF-8 header (NumPy ≥ 1.17).
    V3_0,
    /// 4.0 (proposed, not read by NumPy): as 3.0, and the growth-axis length may be
    /// `-1`, derived by the reader from the data length.
    V4_0,
}

impl Version {
    /// All versions, oldest first.
    pub const ALL: [Version; 4] = [Version::V1_0, Version::V2_0, Version::V3_0, Version::V4_0];

    /// The version for the two version bytes, if it is one this crate knows.
    pub fn from_bytes(major: u8, minor: u8) -> Option<Version> {
        match (major, minor) {
            (1, 0) => Some(Version::V1_0),
            (2, 0) => Some(Version::V2_0),
            (3, 0) => Some(Version::V3_0),
            (4, 0) => Some(Version::V4_0),
            _ => None,
        }
    }

    /// The major version byte.
    pub fn major(self) -> u8 {
        match self {
            Version::V1_0 => 1,
            Version::V2_0 => 2,
            Version::V3_0 => 3,
            Version::V4_0 => 4,
        }
    }

    /// The minor version byte (always 0).
    pub fn minor(self) -> u8 {
        0
    }

    /// Size of the little-endian header-length field: 2 for 1.0, else 4.
    pub fn length_field_size(self) -> usize {
        if self == Version::V1_0 {
            2
        } else {
            4
        }
    }

    /// Bytes before the header text: magic, version, length field.
    pub fn preamble_len(self) -> usize {
        8 + self.length_field_size()
    }

    /// Whether the header text is UTF-8 (3.0, 4.0) rather than latin-1.
    pub fn is_utf8(self) -> bool {
        self >= Version::V3_0
    }

    pub(crate) fn max_header_field(self) -> u64 {
        if self == Version::V1_0 {
            u64::from(u16::MAX)
        } else {
            u64::from(u32::MAX)
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major(), self.minor())
    }
}

/// The fixed-size start of a file: version and header length, read before the header
/// text so a reader knows how much to read (and can refuse before allocating).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preamble {
    /// The format version.
    pub version: Version,
    /// The value of the header-length field: bytes of header text and padding.
    pub header_len: u64,
}

impl Preamble {
    /// Offset of the first byte of array data.
    pub fn data_offset(&self) -> u64 {
        self.version.preamble_len() as u64 + self.header_len
    }
}
