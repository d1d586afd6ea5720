//! The reader into memory: a file, or any `io::Read` (a pipe, stdin, a socket).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use npy_header::{HeaderParser, Parsed};

use crate::error::{Error, ErrorKind};
use crate::layout::{read_header, Layout};
use crate::mmap::{object_error, read_state, At};
use crate::view::ArrayView;

/// The widest alignment an [`crate::Element`] needs (`u64`, `f64`, `[f64; 2]`).
const ALIGN: usize = 8;

/// A `.npy` array read into memory, from a file ([`NpyBuffer::read_file`]) or a stream
/// ([`NpyBuffer::read`]).
///
/// It gives the same [`Layout`] and the same views as [`crate::NpyFile`] does for the
/// same bytes, and the same errors: the data is placed in memory at an address
/// congruent to its file offset modulo 8, so even whether a typed slice is aligned
/// does not depend on the reader.
///
/// It owns a copy of the data, so no other program can change it or take it away:
/// unlike a map, it needs no promise from the caller about who else writes the file.
#[derive(Clone, Debug)]
pub struct NpyBuffer {
    layout: Layout,
    words: Vec<u64>,
    start: usize,
}

impl NpyBuffer {
    /// Reads the array in the file at `path` into memory, with the default
    /// [`npy_header::Limits`]; see [`crate::Loader`] to change them. Errors carry the
    /// path.
    ///
    /// The header is read first, then the file's size, as [`crate::NpyFile::map`]
    /// reads them, and the header is resolved against that size with the same checks
    /// and errors before any data is read: a 100-byte file whose header claims a
    /// terabyte is [`ErrorKind::DataTooShort`] having cost 100 bytes. Then exactly the
    /// array's bytes are read, into memory allocated once; trailing bytes and a partial
    /// row are counted from the size, not read.
    ///
    /// The result is the file as it was when read. A file that grows meanwhile gives
    /// the size observed after the header (a 4.0 file's rows appended since are left
    /// for the next read); one that another program truncates meanwhile gives an
    /// [`ErrorKind::Io`] error. Neither can cause more than an error.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/samples/c_order_f8_2d.npy");
    /// let buffer = npy_mmap::NpyBuffer::read_file(path)?;
    /// assert_eq!(buffer.layout().shape(), [3, 4]);
    /// assert_eq!(buffer.view().as_slice::<f64>()?[5], 1.25);
    ///
    /// let err = npy_mmap::NpyBuffer::read_file("no/such/file.npy").unwrap_err();
    /// assert_eq!(err.to_string(), "no/such/file.npy: No such file or directory (os error 2)");
    /// # Ok::<(), npy_mmap::Error>(())
    /// ```
    pub fn read_file(path: impl AsRef<Path>) -> Result<NpyBuffer, Error> {
        crate::Loader::new().read_file(path)
    }

    pub(crate) fn read_file_with(path: &Path, parser: &HeaderParser) -> Result<NpyBuffer, Error> {
        let inner = || {
            let file = File::open(path)?;
            let (parsed, file_len) = read_state(&file, parser)?;
            let data = At {
                file: &file,
                offset: parsed.data_offset(),
            };
            let data_len = file_len.saturating_sub(parsed.data_offset());
            NpyBuffer::read_data(parsed, data, parser, Some(data_len))
        };
        inner().map_err(|e: Error| e.with_path(path))
    }

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
        NpyBuffer::read_data(parsed, reader, parser, None)
    }

    /// Reads the data after a parsed header. `data_len` is the number of bytes `reader`
    /// holds when it is known (a file's size less its header): the header is then
    /// resolved against it before anything is read, with the checks and errors of the
    /// map, and exactly the array's bytes are read.
    fn read_data<R: Read>(
        parsed: Parsed,
        mut reader: R,
        parser: &HeaderParser,
        data_len: Option<u64>,
    ) -> Result<NpyBuffer, Error> {
        if parsed.header.dtype().has_object() {
            return Err(object_error());
        }
        let start = usize::try_from(parsed.data_offset() % ALIGN as u64).expect("below 8");
        if let Some(data_len) = data_len {
            let layout = Layout::new(parsed, data_len, parser.limits())?;
            // Checked against the file's size and the data limit: now it may size memory.
            let (words, read) = read_aligned(&mut reader, start, layout.data_bytes(), true)?;
            if read < layout.data_bytes() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the file ended after {read} of the array's {} bytes: another program truncated it while it was read (read it again)",
                        layout.data_bytes()
                    ),
                )
                .into());
            }
            return Ok(NpyBuffer {
                layout,
                words,
                start,
            });
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
        let (mut words, kept) = read_aligned(&mut reader, start, keep, false)?;
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
///
/// Memory grows with the bytes that arrive, from 64 KiB, doubling; or, when `exact`
/// (the caller has checked `keep` against the file's size), it is allocated at once.
fn read_aligned<R: Read>(
    reader: &mut R,
    start: usize,
    keep: u64,
    exact: bool,
) -> Result<(Vec<u64>, u64), Error> {
    let mut words: Vec<u64> = Vec::new();
    let mut filled = start;
    let mut read = 0u64;
    while read < keep {
        let capacity = words.len() * ALIGN;
        if filled >= capacity {
            // What `keep` needs (the data may start up to 7 bytes in, past an empty
            // buffer's end): at once when `exact`, else doubling from 64 KiB up to it.
            let need = (start as u64)
                .saturating_add(keep)
                .div_ceil(ALIGN as u64)
                .saturating_mul(ALIGN as u64);
            let bytes = if exact {
                need
            } else {
                need.min((capacity * 2).max(1 << 16) as u64)
            };
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
