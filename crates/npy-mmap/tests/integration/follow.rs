//! A reader thread follows a writer thread that appends to a file: every refresh sees
//! a prefix of what was written, never a torn row.
//!
//! The writer splits its writes at arbitrary byte positions (chosen by a fixed-seed
//! generator), so rows arrive in pieces. After some writes it waits until the reader
//! has refreshed, so that the reader is sure to observe files that end mid-row; the
//! rest of the time the two run freely.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use npy_header::{ByteOrder, Header, Kind, Version};
use npy_mmap::{NpyBuffer, NpyFile};

use crate::common::{scalar, Scratch};

const COLUMNS: u64 = 5;
const ROWS: u64 = 3000;
const ROW_BYTES: u64 = COLUMNS * 4;

/// The value at a row and column: distinct everywhere, so a row read from the wrong
/// place or half-written cannot pass.
fn value(row: u64, column: u64) -> u32 {
    u32::try_from((row * COLUMNS + column) * 2_654_435_761 % (1 << 32)).unwrap()
}

/// The data of rows `rows` in storage order: C order is row by row; in Fortran order
/// the growth axis is the last, so a "row" is a column of the (COLUMNS, n) array,
/// which is contiguous too.
fn row_bytes(rows: std::ops::Range<u64>) -> Vec<u8> {
    rows.flat_map(|r| (0..COLUMNS).flat_map(move |c| value(r, c).to_le_bytes()))
        .collect()
}

/// xorshift64*: a fixed-seed generator, so every run writes the same pieces.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

struct Shared {
    refreshes: AtomicU64,
    done: AtomicBool,
}

/// Waits until the reader has refreshed since `seen`.
fn wait_for_reader(shared: &Shared, seen: u64) {
    while shared.refreshes.load(Ordering::Acquire) <= seen {
        thread::yield_now();
    }
}

/// What the reader saw, for assertions after the run.
#[derive(Default, Debug)]
struct Seen {
    refreshes: u64,
    distinct_row_counts: u64,
    partial_rows: u64,
    retries: u64,
}

/// Refreshes until all rows are there; checks every exposed row every time it grows.
fn follow(path: &Path, shared: &Shared, retry_on: &[&str]) -> Seen {
    // SAFETY: the writer thread only appends rows, and rewrites the header, which is
    // never mapped (`A-4`, `V4-5`); nothing truncates the file.
    let mut file = unsafe { NpyFile::map(path) }.unwrap();
    let mut seen = Seen::default();
    let mut rows = file.layout().rows();
    loop {
        match file.refresh() {
            Ok(added) => {
                assert_eq!(file.layout().rows(), rows + added);
                if added > 0 {
                    seen.distinct_row_counts += 1;
                    let view = file.view();
                    // A prefix of what was written, every row whole.
                    assert_eq!(view.bytes(), row_bytes(0..view.rows()));
                    rows = view.rows();
                }
                seen.partial_rows += u64::from(file.layout().has_partial_row());
            }
            Err(e) if retry_on.contains(&e.kind().name()) => seen.retries += 1,
            Err(e) => panic!("refresh failed: {e}"),
        }
        seen.refreshes += 1;
        shared.refreshes.fetch_add(1, Ordering::Release);
        if rows == ROWS && shared.done.load(Ordering::Acquire) {
            return seen;
        }
    }
}

/// Appends all rows in pieces of 1 to 2.5 rows' bytes, crossing row boundaries.
fn write_pieces(mut out: File, shared: &Shared, mut after_write: impl FnMut(u64)) {
    let all = row_bytes(0..ROWS);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut written = 0usize;
    let mut pieces = 0u64;
    while written < all.len() {
        let n = usize::try_from(1 + rng.below(ROW_BYTES * 5 / 2)).unwrap();
        let end = (written + n).min(all.len());
        out.write_all(&all[written..end]).unwrap();
        written = end;
        pieces += 1;
        after_write(written as u64);
        if pieces % 8 == 0 {
            wait_for_reader(shared, shared.refreshes.load(Ordering::Acquire));
        }
    }
    shared.done.store(true, Ordering::Release);
}

#[test]
fn reader_follows_an_open_ended_writer() {
    for fortran in [false, true] {
        let scratch = Scratch::new();
        let header = Header::open_ended(
            scalar(Kind::UInt, ByteOrder::Little, 4),
            fortran,
            vec![COLUMNS],
        );
        let path = scratch.write("following.npy", &header.emit(None).unwrap().bytes);
        let shared = Arc::new(Shared {
            refreshes: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        let out = OpenOptions::new().append(true).open(&path).unwrap();
        let writer = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || write_pieces(out, &shared, |_| {}))
        };
        let seen = follow(&path, &shared, &[]);
        writer.join().unwrap();
        // The handshakes make the reader see growth many times, and files ending
        // mid-row; without them the test would still check prefixes, but might not
        // see a partial row at all.
        assert!(seen.distinct_row_counts >= 50, "{seen:?}");
        assert!(seen.partial_rows >= 10, "{seen:?}");
        assert_eq!(seen.retries, 0);
        let file = NpyBuffer::read_file(&path).unwrap();
        let shape = if fortran {
            [COLUMNS, ROWS]
        } else {
            [ROWS, COLUMNS]
        };
        assert_eq!(file.layout().shape(), shape);
    }
}

/// The 1.0–3.0 protocol (`A-4`): rows first, then the header rewritten in place with
/// the new count. The reader may catch the header mid-rewrite (then `refresh` says
/// so and is retried), but never sees a count without its data.
#[test]
fn reader_follows_a_header_rewriting_writer() {
    for version in [Version::V1_0, Version::V3_0] {
        let scratch = Scratch::new();
        let u4 = scalar(Kind::UInt, ByteOrder::Little, 4);
        let header = Header::new(u4.clone(), false, vec![0, COLUMNS]);
        let emitted = header.emit(Some(version)).unwrap().bytes;
        let header_len = emitted.len() as u64;
        let path = scratch.write("appending.npy", &emitted);
        let shared = Arc::new(Shared {
            refreshes: AtomicU64::new(0),
            done: AtomicBool::new(false),
        });
        let out = OpenOptions::new().append(true).open(&path).unwrap();
        let mut header_file = OpenOptions::new().write(true).open(&path).unwrap();
        let writer = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let mut counted = 0;
                write_pieces(out, &shared, |written| {
                    let rows = written / ROW_BYTES;
                    if rows > counted {
                        let h = Header::new(u4.clone(), false, vec![rows, COLUMNS]);
                        let bytes = h.emit_in_place(version, header_len).unwrap();
                        header_file.seek(SeekFrom::Start(0)).unwrap();
                        header_file.write_all(&bytes).unwrap();
                        counted = rows;
                    }
                })
            })
        };
        // A torn header read shows as a changed header, or as a header that does not
        // parse; both are retried.
        let seen = follow(
            &path,
            &shared,
            &["header_changed", "syntax", "invalid_shape"],
        );
        writer.join().unwrap();
        assert!(seen.distinct_row_counts >= 50, "{seen:?}");
        // The header counts whole rows only, so the data past it is never a row.
        let file = NpyBuffer::read_file(&path).unwrap();
        assert_eq!(file.layout().shape(), [ROWS, COLUMNS]);
        assert_eq!(file.layout().trailing_bytes(), 0);
        assert_eq!(file.view().bytes(), row_bytes(0..ROWS));
    }
}
