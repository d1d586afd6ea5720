//! `npy validate`: find `.npy` files and give a one-line verdict on each.
//!
//! A file passes when its header is valid and its data length is consistent with
//! the shape: at least `prod(shape) * itemsize` bytes for 1.0–3.0 (extra bytes are a
//! warning, as NumPy ignores them), any number of whole rows for an open-ended 4.0
//! header (a partial trailing row is a warning).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use npy_header::HeaderParser;

use crate::read::{format_load_error, read_header};
use npy_header::python_tuple;

use crate::report::Report;

/// A file to check, or a directory that could not be searched.
#[derive(Debug)]
pub struct Found {
    /// The path, as given or as found under a directory given.
    pub path: PathBuf,
    /// Set when the path is a directory that could not be read.
    pub error: Option<io::Error>,
}

/// The files to check for one command-line argument: the argument itself if it is
/// not a directory (whatever its name, so a missing file is reported), else every
/// `*.npy` file under it, recursively, sorted by path. Symbolic links to files are
/// followed; symbolic links to directories are not (no cycles).
pub fn collect(arg: &Path) -> Vec<Found> {
    if !fs::metadata(arg).is_ok_and(|m| m.is_dir()) {
        return vec![Found {
            path: arg.to_path_buf(),
            error: None,
        }];
    }
    let mut out = Vec::new();
    walk(arg, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn walk(dir: &Path, out: &mut Vec<Found>) {
    let entries = match fs::read_dir(dir).and_then(|it| it.collect::<io::Result<Vec<_>>>()) {
        Ok(entries) => entries,
        Err(error) => {
            out.push(Found {
                path: dir.to_path_buf(),
                error: Some(error),
            });
            return;
        }
    };
    for entry in entries {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "npy")
            && (file_type.is_file() || fs::metadata(&path).is_ok_and(|m| m.is_file()))
        {
            out.push(Found { path, error: None });
        }
    }
}

/// The verdict on one file.
#[derive(Debug)]
pub enum Verdict {
    /// The header is valid and the data length consistent; the report carries any
    /// warnings.
    Ok(Box<Report>),
    /// Why the file fails, as `<kind> at byte N: message`.
    Fail(String),
}

impl Verdict {
    /// Whether the file passed.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok(_))
    }
}

/// Checks one file.
pub fn check(path: &Path, parser: &HeaderParser) -> Verdict {
    match read_header(path, parser) {
        Err(e) => Verdict::Fail(e.to_string()),
        Ok(file) => {
            let report = Report::new(path.display().to_string(), file, parser.limits());
            match &report.resolution {
                Ok(_) => Verdict::Ok(Box::new(report)),
                Err(e) => Verdict::Fail(format_load_error(e)),
            }
        }
    }
}

/// The line `npy validate` prints for a file:
/// `ok   PATH  <version> <descr> <shape>[ (warning: …)…]` or `FAIL PATH  <error>`.
pub fn line(path: &Path, verdict: &Verdict) -> String {
    match verdict {
        Verdict::Ok(r) => {
            let mut s = format!(
                "ok   {}  {} {} {}",
                path.display(),
                r.parsed.version,
                r.parsed.header.dtype().to_descr(),
                python_tuple(r.resolution.as_ref().expect("ok means resolved").shape())
            );
            for w in r.warnings() {
                s.push_str(" (warning: ");
                s.push_str(&w);
                s.push(')');
            }
            s
        }
        Verdict::Fail(why) => format!("FAIL {}  {why}", path.display()),
    }
}

/// The last line: `N files: X ok, Y failed`.
pub fn summary(ok: usize, failed: usize) -> String {
    let total = ok + failed;
    let files = if total == 1 { "file" } else { "files" };
    format!("{total} {files}: {ok} ok, {failed} failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_v1(path: &Path, dict: &str, data: &[u8]) {
        let mut text = dict.as_bytes().to_vec();
        while !(10 + text.len() + 1).is_multiple_of(64) {
            text.push(b' ');
        }
        text.push(b'\n');
        let mut file = b"\x93NUMPY\x01\x00".to_vec();
        file.extend_from_slice(&u16::try_from(text.len()).unwrap().to_le_bytes());
        file.extend_from_slice(&text);
        file.extend_from_slice(data);
        fs::write(path, file).unwrap();
    }

    #[test]
    fn collects_recursively_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/c")).unwrap();
        for p in [
            "z.npy",
            "a.npy",
            "b/c/x.npy",
            "b/y.npy",
            "notes.txt",
            "b/npy",
            "b/d.NPY",
        ] {
            fs::write(root.join(p), b"").unwrap();
        }
        let found: Vec<_> = collect(root)
            .into_iter()
            .map(|f| f.path.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        let expected: Vec<PathBuf> = ["a.npy", "b/c/x.npy", "b/y.npy", "z.npy"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(found, expected);
        // A file named on the command line is checked whatever its name.
        assert_eq!(collect(&root.join("notes.txt")).len(), 1);
        // So is one that does not exist: check() reports it.
        let missing = root.join("missing.npy");
        assert_eq!(collect(&missing)[0].path, missing);
    }

    #[test]
    fn verdicts_and_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ok.npy");
        let parser = HeaderParser::new();

        write_v1(
            &p,
            "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }",
            &[0; 6],
        );
        let v = check(&p, &parser);
        assert!(v.is_ok());
        assert_eq!(line(Path::new("ok.npy"), &v), "ok   ok.npy  1.0 '<i2' (3,)");

        write_v1(
            &p,
            "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }",
            &[0; 8],
        );
        let v = check(&p, &parser);
        assert_eq!(
            line(Path::new("ok.npy"), &v),
            "ok   ok.npy  1.0 '<i2' (3,) (warning: 2 extra bytes after the array data (NumPy ignores them))"
        );

        write_v1(
            &p,
            "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }",
            &[0; 5],
        );
        let v = check(&p, &parser);
        assert!(!v.is_ok());
        assert_eq!(
            line(Path::new("ok.npy"), &v),
            "FAIL ok.npy  data_length: file holds 5 bytes of data but the header's shape needs 6: it was truncated or an append was interrupted (recover the file to keep its whole rows)"
        );

        write_v1(
            &p,
            "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), 'x': 1}",
            &[],
        );
        let v = check(&p, &parser);
        assert_eq!(
            line(Path::new("ok.npy"), &v),
            "FAIL ok.npy  unknown_key at byte 66: unknown header key \"x\": the header has exactly the keys 'descr', 'fortran_order' and 'shape'"
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(summary(1, 0), "1 file: 1 ok, 0 failed");
        assert_eq!(summary(12, 1), "13 files: 12 ok, 1 failed");
        assert_eq!(summary(0, 0), "0 files: 0 ok, 0 failed");
    }
}
