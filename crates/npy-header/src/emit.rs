//! Writing headers byte for byte as NumPy writes them.

use crate::dtype::{Dtype, MAX_ITEMSIZE};
use crate::error::{Error, ErrorKind};
use crate::header::Header;
use crate::repr::write_tuple;
use crate::version::{Version, ARRAY_ALIGN, GROWTH_AXIS_MAX_DIGITS, MAGIC, MAX_DIM};

/// A header serialised for writing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emitted {
    /// The version written (the one asked for, or the oldest that fits).
    pub version: Version,
    /// Magic through the final newline; array data follows.
    pub bytes: Vec<u8>,
}

impl Header {
    /// The dict text exactly as NumPy's `_write_array_header` builds it, with the
    /// spare growth-axis spaces, before padding.
    pub fn dict_text(&self) -> String {
        let mut s = String::with_capacity(128);
        s.push_str("{'descr': ");
        s.push_str(&self.dtype().to_descr());
        s.push_str(", 'fortran_order': ");
        let order = if self.fortran_order() {
            "True"
        } else {
            "False"
        };
        s.push_str(order);
        s.push_str(", 'shape': ");
        self.write_shape(&mut s);
        s.push_str(", }");
        if self.growth_axis().is_some() {
            // `-1` has two characters.
            let digits = self.growth_len().map_or(2, |n| n.to_string().len());
            s.extend(std::iter::repeat_n(
                ' ',
                GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
            ));
        }
        s
    }

    /// The shape as the header writes it: a Python tuple, `-1` on an open growth axis.
    fn write_shape(&self, s: &mut String) {
        match self.fixed_shape() {
            Some(shape) => write_tuple(s, shape),
            None => {
                s.push('(');
                for (i, d) in self.dims().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    match d {
                        Some(d) => s.push_str(&d.to_string()),
                        None => s.push_str("-1"),
                    }
                }
                if self.ndim() == 1 {
                    s.push(',');
                }
                s.push(')');
            }
        }
    }

    fn check_emittable(&self, version: Version) -> Result<(), Error> {
        // A zero-size item or dimension keeps the byte count at 0, so the size check
        // below would not see a dimension no reader accepts.
        if let Some(d) = self.dims().flatten().find(|&d| d > MAX_DIM) {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("shape entry {d} is larger than {MAX_DIM}, the largest dimension NumPy can address"),
            ));
        }
        if self.is_open_ended() && version != Version::V4_0 {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("an open-ended (-1) shape needs format 4.0, not {version}"),
            ));
        }
        let dtype = self.dtype();
        if matches!(dtype, Dtype::Subarray { .. }) {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "a subarray type cannot be the whole dtype (NumPy writes such arrays as '|V<n>'); use it as a field",
            ));
        }
        if dtype.itemsize() > MAX_ITEMSIZE {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("the item size exceeds {MAX_ITEMSIZE} bytes"),
            ));
        }
        if let Err(why) = dtype.check_layout() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("the dtype cannot be written: {why}"),
            ));
        }
        if self.is_open_ended() && dtype.has_object() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "an open-ended (-1) shape cannot be used with an object dtype",
            ));
        }
        // A reader must be able to read back what is written: the size must be
        // representable, and an open growth axis needs non-empty rows.
        let size = if self.is_open_ended() {
            self.row_bytes()
        } else {
            self.fixed_data_bytes()
        };
        match size {
            Ok(0) if self.is_open_ended() => Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                "an open-ended (-1) shape needs rows of at least one byte",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                e.message().to_string(),
            )),
        }
    }

    /// Serialises the header as NumPy ≥ 1.24 would: with `version`, or (`None`) the
    /// oldest version that holds it, chosen as NumPy's `_wrap_header_guess_version`
    /// does (1.0; 2.0 if the header is too long; 3.0 if it is not latin-1). An
    /// open-ended header is always 4.0.
    ///
    /// ```
    /// use npy_header::{Header, Dtype, Scalar, Kind, ByteOrder, Version};
    /// let h = Header::new(Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 4).unwrap()), false, vec![2]);
    /// let out = h.emit(None).unwrap();
    /// assert_eq!(out.version, Version::V1_0);
    /// assert_eq!(out.bytes.len(), 128);
    /// assert!(out.bytes.starts_with(b"\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"));
    /// ```
    pub fn emit(&self, version: Option<Version>) -> Result<Emitted, Error> {
        let text = self.dict_text();
        let version = match version {
            Some(v) => v,
            None if self.is_open_ended() => Version::V4_0,
            None => {
                // The length that decides between 1.0 and 2.0 is the latin-1 one.
                match encode(&text, Version::V1_0) {
                    Err(_) => Version::V3_0,
                    Ok(body)
                        if padded_len(Version::V1_0, body.len() as u64 + 1)
                            <= Version::V1_0.max_header_field() =>
                    {
                        Version::V1_0
                    }
                    Ok(_) => Version::V2_0,
                }
            }
        };
        self.check_emittable(version)?;
        let body = encode(&text, version)?;
        let hlen = body.len() as u64 + 1;
        let field = padded_len(version, hlen);
        if field > version.max_header_field() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("header length {hlen} too big for version {version}"),
            ));
        }
        Ok(Emitted {
            version,
            bytes: assemble(version, &body, field),
        })
    }

    /// Serialises the header padded to exactly `total_len` bytes (magic through
    /// newline), for rewriting the header of an existing file in place after its shape
    /// changed. The spare growth-axis spaces are absorbed into the padding. An error if
    /// the header no longer fits.
    pub fn emit_in_place(&self, version: Version, total_len: u64) -> Result<Vec<u8>, Error> {
        self.check_emittable(version)?;
        let text = self.dict_text();
        let body = encode(text.trim_end_matches(' '), version)?;
        let pre = version.preamble_len() as u64;
        let need = pre + body.len() as u64 + 1;
        if need > total_len {
            let mut shape = String::new();
            self.write_shape(&mut shape);
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!(
                    "the header for shape {shape} needs {need} bytes but the file has room for {total_len} (make it appendable first)"
                ),
            ));
        }
        let field = total_len - pre;
        if field > version.max_header_field() {
            return Err(Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("header length {field} too big for version {version}"),
            ));
        }
        Ok(assemble(version, &body, field))
    }
}

/// The header-length field for `hlen` bytes of text plus newline: padded so the data
/// starts on a multiple of 64, and NumPy never pads by zero (an aligned header gets 64
/// more spaces).
fn padded_len(version: Version, hlen: u64) -> u64 {
    let pre = version.preamble_len() as u64;
    let pad = ARRAY_ALIGN - (pre + hlen) % ARRAY_ALIGN;
    hlen + pad
}

fn encode(text: &str, version: Version) -> Result<Vec<u8>, Error> {
    if version.is_utf8() {
        return Ok(text.as_bytes().to_vec());
    }
    text.chars()
        .map(|c| u8::try_from(c as u32))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| {
            Error::new(
                ErrorKind::CannotEmit,
                None,
                format!("the header holds characters outside latin-1, which format {version} cannot store (use 3.0)"),
            )
        })
}

/// magic + version + length field + body + spaces + newline, `field` bytes after the
/// preamble.
fn assemble(version: Version, body: &[u8], field: u64) -> Vec<u8> {
    let pre = version.preamble_len();
    let total = pre + usize::try_from(field).expect("header fits in memory");
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.push(version.major());
    out.push(version.minor());
    if version == Version::V1_0 {
        out.extend_from_slice(
            &u16::try_from(field)
                .expect("checked against u16")
                .to_le_bytes(),
        );
    } else {
        out.extend_from_slice(
            &u32::try_from(field)
                .expect("checked against u32")
                .to_le_bytes(),
        );
    }
    out.extend_from_slice(body);
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}
