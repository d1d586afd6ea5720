//! The `.npy` conformance suite: a corpus of `.npy` files, each with the verdict a
//! reader must give and, for valid files, what it must read from them; and a runner
//! that checks a reader against it. The `npy conformance` command of `npy-cli` is this
//! crate's [`command`] with the `npy` tool's own reader plugged in.
//!
//! The corpus is built into the crate ([`Corpus::built_in`]): the manifest and several
//! hundred small files, about 1.2 MB in all, generated and checked against NumPy by
//! `conformance/generate.py` in the repository. For each case the [`Manifest`] gives the
//! expected verdict (`accept`, `accept-with-warning`, `reject`), the requirement ids of
//! the specification (`spec/npy-format.md`) it exercises and, for accepted files, the
//! values a reader must report: version, descr, `fortran_order`, resolved shape and the
//! SHA-256 of the data bytes.
//!
//! A case passes when the reader's verdict is the expected one and, for accepted
//! files, every value matches ([`judge`]). Warnings are compared only when the reader
//! reports them: then an `accept` case must give none and an `accept-with-warning` case at
//! least one. A reader that crashes, exits with another status, breaks the protocol
//! or exceeds the time limit fails the case whatever was expected. With
//! `--known NAME`, a case on which reader NAME is recorded to differ (for NumPy: format
//! 4.0 and the deliberate differences of the spec's section 12) counts as a known
//! difference when the reader does what is recorded.
//!
//! A reader is anything that implements [`Reader`]: an in-process function, or another
//! program behind the adapter protocol ([`Adapter`]), run once per file with a time
//! limit. The protocol and the manifest format are described in `conformance/README.md`
//! of the repository.
//!
//! ```
//! use std::path::Path;
//! use npy_conformance::{run_cases, Corpus, Observation, Reader, Status};
//!
//! /// A reader that refuses every file.
//! struct Refuser;
//!
//! impl Reader for Refuser {
//!     fn name(&self) -> String {
//!         "refuser".to_string()
//!     }
//!     fn observe(&self, _path: &Path, _max_header_len: u64) -> Observation {
//!         Observation::Rejected { reason: "no".to_string() }
//!     }
//! }
//!
//! let corpus = Corpus::built_in()?;
//! let outcomes = run_cases(&corpus, &Refuser, None, Some("frame_test_malformed_magic"), 1);
//! assert!(!outcomes.is_empty());
//! assert!(outcomes.iter().all(|o| o.status == Status::Pass));
//! # Ok::<(), String>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod command;
mod corpus;
mod manifest;
mod output;
mod readers;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use command::{command, ConformanceArgs, Format};
pub use corpus::Corpus;
pub use manifest::{compare_ids, Case, Expected, Known, KnownVerdict, Manifest, Verdict};
pub use readers::{hash_file, hash_range, Adapter, Observation, Reader};

/// How a case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// As expected.
    Pass,
    /// As recorded for this reader in `known_differences`.
    Known(String),
    /// Not as expected; why.
    Fail(String),
}

/// One case's result.
#[derive(Debug)]
pub struct Outcome<'m> {
    /// The case.
    pub case: &'m Case,
    /// What the reader did.
    pub observation: Observation,
    /// The verdict.
    pub status: Status,
    /// Wall-clock time the reader took.
    pub elapsed: Duration,
}

impl Outcome<'_> {
    /// The reader's verdict in the manifest's words (or `timeout`, `error`).
    pub fn got(&self) -> &'static str {
        match &self.observation {
            Observation::Accepted {
                warnings: Some(w), ..
            } if !w.is_empty() => "accept-with-warning",
            Observation::Accepted { .. } => "accept",
            Observation::Rejected { .. } => "reject",
            Observation::TimedOut => "timeout",
            Observation::Broken { .. } => "error",
        }
    }
}

/// The results of a run.
#[derive(Debug)]
pub struct Run<'m> {
    /// The corpus.
    pub corpus: &'m Corpus,
    /// The reader's name.
    pub reader: String,
    /// The reader whose recorded differences were accepted.
    pub known: Option<String>,
    /// One outcome per case run, in manifest order.
    pub outcomes: Vec<Outcome<'m>>,
}

impl Run<'_> {
    /// (pass, known, fail) counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for o in &self.outcomes {
            match o.status {
                Status::Pass => c.0 += 1,
                Status::Known(_) => c.1 += 1,
                Status::Fail(_) => c.2 += 1,
            }
        }
        c
    }
}

/// Judges a reader's observation of a case.
pub fn judge(case: &Case, observation: &Observation, known: Option<&Known>) -> Status {
    let spec = match (case.verdict, observation) {
        (Verdict::Reject, Observation::Rejected { .. }) => Status::Pass,
        (Verdict::Reject, Observation::Accepted { .. }) => {
            Status::Fail("expected reject, the reader accepted the file".to_string())
        }
        (_, Observation::Rejected { reason }) => Status::Fail(format!(
            "expected {}, the reader rejected the file: {reason}",
            case.verdict
        )),
        (_, Observation::TimedOut) => {
            Status::Fail("the reader did not finish in time and was killed".to_string())
        }
        (_, Observation::Broken { reason }) => Status::Fail(reason.clone()),
        (verdict, Observation::Accepted { values, warnings }) => {
            let want = case
                .expected
                .as_ref()
                .expect("Manifest::parse checks that accepted cases have values");
            let mut wrong = differences(want, values);
            match (verdict, warnings) {
                (Verdict::Accept, Some(w)) if !w.is_empty() => {
                    wrong.push(format!("warnings: expected none, got {w:?}"));
                }
                (Verdict::AcceptWithWarning, Some(w)) if w.is_empty() => {
                    wrong.push("warnings: expected at least one, got none".to_string());
                }
                _ => {}
            }
            if wrong.is_empty() {
                Status::Pass
            } else {
                Status::Fail(wrong.join("; "))
            }
        }
    };
    match (spec, known) {
        (Status::Fail(why), Some(k)) => {
            let matches = match k.verdict {
                KnownVerdict::Accept => matches!(observation, Observation::Accepted { .. }),
                KnownVerdict::Reject => matches!(observation, Observation::Rejected { .. }),
            };
            if matches {
                Status::Known(k.why.clone())
            } else {
                Status::Fail(why)
            }
        }
        (status, _) => status,
    }
}

fn differences(want: &Expected, got: &Expected) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |what: &str, w: String, g: String| {
        if w != g {
            wrong.push(format!("{what}: expected {w}, got {g}"));
        }
    };
    check("version", want.version.clone(), got.version.clone());
    check("descr", want.descr.to_string(), got.descr.to_string());
    check(
        "fortran_order",
        want.fortran_order.to_string(),
        got.fortran_order.to_string(),
    );
    check(
        "shape",
        format!("{:?}", want.shape),
        format!("{:?}", got.shape),
    );
    check(
        "data_sha256",
        want.data_sha256.clone(),
        got.data_sha256.clone(),
    );
    wrong
}

/// Runs every case of `corpus` whose file path contains `only` (every case if `None`)
/// with `reader`, `jobs` at a time, and judges each. With `known`, the differences the
/// manifest records for that reader count as known, not failed.
pub fn run_cases<'m>(
    corpus: &'m Corpus,
    reader: &dyn Reader,
    known: Option<&str>,
    only: Option<&str>,
    jobs: usize,
) -> Vec<Outcome<'m>> {
    let cases: Vec<&Case> = corpus
        .manifest()
        .cases
        .iter()
        .filter(|c| only.is_none_or(|o| c.file.contains(o)))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(cases.len()).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, cases.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let outcome = run_case(corpus, case, reader, known);
                results.lock().expect("no worker panics holding the lock")[i] = Some(outcome);
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panics holding the lock")
        .into_iter()
        .map(|o| o.expect("every case ran"))
        .collect()
}

fn run_case<'m>(
    corpus: &'m Corpus,
    case: &'m Case,
    reader: &dyn Reader,
    known: Option<&str>,
) -> Outcome<'m> {
    let manifest = corpus.manifest();
    let path = case.path(corpus.dir());
    let start = Instant::now();
    // A file that is not the one the manifest describes would make any verdict
    // meaningless: fail the case and say how to fix the corpus.
    let observation = match hash_file(&path) {
        Ok(h) if h == case.sha256 => observe(
            reader,
            &path,
            case.max_header_len
                .unwrap_or(manifest.default_max_header_len),
        ),
        Ok(_) => Observation::Broken {
            reason: format!(
                "{} does not match the manifest's SHA-256: regenerate the corpus ({})",
                case.file, manifest.generated_by
            ),
        },
        Err(e) => Observation::Broken {
            reason: format!("cannot read {}: {e}", path.display()),
        },
    };
    let elapsed = start.elapsed();
    let known = known.and_then(|k| case.known_differences.get(k));
    let status = judge(case, &observation, known);
    Outcome {
        case,
        observation,
        status,
        elapsed,
    }
}

/// `reader.observe`, with a panic reported as a broken case: a finding to report, not a
/// reason to abort the whole run.
fn observe(reader: &dyn Reader, path: &Path, max_header_len: u64) -> Observation {
    std::panic::catch_unwind(AssertUnwindSafe(|| reader.observe(path, max_header_len)))
        .unwrap_or_else(|p| {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Observation::Broken {
                reason: format!("the reader panicked: {what}"),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn case(verdict: Verdict) -> Case {
        Case {
            file: "corpus/x.npy".into(),
            sha256: String::new(),
            requirements: vec!["F-1".into()],
            verdict,
            description: String::new(),
            source: String::new(),
            max_header_len: None,
            expected: (verdict != Verdict::Reject).then(values),
            known_differences: BTreeMap::new(),
        }
    }

    fn values() -> Expected {
        Expected {
            version: "1.0".into(),
            descr: "<f8".into(),
            fortran_order: false,
            shape: vec![2],
            data_sha256: "00".into(),
        }
    }

    fn accepted(warnings: Option<Vec<String>>) -> Observation {
        Observation::Accepted {
            values: values(),
            warnings,
        }
    }

    fn rejected() -> Observation {
        Observation::Rejected {
            reason: "bad".into(),
        }
    }

    #[test]
    fn verdicts_and_warnings() {
        let accept = case(Verdict::Accept);
        let warn = case(Verdict::AcceptWithWarning);
        let reject = case(Verdict::Reject);
        assert_eq!(judge(&accept, &accepted(None), None), Status::Pass);
        assert_eq!(judge(&accept, &accepted(Some(vec![])), None), Status::Pass);
        assert_eq!(
            judge(&accept, &accepted(Some(vec!["w".into()])), None),
            Status::Fail("warnings: expected none, got [\"w\"]".into())
        );
        assert_eq!(judge(&warn, &accepted(None), None), Status::Pass);
        assert_eq!(
            judge(&warn, &accepted(Some(vec![])), None),
            Status::Fail("warnings: expected at least one, got none".into())
        );
        assert_eq!(judge(&reject, &rejected(), None), Status::Pass);
        assert_eq!(
            judge(&reject, &accepted(None), None),
            Status::Fail("expected reject, the reader accepted the file".into())
        );
        assert_eq!(
            judge(&accept, &rejected(), None),
            Status::Fail("expected accept, the reader rejected the file: bad".into())
        );
        assert_eq!(
            judge(&reject, &Observation::TimedOut, None),
            Status::Fail("the reader did not finish in time and was killed".into())
        );
    }

    #[test]
    fn values_are_compared_one_by_one() {
        let accept = case(Verdict::Accept);
        let mut v = values();
        v.shape = vec![3];
        v.descr = "<f4".into();
        let got = Observation::Accepted {
            values: v,
            warnings: None,
        };
        assert_eq!(
            judge(&accept, &got, None),
            Status::Fail(
                "descr: expected \"<f8\", got \"<f4\"; shape: expected [2], got [3]".into()
            )
        );
    }

    #[test]
    fn known_differences_apply_only_to_the_recorded_verdict() {
        let reject = case(Verdict::Reject);
        let accept = case(Verdict::Accept);
        let k = |verdict| Known {
            verdict,
            why: "DIFF-1".into(),
        };
        assert_eq!(
            judge(&reject, &accepted(None), Some(&k(KnownVerdict::Accept))),
            Status::Known("DIFF-1".into())
        );
        // The reader agreeing with the spec is a pass, known difference or not.
        assert_eq!(
            judge(&reject, &rejected(), Some(&k(KnownVerdict::Accept))),
            Status::Pass
        );
        assert_eq!(
            judge(&accept, &rejected(), Some(&k(KnownVerdict::Reject))),
            Status::Known("DIFF-1".into())
        );
        // A timeout is never a known difference.
        assert!(matches!(
            judge(
                &accept,
                &Observation::TimedOut,
                Some(&k(KnownVerdict::Reject))
            ),
            Status::Fail(_)
        ));
    }
}
