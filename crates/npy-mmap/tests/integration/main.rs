//! All integration tests in one binary (one link step, shared helpers).
//!
//! The tests that ask NumPy (through `npy-oracle`) are ignored unless the `oracle`
//! feature is on, as `cargo xtask test` has it: a plain `cargo test` needs no Python.

mod common;
mod errors;
mod follow;
mod fuzz_regressions;
mod oracle;
mod props;
mod views;
