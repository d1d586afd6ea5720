//! Headers built from fuzzer choices → emit → parse gives the same header; and for any
//! bytes parse accepts, parse → emit → parse is a fixed point (see
//! `npy_fuzz_checks::checks::roundtrip`).

#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| npy_fuzz_checks::checks::roundtrip(data));
