//! All integration tests in one binary (one link step, shared helpers).

mod accept;
mod emit;
mod fuzz_regressions;
mod oracle;
mod props;
mod reject;
