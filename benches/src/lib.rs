//! Fixtures shared by the criterion suite (`benches/suite.rs`) and the `npy-bench`
//! binary that `benches/compare.py` times against NumPy and npy-append-array.
//!
//! Everything here builds inputs; nothing here is measured.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use npy_append::{Appender, NewArray, Options, Storage};
use npy_header::{ByteOrder, Dtype, Field, Header, Kind, Scalar, Version};

/// Bytes in one appended row: 16 `<f8` values.
pub const ROW_BYTES: usize = 128;

/// Little-endian float64.
pub fn f8() -> Dtype {
    Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 8).expect("f8"))
}

/// The header of a `<f8` array of shape (1000, 128).
pub fn typical_header() -> Vec<u8> {
    Header::new(f8(), false, vec![1000, 128])
        .emit(None)
        .expect("emit")
        .bytes
}

/// The header of a 1000-row record array of `n` `<f8` fields.
pub fn structured_header(n: u64) -> Vec<u8> {
    let fields = (0..n)
        .map(|i| Field {
            name: format!("field_{i}"),
            title: None,
            dtype: f8(),
            offset: i * 8,
        })
        .collect();
    let dtype = Dtype::Record {
        fields,
        itemsize: n * 8,
    };
    Header::new(dtype, false, vec![1000])
        .emit(None)
        .expect("emit")
        .bytes
}

/// The header of a record nested `depth` levels deep around one `<f8`.
pub fn nested_header(depth: usize) -> Vec<u8> {
    let mut dtype = f8();
    for _ in 0..depth {
        let size = dtype.itemsize();
        dtype = Dtype::Record {
            fields: vec![Field {
                name: "x".into(),
                title: None,
                dtype,
                offset: 0,
            }],
            itemsize: size,
        };
    }
    Header::new(dtype, false, vec![10])
        .emit(None)
        .expect("emit")
        .bytes
}

/// Writes a C-order `<f8` file of shape (n, 16) and `total` bytes (header included)
/// whose data is sparse: only the header is written.
pub fn sparse_rows_file(dir: &Path, name: &str, total: u64) -> PathBuf {
    let probe = Header::new(f8(), false, vec![0, 16])
        .emit(None)
        .expect("header");
    let header_len = probe.bytes.len() as u64;
    let rows = (total - header_len) / ROW_BYTES as u64;
    let header = Header::new(f8(), false, vec![rows, 16])
        .emit(None)
        .expect("header");
    assert_eq!(header.bytes.len() as u64, header_len, "same header length");
    let path = dir.join(name);
    let mut file = File::create(&path).expect("create");
    file.write_all(&header.bytes).expect("write header");
    file.set_len(header_len + rows * ROW_BYTES as u64)
        .expect("extend");
    path
}

/// A 128-byte header as NumPy before 1.24 wrote it, for `items` items of a one-field
/// `<f8` record: the field name fills the header, so the count cannot grow in place and
/// `ensure_appendable` must make room. (`benches/compare.py` writes the same bytes.)
pub fn old_header(items: u64) -> Vec<u8> {
    let header = npy_testing::header::filled(Version::V1_0, 128, |n| {
        format!(
            "{{'descr': [('{}', '<f8')], 'fortran_order': False, 'shape': ({items},), }}",
            "x".repeat(n)
        )
    });
    assert_eq!(header.len(), 128, "the dict fills the header");
    header
}

/// Writes a file of `data_bytes` zero bytes (rounded down to whole `<f8`) behind
/// [`old_header`].
pub fn old_header_file(path: &Path, data_bytes: u64) {
    let items = data_bytes / 8;
    let mut file = File::create(path).expect("create");
    file.write_all(&old_header(items)).expect("write");
    let chunk = vec![0u8; 1 << 20];
    let mut left = items * 8;
    while left > 0 {
        let n = left.min(chunk.len() as u64);
        file.write_all(&chunk[..usize::try_from(n).expect("at most 1 MiB")])
            .expect("write");
        left -= n;
    }
}

/// A file whose data region is a ring of `window` bytes: a write at data offset `o`
/// lands at `o % window`. Appends through it therefore overwrite pages already in the
/// page cache, as the issue asks writes to be measured (fresh-file writes swing with
/// page allocation), while the writer's logic, header rewrites included, runs unchanged.
/// [`Storage::len`] reports the logical length.
pub struct Ring {
    file: File,
    data_offset: u64,
    window: u64,
    len: AtomicU64,
}

impl Ring {
    /// A ring over `file`, whose data begins at `data_offset`; the window is written
    /// once so that its pages are resident.
    pub fn new(file: File, data_offset: u64, window: u64) -> Ring {
        let chunk = vec![0u8; 1 << 20];
        let mut at = 0;
        while at < window {
            let n = (window - at).min(chunk.len() as u64);
            file.write_all_at(
                &chunk[..usize::try_from(n).expect("at most 1 MiB")],
                data_offset + at,
            )
            .expect("fill the window");
            at += n;
        }
        Ring {
            file,
            data_offset,
            window,
            len: AtomicU64::new(0),
        }
    }

    /// Where logical offset `offset` lands in the file.
    pub fn place(&self, offset: u64) -> u64 {
        if offset < self.data_offset {
            offset
        } else {
            self.data_offset + (offset - self.data_offset) % self.window
        }
    }

    /// The underlying file, for floors that write to the same pages.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl Storage for Ring {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(&self.file, buf, self.place(offset))
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let at = self.place(offset);
        // A write that would cross the end of the window is cut there (a short
        // write, which callers of `write_at` handle) and continues at its start.
        let room = if offset < self.data_offset {
            buf.len()
        } else {
            usize::try_from(self.data_offset + self.window - at).unwrap_or(usize::MAX)
        };
        let n = FileExt::write_at(&self.file, &buf[..buf.len().min(room)], at)?;
        self.len.fetch_max(offset + n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.len.load(Ordering::Relaxed))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.len.store(len, Ordering::Relaxed);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn sync_all(&self) -> io::Result<()> {
        self.file.sync_all()
    }
}

/// An appender of rows of 16 `<f8` over a [`Ring`] of `window` bytes in a new file at
/// `path` (which must not exist), in version `v`.
pub fn ring_appender(path: &Path, window: u64, opts: Options, v: Version) -> Appender<Ring> {
    let new = NewArray::new(f8(), [16]).version(v);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .expect("create");
    let data_offset = Header::new(f8(), false, vec![0, 16])
        .emit(Some(v))
        .expect("header")
        .bytes
        .len() as u64;
    let journal = npy_append::Sidecar::beside(path).expect("the journal's path");
    let app = Appender::create_on(Ring::new(file, data_offset, window), journal, &new, opts)
        .expect("create");
    assert_eq!(
        app.data_offset(),
        data_offset,
        "the ring starts at the data"
    );
    app
}
