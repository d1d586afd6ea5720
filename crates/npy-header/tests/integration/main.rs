//! All integration tests in one binary (one link step, shared helpers).

mod accept;
mod common;
mod emit;
mod props;
mod reject;
