//! The `load_paths` fuzz target's checks, replayed on stable Rust.
//!
//! The property lives in `npy_fuzz_checks::load_paths`, which the target calls too, so
//! `cargo test` runs exactly what the target runs over every committed finding
//! (`fuzz/regressions/load_paths/`) and over seeds: the conformance `.npy` files, also
//! cut short and with bytes appended. See `fuzz/README.md`.

use std::path::{Path, PathBuf};

use npy_fuzz_checks::load_paths;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed findings (none yet is fine: the directory may not exist).
fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    files.sort();
    files
}

fn conformance(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("conformance directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                conformance(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "npy") {
            out.push(path);
        }
    }
}

/// What the target does with one input, in a file of this test's own.
fn replay(data: &[u8], path: &Path) {
    load_paths::write_input(data, path);
    // SAFETY: the file is in this test's own temporary directory, and only this
    // function writes it, before it maps it; `load_paths` drops the map.
    let mapped = unsafe { npy_mmap::NpyFile::map(path) };
    load_paths::load_paths(data, path, mapped);
}

#[test]
fn load_paths_findings_and_seeds_pass_the_target_checks() {
    let scratch = tempfile::tempdir().expect("temporary directory");
    let path = scratch.path().join("input.npy");
    for file in regressions("load_paths") {
        eprintln!("replaying {}", file.display());
        replay(&std::fs::read(&file).expect("regression file"), &path);
    }
    let mut seeds = Vec::new();
    conformance(&root().join("conformance"), &mut seeds);
    assert!(seeds.len() > 100, "conformance files missing");
    for seed in seeds {
        let bytes = std::fs::read(&seed).expect("conformance file");
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0xab; 5]);
        for variant in [&bytes[..], &bytes[..bytes.len().saturating_sub(3)], &longer] {
            replay(variant, &path);
        }
    }
}
