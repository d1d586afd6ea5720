//! The properties the fuzz targets check, shared with the crates' tests (not
//! published).
//!
//! The targets in `fuzz/fuzz_targets/` are thin: each calls a function of [`checks`]
//! (`npy-header`), [`recover`] and [`append_ops`] (`npy-append`) or [`load_paths`]
//! (`npy-mmap`), which hold the properties in plain Rust, so that each crate's
//! regression replay (`tests/integration/fuzz_regressions.rs`) runs them on stable Rust
//! with `cargo test` over every committed finding in `fuzz/regressions/`. See
//! `fuzz/README.md`.

#![forbid(unsafe_code)]

pub mod append_ops;
pub mod checks;
pub mod load_paths;
pub mod recover;
