//! What a reader is ([`Reader`]), what it reports ([`Observation`]), and the readers
//! behind the adapter protocol (a command run once per file, with a time limit).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use wait_timeout::ChildExt;

use crate::manifest::Expected;

/// The most of an adapter's stdout that is read; a longer output is a protocol error.
const MAX_STDOUT: u64 = 1 << 20;
/// The most of an adapter's stderr kept for the failure message.
const MAX_STDERR: u64 = 64 << 10;

/// What a reader made of one file.
#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    /// The reader read the file and reports these values.
    Accepted {
        /// What it read.
        values: Values,
        /// Its warnings, when the reader reports warnings at all.
        warnings: Option<Vec<String>>,
    },
    /// The reader refused the file.
    Rejected {
        /// Why, as the reader said it.
        reason: String,
    },
    /// The reader refused the file because it uses features the reader does not
    /// support, which it names (feature names of the manifest).
    Unsupported {
        /// The features named.
        features: Vec<String>,
        /// Why, as the reader said it.
        reason: String,
    },
    /// The reader did not finish within the time limit (and was killed).
    TimedOut,
    /// The reader crashed: a signal, a panic, an exit status other than 0 or 1.
    Crashed {
        /// How it ended, and its last words.
        reason: String,
    },
    /// The adapter exited 0 but its output is not the protocol's JSON line.
    ProtocolError {
        /// What is wrong with the output.
        reason: String,
    },
    /// The runner could not run the case: the adapter could not be started, or the
    /// corpus file is not the one the manifest describes.
    Broken {
        /// What went wrong.
        reason: String,
    },
}

/// What an accepting reader reports: the manifest's [`Expected`] values, except that
/// the shape is whatever the reader returned (a reader that returns `-1`, a fraction,
/// `NaN`, which JSON writes as `null`, or no list at all gives wrong values, not a
/// broken protocol), and the order may be unknown.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Values {
    /// `"1.0"`, `"2.0"`, `"3.0"` or `"4.0"`.
    pub version: String,
    /// The descr as `npy inspect --json` prints it (NumPy's descr, tuples as lists).
    pub descr: serde_json::Value,
    /// Whether the data is in Fortran order; `None` (JSON `null`) for a reader that
    /// returns arrays in their logical order without saying how the file stored them:
    /// then `data_sha256` is the hash of the items in C order.
    pub fortran_order: Option<bool>,
    /// The shape as the reader returned it: right when it is a list of the expected
    /// integers; `null` when the adapter printed none.
    #[serde(default)]
    pub shape: serde_json::Value,
    /// SHA-256 (lowercase hex) of the data bytes: in the file's order, or in C order
    /// when `fortran_order` is `None`.
    pub data_sha256: String,
}

impl From<Expected> for Values {
    fn from(e: Expected) -> Values {
        Values {
            version: e.version,
            descr: e.descr,
            fortran_order: Some(e.fortran_order),
            shape: serde_json::Value::from(e.shape),
            data_sha256: e.data_sha256,
        }
    }
}

/// A reader to run the corpus against: it reads one file and says what it made of it.
///
/// [`run_cases`](crate::run_cases) calls `observe` from several threads at once, one
/// file per call. A panic fails the case it happened on, not the run.
pub trait Reader: Sync {
    /// A short name for the report.
    fn name(&self) -> String;

    /// Reads the file at `path` with the given header-length limit (the manifest's
    /// `max_header_len` for the case).
    fn observe(&self, path: &Path, max_header_len: u64) -> Observation;
}

/// SHA-256 of `len` bytes of the file at `offset`, read in a stream (never held whole).
pub fn hash_range(path: &Path, offset: u64, len: u64) -> io::Result<String> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut hasher = Sha256::new();
    let copied = io::copy(&mut file.take(len), &mut hasher)?;
    if copied != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the file ended after {copied} of {len} data bytes"),
        ));
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of a whole file.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        write!(s, "{b:02x}").expect("writing to a String");
        s
    })
}

/// Another reader behind the adapter protocol: `PROGRAM ARGS... FILE`, with
/// `NPY_MAX_HEADER_LEN` set; exit 0 and one JSON line to accept, exit 1 to reject.
#[derive(Clone, Debug)]
pub struct Adapter {
    /// The command as given.
    pub command: String,
    program: String,
    args: Vec<String>,
    timeout: Duration,
}

/// The JSON line an accepting adapter prints.
#[derive(Deserialize)]
struct AdapterLine {
    #[serde(flatten)]
    values: Values,
    #[serde(default)]
    warnings: Option<Vec<String>>,
}

/// The JSON line a refusing adapter may print: the features it does not support.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefusalLine {
    unsupported: Vec<String>,
}

impl Adapter {
    /// Splits `command` into words as a POSIX shell would (quotes respected, no
    /// expansion); the file is appended as the last argument.
    pub fn new(command: &str, timeout: Duration) -> Result<Adapter, String> {
        let words = shell_words::split(command)
            .map_err(|e| format!("cannot split the reader command {command:?}: {e}"))?;
        let (program, args) = words
            .split_first()
            .ok_or_else(|| "the reader command is empty".to_string())?;
        Ok(Adapter {
            command: command.to_string(),
            program: program.clone(),
            args: args.to_vec(),
            timeout,
        })
    }

    fn run(&self, path: &Path, max_header_len: u64) -> io::Result<Observation> {
        // Output goes to unnamed temporary files, not pipes: a killed adapter's children
        // cannot then keep the runner waiting on a pipe they hold open.
        let mut stdout = tempfile::tempfile()?;
        let mut stderr = tempfile::tempfile()?;
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .arg(path)
            .env("NPY_MAX_HEADER_LEN", max_header_len.to_string())
            .stdin(Stdio::null())
            .stdout(stdout.try_clone()?)
            .stderr(stderr.try_clone()?)
            .spawn()?;
        let status = match child.wait_timeout(self.timeout)? {
            Some(status) => status,
            None => {
                // Already exited between the two calls, or killed now: either way done.
                let _ = child.kill();
                child.wait()?;
                return Ok(Observation::TimedOut);
            }
        };
        let out = read_capped(&mut stdout, MAX_STDOUT)?;
        let err = String::from_utf8_lossy(&read_capped(&mut stderr, MAX_STDERR)?)
            .trim()
            .to_string();
        Ok(match status.code() {
            Some(0) => parse_line(&out),
            Some(1) => parse_refusal(&out, last_line(&err).unwrap_or("exit status 1")),
            _ => Observation::Crashed {
                reason: format!(
                    "{}{}",
                    describe_status(status),
                    last_line(&err)
                        .map(|l| format!(": {l}"))
                        .unwrap_or_default()
                ),
            },
        })
    }
}

impl Reader for Adapter {
    fn name(&self) -> String {
        self.command.clone()
    }

    fn observe(&self, path: &Path, max_header_len: u64) -> Observation {
        match self.run(path, max_header_len) {
            Ok(o) => o,
            Err(e) => Observation::Broken {
                reason: format!("cannot run {:?}: {e}", self.program),
            },
        }
    }
}

fn read_capped(file: &mut File, cap: u64) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::new();
    file.take(cap).read_to_end(&mut buf)?;
    Ok(buf)
}

fn last_line(s: &str) -> Option<&str> {
    s.lines().rev().map(str::trim).find(|l| !l.is_empty())
}

fn describe_status(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig} (a crash)");
        }
    }
    match status.code() {
        Some(101) => "exited with status 101 (a Rust panic)".to_string(),
        Some(c) => format!("exited with status {c} (neither 0, accept, nor 1, reject)"),
        None => "ended without an exit status".to_string(),
    }
}

/// A refusal: exit status 1, with nothing on stdout or one JSON line naming the
/// unsupported features.
fn parse_refusal(out: &[u8], reason: &str) -> Observation {
    let reason = reason.to_string();
    let text = String::from_utf8_lossy(out);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines[..] {
        [] => Observation::Rejected { reason },
        [line] => match serde_json::from_str::<RefusalLine>(line) {
            Ok(r) if !r.unsupported.is_empty() => Observation::Unsupported {
                features: r.unsupported,
                reason,
            },
            Ok(_) => Observation::Rejected { reason },
            Err(e) => Observation::ProtocolError {
                reason: format!(
                    "protocol error: the adapter exited 1 and printed {line:?} ({e}); a refusal \
                     prints nothing or {{\"unsupported\": [FEATURE, ...]}}"
                ),
            },
        },
        _ => Observation::ProtocolError {
            reason: format!(
                "protocol error: the adapter exited 1 and printed {} lines",
                lines.len()
            ),
        },
    }
}

fn parse_line(out: &[u8]) -> Observation {
    let broken = |reason: String| Observation::ProtocolError { reason };
    let Ok(text) = std::str::from_utf8(out) else {
        return broken("protocol error: the adapter's output is not UTF-8".to_string());
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let [line] = lines[..] else {
        return broken(format!(
            "protocol error: the adapter exited 0 and printed {} lines; it must print one JSON line",
            lines.len()
        ));
    };
    match serde_json::from_str::<AdapterLine>(line) {
        Ok(mut l) => {
            l.values.data_sha256.make_ascii_lowercase();
            Observation::Accepted {
                values: l.values,
                warnings: l.warnings,
            }
        }
        Err(e) => broken(format!("protocol error: {e} in {line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_lines() {
        let ok = br#"{"version": "1.0", "descr": "<f8", "fortran_order": false, "shape": [2], "data_sha256": "AB"}"#;
        let Observation::Accepted { values, warnings } = parse_line(ok) else {
            panic!()
        };
        assert_eq!(values.data_sha256, "ab");
        assert_eq!(warnings, None);
        let with_warnings = br#"{"version": "1.0", "descr": "<f8", "fortran_order": false, "shape": [], "data_sha256": "", "warnings": []}"#;
        assert!(matches!(
            parse_line(with_warnings),
            Observation::Accepted {
                warnings: Some(_),
                ..
            }
        ));
        // Odd shapes and an unknown order are values to judge, not protocol errors.
        let odd = br#"{"version": "1.0", "descr": "<f8", "fortran_order": null, "shape": [null, -1, 2.5], "data_sha256": ""}"#;
        let Observation::Accepted { values, .. } = parse_line(odd) else {
            panic!()
        };
        assert_eq!(values.fortran_order, None);
        assert_eq!(values.shape, serde_json::json!([null, -1, 2.5]));
        // A shape that is no list, or none at all, is a value to judge too.
        let none =
            br#"{"version": "1.0", "descr": "<f8", "fortran_order": null, "data_sha256": ""}"#;
        let Observation::Accepted { values, .. } = parse_line(none) else {
            panic!()
        };
        assert_eq!(values.shape, serde_json::Value::Null);
        for (bad, why) in [
            (&b""[..], "protocol error: the adapter exited 0 and printed 0 lines; it must print one JSON line"),
            (b"{}\n{}", "protocol error: the adapter exited 0 and printed 2 lines; it must print one JSON line"),
            (b"\xff", "protocol error: the adapter's output is not UTF-8"),
            (b"{\"version\": \"1.0\"}", "protocol error: missing field `descr` at line 1 column 18 in \"{\\\"version\\\": \\\"1.0\\\"}\""),
        ] {
            assert_eq!(parse_line(bad), Observation::ProtocolError { reason: why.to_string() });
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse_refusal(b"", "no"),
            Observation::Rejected {
                reason: "no".into()
            }
        );
        assert_eq!(
            parse_refusal(b"{\"unsupported\": [\"float16\"]}\n", "no"),
            Observation::Unsupported {
                features: vec!["float16".into()],
                reason: "no".into()
            }
        );
        assert_eq!(
            parse_refusal(b"{\"unsupported\": []}", "no"),
            Observation::Rejected {
                reason: "no".into()
            }
        );
        assert!(matches!(
            parse_refusal(b"oops", "no"),
            Observation::ProtocolError { .. }
        ));
    }

    #[test]
    fn commands_split_like_a_shell() {
        let a = Adapter::new("python3 'my adapter.py' -x", Duration::from_secs(1)).unwrap();
        assert_eq!(a.program, "python3");
        assert_eq!(a.args, ["my adapter.py", "-x"]);
        assert_eq!(
            Adapter::new("  ", Duration::from_secs(1)).unwrap_err(),
            "the reader command is empty"
        );
        assert!(Adapter::new("'open", Duration::from_secs(1))
            .unwrap_err()
            .starts_with("cannot split the reader command \"'open\": "));
    }

    #[test]
    fn hashes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"xxabcyy").unwrap();
        // SHA-256 of "abc" (FIPS 180-2 example).
        assert_eq!(
            hash_range(&p, 2, 3).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let err = hash_range(&p, 2, 10).unwrap_err();
        assert_eq!(err.to_string(), "the file ended after 5 of 10 data bytes");
    }
}
