//! Arbitrary journal bytes beside an arbitrary array (after a byte of options and two
//! of the array's length) → `npy_append::recover`: refuses and leaves the array as it
//! was, or makes a file the loader accepts, of whole rows, and removes the journal
//! (see `npy_fuzz_checks::recover::recover_journal`).

#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| npy_fuzz_checks::recover::recover_journal(data));
