//! Arbitrary file bytes (after one byte of options) → `npy_append::recover` on an
//! in-memory file: refuses and leaves the bytes as they were, or makes a file the
//! loader accepts, of whole rows, that a second `recover` leaves alone (see
//! `npy_fuzz_checks::recover`).

#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| npy_fuzz_checks::recover::recover(data));
