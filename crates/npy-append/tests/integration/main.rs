//! Integration tests of npy-append, compiled into one binary.

mod common;
mod oracle;
