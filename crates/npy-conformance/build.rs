//! Builds the corpus into the crate: `$OUT_DIR/corpus.rs` holds `MANIFEST`, the text of
//! `corpus/manifest.json`, and `FILES`, every file under `corpus/corpus/` as (path
//! relative to `corpus/`, bytes), sorted by path.
//!
//! In the repository `corpus/manifest.json` and `corpus/corpus` are symbolic links to
//! `conformance/`; in the published package they are the files themselves.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo")).join("corpus");
    // The generator rewrites the manifest whenever it writes the corpus, and the manifest
    // lists every file: a file added or removed changes it. Changes to the files
    // themselves are seen by the compiler, which records what `include_bytes!` reads.
    println!("cargo::rerun-if-changed=corpus/manifest.json");
    println!("cargo::rerun-if-changed=build.rs");

    let files_dir = root.join("corpus");
    if !files_dir.is_dir() {
        panic!(
            "{} is not a directory: in the repository it is a symbolic link to \
             conformance/corpus (with git on Windows: `git config core.symlinks true`, then \
             check the files out again)",
            files_dir.display()
        );
    }
    let mut files = Vec::new();
    walk(&files_dir, &mut files);
    files.sort();

    let mut out = String::new();
    writeln!(
        out,
        "/// The text of `manifest.json`.\npub static MANIFEST: &str = include_str!({:?});",
        path_str(&root.join("manifest.json"))
    )
    .unwrap();
    out.push_str(
        "/// Every file of the corpus: (path relative to the corpus directory, bytes).\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for path in &files {
        let rel = path
            .strip_prefix(&root)
            .expect("found under the corpus directory");
        let rel: Vec<&str> = rel.components().map(|c| utf8(c.as_os_str())).collect();
        writeln!(
            out,
            "    ({:?}, include_bytes!({:?})),",
            rel.join("/"),
            path_str(path)
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("corpus.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn utf8(s: &std::ffi::OsStr) -> &str {
    s.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", Path::new(s).display()))
}

fn path_str(path: &Path) -> &str {
    utf8(path.as_os_str())
}
