//! Builders for test files.

use npy_header::Version;

/// A file holding exactly `text` as header text (no padding added), so a test controls
/// every byte. Versions 1.0/2.0 encode the text as latin-1.
pub fn raw(version: Version, text: &str) -> Vec<u8> {
    let body: Vec<u8> = if version.is_utf8() {
        text.as_bytes().to_vec()
    } else {
        text.chars()
            .map(|c| u8::try_from(c as u32).expect("latin-1 test text"))
            .collect()
    };
    raw_bytes(version, &body)
}

/// Like [`raw`] with arbitrary header bytes.
pub fn raw_bytes(version: Version, body: &[u8]) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.push(version.major());
    out.push(0);
    if version == Version::V1_0 {
        out.extend_from_slice(&u16::try_from(body.len()).unwrap().to_le_bytes());
    } else {
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// `text` padded with spaces and a newline to a 64-byte boundary, as NumPy pads.
pub fn padded(version: Version, text: &str) -> Vec<u8> {
    let pre = version.preamble_len();
    let encoded = if version.is_utf8() {
        text.len()
    } else {
        text.chars().count()
    };
    let len = encoded + 1;
    let pad = 64 - (pre + len) % 64;
    let mut t = text.to_string();
    t.extend(std::iter::repeat_n(' ', pad));
    t.push('\n');
    raw(version, &t)
}
