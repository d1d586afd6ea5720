//! Fuzz targets for the npy crates (see `fuzz/README.md`).
//!
//! The targets in `fuzz_targets/` are thin: each calls a function of [`checks`]
//! (`npy-header`), [`recover`] and [`append_ops`] (`npy-append`) or [`load_paths`]
//! (`npy-mmap`), which hold the properties in plain Rust so that the regression replays
//! can run them on stable Rust with `cargo test`.

#![forbid(unsafe_code)]

pub mod append_ops;
pub mod checks;
pub mod load_paths;
pub mod recover;
