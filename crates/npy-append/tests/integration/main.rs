//! Integration tests of npy-append, compiled into one binary.
//!
//! The tests that ask NumPy (through `npy-oracle`) are ignored unless the `oracle`
//! feature is on, as `cargo xtask test` has it: a plain `cargo test` needs no Python.

mod common;
mod crash;
mod errors;
mod faults;
mod fuzz_regressions;
mod insert_range;
mod journal;
mod large_header;
mod op_faults;
mod ops;
mod oracle;
mod port;
mod replace;
mod sigkill;
mod workload;
