//! Test support for the npy crates (not published): test doubles for npy-append's
//! [`Storage`](npy_append::Storage), used by its crash and fault tests and by the fuzz
//! targets, and raw `.npy` headers for the tests and benchmarks of every crate.
//!
//! * [`header`]: `.npy` headers built byte by byte (as NumPy pads them, filled to a
//!   length with no room to grow, or exactly as given).
//! * [`MemFile`]: a file in memory.
//! * [`CrashFile`]: a file in memory that simulates power loss (files on one simulated
//!   disk lose power together).
//! * [`FaultyFile`]: a wrapper around any storage that makes chosen calls fail.
//! * [`Rng`]: the seeded random number generator the crash simulation draws from.
//!
//! # Simulating a crash
//!
//! [`CrashFile`] keeps what is durable apart from what has only been written, after
//! the model of SQLite's crash-test VFS: `sync_data`/`sync_all` make every pending
//! write durable; a power loss ([`CrashFile::power_loss`]) gives each write since the
//! last sync one fate (applied, dropped, torn to a prefix, or garbled with random
//! bytes of the same length), in order, and picks the file length independently among
//! the lengths the file had since the last sync (bytes up to a length that reached the
//! disk without their data read as zeros, as on ext4). A range insert
//! ([`Storage::insert_range`](npy_append::Storage::insert_range)) is a journaled
//! metadata change, applied whole or dropped by a power loss: true on ext4 and XFS
//! while the shift fits one transaction (a half-done shift of a file with many
//! extents, which `recover` detects and refuses, is built by hand in the tests). A
//! process crash loses nothing that was written ([`CrashFile::page_cache`]). Files on
//! one disk ([`CrashFile::on_same_disk`], an array and its journal) count their calls
//! together and lose power together; each one's pending writes meet their fates
//! independently (the disk orders nothing that was not synced).
//!
//! ```
//! use npy_append::{recover_on, Appender, Durability, NewArray, Options, RecoverOptions, Adopt};
//! use npy_header::{ByteOrder, Dtype, Kind, Scalar};
//! use npy_testing::{CrashFile, MemFile, Rng};
//!
//! let u2 = Dtype::Scalar(Scalar::new(Kind::UInt, ByteOrder::Little, 2).unwrap());
//! let file = CrashFile::new();
//! let journal = file.on_same_disk(); // its power fails with the file's
//! let opts = Options::new().durability(Durability::Synced).buffer_bytes(0);
//! let w = Appender::create_on(&file, &journal, &NewArray::new(u2, [2]), opts)?;
//! w.append(&[1u16, 2])?;
//! w.sync()?; // row 0 is acknowledged
//! file.crash_after(file.ops() + 3); // the power fails three calls from now
//! let _ = w.append(&[3u16, 4]); // may fail: the machine is down
//! drop(w);
//! let mut rng = Rng::with_seed(7);
//! let disk = MemFile::from_bytes(file.power_loss(&mut rng));
//! let journal = MemFile::from_bytes(journal.power_loss(&mut rng));
//! let done = recover_on(&disk, &journal, &RecoverOptions::new().adopt(Adopt::Counted))?;
//! assert!(done.rows >= 1);
//! # Ok::<(), npy_append::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod header;
mod storage;

pub use fastrand::Rng;

pub use crate::storage::{Call, CrashFile, Fate, Fault, FaultyFile, MemFile, Pending, SECTOR};
