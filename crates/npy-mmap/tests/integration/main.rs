//! All integration tests in one binary (one link step, shared helpers).

mod common;
mod errors;
mod follow;
mod fuzz_regressions;
mod oracle;
mod props;
mod views;
