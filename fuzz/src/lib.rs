//! Fuzz targets for the npy crates (see `fuzz/README.md`).
//!
//! The targets in `fuzz_targets/` are thin: each calls a function of [`checks`], which
//! holds the properties in plain Rust so that the regression replay can run them on
//! stable Rust with `cargo test`.

#![forbid(unsafe_code)]

pub mod checks;
