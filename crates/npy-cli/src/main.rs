//! `npy`: inspect, validate, print, append to, recover and convert NumPy `.npy` files,
//! and run the conformance suite. See the `npy_cli` library for the logic; this file
//! only parses arguments and sets the exit status.

#![forbid(unsafe_code)]

use std::io::{self, ErrorKind};
use std::process::ExitCode;

use clap::Parser;
use npy_cli::cli::{run, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli, &mut io::stdout().lock(), &mut io::stderr().lock()) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`npy validate dir | head`): stop quietly.
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
