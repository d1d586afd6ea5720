//! Append to NumPy `.npy` files, with stated crash guarantees; recover, make
//! appendable, finalise and convert them.
//!
//! An [`Appender`] grows a file along its growth axis (axis 0 in C order, the last
//! axis in Fortran order): format 1.0–3.0 files have their header's count rewritten in
//! place (NumPy ≥ 1.24 leaves room for it; `spec/npy-format.md` section 9, `A-*`), and
//! format 4.0 files say `-1` and are never rewritten (section 5, `V4-*`). Every 1.0–3.0
//! file it writes is byte-identical to what `np.save` writes for the final array.
//! [`recover`] makes an interrupted file consistent, [`ensure_appendable`] gives an old
//! header room to grow, [`finalize`] turns a 4.0 file into one today's NumPy reads, and
//! [`convert`] changes versions. This is what the Python package `npy-append-array`
//! offers, plus durability, buffering of small appends, 4.0, locking and errors you can
//! act on. Built on [`npy_header`]; unix only (positional I/O, `flock`).
//!
//! # Appending
//!
//! ```
//! use npy_append::{Appender, Cast, NewArray, Options};
//! use npy_header::{ByteOrder, Dtype, Kind, Scalar};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("log.npy");
//!
//! // A new C-order file of float32 rows of 4 values: shape (n, 4). `Dtype::of::<f32>()`
//! // is this machine's byte order; `"<f4".parse::<Scalar>()` names one.
//! let f4 = Dtype::of::<f32>();
//! let w = Appender::create(&path, &NewArray::new(f4, [4]), Options::new())?;
//! w.append(&[1.0f32, 2.0, 3.0, 4.0])?;           // typed values, native order
//! w.append_bytes(&[0u8; 32])?;                    // raw rows in the file's layout
//! w.close()?;
//!
//! // Continue it later (any thread may append through `&w`).
//! let w = Appender::open(&path, Options::new())?;
//! assert_eq!(w.rows(), 3);
//! # let other = dir.path().join("more.npy");
//! # let f4 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 4).unwrap());
//! # let m = Appender::create(&other, &NewArray::new(f4, [4]), Options::new())?;
//! # m.append(&[9.0f32; 8])?; m.close()?;
//! let rows = w.append_npy_file(&other, Cast::No)?; // another .npy array's rows
//! assert_eq!(rows, 3..5);
//! # Ok::<(), npy_append::Error>(())
//! ```
//!
//! [`Appender::open`] checks, in this order and without changing the file: the header
//! is valid, the dtype holds no Python objects, the array is not 0-d, the header has
//! room to grow ([`ErrorKind::NotAppendable`]: run [`ensure_appendable`]), and the data
//! matches the header ([`ErrorKind::NeedsRecovery`]: run [`recover`]). [`status`]
//! makes the same checks without taking the file's lock (a writer may hold it) and
//! reports each answer, as npy-append-array's `is_appendable` and `needs_recovery` do.
//! Appended data
//! must have the file's dtype (or one [`Cast::Safe`] converts, named by the caller; no
//! silent casts) and its dimensions except on the growth axis; an array in the other
//! order is reordered. A mismatch is an error naming both shapes or dtypes, and the
//! file is unchanged.
//!
//! # What is on disk when
//!
//! * `append` returns: the rows are in the writer's buffer, or (when the buffer could
//!   not hold them) written to the file. Appends smaller than
//!   [`Options::buffer_bytes`] (default [`DEFAULT_BUFFER_BYTES`], 1 MiB) are copied
//!   into the buffer and written when it would overflow, so small appends cost no
//!   system call; larger ones are written directly.
//! * Rows written to the file: with [`HeaderPolicy::EveryWrite`] (the default) the
//!   header is rewritten in the same call to count them, so the file is always a valid
//!   array of every row written (npy-append-array's `rewrite_header_on_append=True` is
//!   a buffer of 0 bytes). With [`HeaderPolicy::OnFlush`], only `flush`, `sync` and
//!   `close` rewrite it.
//! * [`Appender::flush`] returns: every row appended is written and counted, in the
//!   page cache: other processes see it, and it survives this process dying.
//! * [`Appender::sync`] returns: the same, durable (`A-4`: data `fdatasync`, header,
//!   `fdatasync`).
//! * [`Appender::close`] (or drop, which cannot report errors): `flush`, or `sync`
//!   with [`Durability::Synced`].
//! * 4.0 files: the header never changes; rows in the file are part of the array by
//!   the file's size alone.
//!
//! With [`Durability::Synced`], every header rewrite is ordered: the data it counts is
//! `fdatasync`ed first, then the header is written and `fdatasync`ed (and for 4.0 files
//! every write is followed by `fdatasync`). Any I/O error, and above all a failed
//! `fdatasync`, poisons the writer: later calls fail with [`ErrorKind::Poisoned`], and
//! an `fsync` is never retried (the kernel may have dropped the pages; a second call
//! can report success).
//!
//! # Crash guarantees
//!
//! A *process crash* (panic, `SIGKILL`) keeps everything written to the file: only the
//! buffer is lost. A *power loss* (or kernel crash) keeps what was `fdatasync`ed; each
//! write since may be lost, torn (a prefix lands) or garbled, and the file size may
//! reach the disk without the data (ext4's default mode: appended blocks then read as
//! zeros or stale bytes). `fdatasync` is assumed to reach stable storage, and a rename
//! to be atomic. "Acknowledged" rows are those appended before a `sync()` (or, with
//! `Synced`, a `flush()` or `close()`) that returned `Ok`. After [`recover`]:
//!
//! | writer | crash | [`Adopt`] | the rows recovered |
//! |---|---|---|---|
//! | any | process | `WholeRows` (default) | every row that reached the file: a prefix of what was appended, with no hole and nothing else |
//! | any | process | `Counted` | the rows the header counted: every row before the last `flush`/`sync` (with `EveryWrite`, before the last write) |
//! | `Synced`, 1.0–3.0 | power | `Counted` | a prefix of what was appended that holds every acknowledged row, and nothing that was not appended |
//! | `Synced`, 1.0–3.0 | power | `WholeRows` | every acknowledged row, then possibly rows that never reached the disk (zeros or stale bytes) |
//! | `None`, 1.0–3.0 | power | either | every acknowledged row, unless a header rewrite that changed the count's number of digits was torn (only `Synced` journals those): then the count may read fewer rows; the header may also count rows written since that never reached the disk, so garbage may follow |
//! | 4.0 | power | — | every acknowledged row; the file size may cover rows that never reached the disk, and without a count nothing can tell them apart: garbage may follow. [`finalize`] after `sync()` when it matters |
//!
//! Why `Counted` recovery of a `Synced` file holds only appended rows: a header on disk
//! counts only rows that were on disk before it; a rewrite that only changes digits
//! lying in one 512-byte sector can tear only into a count between the old one and one
//! that `recover` clamps to the whole rows the file holds, all durable at that moment;
//! every other rewrite (the count gains a digit, at most 19 times in a file's life, or
//! its digits straddle a sector) is journaled. A header garbled beyond parsing is
//! rewritten from [`RecoverOptions::template`], counting the rows from the size.
//!
//! `recover` itself is crash-safe by default (journal and `fdatasync`s).
//! `RecoverOptions::durability(Durability::None)` skips both, as npy-append-array's
//! `recover` does: about ten times faster, still safe if its own process crashes (run
//! it again), but a power loss during the call may tear the header (a
//! [template](RecoverOptions::template) repairs it).
//!
//! **The journal.** Every rewrite that must survive a crash (`recover`, `finalize` and
//! `convert` rewriting a header, the journaled `Synced` count changes above, each step
//! of an in-place [`ensure_appendable`]) is journaled in a file beside the array,
//! `NAME-journal` ([`Sidecar`]), as SQLite keeps a rollback journal, and never in the
//! array. So, after any failure at any instant (a full disk, `EIO`, Ctrl-C, `SIGKILL`,
//! a power loss):
//!
//! * no reader and no [`Adopt`] policy counts a byte as a row that was not appended as
//!   one; a reader following a 4.0 file sees only its rows, during [`finalize`] too
//!   (`V4-5`);
//! * row data cannot pose as a journal: whoever controls the rows (untrusted bytes
//!   logged as `u1`) cannot block appends or make `recover` change the dtype or shape;
//! * an operation that failed before its journal was complete had not changed the
//!   array, and [`recover`] removes its journal ([`Replayed::Discarded`]); one that
//!   failed later is finished by [`recover`];
//! * a journal that does not fit the array (another file's, or an array changed since)
//!   is refused ([`ErrorKind::Unrecoverable`]), never applied.
//!
//! [`Appender::open`] and the other operations refuse an array with a journal
//! ([`ErrorKind::NeedsRecovery`]), and [`Appender::create`] refuses to start one
//! beside a journal. **Move or copy an array together with its journal** while one is
//! there. The order of writes and the format are in [`Sidecar`]'s docs and
//! `spec/npy-format.md` section 9.1; how the in-place rewrite makes room, and what a
//! power loss during a range insert can leave, in [`EnsureMode::InPlace`].
//!
//! **After a failed `fdatasync`.** The writer stops at the first failed sync and never
//! retries it, because the kernel may have dropped the dirty pages and marked them
//! clean: a later `fdatasync`, `recover`'s own included (on a new descriptor), can then
//! report success although those pages never reached the disk. What `recover` promises
//! after such a failure is what it promises after a power loss at that moment: the
//! rows the header counted when the last sync *succeeded* are durable, and `Counted`
//! recovery of a `Synced` 1.0–3.0 file keeps no row that was not appended; rows
//! written after that point may read back as zeros or stale bytes once the machine
//! restarts, so check them (or append them again) before relying on them.
//!
//! **How this is checked.** A fault matrix takes every operation that writes and, for
//! every storage call it makes to the array or its journal, fails that call with
//! `ENOSPC` or `EIO`, kills the process before it, or cuts the power before it (each
//! unsynced write applied, dropped, torn, garbled or landed sector by sector). After
//! each, the writer's file under both [`Adopt`] policies holds what the table above
//! promises, and every other operation's file, after `recover` under each policy and
//! the operation run again, is byte for byte what the operation makes without a
//! fault; the array never grows past its final length, and a reader of a 4.0 file only
//! ever counts its original rows. Cases in each run of the test suite:
//!
//! | operation | failures | kills | power losses |
//! |---|---|---|---|
//! | append, 1.0 and 3.0, each of `EveryWrite`/`OnFlush` × `None`/`Synced` | 24–58 | 12–28 | 96–224 |
//! | append, 4.0, `None` / `Synced` | 16 / 26 | 8 / 12 | 64 / 96 |
//! | [`recover`]: whole rows, counted, zero-filled, of a 4.0 file | 24, 10, 24, 10 | 9, 3, 9, 3 | 72, 24, 72, 24 |
//! | [`ensure_appendable`] in place: header only, range insert | 20, 24 | 7, 9 | 56, 72 |
//! | in place, chunked move: 100 rows in 70-byte chunks, 3 rows, insert refused | 144, 32, 154 | 60, 12, 64 | 480, 96, 512 |
//! | [`finalize`]; [`convert`] to 4.0, from 4.0, 1.0 to 3.0 | 26; 22 each | 10; 8 each | 80; 64 each |
//!
//! In all 946 failures, 410 kills and 3 280 power losses, each recovered two or four
//! ways. On real filesystems: full tmpfs, ext4 and XFS filesystems during `finalize`,
//! a synced count change and the in-place `ensure_appendable`; real `SIGKILL`s of a
//! process making a file appendable in place on ext4 and XFS, and of one appending in
//! a loop; seeded power-loss campaigns of random workloads. How to run more of each:
//! `crates/npy-append/tests/README.md`.
//!
//! # Recovering, making appendable, finalising, converting
//!
//! ```
//! use npy_append::{convert, ensure_appendable, finalize, recover, Adopt, EnsureMode, RecoverOptions};
//! use npy_header::Version;
//! # use npy_append::{Appender, NewArray, Options};
//! # use npy_header::{ByteOrder, Dtype, Kind, Scalar};
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("a.npy");
//! # let u1 = Dtype::Scalar(Scalar::new(Kind::UInt, ByteOrder::NotApplicable, 1).unwrap());
//! # let w = Appender::create(&path, &NewArray::new(u1, [2]).version(Version::V4_0), Options::new())?;
//! # w.append(&[1u8, 2, 3, 4])?;
//! # w.close()?;
//! # let mut bytes = std::fs::read(&path).unwrap();
//! # bytes.push(5);
//! # std::fs::write(&path, bytes).unwrap();
//!
//! // A 4.0 file whose last append was interrupted: 2 rows and half of a third.
//! let done = recover(&path, &RecoverOptions::new().adopt(Adopt::Counted))?;
//! assert_eq!((done.rows, done.truncated_bytes), (2, 1));
//! let done = finalize(&path)?; // now NumPy reads it
//! assert_eq!((done.to, done.shape), (Version::V1_0, vec![2, 2]));
//! convert(&path, Version::V4_0)?; // and back, in place
//! assert!(ensure_appendable(&path, EnsureMode::InPlace)?.already);
//! # Ok::<(), npy_append::Error>(())
//! ```
//!
//! `recover` never moves data, whatever the file size: it finishes a journaled
//! operation, derives the count from the size, cuts a partial row (or completes it with
//! zeros, [`RecoverOptions::zerofill_incomplete`]), keeps or drops whole rows beyond the
//! header's count ([`Adopt`]), clamps a count larger than the file holds, and rewrites
//! the header through the journal. It is idempotent, handles 0-d arrays, zero-size
//! dimensions and empty data (npy-append-array crashes on the first two), and checks
//! everything before writing: on an error, the file is unchanged.
//!
//! # Storage
//!
//! All file I/O goes through [`Storage`] (`read_at`, `write_at`, `len`, `set_len`,
//! `sync_data`, `sync_all`, and `insert_range`, which defaults to "unsupported"),
//! implemented for [`std::fs::File`] and for the journal beside a file, [`Sidecar`]
//! (which exists only while it holds bytes). The `*_on` functions
//! ([`Appender::create_on`], [`recover_on`], [`ensure_appendable_in_place_on`],
//! [`finalize_on`], [`convert_on`]) take any storage for the array and one for its
//! journal, and no lock. The crate's tests implement it with an in-memory file, a file
//! that simulates power loss (files on one simulated disk lose power together), and
//! one that injects failures (the repository's unpublished `npy-testing` crate; see
//! `crates/npy-append/tests/README.md`).
//!
//! # Limits and memory
//!
//! Memory use is bounded whatever the file size:
//!
//! | operation | memory |
//! |---|---|
//! | writer | the buffer, grown as needed up to [`Options::buffer_bytes`] (default 1 MiB), and 64 KiB to byte-swap or cast |
//! | [`Appender::append_npy`] | 1 MiB read chunks; reordering between C and Fortran order: [`REORDER_BYTES`] (8 MiB) or one row, if larger |
//! | [`ensure_appendable`], [`convert`] rewrites | one chunk ([`MoveOptions::chunk_bytes`], default [`DEFAULT_CHUNK_BYTES`], 16 MiB; at most [`MAX_MOVE_CHUNK`]) |
//! | [`recover`] | the header, and a journal record (the header and at most one chunk) |
//!
//! The in-place move also needs disk space for two chunks and two headers while it
//! runs, the range insert one block and two headers; the rewrite modes need space for
//! a copy.
//!
//! # Input safety
//!
//! Headers are read preamble first, and the length field is checked against
//! [`MAX_HEADER_LEN`] (1 MiB, a hundred times NumPy's default) before anything is sized
//! from it; the other limits are [`npy_header::Limits`]' defaults (64 dimensions,
//! 65 536 fields, nesting 64). Sizes are computed with checked arithmetic: an array
//! cannot grow past 2⁶³−1 bytes or rows ([`ErrorKind::TooLarge`]). A journal record is
//! believed only when its magic, its fields (checked against each other and the file
//! size before anything is read) and its CRC-32 agree, so it cannot make `recover`
//! read more than the file holds; a crafted journal can make `recover` rewrite the
//! header and move or cut data within the file, which its owner could do anyway.
//!
//! # Concurrency
//!
//! An [`Appender<File>`] is `Send + Sync`: appends take `&self` and hold an internal
//! lock for their whole write, so concurrent appends never interleave bytes, and the
//! row ranges they return say where each one went. Across processes, the writer and
//! every path-based operation take the file's advisory lock (`flock`, `A-3`) and
//! refuse with [`ErrorKind::Locked`] if another holds it (npy-append-array does not
//! lock, so it is not kept out).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cast;
mod convert;
mod ensure;
mod error;
mod files;
mod input;
mod journal;
mod layout;
mod recover;
mod sidecar;
mod status;
mod storage;
mod writer;

pub use crate::cast::Cast;
pub use crate::convert::{convert, convert_on, convert_with, finalize, finalize_on, Converted};
pub use crate::ensure::{
    ensure_appendable, ensure_appendable_in_place_on, ensure_appendable_with, Appendable,
    EnsureMode, Method, MoveOptions, DEFAULT_CHUNK_BYTES,
};
pub use crate::error::{Error, ErrorKind, Result};
pub use crate::input::REORDER_BYTES;
pub use crate::journal::{Progress, MAX_MOVE_CHUNK};
pub use crate::layout::MAX_HEADER_LEN;
pub use crate::recover::{recover, recover_on, Adopt, RecoverOptions, Recovered, Replayed};
pub use crate::sidecar::Sidecar;
pub use crate::status::{status, status_on, Status};
pub use crate::storage::Storage;
pub use crate::writer::{
    Appender, Batch, Durability, HeaderPolicy, NewArray, Options, DEFAULT_BUFFER_BYTES,
};
/// The Rust number types [`Appender::append`] takes (from `npy-header`).
pub use npy_header::Element;
