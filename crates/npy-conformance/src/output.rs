//! The three renderings of a run: a table for people, JSON and JUnit XML for machines.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::manifest::{compare_ids, Verdict};
use crate::{Counts, Failure, Observation, Outcome, Run, Status};

/// Pass/known/unsupported/fail counts of the cases listing one requirement.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Tally {
    cases: usize,
    pass: usize,
    known: usize,
    unsupported: usize,
    fail: usize,
}

impl Tally {
    fn add(&mut self, status: &Status) {
        self.cases += 1;
        match status {
            Status::Pass => self.pass += 1,
            Status::Known(_) => self.known += 1,
            Status::Unsupported(_) => self.unsupported += 1,
            Status::Fail(..) => self.fail += 1,
        }
    }
}

/// Every requirement id of the manifest in spec order, with the tally of the cases
/// that list it (a case counts under each of its ids).
fn tallies<'a>(run: &'a Run) -> Vec<(&'a str, &'a str, Tally)> {
    let mut by_id: BTreeMap<&str, Tally> = BTreeMap::new();
    for o in &run.outcomes {
        for r in &o.case.requirements {
            by_id.entry(r).or_default().add(&o.status);
        }
    }
    run.corpus
        .manifest()
        .requirement_ids()
        .into_iter()
        .map(|id| {
            (
                id,
                run.corpus.manifest().requirements[id].as_str(),
                by_id.get(id).copied().unwrap_or_default(),
            )
        })
        .collect()
}

/// What the reader said, when it said something: its rejection, or why it failed to
/// give a verdict.
fn reader_message(o: &Outcome) -> Option<String> {
    match &o.observation {
        Observation::Rejected { reason }
        | Observation::Unsupported { reason, .. }
        | Observation::Crashed { reason }
        | Observation::ProtocolError { reason }
        | Observation::Broken { reason } => Some(reason.clone()),
        Observation::TimedOut => Some("timed out".to_string()),
        Observation::Accepted {
            warnings: Some(w), ..
        } if !w.is_empty() => Some(format!("warnings: {}", w.join("; "))),
        Observation::Accepted { .. } => None,
    }
}

fn summary_line(run: &Run) -> String {
    let c = run.counts();
    let known = match &run.known {
        Some(name) => format!(", {} known differences ({name})", c.known),
        None => String::new(),
    };
    let unsupported = if run.unsupported.is_empty() && c.unsupported == 0 {
        String::new()
    } else {
        format!(", {} unsupported", c.unsupported)
    };
    let kinds: Vec<String> = Failure::ALL
        .iter()
        .filter(|k| **k != Failure::Error || c.failed(**k) > 0)
        .map(|k| format!("{} {}", c.failed(*k), k.label()))
        .collect();
    format!(
        "{} cases: {} pass{known}{unsupported}, {} fail ({})",
        c.cases,
        c.pass,
        c.fail(),
        kinds.join(", ")
    )
}

/// The mark of a case in the text report, and the note under it.
fn mark(status: &Status) -> (&'static str, Option<String>) {
    match status {
        Status::Pass => ("pass ", None),
        Status::Known(why) => ("known", Some(why.clone())),
        Status::Unsupported(features) => (
            "unsup",
            Some(format!("unsupported: {}", features.join(", "))),
        ),
        Status::Fail(kind, why) => ("FAIL ", Some(format!("{}: {why}", kind.name()))),
    }
}

/// The table: every case under its main requirement, then every requirement's tally,
/// then the summary.
pub fn text(run: &Run, failures_only: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "reader: {}", run.reader)?;
    writeln!(
        out,
        "corpus: {} ({} cases; checked against NumPy {})",
        run.corpus.describe(),
        run.corpus.manifest().cases.len(),
        run.corpus.manifest().numpy_version
    )?;
    if let Some(p) = &run.profile {
        writeln!(out, "profile: {p}")?;
    }
    if !run.unsupported.is_empty() {
        writeln!(out, "unsupported: {}", run.unsupported.join(", "))?;
    }
    let mut groups: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in &run.outcomes {
        groups.entry(o.case.primary()).or_default().push(o);
    }
    let mut ids: Vec<&str> = groups.keys().copied().collect();
    ids.sort_by(|a, b| compare_ids(a, b));
    for id in ids {
        let shown: Vec<&&Outcome> = groups[id]
            .iter()
            .filter(|o| !failures_only || matches!(o.status, Status::Fail(..)))
            .collect();
        if shown.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{id} {}", run.corpus.manifest().requirements[id])?;
        for o in shown {
            let (mark, note) = mark(&o.status);
            writeln!(
                out,
                "  {mark} {:<19} {}",
                o.case.verdict.name(),
                o.case.file
            )?;
            if let Some(note) = note {
                writeln!(out, "        {note}")?;
            }
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<48} {:>5} {:>5} {:>5} {:>5} {:>5}",
        "requirement", "cases", "pass", "known", "unsup", "fail"
    )?;
    for (id, title, t) in tallies(run) {
        let mut label = format!("{id:<8} {title}");
        if label.chars().count() > 48 {
            label = label.chars().take(47).collect::<String>() + "…";
        }
        writeln!(
            out,
            "{label:<48} {:>5} {:>5} {:>5} {:>5} {:>5}",
            t.cases, t.pass, t.known, t.unsupported, t.fail
        )?;
    }
    writeln!(out)?;
    for verdict in Verdict::ALL {
        let of: Vec<&Outcome> = run
            .outcomes
            .iter()
            .filter(|o| o.case.verdict == verdict)
            .collect();
        let pass = of.iter().filter(|o| o.status == Status::Pass).count();
        writeln!(
            out,
            "expected {:<19} {:>4} cases, {:>4} pass",
            verdict.name(),
            of.len(),
            pass
        )?;
    }
    writeln!(out, "summary: {}", summary_line(run))
}

#[derive(Serialize)]
struct JsonRun<'a> {
    reader: &'a str,
    corpus: String,
    numpy_version: &'a str,
    known: Option<&'a str>,
    profile: Option<&'a str>,
    unsupported: &'a [String],
    summary: JsonSummary,
    requirements: Vec<JsonRequirement<'a>>,
    cases: Vec<JsonCase<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    cases: usize,
    pass: usize,
    known: usize,
    unsupported: usize,
    fail: usize,
    /// Failed cases by kind, every kind (`refused`, `accepted-invalid`, `wrong`, ...).
    failures: BTreeMap<&'static str, usize>,
}

impl From<&Counts> for JsonSummary {
    fn from(c: &Counts) -> JsonSummary {
        JsonSummary {
            cases: c.cases,
            pass: c.pass,
            known: c.known,
            unsupported: c.unsupported,
            fail: c.fail(),
            failures: c.failures.iter().map(|(k, n)| (k.name(), *n)).collect(),
        }
    }
}

#[derive(Serialize)]
struct JsonRequirement<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(flatten)]
    tally: Tally,
}

#[derive(Serialize)]
struct JsonCase<'a> {
    file: &'a str,
    requirements: &'a [String],
    expected: &'static str,
    got: &'static str,
    status: &'static str,
    failure: Option<&'static str>,
    unsupported: Option<&'a [String]>,
    detail: Option<&'a str>,
    reader_message: Option<String>,
    elapsed_ms: u128,
}

/// One JSON object: `reader`, `corpus`, `summary`, `requirements` (every id with its
/// tally) and `cases`.
pub fn json(run: &Run, out: &mut dyn Write) -> io::Result<()> {
    let doc = JsonRun {
        reader: &run.reader,
        corpus: run.corpus.describe(),
        numpy_version: &run.corpus.manifest().numpy_version,
        known: run.known.as_deref(),
        profile: run.profile.as_deref(),
        unsupported: &run.unsupported,
        summary: JsonSummary::from(&run.counts()),
        requirements: tallies(run)
            .into_iter()
            .map(|(id, title, tally)| JsonRequirement { id, title, tally })
            .collect(),
        cases: run
            .outcomes
            .iter()
            .map(|o| JsonCase {
                file: &o.case.file,
                requirements: &o.case.requirements,
                expected: o.case.verdict.name(),
                got: o.got(),
                status: match o.status {
                    Status::Pass => "pass",
                    Status::Known(_) => "known",
                    Status::Unsupported(_) => "unsupported",
                    Status::Fail(..) => "fail",
                },
                failure: match o.status {
                    Status::Fail(kind, _) => Some(kind.name()),
                    _ => None,
                },
                unsupported: match &o.status {
                    Status::Unsupported(f) => Some(f),
                    _ => None,
                },
                detail: match &o.status {
                    Status::Pass | Status::Unsupported(_) => None,
                    Status::Known(why) | Status::Fail(_, why) => Some(why),
                },
                reader_message: reader_message(o),
                elapsed_ms: o.elapsed.as_millis(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)
}

/// Whether JUnit reports a failure as an error (the reader gave no verdict) rather than
/// a failure (a wrong verdict or wrong values).
fn is_error(kind: Failure) -> bool {
    matches!(
        kind,
        Failure::Crash | Failure::Timeout | Failure::Protocol | Failure::Error
    )
}

/// (failures, errors, skipped) in JUnit's sense.
fn junit_counts<'a>(
    outcomes: impl IntoIterator<Item = &'a &'a Outcome<'a>>,
) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for o in outcomes {
        match o.status {
            Status::Fail(kind, _) if is_error(kind) => c.1 += 1,
            Status::Fail(..) => c.0 += 1,
            Status::Known(_) | Status::Unsupported(_) => c.2 += 1,
            Status::Pass => {}
        }
    }
    c
}

/// JUnit XML: a test suite per main requirement, a test case per file. Wrong verdicts,
/// wrong values and wrong warnings are failures; crashes, timeouts and protocol errors
/// are errors (with the kind as `type`); known differences and unsupported features are
/// skipped.
pub fn junit(run: &Run, out: &mut dyn Write) -> io::Result<()> {
    let all: Vec<&Outcome> = run.outcomes.iter().collect();
    let (fail, errors, skipped) = junit_counts(&all);
    let total_time: f64 = run.outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="npy conformance" tests="{}" failures="{fail}" errors="{errors}" skipped="{skipped}" time="{total_time:.3}">"#,
        run.outcomes.len()
    )?;
    let mut groups: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in &run.outcomes {
        groups.entry(o.case.primary()).or_default().push(o);
    }
    let mut ids: Vec<&str> = groups.keys().copied().collect();
    ids.sort_by(|a, b| compare_ids(a, b));
    for id in ids {
        let cases = &groups[id];
        let (failures, errors, skipped) = junit_counts(cases);
        let time: f64 = cases.iter().map(|o| o.elapsed.as_secs_f64()).sum();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="{errors}" skipped="{skipped}" time="{time:.3}">"#,
            xml(&format!("{id} {}", run.corpus.manifest().requirements[id])),
            cases.len()
        )?;
        for o in cases {
            write!(
                out,
                r#"    <testcase classname="conformance.{}" name="{}" time="{:.3}""#,
                xml(id),
                xml(&o.case.file),
                o.elapsed.as_secs_f64()
            )?;
            match &o.status {
                Status::Pass => writeln!(out, "/>")?,
                Status::Known(why) => writeln!(
                    out,
                    ">\n      <skipped message=\"known difference: {}\"/>\n    </testcase>",
                    xml(why)
                )?,
                Status::Unsupported(features) => writeln!(
                    out,
                    ">\n      <skipped message=\"unsupported: {}\"/>\n    </testcase>",
                    xml(&features.join(", "))
                )?,
                Status::Fail(kind, why) => writeln!(
                    out,
                    ">\n      <{tag} type=\"{}\" message=\"{}\">{}</{tag}>\n    </testcase>",
                    kind.name(),
                    xml(why),
                    xml(&format!(
                        "{}\nexpected {}, got {}\n{}",
                        o.case.description,
                        o.case.verdict,
                        o.got(),
                        reader_message(o).unwrap_or_default()
                    )),
                    tag = if is_error(*kind) { "error" } else { "failure" }
                )?,
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Escapes text for an XML attribute or element. Characters XML 1.0 cannot hold at all
/// (most controls) are written as `\u{…}`.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>\u{1}\n\u{ffff}é"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\\u{1}\n\\u{ffff}é"
        );
    }
}
