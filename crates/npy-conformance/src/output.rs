//! The three renderings of a run: a table for people, JSON and JUnit XML for machines.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::manifest::{compare_ids, Verdict};
use crate::{Observation, Outcome, Run, Status};

/// Pass/known/fail counts of the cases listing one requirement.
#[derive(Clone, Copy, Debug, Default, Serialize)]
struct Tally {
    cases: usize,
    pass: usize,
    known: usize,
    fail: usize,
}

impl Tally {
    fn add(&mut self, status: &Status) {
        self.cases += 1;
        match status {
            Status::Pass => self.pass += 1,
            Status::Known(_) => self.known += 1,
            Status::Fail(_) => self.fail += 1,
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
        Observation::Rejected { reason } | Observation::Broken { reason } => Some(reason.clone()),
        Observation::TimedOut => Some("timed out".to_string()),
        Observation::Accepted {
            warnings: Some(w), ..
        } if !w.is_empty() => Some(format!("warnings: {}", w.join("; "))),
        Observation::Accepted { .. } => None,
    }
}

fn summary_line(run: &Run) -> String {
    let (pass, known, fail) = run.counts();
    let total = run.outcomes.len();
    let known = match &run.known {
        Some(name) => format!(", {known} known differences ({name})"),
        None => String::new(),
    };
    format!("{total} cases: {pass} pass{known}, {fail} fail")
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
    let mut groups: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for o in &run.outcomes {
        groups.entry(o.case.primary()).or_default().push(o);
    }
    let mut ids: Vec<&str> = groups.keys().copied().collect();
    ids.sort_by(|a, b| compare_ids(a, b));
    for id in ids {
        let shown: Vec<&&Outcome> = groups[id]
            .iter()
            .filter(|o| !failures_only || matches!(o.status, Status::Fail(_)))
            .collect();
        if shown.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{id} {}", run.corpus.manifest().requirements[id])?;
        for o in shown {
            let (mark, note) = match &o.status {
                Status::Pass => ("pass ", None),
                Status::Known(why) => ("known", Some(why.clone())),
                Status::Fail(why) => ("FAIL ", Some(why.clone())),
            };
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
        "{:<48} {:>5} {:>5} {:>5} {:>5}",
        "requirement", "cases", "pass", "known", "fail"
    )?;
    for (id, title, t) in tallies(run) {
        let mut label = format!("{id:<8} {title}");
        if label.chars().count() > 48 {
            label = label.chars().take(47).collect::<String>() + "…";
        }
        writeln!(
            out,
            "{label:<48} {:>5} {:>5} {:>5} {:>5}",
            t.cases, t.pass, t.known, t.fail
        )?;
    }
    writeln!(out)?;
    for verdict in [Verdict::Accept, Verdict::AcceptWithWarning, Verdict::Reject] {
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
    summary: JsonSummary,
    requirements: Vec<JsonRequirement<'a>>,
    cases: Vec<JsonCase<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    cases: usize,
    pass: usize,
    known: usize,
    fail: usize,
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
    detail: Option<&'a str>,
    reader_message: Option<String>,
    elapsed_ms: u128,
}

/// One JSON object: `reader`, `corpus`, `summary`, `requirements` (every id with its
/// tally) and `cases`.
pub fn json(run: &Run, out: &mut dyn Write) -> io::Result<()> {
    let (pass, known, fail) = run.counts();
    let doc = JsonRun {
        reader: &run.reader,
        corpus: run.corpus.describe(),
        numpy_version: &run.corpus.manifest().numpy_version,
        known: run.known.as_deref(),
        summary: JsonSummary {
            cases: run.outcomes.len(),
            pass,
            known,
            fail,
        },
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
                    Status::Fail(_) => "fail",
                },
                detail: match &o.status {
                    Status::Pass => None,
                    Status::Known(why) | Status::Fail(why) => Some(why),
                },
                reader_message: reader_message(o),
                elapsed_ms: o.elapsed.as_millis(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)
}

/// JUnit XML: a test suite per main requirement, a test case per file; known
/// differences are reported as skipped.
pub fn junit(run: &Run, out: &mut dyn Write) -> io::Result<()> {
    let (_, known, fail) = run.counts();
    let total_time: f64 = run.outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="npy conformance" tests="{}" failures="{fail}" skipped="{known}" time="{total_time:.3}">"#,
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
        let failures = cases
            .iter()
            .filter(|o| matches!(o.status, Status::Fail(_)))
            .count();
        let skipped = cases
            .iter()
            .filter(|o| matches!(o.status, Status::Known(_)))
            .count();
        let time: f64 = cases.iter().map(|o| o.elapsed.as_secs_f64()).sum();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failures}" skipped="{skipped}" time="{time:.3}">"#,
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
                Status::Fail(why) => writeln!(
                    out,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    xml(why),
                    xml(&format!(
                        "{}\nexpected {}, got {}\n{}",
                        o.case.description,
                        o.case.verdict,
                        o.got(),
                        reader_message(o).unwrap_or_default()
                    ))
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
