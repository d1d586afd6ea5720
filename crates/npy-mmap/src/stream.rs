//! The streaming reader: any `io::Read` (a pipe, stdin, a socket) into memory.

use std::io::{self, Read};

use npy_header::HeaderParser;

use crate::error::{Error, ErrorKind};
use crate::layout::{read_header, Layout};
use crate::mmap::object_error;
use crate::view::ArrayView;

/// The widest alignment an [`crate::Element`] needs (`u64`, `f64`, `[f64; 2]`).
const ALIGN: usize = 8;

/// A `.npy` array read from a stream into memory.
///
/// It gives the same [`Layout`] and the same views as [`crate::NpyFile`] does for the
/// same bytes, and the same errors: the data is placed in memory at an address
/// congruent to its file offset modulo 8, so even whether a typed slice is aligned
/// does not depend on the reader.
#[derive(Clone, Debug)]
pub struct NpyBuffer {
    layout: Layout,
    words: Vec<u64>,
    start: usize,
}

impl NpyBuffer {
    /// Reads an array from `reader` with the default [`npy_header::Limits`]; see
    /// [`crate::Loader`] to change them.
    pub fn read<R: Read>(reader: R) -> Result<NpyBuffer, Error> {
        crate::Loader::new().read(reader)
    }

    /// Reads the header, then the data; then reads the stream to its end, counting the
    /// bytes after the data as the mapped reader sees them in the file's size. Memory
    /// grows with the bytes that arrive, never from the header's claims: a header that
    /// declares 2⁶³−1 bytes on a short stream costs only what the stream holds.
    pub(crate) fn read_with<R: Read>(
        mut reader: R,
        parser: &HeaderParser,
    ) -> Result<NpyBuffer, Error> {
        let parsed = read_header(&mut reader, parser)?;
        if parsed.header.dtype.has_object() {
            return Err(object_error());
        }
        let header = &parsed.header;
        // Keep at most what the array can use: the declared size of a fixed shape, or
        // for an open-ended one the limit plus a row (more is refused by the limit).
        let keep = match header.data_bytes()? {
            Some(n) => n,
            None => parser
                .limits()
                .max_data_bytes
                .saturating_add(header.row_bytes()?),
        };
        let start = usize::try_from(parsed.data_offset() % ALIGN as u64).expect("below 8");
        let (mut words, kept) = read_aligned(&mut reader, start, keep)?;
        let rest = io::copy(&mut reader, &mut io::sink())?;
        let layout = Layout::new(parsed, kept + rest, parser.limits())?;
        // Now known to fit: the data is within what was kept.
        let end = start + usize::try_from(layout.data_bytes()).expect("kept in memory");
        words.truncate(end.div_ceil(ALIGN));
        words.shrink_to_fit();
        Ok(NpyBuffer {
            layout,
            words,
            start,
        })
    }

    /// The header resolved against the stream's length.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The array data, exactly the bytes the shape covers.
    pub fn bytes(&self) -> &[u8] {
        let len = usize::try_from(self.layout.data_bytes()).expect("the data is in memory");
        if len == 0 {
            return &[];
        }
        &bytemuck::cast_slice(&self.words)[self.start..self.start + len]
    }

    /// A view of the whole array.
    pub fn view(&self) -> ArrayView<'_> {
        ArrayView::new(&self.layout, self.bytes())
    }
}

/// Reads up to `keep` bytes into 8-byte-aligned memory starting `start` bytes in.
/// Returns the memory and the number of bytes read (fewer at the end of the stream).
fn read_aligned<R: Read>(
    reader: &mut R,
    start: usize,
    keep: u64,
) -> Result<(Vec<u64>, u64), Error> {
    let mut words: Vec<u64> = Vec::new();
    let mut filled = start;
    let mut read = 0u64;
    while read < keep {
        let capacity = words.len() * ALIGN;
        if filled >= capacity {
            // Double, from 64 KiB, but never beyond what `keep` needs (the data may
            // start up to 7 bytes in, past an empty buffer's end).
            let want = (capacity * 2).max(1 << 16) as u64;
            let need = (start as u64).saturating_add(keep);
            let bytes = want.min(need.div_ceil(ALIGN as u64).saturating_mul(ALIGN as u64));
            let new_words = usize::try_from(bytes / ALIGN as u64).map_err(|_| too_large(bytes))?;
            words
                .try_reserve_exact(new_words - words.len())
                .map_err(|_| too_large(bytes))?;
            words.resize(new_words, 0);
        }
        let capacity = words.len() * ALIGN;
        let room = usize::try_from(keep - read)
            .unwrap_or(usize::MAX)
            .min(capacity - filled);
        let buf = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[filled..filled + room];
        match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                read += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok((words, read))
}

fn too_large(bytes: u64) -> Error {
    Error::new(
        ErrorKind::DataTooLarge {
            size: bytes,
            limit: isize::MAX as u64,
        },
        format!("cannot hold {bytes} bytes of data in memory (map the file instead)"),
    )
}
