//! Where the files come from: the copy built into this crate, or a directory.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::manifest::Manifest;

// `MANIFEST` and `FILES`, written by build.rs from `corpus/`.
mod built_in {
    include!(concat!(env!("OUT_DIR"), "/corpus.rs"));
}

/// A corpus ready to run: its manifest, and a directory holding the files the manifest
/// lists (readers read files by path).
#[derive(Debug)]
pub struct Corpus {
    manifest: Manifest,
    dir: PathBuf,
    /// For the built-in corpus, the temporary directory its files were written to,
    /// removed when the corpus is dropped.
    temp: Option<TempDir>,
}

impl Corpus {
    /// The corpus built into this crate: the repository's `conformance/manifest.json` and
    /// `conformance/corpus/` as they were when the crate was built. Its files are written
    /// to a new temporary directory (in `TMPDIR`), removed when the `Corpus` is dropped.
    pub fn built_in() -> Result<Corpus, String> {
        let manifest = Manifest::parse(built_in::MANIFEST, "the built-in manifest.json")?;
        let temp = tempfile::Builder::new()
            .prefix("npy-conformance-")
            .tempdir()
            .map_err(|e| write_error("create a temporary directory", &e))?;
        for (rel, bytes) in Corpus::built_in_files() {
            let path = temp.path().join(rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| write_error(&format!("create {}", parent.display()), &e))?;
            }
            fs::write(&path, bytes)
                .map_err(|e| write_error(&format!("write {}", path.display()), &e))?;
        }
        Ok(Corpus {
            manifest,
            dir: temp.path().to_path_buf(),
            temp: Some(temp),
        })
    }

    /// The corpus in `dir`: `dir/manifest.json` and the files it lists, by paths
    /// relative to `dir`.
    pub fn open(dir: &Path) -> Result<Corpus, String> {
        Ok(Corpus {
            manifest: Manifest::load(dir)?,
            dir: dir.to_path_buf(),
            temp: None,
        })
    }

    /// Every file of the built-in corpus as (path relative to the corpus directory,
    /// bytes): `manifest.json`, then the files under `corpus/`, sorted by path.
    pub fn built_in_files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
        std::iter::once(("manifest.json", built_in::MANIFEST.as_bytes()))
            .chain(built_in::FILES.iter().copied())
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The directory holding the files (for the built-in corpus, a temporary one).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether this is the built-in corpus.
    pub fn is_built_in(&self) -> bool {
        self.temp.is_some()
    }

    /// How the report names the corpus: `built in`, or the directory.
    pub fn describe(&self) -> String {
        if self.is_built_in() {
            "built in".to_string()
        } else {
            self.dir.display().to_string()
        }
    }
}

fn write_error(what: &str, e: &std::io::Error) -> String {
    format!(
        "cannot {what} for the built-in corpus: {e} (set TMPDIR to a writable directory, or \
         pass a copy of the corpus with --corpus DIR)"
    )
}
