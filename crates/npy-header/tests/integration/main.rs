//! All integration tests in one binary (one link step, shared helpers).

mod accept;
mod common;
mod emit;
mod oracle;
mod props;
mod reject;
