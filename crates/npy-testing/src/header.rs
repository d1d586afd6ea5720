//! `.npy` headers built byte by byte, for files this project's writer would not make:
//! headers as NumPy (or an older NumPy) wrote them, with no room to grow, with the keys
//! in another order, or with exactly the text a test needs.
//!
//! Each function returns the file up to its data (magic string, version, header
//! length field, header text); a test appends the data. The length field and the
//! encoding are computed here from the format's rules, not by the crates under test.
//! Headers that are malformed on purpose (a wrong magic string, a length field that
//! lies) are better written out by hand in the test that needs them.
//!
//! ```
//! use npy_header::Version;
//! use npy_testing::header;
//!
//! let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
//! let mut file = header::padded(Version::V1_0, dict);
//! assert_eq!(file.len(), 128);
//! assert_eq!(&file[..10], b"\x93NUMPY\x01\x00\x76\x00");
//! file.extend_from_slice(&[0; 24]);
//! assert_eq!(npy_header::parse(&file).unwrap().data_offset(), 128);
//!
//! // 128 bytes, no padding: a field name fills the header, so its count cannot grow.
//! let tight = header::filled(Version::V1_0, 128, |n| {
//!     format!("{{'descr': [('{}', '<u2')], 'fortran_order': False, 'shape': (2,), }}", "n".repeat(n))
//! });
//! assert_eq!((tight.len(), tight[126], tight[127]), (128, b'}', b'\n'));
//! ```

use npy_header::Version;

/// The file's first bytes before the header length field.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Whether `version` encodes its header as UTF-8 (3.0, 4.0) rather than latin-1.
fn is_utf8(version: Version) -> bool {
    match version {
        Version::V1_0 | Version::V2_0 => false,
        Version::V3_0 | Version::V4_0 => true,
    }
}

/// Magic string, version and the length field: 10 bytes for 1.0, 12 for the others.
fn preamble_len(version: Version) -> usize {
    match version {
        Version::V1_0 => 10,
        Version::V2_0 | Version::V3_0 | Version::V4_0 => 12,
    }
}

/// `text` encoded as `version`'s header is: latin-1 for 1.0 and 2.0 (panics on a
/// character outside it), UTF-8 for 3.0 and 4.0.
fn encode(version: Version, text: &str) -> Vec<u8> {
    if is_utf8(version) {
        text.as_bytes().to_vec()
    } else {
        text.chars()
            .map(|c| {
                u8::try_from(u32::from(c))
                    .unwrap_or_else(|_| panic!("{c:?} is not latin-1 ({version:?} header)"))
            })
            .collect()
    }
}

/// The magic string, `version`, the header length field (2 bytes, little-endian, for
/// 1.0; 4 for the others) and `text`, encoded for the version (latin-1 for 1.0 and 2.0,
/// panicking on a character outside it; UTF-8 for 3.0 and 4.0). Nothing is added: no
/// padding, no newline.
pub fn raw(version: Version, text: &str) -> Vec<u8> {
    raw_bytes(version, &encode(version, text))
}

/// [`raw`] with the header text as bytes, used as they are.
pub fn raw_bytes(version: Version, text: &[u8]) -> Vec<u8> {
    let (major, minor) = match version {
        Version::V1_0 => (1, 0),
        Version::V2_0 => (2, 0),
        Version::V3_0 => (3, 0),
        Version::V4_0 => (4, 0),
    };
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[major, minor]);
    if version == Version::V1_0 {
        let len = u16::try_from(text.len()).expect("a 1.0 header is shorter than 64 KiB");
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        let len = u32::try_from(text.len()).expect("a header is shorter than 4 GiB");
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(text);
    out
}

/// `dict` padded as NumPy pads it (`_wrap_header` in `numpy.lib.format`): 1 to 64
/// spaces, then a newline, so that the header ends on a multiple of 64 bytes.
pub fn padded(version: Version, dict: &str) -> Vec<u8> {
    let used = preamble_len(version) + encode(version, dict).len() + 1;
    let spaces = 64 - used % 64;
    padded_to(version, used + spaces, dict)
}

/// `dict`, spaces and a newline: a header of exactly `len` bytes in all (from the magic
/// string to the newline). Panics if `dict` does not fit.
pub fn padded_to(version: Version, len: usize, dict: &str) -> Vec<u8> {
    let mut text = encode(version, dict);
    let room = len
        .checked_sub(preamble_len(version) + 1)
        .and_then(|room| room.checked_sub(text.len()))
        .unwrap_or_else(|| panic!("{dict:?} does not fit in a {len}-byte {version:?} header"));
    text.extend(std::iter::repeat_n(b' ', room));
    text.push(b'\n');
    raw_bytes(version, &text)
}

/// A header of exactly `len` bytes in all with no padding: `dict(n)` is the header dict
/// with a filler of `n` characters (say, in a field name), and `n` is what makes it and
/// its newline fill the header. As NumPy before 1.24 wrote a long field name: a
/// header with no room for its count to grow.
///
/// Panics unless each filler character is one byte long (in the version's encoding) and
/// `dict(0)` fits.
pub fn filled(version: Version, len: usize, dict: impl Fn(usize) -> String) -> Vec<u8> {
    let bare = encode(version, &dict(0)).len();
    let n = len
        .checked_sub(preamble_len(version) + 1 + bare)
        .unwrap_or_else(|| panic!("{:?} does not fit in a {len}-byte header", dict(0)));
    let text = dict(n);
    assert_eq!(
        encode(version, &text).len(),
        bare + n,
        "the filler of {text:?} is one byte a character"
    );
    let out = raw(version, &format!("{text}\n"));
    debug_assert_eq!(out.len(), len);
    out
}
