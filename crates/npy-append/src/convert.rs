//! `finalize` and `convert`: change a file's format version.

use std::path::Path;

use npy_header::{python_tuple, Header, Parsed, Version};

use crate::ensure::{
    check_header_size, checked, copy_rewrite, hard_links, length_field, Dest, MoveOptions,
};
use crate::error::{Error, ErrorKind, Result};
use crate::files::open_locked;
use crate::journal::{self, Progress};
use crate::layout::Geometry;
use crate::sidecar::sidecar;
use crate::storage::Storage;

/// What [`finalize`] or [`convert`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Converted {
    /// The version before.
    pub from: Version,
    /// The version now.
    pub to: Version,
    /// The shape now (a 4.0 file's as derived from its size).
    pub shape: Vec<u64>,
    /// Whether the header was rewritten in place (O(1)); otherwise the file was
    /// rewritten with a longer header.
    pub in_place: bool,
    /// Bytes of a partial trailing row cut off a 4.0 file.
    pub trimmed_bytes: u64,
    /// The header's length field now: the bytes of header text, which NumPy's
    /// `max_header_size` limits (see [`MoveOptions::allow_large_header`]).
    pub header_len: u64,
    /// Whether the header had NumPy's room for a longer growth-axis length and has
    /// none now, so that [`Appender::open`](crate::Appender::open) refuses the file
    /// ([`ErrorKind::NotAppendable`]) until
    /// [`ensure_appendable`](crate::ensure_appendable) makes room again. [`convert`]
    /// rewrites the file rather than lose the room, except when the rewrite is refused:
    /// the file has more than one hard link, or NumPy's header in the new version would
    /// pass `max_header_size` ([`MoveOptions::allow_large_header`]). The operations
    /// that work in place only ([`convert_on`], [`finalize`]) never rewrite.
    pub lost_room: bool,
}

/// Turns a format 4.0 file into one that today's NumPy reads: the `-1` becomes the
/// number of whole rows, and the version the one NumPy would choose for the header
/// (1.0, or 2.0/3.0 when it is long or not latin-1), rewritten in place (`V4-7`; the
/// header length is kept, which the spare growth-axis spaces make possible). A partial
/// trailing row is cut off first (and reported); the data is `fdatasync`ed before the
/// header counts it, and the header rewrite is journaled. Takes the file's lock.
///
/// ```
/// # use npy_append::{finalize, Appender, NewArray, Options};
/// # use npy_header::{ByteOrder, Dtype, Kind, Scalar, Version};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("a.npy");
/// let i4 = Dtype::Scalar(Scalar::new(Kind::Int, ByteOrder::Little, 4).unwrap());
/// let w = Appender::create(&path, &NewArray::new(i4, [2]).version(Version::V4_0), Options::new())?;
/// w.append(&[1i32, 2, 3, 4])?;
/// w.close()?;
/// let done = finalize(&path)?;
/// assert_eq!((done.to, done.shape), (Version::V1_0, vec![2, 2]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn finalize(path: impl AsRef<Path>) -> Result<Converted> {
    let path = path.as_ref();
    let file = open_locked(path)?;
    let journal = sidecar(path)?;
    finalize_on(&file, &journal).map_err(|e| e.with_path(path))
}

/// [`finalize`] on any storage `s`, whose journal is `j` (see
/// [`Sidecar`](crate::Sidecar)). No lock is taken.
pub fn finalize_on<S: Storage + ?Sized, J: Storage + ?Sized>(s: &S, j: &J) -> Result<Converted> {
    let (snap, parsed) = checked(s, j)?;
    if parsed.version != Version::V4_0 {
        return Err(Error::new(
            ErrorKind::Version,
            format!(
                "the file is format {}, not 4.0: there is nothing to finalize (convert changes versions)",
                parsed.version
            ),
        ));
    }
    let fixed = from_open_ended(&parsed, snap.file_len)?;
    let choice = fixed
        .header
        .emit(None)
        .map(|e| e.version)
        .map_err(|e| Error::new(ErrorKind::Version, e.message().to_string()))?;
    // NumPy's own header for the finished array (`V4-7`), in the version it would
    // choose when that header has the 4.0 header's length. 1.0's preamble is 2 bytes
    // shorter, which for 2 of every 64 lengths changes NumPy's padding: then 2.0 or
    // 3.0, whose layout is the 4.0 one's (section 7), so their header always fits
    // exactly. A 4.0 header another writer laid out differently may match none: then
    // the fixed header is padded to the existing length, in the first version that fits.
    let candidates: Vec<Version> = [choice, Version::V2_0, Version::V3_0]
        .into_iter()
        .filter(|&v| v >= choice)
        .collect();
    let exact = candidates.iter().find_map(|&v| {
        let e = fixed.header.emit(Some(v)).ok()?;
        (e.bytes.len() as u64 == parsed.data_offset()).then_some((v, e.bytes))
    });
    let padded = || {
        candidates.iter().find_map(|&v| {
            fixed
                .header
                .emit_in_place(v, parsed.data_offset())
                .ok()
                .map(|b| (v, b))
        })
    };
    let (to, bytes) = exact.or_else(padded).ok_or_else(|| {
        Error::new(
            ErrorKind::Version,
            format!(
                "the fixed header for shape {} does not fit in the {} bytes of the 4.0 header",
                python_tuple(&fixed.shape),
                parsed.data_offset()
            ),
        )
    })?;
    write_in_place(s, j, &bytes, &fixed, snap.file_len)?;
    Ok(Converted {
        from: Version::V4_0,
        to,
        shape: fixed.shape,
        in_place: true,
        trimmed_bytes: fixed.trimmed,
        header_len: parsed.data_offset() - to.preamble_len() as u64,
        lost_room: loses_room(&parsed, &fixed.header, to),
    })
}

/// Changes a file's format version: 1.0, 2.0 and 3.0 among each other, any of them to
/// 4.0 (the growth-axis length becomes `-1`; the data must match the header exactly),
/// and 4.0 to any of them (as [`finalize`], with the version chosen). In place (O(1),
/// journaled) when the new header fits in the old one's length, which the spare
/// growth-axis spaces of NumPy's layout usually allow, and keeps the room for a longer
/// count that the old one had (2.0's preamble is 2 bytes longer than 1.0's: NumPy's
/// 1.0 header of 128 bytes can need 192 in 2.0); otherwise the file is rewritten beside
/// itself with NumPy's header and renamed over, as
/// [`EnsureMode::Replace`](crate::EnsureMode::Replace) does. A file with more than one
/// hard link is then refused, unless only the room was at stake: then it is converted
/// in place and [`Converted::lost_room`] says so. Errors when the header cannot be
/// written in `to` at all (text outside latin-1 for 1.0 and 2.0, a header over 64 KiB
/// for 1.0). A rewrite that would take the header past NumPy's default
/// `max_header_size` is refused ([`ErrorKind::LargeHeader`]; where only the room was at
/// stake, the file is converted in place, as above) unless allowed with
/// [`convert_with`] and [`MoveOptions::allow_large_header`]. Takes the file's lock.
pub fn convert(path: impl AsRef<Path>, to: Version) -> Result<Converted> {
    convert_with(path, to, &MoveOptions::new(), &mut |_, _| {})
}

/// [`convert`] with a chunk size for a rewrite and the choice to allow a header past
/// NumPy's `max_header_size`, calling `progress(done, total)`.
pub fn convert_with(
    path: impl AsRef<Path>,
    to: Version,
    opts: &MoveOptions,
    progress: Progress<'_>,
) -> Result<Converted> {
    let path = path.as_ref();
    let file = open_locked(path)?;
    let journal = sidecar(path)?;
    let with = |e: Error| e.with_path(path);
    let (snap, parsed) = checked(&file, &journal).map_err(with)?;
    let target = target_for(&parsed, snap.file_len, to).map_err(with)?;
    let in_place_len = parsed.data_offset() - to.preamble_len() as u64;
    if parsed.version == to {
        return Ok(target.converted(to, to, true, in_place_len, false));
    }
    let in_place = target.header.emit_in_place(to, parsed.data_offset()).ok();
    let loses = in_place.is_some() && loses_room(&parsed, &target.header, to);
    // NumPy's header in `to`, when the new header does not fit in place, or fits but
    // without the room for a longer count the old one had: a rewrite keeps the room,
    // if it can (a file of several names, or a header that would pass NumPy's
    // max_header_size, is converted in place and the loss reported).
    let rewrite = match &in_place {
        None => Some(
            target
                .header
                .emit(Some(to))
                .map_err(|e| cannot(to, &e))
                .map_err(with)?
                .bytes,
        ),
        Some(_) if loses => {
            let links = file
                .metadata()
                .map_err(|e| Error::io("cannot read the file's metadata", e))
                .map_err(with)?;
            target
                .header
                .emit(Some(to))
                .ok()
                .map(|e| e.bytes)
                .filter(|b| {
                    hard_links(&links) == 1 && check_header_size(&parsed, to, b.len(), opts).is_ok()
                })
        }
        Some(_) => None,
    };
    match (rewrite, in_place) {
        (Some(header), _) => {
            check_header_size(&parsed, to, header.len(), opts).map_err(with)?;
            let data_len = target.data_end - parsed.data_offset();
            copy_rewrite(
                path,
                &file,
                &header,
                parsed.data_offset(),
                data_len,
                Dest::Replace,
                opts,
                progress,
            )?;
            let header_len = length_field(to, header.len());
            Ok(target.converted(parsed.version, to, false, header_len, false))
        }
        (None, Some(bytes)) => {
            write_in_place(&file, &journal, &bytes, &target, snap.file_len).map_err(with)?;
            Ok(target.converted(parsed.version, to, true, in_place_len, loses))
        }
        (None, None) => unreachable!("a header that does not fit in place is rewritten"),
    }
}

/// Whether the header of `parsed` had NumPy's room for a longer growth-axis length
/// (or is open-ended) and `header`, written in `to` in the same length, would not.
fn loses_room(parsed: &Parsed, header: &Header, to: Version) -> bool {
    let had = Geometry::new(parsed).is_ok_and(|g| g.check_appendable().is_ok());
    let keeps = header.is_open_ended()
        || header
            .emit(Some(to))
            .is_ok_and(|e| e.bytes.len() as u64 <= parsed.data_offset());
    had && !keeps
}

/// [`convert`] on any storage, in place only: an error when the new header does not
/// fit. `j` is the journal of `s` (see [`Sidecar`](crate::Sidecar)). No lock is taken.
pub fn convert_on<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    to: Version,
) -> Result<Converted> {
    let (snap, parsed) = checked(s, j)?;
    let target = target_for(&parsed, snap.file_len, to)?;
    let header_len = parsed.data_offset() - to.preamble_len() as u64;
    if parsed.version == to {
        return Ok(target.converted(to, to, true, header_len, false));
    }
    let bytes = target
        .header
        .emit_in_place(to, parsed.data_offset())
        .map_err(|e| cannot(to, &e))?;
    let lost_room = loses_room(&parsed, &target.header, to);
    write_in_place(s, j, &bytes, &target, snap.file_len)?;
    Ok(target.converted(parsed.version, to, true, header_len, lost_room))
}

fn cannot(to: Version, e: &npy_header::Error) -> Error {
    Error::new(
        ErrorKind::Version,
        format!("cannot write the header in format {to}: {}", e.message()),
    )
}

/// The header a conversion writes and where the data ends afterwards.
struct Target {
    header: Header,
    /// The shape to report (a 4.0 header's rows resolved).
    shape: Vec<u64>,
    data_end: u64,
    trimmed: u64,
}

impl Target {
    fn converted(
        self,
        from: Version,
        to: Version,
        in_place: bool,
        header_len: u64,
        lost_room: bool,
    ) -> Converted {
        Converted {
            from,
            to,
            shape: self.shape,
            in_place,
            trimmed_bytes: self.trimmed,
            header_len,
            lost_room,
        }
    }
}

/// A 4.0 file as a fixed header of its whole rows.
fn from_open_ended(parsed: &Parsed, file_len: u64) -> Result<Target> {
    let geo = Geometry::new(parsed)?;
    let data_len = file_len - geo.data_offset;
    let rows = (data_len / geo.row_bytes).min(geo.max_rows());
    let data_end = geo.data_offset + rows * geo.row_bytes;
    Ok(Target {
        header: geo.fixed_header(rows),
        shape: geo.shape(rows),
        data_end,
        trimmed: file_len - data_end,
    })
}

/// What converting `parsed` to `to` writes.
fn target_for(parsed: &Parsed, file_len: u64, to: Version) -> Result<Target> {
    let from = parsed.version;
    let Some(shape) = parsed.header.fixed_shape() else {
        // Only a 4.0 header is open-ended: kept as it is, or fixed at its whole rows.
        return if from == to {
            Ok(Target {
                header: parsed.header.clone(),
                shape: from_open_ended(parsed, file_len)?.shape,
                data_end: file_len,
                trimmed: 0,
            })
        } else {
            from_open_ended(parsed, file_len)
        };
    };
    if from == to {
        return Ok(Target {
            header: parsed.header.clone(),
            shape: shape.to_vec(),
            data_end: file_len,
            trimmed: 0,
        });
    }
    if from == Version::V4_0 {
        return from_open_ended(parsed, file_len);
    }
    if to != Version::V4_0 {
        return Ok(Target {
            header: parsed.header.clone(),
            shape: shape.to_vec(),
            data_end: file_len,
            trimmed: 0,
        });
    }
    let geo = Geometry::new(parsed)?;
    if geo.row_bytes == 0 {
        return Err(Error::new(
            ErrorKind::Version,
            "rows of this array are 0 bytes (a zero-size dimension or item): format 4.0 cannot derive their number from the file size (V4-3)",
        ));
    }
    let data_len = file_len - geo.data_offset;
    let need = shape[geo.axis] * geo.row_bytes;
    if data_len != need {
        return Err(Error::new(
            ErrorKind::NeedsRecovery,
            format!(
                "the file holds {data_len} bytes of data but its header's shape {} needs {need}: run recover before converting to 4.0, whose length comes from the file size",
                python_tuple(shape)
            ),
        ));
    }
    let header = &parsed.header;
    Ok(Target {
        header: Header::open_ended(
            header.dtype().clone(),
            header.fortran_order(),
            header.row_shape().to_vec(),
        ),
        shape: shape.to_vec(),
        data_end: file_len,
        trimmed: 0,
    })
}

/// Journaled header rewrite, after making the data durable: the new header may count
/// rows (4.0 to fixed) that only the file size counted before.
fn write_in_place<S: Storage + ?Sized, J: Storage + ?Sized>(
    s: &S,
    j: &J,
    bytes: &[u8],
    target: &Target,
    file_len: u64,
) -> Result<()> {
    let io = |e| Error::io("cannot rewrite the header", e);
    s.sync_data().map_err(io)?;
    journal::write_header(s, j, bytes, target.data_end, file_len).map_err(io)
}
