//! Integration tests of npy-append, compiled into one binary.

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
