//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! * `setup`: create `<root>/.venv` (`python3 -m venv`) and install the pinned
//!   `requirements-oracle.txt` (NumPy for the oracle), `requirements-dev.txt` (ruff) and
//!   `requirements-python.txt` (maturin, pytest, hypothesis) into it, unless it already
//!   has exactly those versions.
//! * `test [ARGS]`: `setup`, then `cargo test --workspace --all-targets --features
//!   oracle ARGS` and `cargo test --workspace --doc --features oracle ARGS` with the
//!   oracle environment (below). The `oracle` feature of the crates builds in the
//!   NumPy oracle (pyo3) and runs the tests that ask it, which a plain `cargo test`
//!   ignores. Then the Python package (`crates/npy-python`, its own workspace): built
//!   and installed into `.venv` (`pip install --no-build-isolation`, with the pinned
//!   maturin) and its pytest suite run. `-p npy-python` runs only the Python part, and
//!   passes the arguments after `--` to pytest; another `-p` runs only the Rust part.
//! * `test-python39 [ARGS]`: the Python package on the oldest CPython it supports (3.9,
//!   its `requires-python`), which must be on PATH as `python3.9`: `setup`, then the
//!   abi3 wheel built with `.venv`'s maturin into `<target>/python-wheels/`, the venv
//!   `<target>/venv39` created (`python3.9 -m venv --without-pip`) with the pins of
//!   `requirements-python39.txt` installed by `.venv`'s pip (`pip --python`), the wheel
//!   installed there, and the package's pytest suite run with it (ARGS go to pytest).
//! * `lint`: `setup`, then `cargo fmt --check` (also of `fuzz/` and
//!   `crates/npy-python`), `ruff check` of the Python (`ruff.toml`), `cargo clippy -D
//!   warnings` with and without the `oracle` feature (and of `crates/npy-python`), and
//!   `cargo doc` with `-D warnings`, with the oracle environment.
//! * `package`: `cargo package` of every published crate (under `crates/`, without
//!   `publish = false`), each built from its package alone, and a size check of each
//!   `.crate` (see `package.rs`).
//! * `ci`: `lint`, then `package`, then a plain `cargo test --workspace` (no `oracle`
//!   feature, no oracle environment: what a contributor without Python runs), then
//!   `test`, then `test-python39`, then `cargo bench
//!   --workspace --no-run` (the benches are built in the bench profile, unoptimised to
//!   save time, and not run; `test` already ran each one once on small inputs), then
//!   `readers --check` of the cheap readers.
//! * `readers [ARGS]`: `setup`, then `conformance/results.py ARGS` with the venv's
//!   Python: every reader of the conformance results (builds the Rust peers, installs
//!   the JavaScript adapters' packages, creates the NumPy 1.26 venv) and rewrites the
//!   table in `conformance/README.md`; `--readers A,B --check` runs only those and
//!   compares their rows with the table.
//! * `fuzz-seeds`: copy the conformance files and the committed fuzz regressions into
//!   `fuzz/corpus/<target>/` (git-ignored) as seeds.
//! * `fuzz-smoke [SECONDS]`: install cargo-fuzz if missing, lint the fuzz workspace,
//!   seed it, and run every fuzz target for SECONDS (default 20) after replaying its
//!   committed regressions; on stable Rust through `RUSTC_BOOTSTRAP=1` (see `fuzz.rs`).
//!
//! The oracle environment is `PYO3_PYTHON=<root>/.venv/bin/python` (always this
//! same value, so pyo3 is not rebuilt between commands), `NPY_ORACLE_VENV=<root>/.venv`
//! and Python's `LIBDIR` prepended to `LD_LIBRARY_PATH` so test binaries find libpython.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

mod fuzz;
mod package;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup          create .venv with the pinned requirements-{oracle,dev,python}.txt
                 (idempotent)
  test [ARGS]    setup, then cargo test --workspace --all-targets --features oracle ARGS,
                 and --doc (the oracle feature runs the tests that ask NumPy), then
                 build the Python package into .venv and run its pytest suite
                 (-p npy-python: only that, with the ARGS after -- for pytest)
  test-python39 [ARGS]
                 setup, then build the abi3 wheel, install it into target/venv39
                 (python3.9 from PATH, requirements-python39.txt) and run the Python
                 package's pytest suite on CPython 3.9 (ARGS go to pytest)
  lint           setup, then cargo fmt --check, ruff check, clippy -D warnings (with and
                 without the oracle feature), doc -D warnings
  package        cargo package every published crate, build each alone, check sizes
  ci             lint, package, a plain cargo test --workspace (no oracle), test,
                 test-python39, cargo bench --workspace --no-run, then readers
                 --readers npyjs,numpy-parser --check
  readers [ARGS] setup, then conformance/results.py ARGS: run other readers against
                 the conformance corpus and rewrite (or --check) its results table
  fuzz-seeds     seed fuzz/corpus/<target>/ from conformance/ and fuzz/regressions/
  fuzz-smoke [SECONDS]
                 lint and seed fuzz/, replay its regressions, fuzz each target
                 SECONDS (default 20); stable Rust is enough";

/// `cargo test --workspace` as a contributor without Python runs it: no `oracle`
/// feature and no oracle environment, so a test that asks NumPy without being behind
/// the feature fails here (the oracle panics), instead of only on a machine without
/// Python.
fn test_plain() -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root())
        .args(["test", "--workspace", "--no-fail-fast"])
        .env_remove("NPY_ORACLE_VENV")
        .env_remove("PYO3_PYTHON");
    run(&mut cmd)
}

/// Base interpreter used to create the virtualenv.
const BASE_PYTHON: &str = "python3";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup().map(drop),
        Some("test") => setup().and_then(|env| test(&env, &args[1..])),
        Some("test-python39") => setup().and_then(|env| test_python39(&env, &args[1..])),
        Some("lint") if args.len() == 1 => setup().and_then(|env| lint(&env)),
        Some("package") if args.len() == 1 => package::package(root()),
        Some("ci") if args.len() == 1 => setup().and_then(|env| {
            lint(&env)
                .and_then(|()| package::package(root()))
                .and_then(|()| test_plain())
                .and_then(|()| test(&env, &[]))
                .and_then(|()| test_python39(&env, &[]))
                .and_then(|()| bench_build(&env))
                .and_then(|()| readers(&env, &CHEAP_READERS))
        }),
        Some("readers") => setup().and_then(|env| readers(&env, &args[1..])),
        Some("fuzz-seeds") if args.len() == 1 => fuzz::seeds(root()),
        Some("fuzz-smoke") => fuzz::smoke(root(), &args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the oracle needs at build and test time.
struct OracleEnv {
    venv: PathBuf,
    python: PathBuf,
    libdir: String,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is directly below the workspace root")
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Inspects the venv: pinned versions installed, numpy importable, libpython shared.
/// Prints `key=value` lines: `missing=<pin>` per unmet pin, then libdir, shared, version.
const CHECK_PY: &str = r#"
import sys, sysconfig, importlib.metadata as md
for pin in sys.argv[1:]:
    name, want = pin.split("==", 1)
    try:
        have = md.version(name)
    except md.PackageNotFoundError:
        have = None
    if have != want:
        print(f"missing={pin} (installed: {have})")
try:
    import numpy
except Exception as e:
    print(f"missing=importable numpy ({type(e).__name__}: {e})")
print(f"libdir={sysconfig.get_config_var('LIBDIR')}")
print(f"shared={sysconfig.get_config_var('Py_ENABLE_SHARED')}")
print(f"version={sys.version.split()[0]}")
"#;

struct VenvState {
    missing: Vec<String>,
    libdir: String,
    shared: bool,
    version: String,
}

fn check_venv(python: &Path, pins: &[String]) -> Result<VenvState, String> {
    let out = Command::new(python)
        .arg("-c")
        .arg(CHECK_PY)
        .args(pins)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed to inspect the virtualenv: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut state = VenvState {
        missing: Vec::new(),
        libdir: String::new(),
        shared: false,
        version: String::new(),
    };
    for line in stdout.lines() {
        match line.split_once('=') {
            Some(("missing", v)) => state.missing.push(v.to_owned()),
            Some(("libdir", v)) => v.clone_into(&mut state.libdir),
            Some(("shared", v)) => state.shared = v == "1",
            Some(("version", v)) => v.clone_into(&mut state.version),
            _ => {}
        }
    }
    Ok(state)
}

/// The pinned Python requirements, installed into `.venv`: NumPy and what the oracle
/// needs, the development tools, and what the Python package is built and tested with.
const REQUIREMENTS: [&str; 3] = [
    "requirements-oracle.txt",
    "requirements-dev.txt",
    "requirements-python.txt",
];

/// The Python package's crate: its own workspace, excluded from the root one.
const PYTHON_CRATE: &str = "npy-python";

/// `name==version` lines of a requirements file.
fn pins(requirements: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let mut pins = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if !line.contains("==") {
            return Err(format!(
                "{}: `{line}` is not pinned as name==version",
                requirements.display()
            ));
        }
        pins.push(line.to_owned());
    }
    Ok(pins)
}

fn setup() -> Result<OracleEnv, String> {
    let venv = root().join(".venv");
    let python = venv_python(&venv);
    let requirements: Vec<PathBuf> = REQUIREMENTS.iter().map(|r| root().join(r)).collect();
    let pins = requirements
        .iter()
        .map(|r| pins(r))
        .collect::<Result<Vec<_>, _>>()?
        .concat();

    let usable = python.exists()
        && Command::new(&python)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !usable {
        let mut cmd = Command::new(BASE_PYTHON);
        cmd.args(["-m", "venv"]);
        if venv.exists() {
            println!(
                "xtask: {} exists but its python does not run; recreating it",
                venv.display()
            );
            cmd.arg("--clear");
        } else {
            println!("xtask: creating {}", venv.display());
        }
        run(cmd.arg(&venv))?;
    }

    let mut state = check_venv(&python, &pins)?;
    if !state.missing.is_empty() {
        println!("xtask: installing into .venv: {}", state.missing.join(", "));
        let mut pip = Command::new(&python);
        pip.args(["-m", "pip", "install", "--disable-pip-version-check"]);
        for r in &requirements {
            pip.arg("-r").arg(r);
        }
        run(&mut pip)?;
        state = check_venv(&python, &pins)?;
        if !state.missing.is_empty() {
            return Err(format!(
                "after pip install, .venv still lacks: {}",
                state.missing.join(", ")
            ));
        }
    }
    if !state.shared {
        return Err(format!(
            "Python {} behind {} has no shared libpython (Py_ENABLE_SHARED != 1); \
             the NumPy oracle embeds it via pyo3 and needs one \
             (with pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install <version>)",
            state.version,
            python.display()
        ));
    }
    println!(
        "xtask: .venv ready: {} (Python {}, libpython in {})",
        pins.join(", "),
        state.version,
        state.libdir
    );
    Ok(OracleEnv {
        venv,
        python,
        libdir: state.libdir,
    })
}

/// `cargo <args>` in the workspace root with the oracle environment.
fn cargo(env: &OracleEnv, args: &[&str]) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root()).args(args);
    oracle_env(&mut cmd, env);
    cmd
}

/// Sets the oracle environment (see the crate docs) on `cmd`.
fn oracle_env<'c>(cmd: &'c mut Command, env: &OracleEnv) -> &'c mut Command {
    let mut ld = OsString::from(&env.libdir);
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH").filter(|v| !v.is_empty()) {
        ld.push(":");
        ld.push(old);
    }
    cmd.env("PYO3_PYTHON", &env.python)
        .env("NPY_ORACLE_VENV", &env.venv)
        .env("LD_LIBRARY_PATH", ld)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    println!("xtask: $ {shown}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

fn test(env: &OracleEnv, extra: &[String]) -> Result<(), String> {
    // Only the arguments before `--` are cargo's; the rest go to the test binaries.
    let mut parts = extra.splitn(2, |a| a == "--");
    let cargo_args = parts.next().unwrap_or(&[]);
    let after = parts.next();
    let packages = selected_packages(cargo_args);
    let python = packages.is_empty() || packages.iter().any(|p| p == PYTHON_CRATE);
    let rust = packages.is_empty() || packages.iter().any(|p| p != PYTHON_CRATE);
    if rust {
        // npy-python is not a member of this workspace: leave it out of cargo's `-p`s.
        let mut cargo_extra = without_package(cargo_args, PYTHON_CRATE);
        if let Some(after) = after {
            cargo_extra.push("--".to_owned());
            cargo_extra.extend(after.iter().cloned());
        }
        test_rust(env, &cargo_extra)?;
    }
    if python {
        // The arguments after `--` are pytest's when only the Python package is tested.
        let pytest_args = if rust { &[][..] } else { after.unwrap_or(&[]) };
        test_python(env, pytest_args)?;
    }
    Ok(())
}

/// The packages named by `-p NAME`, `-pNAME`, `--package NAME` or `--package=NAME`.
fn selected_packages(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "-p" || a == "--package" {
            out.extend(it.next().cloned());
        } else if let Some(name) = a.strip_prefix("--package=") {
            out.push(name.to_owned());
        } else if let Some(name) = a.strip_prefix("-p").filter(|n| !n.is_empty()) {
            out.push(name.to_owned());
        }
    }
    out
}

/// `args` without the package selection of `name`.
fn without_package(args: &[String], name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        if (a == "-p" || a == "--package") && it.peek().is_some_and(|n| *n == name) {
            it.next();
        } else if a != &format!("--package={name}") && a != &format!("-p{name}") {
            out.push(a.clone());
        }
    }
    out
}

fn test_rust(env: &OracleEnv, extra: &[String]) -> Result<(), String> {
    let cargo_args = extra.split(|a| a == "--").next().unwrap_or(&[]);
    let selects_packages = !selected_packages(cargo_args).is_empty();
    let selects_targets = cargo_args.iter().any(|a| {
        let flag = a.split('=').next().unwrap_or(a);
        matches!(
            flag,
            "--lib"
                | "--bin"
                | "--bins"
                | "--example"
                | "--examples"
                | "--test"
                | "--tests"
                | "--bench"
                | "--benches"
                | "--all-targets"
                | "--doc"
        )
    });
    let scope: &[&str] = if selects_packages {
        &[]
    } else {
        &["--workspace"]
    };
    // Every test that asks NumPy, unless only packages without them were chosen (cargo
    // refuses a feature none of the selected packages has).
    let features: &[&str] =
        if !selects_packages || selected_packages(cargo_args).iter().any(|p| has_oracle(p)) {
            &["--features", ORACLE_FEATURE]
        } else {
            &[]
        };
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    // `--all-targets` does not include doctests, hence the second run.
    let target_sets: &[&[&str]] = if selects_targets {
        &[&[]]
    } else {
        &[&["--all-targets"], &["--doc"]]
    };
    for targets in target_sets {
        let args = [&["test"], scope, features, targets, &extra].concat();
        run(&mut cargo(env, &args))?;
    }
    Ok(())
}

/// The feature of the crates that builds in the NumPy oracle and runs the tests that ask
/// it (see `crates/npy-oracle`).
const ORACLE_FEATURE: &str = "oracle";

/// Whether the workspace member `package` (under `crates/`) has the oracle feature.
fn has_oracle(package: &str) -> bool {
    let manifest = root().join("crates").join(package).join("Cargo.toml");
    std::fs::read_to_string(manifest).is_ok_and(|text| {
        text.lines()
            .any(|l| l.trim_start().starts_with(&format!("{ORACLE_FEATURE} = [")))
    })
}

/// `crates/npy-python`.
fn python_crate() -> PathBuf {
    root().join("crates").join(PYTHON_CRATE)
}

/// Builds the Python package into `.venv` and runs its pytest suite there.
fn test_python(env: &OracleEnv, pytest_args: &[String]) -> Result<(), String> {
    // pip runs the build backend (maturin, pinned in requirements-python.txt and
    // installed by setup) from PATH: the venv's bin/ first.
    let path = path_with_venv(&env.python);
    let mut pip = Command::new(&env.python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-build-isolation",
        "--no-deps",
        "--force-reinstall",
    ])
    .arg(python_crate())
    .env("PATH", &path)
    .env("PYO3_PYTHON", &env.python);
    run(&mut pip)?;
    pytest(env, &env.python, pytest_args)
}

/// `PATH` with the `bin/` of `python`'s venv first.
fn path_with_venv(python: &Path) -> OsString {
    let bin = python.parent().expect("a venv's python is in its bin/");
    let mut path = OsString::from(bin);
    if let Some(old) = std::env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    path
}

/// The target directory of the root workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Runs the Python package's pytest suite with `python` (a venv's, where the package
/// is installed). Fails on any failure, including a suite that collects no tests
/// (pytest's exit status 5).
fn pytest(env: &OracleEnv, python: &Path, pytest_args: &[String]) -> Result<(), String> {
    // The header tests compare with `npy inspect --json` of this repository's tool.
    run(&mut cargo(env, &["build", "-p", "npy-cli"]))?;
    let npy = target_dir().join("debug").join("npy");
    let mut pytest = Command::new(python);
    pytest
        .current_dir(python_crate())
        .args(["-m", "pytest", "tests", "-p", "no:cacheprovider"])
        .args(pytest_args)
        .env("NPY_CLI", npy)
        .env("PATH", path_with_venv(python));
    run(&mut pytest)
        .map_err(|e| format!("{e} (pytest exits 5 when it collected no tests, which fails too)"))
}

/// The oldest CPython the Python package supports (`requires-python` in its
/// pyproject.toml), looked up on PATH by `test-python39`.
const PYTHON39: &str = "python3.9";

/// The pinned packages the package is tested with on CPython 3.9 (the newest releases
/// that still support it), installed into `<target>/venv39`.
const REQUIREMENTS_PYTHON39: &str = "requirements-python39.txt";

/// A `.pth` file for the 3.9 venv. pip takes the install paths from distutils on Python
/// 3.9 unless sysconfig says otherwise (the override its `locations` module offers
/// distributors), and Debian's python3.9 has no distutils without python3-distutils,
/// which cannot be installed beside bookworm's Python 3.11.
const PIP_SYSCONFIG_PTH: (&str, &str) = (
    "_xtask_pip_sysconfig.pth",
    "# cargo xtask test-python39: pip's install paths from sysconfig, not distutils\n\
     import sysconfig; sysconfig._PIP_USE_SYSCONFIG = True\n",
);

/// Builds the Python package's abi3 wheel, installs it into a CPython 3.9 venv with the
/// pins of `requirements-python39.txt`, and runs the package's pytest suite there.
fn test_python39(env: &OracleEnv, pytest_args: &[String]) -> Result<(), String> {
    let found = Command::new(PYTHON39)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        return Err(format!(
            "`{PYTHON39}` is not on PATH: the Python package is tested on the oldest \
             CPython it supports (on Debian bookworm, .ci/run installs bullseye's python3.9)"
        ));
    }
    let target = target_dir();
    let venv = target.join("venv39");
    let python = venv_python(&venv);
    let usable = Command::new(&python)
        .args(["-c", "import sys; sys.exit(sys.version_info[:2] != (3, 9))"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        // pip is not needed inside: .venv's pip installs into it (`pip --python`).
        run(Command::new(PYTHON39)
            .args(["-m", "venv", "--clear", "--without-pip"])
            .arg(&venv))?;
    }
    let site = venv.join("lib").join("python3.9").join("site-packages");
    std::fs::write(site.join(PIP_SYSCONFIG_PTH.0), PIP_SYSCONFIG_PTH.1)
        .map_err(|e| format!("cannot write into {}: {e}", site.display()))?;
    let pip = |args: &[&str]| {
        let mut cmd = Command::new(&env.python);
        cmd.args(["-m", "pip", "--python"])
            .arg(&python)
            .args(["install", "--disable-pip-version-check"])
            .args(args);
        cmd
    };
    let requirements = root().join(REQUIREMENTS_PYTHON39);
    let pins = pins(&requirements)?;
    let mut state = check_venv(&python, &pins)?;
    if !state.missing.is_empty() {
        println!(
            "xtask: installing into {}: {}",
            venv.display(),
            state.missing.join(", ")
        );
        run(pip(&["-r"]).arg(&requirements))?;
        state = check_venv(&python, &pins)?;
        if !state.missing.is_empty() {
            return Err(format!(
                "after pip install, {} still lacks: {}",
                venv.display(),
                state.missing.join(", ")
            ));
        }
    }
    println!(
        "xtask: {} ready: {} (Python {})",
        venv.display(),
        pins.join(", "),
        state.version
    );

    // The abi3 wheel, built as `test` builds the package into .venv (same maturin, same
    // PYO3_PYTHON): after `test`, cargo has nothing to recompile.
    let wheels = target.join("python-wheels");
    if wheels.exists() {
        std::fs::remove_dir_all(&wheels)
            .map_err(|e| format!("cannot remove {}: {e}", wheels.display()))?;
    }
    run(
        Command::new(venv_python(&env.venv).with_file_name("maturin"))
            .args(["build", "--release", "--manifest-path"])
            .arg(python_crate().join("Cargo.toml"))
            .arg("--out")
            .arg(&wheels)
            .env("PATH", path_with_venv(&env.python))
            .env("PYO3_PYTHON", &env.python),
    )?;
    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| format!("cannot read {}: {e}", wheels.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("maturin left no wheel in {}", wheels.display()))?;
    run(pip(&["--no-deps", "--force-reinstall"]).arg(&wheel))?;
    pytest(env, &python, pytest_args)
}

/// The readers CI checks: their adapters need only node and `npm ci` (seconds), and a
/// run takes about a minute each. The Rust peers (a release build of candle takes
/// minutes) and the NumPy 1.26 venv are rerun by hand (`cargo xtask readers`).
const CHEAP_READERS: [&str; 3] = ["--readers", "npyjs,numpy-parser", "--check"];

fn readers<S: AsRef<str>>(env: &OracleEnv, args: &[S]) -> Result<(), String> {
    // results.py builds the `npy` tool with cargo: the oracle environment keeps that
    // build the one `test` made.
    let mut cmd = Command::new(&env.python);
    oracle_env(&mut cmd, env)
        .current_dir(root())
        .arg(root().join("conformance").join("results.py"))
        .args(args.iter().map(AsRef::as_ref));
    run(&mut cmd)
}

fn bench_build(env: &OracleEnv) -> Result<(), String> {
    // Whether the benches compile is what CI checks; optimising every dependency a
    // second time would take a third of its time. `cargo bench` builds them optimised.
    run(cargo(env, &["bench", "--workspace", "--no-run"])
        .env("CARGO_PROFILE_BENCH_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_BENCH_DEBUG", "false")
        .env("CARGO_PROFILE_BENCH_CODEGEN_UNITS", "256"))
}

fn lint(env: &OracleEnv) -> Result<(), String> {
    run(&mut cargo(env, &["fmt", "--all", "--", "--check"]))?;
    // fuzz/ is its own workspace (excluded from this one); `fuzz-smoke` runs its clippy.
    let fuzz_manifest = root().join("fuzz").join("Cargo.toml");
    run(&mut cargo(
        env,
        &[
            "fmt",
            "--manifest-path",
            &fuzz_manifest.to_string_lossy(),
            "--",
            "--check",
        ],
    ))?;
    let mut ruff = Command::new(&env.python);
    ruff.current_dir(root()).args(["-m", "ruff", "check"]);
    run(&mut ruff)?;
    // With the oracle built in (what `test` builds), and without (a plain `cargo test`).
    for features in [&["--features", ORACLE_FEATURE][..], &[]] {
        let args = [
            &["clippy", "--workspace", "--all-targets"],
            features,
            &["--", "-D", "warnings"],
        ]
        .concat();
        run(&mut cargo(env, &args))?;
    }
    let mut rustdocflags = std::env::var_os("RUSTDOCFLAGS").unwrap_or_default();
    if !rustdocflags.is_empty() {
        rustdocflags.push(" ");
    }
    rustdocflags.push("-D warnings");
    let mut doc = cargo(env, &["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", &rustdocflags);
    run(&mut doc)?;
    // The Python package's crate is its own workspace: the same checks on it.
    let manifest = python_crate().join("Cargo.toml");
    let manifest = manifest.to_string_lossy();
    run(&mut cargo(
        env,
        &["fmt", "--manifest-path", &manifest, "--", "--check"],
    ))?;
    run(&mut cargo(
        env,
        &[
            "clippy",
            "--manifest-path",
            &manifest,
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ))?;
    let mut doc = cargo(env, &["doc", "--manifest-path", &manifest, "--no-deps"]);
    doc.env("RUSTDOCFLAGS", &rustdocflags);
    run(&mut doc)
}
