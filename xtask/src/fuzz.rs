//! `cargo xtask fuzz-seeds` and `cargo xtask fuzz-smoke`: the cargo-fuzz workspace in
//! `fuzz/` (see `fuzz/README.md`).
//!
//! cargo-fuzz builds with unstable compiler flags (`-Zsanitizer=address` and friends).
//! A stable toolchain accepts them when `RUSTC_BOOTSTRAP=1` is set, which these commands
//! do, so the fuzz targets build and run without a nightly toolchain.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Inputs up to this size: headers at the default limit (10,000 bytes) and a little data.
const MAX_LEN: &str = "-max_len=12000";

/// Seconds each target is fuzzed by `fuzz-smoke` unless told otherwise: with five
/// targets, the fuzzing part of a CI run stays under 2 minutes (CI has 2 cores and the
/// whole `.ci/run` must stay well under 20 minutes). Longer runs are campaigns, by hand
/// (`fuzz/README.md`).
const SMOKE_SECONDS: u64 = 20;

fn fuzz_dir(root: &Path) -> PathBuf {
    root.join("fuzz")
}

/// `cargo fuzz <args>` in `fuzz/`, accepted by a stable toolchain.
fn cargo_fuzz(root: &Path, args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(fuzz_dir(root))
        .arg("fuzz")
        .args(args)
        .env("RUSTC_BOOTSTRAP", "1");
    cmd
}

/// The fuzz targets, as cargo-fuzz lists them (so a new target needs no change here).
fn targets(root: &Path) -> Result<Vec<String>, String> {
    let out = cargo_fuzz(root, &["list"])
        .output()
        .map_err(|e| format!("cannot run cargo fuzz list: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo fuzz list failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let targets: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if targets.is_empty() {
        return Err("cargo fuzz list printed no targets".into());
    }
    Ok(targets)
}

/// Every `.npy` file under `dir`, recursively, sorted.
fn npy_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            // The adapters' build directories hold no seeds and many files.
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            npy_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "npy") {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

/// Copies the conformance files (samples and corpus) and every committed regression
/// into `fuzz/corpus/<target>/` for each target. Idempotent: files are named after their
/// source, so running it again overwrites rather than duplicates.
pub fn seeds(root: &Path) -> Result<(), String> {
    let mut seeds = Vec::new();
    npy_files(&root.join("conformance"), &mut seeds)?;
    let regressions = fuzz_dir(root).join("regressions");
    let mut regression_files = Vec::new();
    for dir in std::fs::read_dir(&regressions)
        .map_err(|e| format!("cannot list {}: {e}", regressions.display()))?
    {
        let dir = dir.map_err(|e| e.to_string())?.path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
            let file = file.map_err(|e| e.to_string())?.path();
            if file.is_file() {
                regression_files.push(file);
            }
        }
    }
    regression_files.sort();
    seeds.extend(regression_files);
    for target in targets(root)? {
        let corpus = fuzz_dir(root).join("corpus").join(&target);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        for seed in &seeds {
            let relative = seed.strip_prefix(root).unwrap_or(seed);
            let name = format!("seed-{}", relative.to_string_lossy().replace('/', "-"));
            std::fs::copy(seed, corpus.join(name))
                .map_err(|e| format!("cannot copy {}: {e}", seed.display()))?;
        }
        println!(
            "xtask: {} seeds in {}",
            seeds.len(),
            corpus.strip_prefix(root).unwrap_or(&corpus).display()
        );
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let have = Command::new(&cargo)
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if have {
        return Ok(());
    }
    println!("xtask: cargo-fuzz is not installed; installing it from crates.io");
    crate::run(Command::new(&cargo).args(["install", "cargo-fuzz", "--locked"]))
}

/// Lints the fuzz workspace, seeds it, then for each target replays the committed
/// regressions and fuzzes for `seconds` (default 20) from the seeds. Fails on any crash,
/// leak, timeout or failed check; libFuzzer writes the input to `fuzz/artifacts/`.
pub fn smoke(root: &Path, args: &[String]) -> Result<(), String> {
    let seconds = match args {
        [] => SMOKE_SECONDS,
        [s] => s
            .parse()
            .map_err(|_| format!("fuzz-smoke: {s:?} is not a number of seconds"))?,
        _ => return Err("usage: cargo xtask fuzz-smoke [SECONDS]".into()),
    };
    ensure_cargo_fuzz()?;
    let manifest = fuzz_dir(root).join("Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    crate::run(Command::new(&cargo).args(["fmt", "--manifest-path", &manifest, "--", "--check"]))?;
    crate::run(
        Command::new(&cargo)
            .args([
                "clippy",
                "--manifest-path",
                &manifest,
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .env("RUSTC_BOOTSTRAP", "1"),
    )?;
    seeds(root)?;
    crate::run(&mut cargo_fuzz(root, &["build"]))?;
    let total = format!("-max_total_time={seconds}");
    for target in targets(root)? {
        let corpus = format!("corpus/{target}");
        let regressions = format!("regressions/{target}");
        // A new target has no findings yet; libFuzzer needs the directory to exist.
        std::fs::create_dir_all(fuzz_dir(root).join(&regressions)).map_err(|e| e.to_string())?;
        let mut run = cargo_fuzz(
            root,
            &[
                "run",
                &target,
                &corpus,
                &regressions,
                "--",
                &total,
                MAX_LEN,
                "-dict=npy.dict",
                "-timeout=10",
                "-rss_limit_mb=2560",
                "-print_final_stats=1",
            ],
        );
        crate::run(&mut run)?;
    }
    Ok(())
}
