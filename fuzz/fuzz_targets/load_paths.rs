//! Arbitrary file bytes → the memory-mapped loader, the file reader, the streaming
//! reader fed the whole input and fed one byte at a time: the same verdict and the same
//! data (see `npy_fuzz_checks::load_paths`).

#![no_main]
// `deny`, not `forbid`: mapping the scratch file takes `unsafe`, allowed in `run` alone.
#![deny(unsafe_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

/// One scratch file per process, overwritten by every input: on tmpfs when there is
/// one, so that writing it costs no disk I/O.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("npy-fuzz-load-paths-{}.npy", std::process::id()))
    })
}

#[allow(unsafe_code)]
fn run(data: &[u8]) {
    let path = scratch();
    npy_fuzz_checks::load_paths::write_input(data, path);
    // SAFETY: the scratch file is named after this process's id and only this process
    // writes it, each time before it maps it; `load_paths` drops the map before the
    // next input is written.
    let mapped = unsafe { npy_mmap::NpyFile::map(path) };
    npy_fuzz_checks::load_paths::load_paths(data, path, mapped);
}

fuzz_target!(|data: &[u8]| run(data));
