//! Helpers shared by the integration tests.

use std::path::Path;

use npy_header::{Dtype, Header, Version};
use serde_json::Value;

/// Runs Python code in the NumPy oracle and returns `result`; panics with the code on
/// a Python error (a test that cannot ask NumPy fails, it never skips).
pub fn py(code: &str) -> Value {
    npy_oracle::eval_json(code)
        .unwrap_or_else(|e| panic!("Python failed: {e}\n--- code ---\n{code}"))
}

/// A Python string literal for a path (JSON string syntax is valid Python).
pub fn lit(p: &Path) -> String {
    serde_json::to_string(p.to_str().expect("temporary paths are UTF-8")).unwrap()
}

/// The dtype a descr expression (as written in a header) means.
pub fn dtype(descr: &str) -> Dtype {
    header(&format!(
        "{{'descr': {descr}, 'fortran_order': False, 'shape': (), }}"
    ))
    .into_dtype()
}

/// Parses a header dict (padded here to a valid 3.0 header, so that any field name
/// reads as written).
pub fn header(dict: &str) -> Header {
    let file = npy_testing::header::padded(Version::V3_0, dict);
    npy_header::parse(&file).unwrap().header
}

/// A header of the file at `path` as parsed.
pub fn parsed(path: &Path) -> npy_header::Parsed {
    npy_header::HeaderParser::new()
        .max_header_len(1 << 20)
        .parse(&std::fs::read(path).unwrap())
        .unwrap()
}

/// Python that defines `same(a, b)`: same shape, dtype and bytes in C order, padding
/// bytes of structured types excepted (NumPy's copies do not keep them).
pub const PY_SAME: &str = r#"
from numpy.lib import recfunctions as _rfn
def _fields(a):
    return _rfn.repack_fields(a, recurse=True) if a.dtype.names is not None else a
def same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and _fields(a).tobytes() == _fields(b).tobytes()
"#;

/// For tests that spawn children of this test binary: unless `driver` is set in the
/// environment, re-runs this binary with only `test` (and `driver` set), checks that it
/// ran that one test and passed, and returns `false`: the caller returns. In that
/// process it returns `true`.
///
/// A child spawned from a process running other tests would inherit, between fork and
/// exec, the files other tests' threads hold locked (flock), and make their next open
/// fail as Locked.
pub fn in_a_process_of_its_own(test: &str, driver: &str) -> bool {
    use std::process::{Command, Stdio};
    if std::env::var_os(driver).is_some() {
        return true;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(driver, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        out.status.success(),
        "{test} failed in its own process ({}):\n{}\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    // A name that matches no test (one renamed since) runs none, and passes.
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l == "running 1 test")
            && stdout
                .lines()
                .any(|l| l.starts_with("test result: ok. 1 passed;")),
        "{test} did not run in its own process (is that still its name?):\n{stdout}"
    );
    eprint!("{}", text(&out.stderr));
    false
}

/// Reads a child test binary's stdout up to the line `marker`, which the test prints;
/// whether it came, after libtest's `running 1 test` (a child given a name that
/// matches no test runs none).
pub fn ran_one_test_until(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    marker: &str,
) -> bool {
    let mut one_test = false;
    for line in lines.map_while(Result::ok) {
        if line == marker {
            return one_test;
        }
        one_test |= line == "running 1 test";
    }
    false
}

/// Kill cycles: `NPY_APPEND_KILLS`, or `ci` when it is not set.
pub fn kill_cycles(ci: u64) -> u64 {
    std::env::var("NPY_APPEND_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ci)
}

/// A filesystem mounted for a test's life and unmounted when dropped: a tmpfs of a
/// given size (to fill), or a loop image of ext4 or XFS (the filesystems that insert
/// ranges). Mounting needs root, which CI has (and `.ci/run` installs `mkfs.xfs`).
pub struct Mount {
    dir: tempfile::TempDir,
    /// The image file of a loop mount, removed after the unmount.
    image: Option<tempfile::NamedTempFile>,
}

impl Mount {
    /// A tmpfs of `kib` KiB.
    pub fn tmpfs(kib: u64) -> Option<Mount> {
        let dir = tempfile::tempdir().unwrap();
        let size = format!("size={kib}k");
        Mount::run("mount", &["-t", "tmpfs", "-o", &size, "tmpfs"], dir.path())?;
        Some(Mount { dir, image: None })
    }

    /// A loop image of `mib` MiB (sparse) made with `mkfs.<fs>`.
    pub fn image(fs: &str, mib: u64) -> Option<Mount> {
        let image = tempfile::NamedTempFile::new().unwrap();
        image.as_file().set_len(mib << 20).unwrap();
        let force = if fs == "xfs" { "-f" } else { "-F" };
        Mount::run(&format!("mkfs.{fs}"), &["-q", force], image.path())?;
        let dir = tempfile::tempdir().unwrap();
        let what = image.path().to_str().unwrap();
        Mount::run("mount", &["-o", "loop", what], dir.path())?;
        Some(Mount {
            dir,
            image: Some(image),
        })
    }

    /// Runs `cmd args... last`; `None` (with the reason printed) if it fails outside
    /// CI. Under CI a failure fails the test: CI runs as root with the tools installed.
    fn run(cmd: &str, args: &[&str], last: &Path) -> Option<()> {
        let out = std::process::Command::new(cmd)
            .args(args)
            .arg(last)
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return Some(()),
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => e.to_string(),
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "{cmd} {args:?} {} failed under CI (which runs as root with mkfs.xfs installed): {why}",
            last.display()
        );
        eprintln!("skipped: {cmd} failed ({why}); this test needs root");
        None
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the filesystem with a file that takes every free block; returns its path.
    pub fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        // Most of it at once (a large image would take long to write), the rest by writes.
        let df = std::process::Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(self.path())
            .output()
            .unwrap();
        let avail: u64 = String::from_utf8_lossy(&df.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0);
        if avail > 2 << 20 {
            let _ = std::process::Command::new("fallocate")
                .args(["-l", &(avail - (1 << 20)).to_string()])
                .arg(self.path().join("filler-bulk"))
                .stderr(std::process::Stdio::null())
                .status();
        }
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0xeeu8; 1 << 16];
        while f.write_all(&chunk).is_ok() {}
        while f.write_all(&[0xee]).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
        drop(self.image.take());
    }
}
