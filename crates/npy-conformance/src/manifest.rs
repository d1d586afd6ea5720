//! The corpus manifest (`manifest.json`): what each file is and what a conforming
//! reader must make of it. `conformance/README.md` in the repository documents the
//! format.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The manifest format this runner reads.
pub const FORMAT: u32 = 2;

/// The whole manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The manifest format (this runner reads format 2).
    pub format: u32,
    /// The script that wrote it.
    pub generated_by: String,
    /// The NumPy version that wrote the NumPy-written files and checked every case.
    pub numpy_version: String,
    /// The specification the requirement ids come from.
    pub spec: String,
    /// The header-length limit of cases that do not set their own.
    pub default_max_header_len: u64,
    /// Requirement id → title, every id of the spec (withdrawn ones titled
    /// `withdrawn`).
    pub requirements: BTreeMap<String, String>,
    /// Feature name → what it covers: the optional features a reader may declare
    /// unsupported (`--unsupported`), as the specification names them.
    pub features: BTreeMap<String, String>,
    /// Profile name → what it holds (`full`, `strict`), as the specification names them.
    pub profiles: BTreeMap<String, String>,
    /// The cases, in corpus order.
    pub cases: Vec<Case>,
}

/// One file and what a reader must make of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Path relative to the corpus directory.
    pub file: String,
    /// SHA-256 of the whole file, to detect a corpus that no longer matches.
    pub sha256: String,
    /// The requirement ids the case exercises, the main one first.
    pub requirements: Vec<String>,
    /// What a conforming reader must do with the file.
    pub verdict: Verdict,
    /// The reader profile the case belongs to: `strict` (every reader must pass it) or
    /// `full` (a valid header outside the strict grammar, for readers of the full one).
    pub profile: String,
    /// The optional features the file uses (names of [`Manifest::features`]).
    pub features: Vec<String>,
    /// What the file is.
    pub description: String,
    /// Who wrote it (NumPy, NumPy's tests, or the generator by hand).
    pub source: String,
    /// The header-length limit to read it with, when not the default.
    #[serde(default)]
    pub max_header_len: Option<u64>,
    /// What an accepting reader must report.
    #[serde(default)]
    pub expected: Option<Expected>,
    /// Readers known to differ on this case, and why (for example NumPy on a 4.0 file).
    #[serde(default)]
    pub known_differences: BTreeMap<String, Known>,
}

/// A case's expected verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The file is valid and nothing about it is surprising.
    Accept,
    /// The file is valid; a reader should report something about it (`R-8`).
    AcceptWithWarning,
    /// The file is valid; a reader may report something about it or not (`R-8`: bytes
    /// after the data of a fixed-shape file).
    AcceptMayWarn,
    /// The file is invalid.
    Reject,
}

impl Verdict {
    /// The name used in the manifest and the output.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::AcceptWithWarning => "accept-with-warning",
            Verdict::AcceptMayWarn => "accept-may-warn",
            Verdict::Reject => "reject",
        }
    }
}

impl Verdict {
    /// Every verdict, in the order reports list them.
    pub const ALL: [Verdict; 4] = [
        Verdict::Accept,
        Verdict::AcceptWithWarning,
        Verdict::AcceptMayWarn,
        Verdict::Reject,
    ];
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an accepting reader reports about a file (the adapter protocol's JSON line).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// `"1.0"`, `"2.0"`, `"3.0"` or `"4.0"`.
    pub version: String,
    /// The descr as `npy inspect --json` prints it (NumPy's descr, tuples as lists).
    pub descr: Value,
    /// Whether the data is in Fortran order.
    pub fortran_order: bool,
    /// The shape, with a 4.0 growth axis resolved against the file size.
    pub shape: Vec<u64>,
    /// SHA-256 (lowercase hex) of the array's data bytes as the file stores them.
    pub data_sha256: String,
    /// For a file in Fortran order: SHA-256 of the same items in C order (the array's
    /// logical order), what a reader that returns arrays without an order gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_c_order_sha256: Option<String>,
}

/// A recorded difference between a reader and the expected verdict.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    /// What that reader does instead.
    pub verdict: KnownVerdict,
    /// Why, citing the spec (`DIFF-*`, `V4-6`).
    pub why: String,
}

/// The verdict of a known difference (values are not compared).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KnownVerdict {
    /// The reader accepts the file.
    Accept,
    /// The reader refuses the file.
    Reject,
}

impl Manifest {
    /// Reads `manifest.json` from the corpus directory.
    pub fn load(corpus: &Path) -> Result<Manifest, String> {
        let path = corpus.join("manifest.json");
        let text = fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (--corpus takes a directory holding manifest.json, such \
                 as conformance/ in the repository; without --corpus the built-in corpus runs)",
                path.display()
            )
        })?;
        Manifest::parse(&text, &path.display().to_string())
    }

    /// Parses and checks the text of a manifest; `name` says which one in errors.
    pub fn parse(text: &str, name: &str) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_str(text)
            .map_err(|e| format!("{name} is not a valid manifest: {e}"))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "{name} has manifest format {}, this runner reads format {FORMAT}",
                manifest.format
            ));
        }
        for case in &manifest.cases {
            if case.requirements.is_empty() {
                return Err(format!("{}: a case without requirement ids", case.file));
            }
            if let Some(r) = case
                .requirements
                .iter()
                .find(|r| !manifest.requirements.contains_key(*r))
            {
                return Err(format!("{}: unknown requirement id {r}", case.file));
            }
            if !manifest.profiles.contains_key(&case.profile) {
                return Err(format!("{}: unknown profile {}", case.file, case.profile));
            }
            if let Some(f) = case
                .features
                .iter()
                .find(|f| !manifest.features.contains_key(*f))
            {
                return Err(format!("{}: unknown feature {f}", case.file));
            }
            if (case.expected.is_some()) == (case.verdict == Verdict::Reject) {
                return Err(format!(
                    "{}: accepted cases need `expected` values, rejected ones have none",
                    case.file
                ));
            }
        }
        Ok(manifest)
    }

    /// The requirement ids in specification order (`F`, `H`, `D`, `V4`, `W`, `R`, `A`,
    /// `G`, `S`, `DIFF`, then by number).
    pub fn requirement_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.requirements.keys().map(String::as_str).collect();
        ids.sort_by(|a, b| compare_ids(a, b));
        ids
    }
}

impl Case {
    /// The file's path under the corpus directory.
    pub fn path(&self, corpus: &Path) -> PathBuf {
        corpus.join(&self.file)
    }

    /// The requirement the case is listed under: its first.
    pub fn primary(&self) -> &str {
        &self.requirements[0]
    }
}

/// Orders requirement ids as the specification does.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    id_key(a).cmp(&id_key(b))
}

fn id_key(id: &str) -> (usize, u32, String) {
    const GROUPS: [&str; 10] = ["F", "H", "D", "V4", "W", "R", "A", "G", "S", "DIFF"];
    match id.rsplit_once('-') {
        Some((group, n)) => (
            GROUPS
                .iter()
                .position(|g| *g == group)
                .unwrap_or(GROUPS.len()),
            n.parse().unwrap_or(u32::MAX),
            id.to_string(),
        ),
        None => (GROUPS.len(), u32::MAX, id.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_spec_order() {
        let mut ids = vec![
            "DIFF-2", "R-10", "F-2", "V4-1", "R-9", "DIFF-10", "H-1", "S-1",
        ];
        ids.sort_by(|a, b| compare_ids(a, b));
        assert_eq!(
            ids,
            ["F-2", "H-1", "V4-1", "R-9", "R-10", "S-1", "DIFF-2", "DIFF-10"]
        );
    }

    #[test]
    fn verdicts_parse_from_the_manifest_names() {
        for v in Verdict::ALL {
            let parsed: Verdict = serde_json::from_str(&format!("\"{v}\"")).unwrap();
            assert_eq!(parsed, v);
        }
        assert!(serde_json::from_str::<Verdict>("\"maybe\"").is_err());
    }
}
