//! Makes the embedded interpreter's shared libpython findable at run time.
//!
//! pyo3 links test binaries against `libpythonX.Y.so`, but a Python installed
//! outside the system library path (pyenv, a custom prefix) is not found by the
//! dynamic loader when a test binary starts. Two mechanisms, no env vars needed:
//!
//! 1. An rpath to Python's LIBDIR for this crate's own test binaries
//!    (`cargo:rustc-link-arg` applies to the package's own tests only).
//! 2. For crates that use npy-oracle as a dev-dependency (their test binaries
//!    and doctests get no link args from here): symlinks to the libpython files
//!    in `OUT_DIR/libpython`, announced with `cargo:rustc-link-search`. Cargo
//!    adds link-search directories that lie inside the target directory to
//!    `LD_LIBRARY_PATH` when it runs tests, binaries and doctests.
//!
//! `cargo xtask test` additionally sets `LD_LIBRARY_PATH` itself.
//!
//! Python's LIBDIR is also recorded as `NPY_ORACLE_PYTHON_LIBDIR` so lib.rs can
//! refuse to run when the loader picked another libpython of the same soname
//! (e.g. a distribution's `/usr/lib/.../libpython3.11.so.1.0` when a test binary
//! runs outside cargo without `LD_LIBRARY_PATH`).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // Without the `oracle` feature there is no interpreter to link.
    #[cfg(feature = "oracle")]
    {
        pyo3_build_config::add_libpython_rpath_link_args();
        if let Some(lib_dir) = pyo3_build_config::get().lib_dir() {
            println!("cargo:rustc-env=NPY_ORACLE_PYTHON_LIBDIR={lib_dir}");
        }
        #[cfg(unix)]
        link_libpython_into_out_dir();
    }
}

#[cfg(all(feature = "oracle", unix))]
fn link_libpython_into_out_dir() {
    use std::path::PathBuf;

    let config = pyo3_build_config::get();
    let (Some(lib_dir), Some(lib_name)) = (config.lib_dir(), config.lib_name()) else {
        return;
    };
    if !config.shared() {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set for build scripts"))
        .join("libpython");
    // Start from an empty directory so a changed interpreter leaves no stale links.
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("create OUT_DIR/libpython");
    let prefix = format!("lib{lib_name}.so");
    let Ok(entries) = std::fs::read_dir(lib_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(&prefix) {
            std::os::unix::fs::symlink(entry.path(), out.join(&name))
                .expect("symlink libpython into OUT_DIR");
        }
    }
    println!("cargo:rustc-link-search=native={}", out.display());
}
