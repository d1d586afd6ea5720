//! The `.npy` conformance suite: a corpus of `.npy` files, each with the verdict a
//! reader must give and, for valid files, what it must read from them; and a runner
//! that checks a reader against it. The `npy conformance` command of `npy-cli` is this
//! crate's [`command`] with the `npy` tool's own reader plugged in.
//!
//! The corpus is built into the crate ([`Corpus::built_in`]): the manifest and several
//! hundred small files, about 1.2 MB in all, generated and checked against NumPy by
//! `conformance/generate.py` in the repository. For each case the [`Manifest`] gives the
//! expected verdict (`accept`, `accept-with-warning`, `accept-may-warn`, `reject`), the
//! requirement ids of the specification (`spec/npy-format.md`) it exercises, its profile
//! and optional features, and, for accepted files, the values a reader must report:
//! version, descr, `fortran_order`, resolved shape and the SHA-256 of the data bytes.
//!
//! A case passes when the reader's verdict is the expected one and, for accepted
//! files, every value matches ([`judge`]). Failures are sorted by kind ([`Failure`]):
//! a valid file refused, an invalid file accepted, wrong values, wrong warnings, a
//! crash, a timeout, a protocol error. Warnings are compared only when the reader
//! reports them, as `R-8` has it: then an `accept` case must give none, an
//! `accept-with-warning` case at least one, and an `accept-may-warn` case (bytes after
//! the data) either. With `--known NAME`, a case on which reader NAME is recorded to
//! differ (for NumPy: format 4.0 and the deliberate differences of the spec's section
//! 12) counts as a known difference when the reader does what is recorded. A reader may
//! declare optional features unsupported (`--unsupported`, or by naming them when it
//! refuses a file): refusing a valid file that uses one then counts as unsupported, not
//! failed. `--profile strict` runs only the cases of the strict reader profile.
//!
//! A reader is anything that implements [`Reader`]: an in-process function, or another
//! program behind the adapter protocol ([`Adapter`]), run once per file with a time
//! limit. The protocol and the manifest format are described in `conformance/README.md`
//! of the repository.
//!
//! ```
//! use std::path::Path;
//! use npy_conformance::{run_cases, Corpus, Observation, Reader, Selection, Status};
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
//! let only = Selection {
//!     only: Some("frame_test_malformed_magic".to_string()),
//!     ..Selection::default()
//! };
//! let outcomes = run_cases(&corpus, &Refuser, None, &only, 1);
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

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use command::{command, ConformanceArgs, Format};
pub use corpus::Corpus;
pub use manifest::{compare_ids, Case, Expected, Known, KnownVerdict, Manifest, Verdict};
pub use readers::{hash_file, hash_range, Adapter, Observation, Reader, Values};

/// How a case went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// As expected.
    Pass,
    /// As recorded for this reader in `known_differences`.
    Known(String),
    /// The reader refused a valid file that uses features it declared unsupported
    /// (`--unsupported`, or named by the adapter in its refusal): the features.
    Unsupported(Vec<String>),
    /// Not as expected: how, and why.
    Fail(Failure, String),
}

/// How a case failed. The kinds are counted apart: a reader that refuses a valid file
/// is not as wrong as one that accepts it and returns wrong values, and a crash is
/// worse than either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// A valid file refused (and no unsupported feature declared for it).
    Refused,
    /// An invalid file accepted.
    AcceptedInvalid,
    /// A valid file accepted, with wrong values: version, descr, order, shape (a `-1`,
    /// a fraction, `null`) or data.
    Wrong,
    /// A valid file read right, with a warning where none is due or none where one is
    /// (only for readers that report warnings, `R-8`).
    Warnings,
    /// The reader crashed: a signal, a panic, another exit status than 0 or 1.
    Crash,
    /// The reader took longer than the time limit and was killed.
    Timeout,
    /// The adapter's output broke the protocol.
    Protocol,
    /// The runner could not run the case (adapter not found, corpus file changed).
    Error,
}

impl Failure {
    /// Every kind, in the order reports list them.
    pub const ALL: [Failure; 8] = [
        Failure::Refused,
        Failure::AcceptedInvalid,
        Failure::Wrong,
        Failure::Warnings,
        Failure::Crash,
        Failure::Timeout,
        Failure::Protocol,
        Failure::Error,
    ];

    /// The name in JSON output: `refused`, `accepted-invalid`, `wrong`, `warnings`,
    /// `crash`, `timeout`, `protocol`, `error`.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Refused => "refused",
            Failure::AcceptedInvalid => "accepted-invalid",
            Failure::Wrong => "wrong",
            Failure::Warnings => "warnings",
            Failure::Crash => "crash",
            Failure::Timeout => "timeout",
            Failure::Protocol => "protocol",
            Failure::Error => "error",
        }
    }

    /// How the text report counts it: `valid files refused`, `wrong values`, ...
    pub fn label(self) -> &'static str {
        match self {
            Failure::Refused => "valid files refused",
            Failure::AcceptedInvalid => "invalid files accepted",
            Failure::Wrong => "wrong values",
            Failure::Warnings => "wrong warnings",
            Failure::Crash => "crashes",
            Failure::Timeout => "timeouts",
            Failure::Protocol => "protocol errors",
            Failure::Error => "runner errors",
        }
    }
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
    /// The reader's verdict in the manifest's words (or `unsupported`, `timeout`,
    /// `crash`, `protocol-error`, `error`).
    pub fn got(&self) -> &'static str {
        match &self.observation {
            Observation::Accepted {
                warnings: Some(w), ..
            } if !w.is_empty() => "accept-with-warning",
            Observation::Accepted { .. } => "accept",
            Observation::Rejected { .. } => "reject",
            Observation::Unsupported { .. } => "unsupported",
            Observation::TimedOut => "timeout",
            Observation::Crashed { .. } => "crash",
            Observation::ProtocolError { .. } => "protocol-error",
            Observation::Broken { .. } => "error",
        }
    }
}

/// Counts of a run's outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases run.
    pub cases: usize,
    /// Passed.
    pub pass: usize,
    /// Known differences.
    pub known: usize,
    /// Refused for a declared unsupported feature.
    pub unsupported: usize,
    /// Failed, by kind (every kind of [`Failure::ALL`], zeros included).
    pub failures: BTreeMap<Failure, usize>,
}

impl Counts {
    /// Counts the statuses.
    pub fn of<'a>(statuses: impl IntoIterator<Item = &'a Status>) -> Counts {
        let mut c = Counts {
            failures: Failure::ALL.iter().map(|f| (*f, 0)).collect(),
            ..Counts::default()
        };
        for s in statuses {
            c.cases += 1;
            match s {
                Status::Pass => c.pass += 1,
                Status::Known(_) => c.known += 1,
                Status::Unsupported(_) => c.unsupported += 1,
                Status::Fail(kind, _) => *c.failures.entry(*kind).or_default() += 1,
            }
        }
        c
    }

    /// Failed cases, every kind.
    pub fn fail(&self) -> usize {
        self.failures.values().sum()
    }

    /// Failed cases of one kind.
    pub fn failed(&self, kind: Failure) -> usize {
        self.failures.get(&kind).copied().unwrap_or(0)
    }
}

/// Which cases a run takes, and what the reader declared.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only the cases whose file path contains this text.
    pub only: Option<String>,
    /// Only the cases of this profile (`strict`); `None` or `full`: every case.
    pub profile: Option<String>,
    /// Features the reader does not support (names of the manifest's `features`): a
    /// valid file using one of them that the reader refuses counts as unsupported.
    pub unsupported: Vec<String>,
}

impl Selection {
    /// Whether the selection takes `case`.
    pub fn takes(&self, case: &Case) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| case.file.contains(o.as_str()))
            && match self.profile.as_deref() {
                None | Some("full") => true,
                Some(p) => case.profile == p,
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
    /// The profile the run was restricted to (`None`: every case).
    pub profile: Option<String>,
    /// The features declared unsupported on the command line.
    pub unsupported: Vec<String>,
    /// One outcome per case run, in manifest order.
    pub outcomes: Vec<Outcome<'m>>,
}

impl Run<'_> {
    /// The counts of every outcome.
    pub fn counts(&self) -> Counts {
        Counts::of(self.outcomes.iter().map(|o| &o.status))
    }
}

/// Judges a reader's observation of a case. `known` is the recorded difference of the
/// reader for this case, if any; `unsupported` the features the reader declared
/// unsupported for the whole run.
///
/// Declaring a feature unsupported excuses refusing a valid file that uses it; it
/// excuses nothing else: a reader that accepts such a file must read it right, and a
/// crash is a crash.
pub fn judge(
    case: &Case,
    observation: &Observation,
    known: Option<&Known>,
    unsupported: &[String],
) -> Status {
    let refused = |reason: &str, named: &[String]| {
        // The features the case uses among those declared for the run or named by the
        // adapter for this refusal.
        let excused: Vec<String> = case
            .features
            .iter()
            .filter(|f| unsupported.contains(f) || named.contains(f))
            .cloned()
            .collect();
        if !excused.is_empty() {
            return Status::Unsupported(excused);
        }
        let mut why = format!(
            "expected {}, the reader rejected the file: {reason}",
            case.verdict
        );
        if !named.is_empty() {
            why.push_str(&format!(
                " (it names unsupported features {}, which this file does not use: its \
                 features are [{}])",
                named.join(", "),
                case.features.join(", ")
            ));
        }
        Status::Fail(Failure::Refused, why)
    };
    let spec = match (case.verdict, observation) {
        (Verdict::Reject, Observation::Rejected { .. } | Observation::Unsupported { .. }) => {
            Status::Pass
        }
        (Verdict::Reject, Observation::Accepted { .. }) => Status::Fail(
            Failure::AcceptedInvalid,
            "expected reject, the reader accepted the file".to_string(),
        ),
        (_, Observation::Rejected { reason }) => refused(reason, &[]),
        (_, Observation::Unsupported { features, reason }) => refused(reason, features),
        (_, Observation::TimedOut) => Status::Fail(
            Failure::Timeout,
            "the reader did not finish in time and was killed".to_string(),
        ),
        (_, Observation::Crashed { reason }) => Status::Fail(Failure::Crash, reason.clone()),
        (_, Observation::ProtocolError { reason }) => {
            Status::Fail(Failure::Protocol, reason.clone())
        }
        (_, Observation::Broken { reason }) => Status::Fail(Failure::Error, reason.clone()),
        (verdict, Observation::Accepted { values, warnings }) => {
            let want = case
                .expected
                .as_ref()
                .expect("Manifest::parse checks that accepted cases have values");
            let wrong = differences(want, values);
            let warning = match (verdict, warnings) {
                (Verdict::Accept, Some(w)) if !w.is_empty() => {
                    Some(format!("warnings: expected none, got {w:?}"))
                }
                (Verdict::AcceptWithWarning, Some(w)) if w.is_empty() => {
                    Some("warnings: expected at least one (R-8), got none".to_string())
                }
                _ => None,
            };
            if !wrong.is_empty() {
                Status::Fail(Failure::Wrong, wrong.join("; "))
            } else if let Some(w) = warning {
                Status::Fail(Failure::Warnings, w)
            } else {
                Status::Pass
            }
        }
    };
    match (spec, known) {
        (Status::Fail(kind @ (Failure::Refused | Failure::AcceptedInvalid), why), Some(k)) => {
            let matches = match k.verdict {
                KnownVerdict::Accept => matches!(observation, Observation::Accepted { .. }),
                KnownVerdict::Reject => matches!(
                    observation,
                    Observation::Rejected { .. } | Observation::Unsupported { .. }
                ),
            };
            if matches {
                Status::Known(k.why.clone())
            } else {
                Status::Fail(kind, why)
            }
        }
        (status, _) => status,
    }
}

fn differences(want: &Expected, got: &Values) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |what: &str, w: String, g: String| {
        if w != g {
            wrong.push(format!("{what}: expected {w}, got {g}"));
        }
    };
    check("version", want.version.clone(), got.version.clone());
    check("descr", want.descr.to_string(), got.descr.to_string());
    let want_data = match got.fortran_order {
        Some(f) => {
            check(
                "fortran_order",
                want.fortran_order.to_string(),
                f.to_string(),
            );
            &want.data_sha256
        }
        // The reader gives the array in its logical order: compare the items in C order.
        None => want
            .data_c_order_sha256
            .as_ref()
            .unwrap_or(&want.data_sha256),
    };
    let shape = |s: &serde_json::Value| match s {
        serde_json::Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    };
    check(
        "shape",
        shape(&serde_json::Value::from(want.shape.clone())),
        shape(&got.shape),
    );
    let data = if got.fortran_order.is_none() {
        "data_sha256 (C order)"
    } else {
        "data_sha256"
    };
    check(data, want_data.clone(), got.data_sha256.clone());
    wrong
}

/// Runs every case of `corpus` that `selection` takes with `reader`, `jobs` at a time,
/// and judges each. With `known`, the differences the manifest records for that reader
/// count as known, not failed.
pub fn run_cases<'m>(
    corpus: &'m Corpus,
    reader: &dyn Reader,
    known: Option<&str>,
    selection: &Selection,
    jobs: usize,
) -> Vec<Outcome<'m>> {
    let cases: Vec<&Case> = corpus
        .manifest()
        .cases
        .iter()
        .filter(|c| selection.takes(c))
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(cases.len()).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, cases.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let outcome = run_case(corpus, case, reader, known, &selection.unsupported);
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
    unsupported: &[String],
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
    let status = judge(case, &observation, known, unsupported);
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
            profile: "strict".into(),
            features: vec!["big-endian".into()],
            description: String::new(),
            source: String::new(),
            max_header_len: None,
            expected: (verdict != Verdict::Reject).then(expected),
            known_differences: BTreeMap::new(),
        }
    }

    fn expected() -> Expected {
        Expected {
            version: "1.0".into(),
            descr: ">f8".into(),
            fortran_order: true,
            shape: vec![2],
            data_sha256: "00".into(),
            data_c_order_sha256: Some("cc".into()),
        }
    }

    fn values() -> Values {
        expected().into()
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

    fn fail(kind: Failure, why: &str) -> Status {
        Status::Fail(kind, why.to_string())
    }

    #[test]
    fn verdicts_and_warnings() {
        let accept = case(Verdict::Accept);
        let warn = case(Verdict::AcceptWithWarning);
        let may = case(Verdict::AcceptMayWarn);
        let reject = case(Verdict::Reject);
        let w = || Some(vec!["w".to_string()]);
        assert_eq!(judge(&accept, &accepted(None), None, &[]), Status::Pass);
        assert_eq!(
            judge(&accept, &accepted(Some(vec![])), None, &[]),
            Status::Pass
        );
        assert_eq!(
            judge(&accept, &accepted(w()), None, &[]),
            fail(Failure::Warnings, "warnings: expected none, got [\"w\"]")
        );
        assert_eq!(judge(&warn, &accepted(None), None, &[]), Status::Pass);
        assert_eq!(judge(&warn, &accepted(w()), None, &[]), Status::Pass);
        assert_eq!(
            judge(&warn, &accepted(Some(vec![])), None, &[]),
            fail(
                Failure::Warnings,
                "warnings: expected at least one (R-8), got none"
            )
        );
        // Bytes after the data: R-8 lets a reader report them or not.
        for warnings in [None, Some(vec![]), w()] {
            assert_eq!(judge(&may, &accepted(warnings), None, &[]), Status::Pass);
        }
        assert_eq!(judge(&reject, &rejected(), None, &[]), Status::Pass);
        assert_eq!(
            judge(&reject, &accepted(None), None, &[]),
            fail(
                Failure::AcceptedInvalid,
                "expected reject, the reader accepted the file"
            )
        );
        assert_eq!(
            judge(&accept, &rejected(), None, &[]),
            fail(
                Failure::Refused,
                "expected accept, the reader rejected the file: bad"
            )
        );
        assert_eq!(
            judge(&reject, &Observation::TimedOut, None, &[]),
            fail(
                Failure::Timeout,
                "the reader did not finish in time and was killed"
            )
        );
        let crash = Observation::Crashed {
            reason: "killed by signal 11 (a crash)".into(),
        };
        assert_eq!(
            judge(&reject, &crash, None, &[]),
            fail(Failure::Crash, "killed by signal 11 (a crash)")
        );
    }

    #[test]
    fn values_are_compared_one_by_one() {
        let accept = case(Verdict::Accept);
        let mut v = values();
        v.shape = serde_json::json!([3]);
        v.descr = "<f4".into();
        let got = Observation::Accepted {
            values: v,
            warnings: None,
        };
        assert_eq!(
            judge(&accept, &got, None, &[]),
            fail(
                Failure::Wrong,
                "descr: expected \">f8\", got \"<f4\"; shape: expected [2], got [3]"
            )
        );
    }

    #[test]
    fn a_shape_of_other_numbers_is_a_wrong_value() {
        let accept = case(Verdict::Accept);
        for (entry, shown) in [
            (serde_json::json!(null), "null"),
            (serde_json::json!(-1), "-1"),
            (serde_json::json!(2.0), "2.0"),
            (serde_json::json!("2"), "\"2\""),
        ] {
            let mut v = values();
            v.shape = serde_json::json!([entry]);
            let got = Observation::Accepted {
                values: v,
                warnings: None,
            };
            assert_eq!(
                judge(&accept, &got, None, &[]),
                fail(
                    Failure::Wrong,
                    &format!("shape: expected [2], got [{shown}]")
                )
            );
        }
    }

    #[test]
    fn a_shape_that_is_no_list_is_a_wrong_value() {
        let accept = case(Verdict::Accept);
        for (shape, shown) in [
            (serde_json::json!(6), "6"),
            (serde_json::Value::Null, "null"),
        ] {
            let mut v = values();
            v.shape = shape;
            let got = Observation::Accepted {
                values: v,
                warnings: None,
            };
            assert_eq!(
                judge(&accept, &got, None, &[]),
                fail(Failure::Wrong, &format!("shape: expected [2], got {shown}"))
            );
        }
    }

    #[test]
    fn a_reader_without_an_order_is_compared_in_c_order() {
        let accept = case(Verdict::Accept);
        let mut v = values();
        v.fortran_order = None;
        v.data_sha256 = "cc".into();
        let got = Observation::Accepted {
            values: v.clone(),
            warnings: None,
        };
        assert_eq!(judge(&accept, &got, None, &[]), Status::Pass);
        v.data_sha256 = "00".into();
        let got = Observation::Accepted {
            values: v,
            warnings: None,
        };
        assert_eq!(
            judge(&accept, &got, None, &[]),
            fail(Failure::Wrong, "data_sha256 (C order): expected cc, got 00")
        );
    }

    #[test]
    fn unsupported_features_excuse_refusals_only() {
        let accept = case(Verdict::Accept);
        let reject = case(Verdict::Reject);
        let declared = ["big-endian".to_string()];
        let unsupported = Status::Unsupported(vec!["big-endian".into()]);
        assert_eq!(judge(&accept, &rejected(), None, &declared), unsupported);
        // A feature the case does not use excuses nothing.
        assert!(matches!(
            judge(&accept, &rejected(), None, &["v4".to_string()]),
            Status::Fail(Failure::Refused, _)
        ));
        // Named by the adapter in its refusal.
        let named = |f: &str| Observation::Unsupported {
            features: vec![f.to_string()],
            reason: "no".into(),
        };
        assert_eq!(judge(&accept, &named("big-endian"), None, &[]), unsupported);
        assert_eq!(
            judge(&accept, &named("v4"), None, &[]),
            fail(
                Failure::Refused,
                "expected accept, the reader rejected the file: no (it names unsupported \
                 features v4, which this file does not use: its features are [big-endian])"
            )
        );
        assert_eq!(
            judge(&reject, &named("big-endian"), None, &[]),
            Status::Pass
        );
        // Misreading a file is wrong, declared or not.
        let mut v = values();
        v.data_sha256 = "11".into();
        let misread = Observation::Accepted {
            values: v,
            warnings: None,
        };
        assert!(matches!(
            judge(&accept, &misread, None, &declared),
            Status::Fail(Failure::Wrong, _)
        ));
        assert!(matches!(
            judge(&accept, &Observation::TimedOut, None, &declared),
            Status::Fail(Failure::Timeout, _)
        ));
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
            judge(
                &reject,
                &accepted(None),
                Some(&k(KnownVerdict::Accept)),
                &[]
            ),
            Status::Known("DIFF-1".into())
        );
        // The reader agreeing with the spec is a pass, known difference or not.
        assert_eq!(
            judge(&reject, &rejected(), Some(&k(KnownVerdict::Accept)), &[]),
            Status::Pass
        );
        assert_eq!(
            judge(&accept, &rejected(), Some(&k(KnownVerdict::Reject)), &[]),
            Status::Known("DIFF-1".into())
        );
        // A timeout is never a known difference.
        assert!(matches!(
            judge(
                &accept,
                &Observation::TimedOut,
                Some(&k(KnownVerdict::Reject)),
                &[]
            ),
            Status::Fail(Failure::Timeout, _)
        ));
    }

    #[test]
    fn counts_keep_every_kind_apart() {
        let statuses = [
            Status::Pass,
            Status::Unsupported(vec!["v4".into()]),
            Status::Fail(Failure::Wrong, String::new()),
            Status::Fail(Failure::Wrong, String::new()),
            Status::Fail(Failure::Crash, String::new()),
        ];
        let c = Counts::of(&statuses);
        assert_eq!((c.cases, c.pass, c.unsupported, c.fail()), (5, 1, 1, 3));
        assert_eq!(c.failed(Failure::Wrong), 2);
        assert_eq!(c.failed(Failure::Timeout), 0);
        assert_eq!(c.failures.len(), Failure::ALL.len());
    }
}
