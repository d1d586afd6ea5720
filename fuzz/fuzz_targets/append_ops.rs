//! Operations chosen by the input (create, append, flush, sync, arm a power failure,
//! reopen, crash and recover) on a writer over a crash-simulating file, checked against
//! a model and the crate's crash-guarantee table (see `npy_fuzz_checks::append_ops`).

#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| npy_fuzz_checks::append_ops::append_ops(data));
