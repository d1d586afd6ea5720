//! The corpus itself: every requirement of the spec has a case, the files are what the
//! manifest says and what the generator writes, and the corpus built into the crate is
//! the repository's `conformance/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use npy_conformance::Corpus;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    root().join("conformance")
}

fn manifest() -> Value {
    let text = fs::read_to_string(corpus().join("manifest.json")).expect("read the manifest");
    serde_json::from_str(&text).expect("the manifest is JSON")
}

fn cases() -> Vec<Value> {
    manifest()["cases"].as_array().expect("cases").clone()
}

/// The virtualenv's Python: `$NPY_ORACLE_VENV` (set by `cargo xtask test`) or
/// `<root>/.venv`. Missing NumPy is a failure, not a skip.
fn python() -> PathBuf {
    let venv = match std::env::var_os("NPY_ORACLE_VENV") {
        Some(v) if Path::new(&v).is_absolute() => PathBuf::from(v),
        Some(v) => root().join(v),
        None => root().join(".venv"),
    };
    let python = venv.join("bin").join("python");
    let ok = Command::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{} cannot import numpy: run `cargo xtask setup` (creates .venv with the pinned NumPy) \
         or set NPY_ORACLE_VENV to a virtualenv that has numpy",
        python.display()
    );
    python
}

/// `- **ID** (title).` lines of the spec: every requirement id, and whether it is
/// withdrawn.
fn spec_ids() -> BTreeMap<String, bool> {
    let spec = fs::read_to_string(root().join("spec/npy-format.md")).expect("read the spec");
    let mut ids = BTreeMap::new();
    for line in spec.lines() {
        let Some(rest) = line.strip_prefix("- **") else {
            continue;
        };
        let Some((id, after)) = rest.split_once("** (") else {
            continue;
        };
        // Other bold list items (`- **A stream that cannot seek** (…`) are not ids.
        let Some((group, n)) = id.rsplit_once('-') else {
            continue;
        };
        if !["F", "H", "D", "V4", "W", "R", "A", "G", "S", "DIFF"].contains(&group)
            || n.parse::<u32>().is_err()
        {
            continue;
        }
        let withdrawn = after.starts_with("withdrawn)");
        assert!(
            ids.insert(id.to_string(), withdrawn).is_none(),
            "{id} twice"
        );
    }
    for id in [
        "F-1", "H-8", "D-9", "V4-9", "W-12", "R-14", "A-8", "G-5", "S-10", "DIFF-17",
    ] {
        assert!(ids.contains_key(id), "{id} not parsed from the spec");
    }
    ids
}

#[test]
fn every_requirement_of_the_spec_has_a_case() {
    let spec = spec_ids();
    let listed: BTreeSet<String> = manifest()["requirements"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        listed,
        spec.keys().cloned().collect::<BTreeSet<_>>(),
        "the manifest's requirement list is not the spec's: regenerate the corpus \
         (`.venv/bin/python conformance/generate.py`)"
    );
    let covered: BTreeSet<String> = cases()
        .iter()
        .flat_map(|c| c["requirements"].as_array().unwrap().clone())
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    let missing: Vec<&String> = spec
        .iter()
        .filter(|(id, withdrawn)| !**withdrawn && !covered.contains(*id))
        .map(|(id, _)| id)
        .collect();
    assert!(
        missing.is_empty(),
        "requirements without a case: {missing:?} (add cases to conformance/generate.py and \
         regenerate)"
    );
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `dir`, relative to `base`, sorted.
fn files_under(dir: &Path, base: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy();
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn manifest_matches_the_files() {
    let cases = cases();
    let mut listed: Vec<String> = Vec::new();
    for c in &cases {
        let file = c["file"].as_str().unwrap();
        let bytes = fs::read(corpus().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            sha256(&bytes),
            c["sha256"].as_str().unwrap(),
            "{file} is not the file the manifest describes: regenerate with \
             `.venv/bin/python conformance/generate.py`"
        );
        listed.push(file.to_string());
    }
    listed.sort();
    let n = listed.len();
    listed.dedup();
    assert_eq!(listed.len(), n, "a file is listed twice");
    assert_eq!(
        files_under(&corpus().join("corpus"), &corpus()),
        listed,
        "files in conformance/corpus that the manifest does not list, or the reverse"
    );
    // Several hundred cases, of every verdict.
    assert!(n >= 300, "{n} cases");
    for verdict in ["accept", "accept-with-warning", "reject"] {
        assert!(cases.iter().any(|c| c["verdict"] == verdict), "{verdict}");
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn regenerating_gives_the_same_bytes() {
    let python = python();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(&python)
        .arg(root().join("conformance/generate.py"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("run generate.py");
    assert!(
        out.status.success(),
        "generate.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh_manifest = fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    let committed = fs::read_to_string(corpus().join("manifest.json")).unwrap();
    if let Some((n, (a, b))) = fresh_manifest
        .lines()
        .zip(committed.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        panic!(
            "manifest.json line {}: generate.py writes {a:?}, the committed file has {b:?} \
             (a NumPy other than the manifest's numpy_version, or a stale corpus: regenerate \
             with `.venv/bin/python conformance/generate.py`)",
            n + 1
        );
    }
    assert_eq!(
        fresh_manifest.lines().count(),
        committed.lines().count(),
        "manifest.json: generate.py writes a different number of lines: regenerate"
    );
    let fresh = files_under(&dir.path().join("corpus"), dir.path());
    assert_eq!(fresh, files_under(&corpus().join("corpus"), &corpus()));
    for f in fresh {
        assert!(
            fs::read(dir.path().join(&f)).unwrap() == fs::read(corpus().join(&f)).unwrap(),
            "{f}: generate.py writes other bytes than the committed file: regenerate"
        );
    }
}

#[test]
fn the_built_in_corpus_is_the_repository_s() {
    let built_in: Vec<(&str, &[u8])> = Corpus::built_in_files().collect();
    let mut names: Vec<String> = built_in.iter().map(|(n, _)| n.to_string()).collect();
    let mut expected = files_under(&corpus().join("corpus"), &corpus());
    expected.push("manifest.json".to_string());
    names.sort();
    expected.sort();
    assert_eq!(names, expected);
    for (name, bytes) in built_in {
        assert!(
            fs::read(corpus().join(name)).unwrap() == bytes,
            "{name}: the built-in copy differs from conformance/{name}"
        );
    }
    let corpus = Corpus::built_in().unwrap();
    assert!(corpus.is_built_in());
    assert_eq!(corpus.manifest().cases.len(), cases().len());
    let dir = corpus.dir().to_path_buf();
    for c in &corpus.manifest().cases {
        assert!(c.path(&dir).is_file(), "{}", c.file);
    }
    drop(corpus);
    assert!(
        !dir.exists(),
        "the temporary copy is removed with the corpus"
    );
}

/// Every type string of a descr in its JSON form.
fn type_strings(descr: &Value, out: &mut Vec<String>) {
    match descr {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => {
            for item in items {
                type_strings(item, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_case_named_big_endian_is() {
    let mut named = 0;
    for c in cases() {
        let file = c["file"].as_str().unwrap();
        let stem = file.rsplit('/').next().unwrap().trim_end_matches(".npy");
        if !stem.split('_').any(|w| w == "be") {
            continue;
        }
        named += 1;
        let mut types = Vec::new();
        type_strings(&c["expected"]["descr"], &mut types);
        assert!(
            types.iter().any(|t| t.starts_with('>')),
            "{file} is named big-endian but its descr is {}",
            c["expected"]["descr"]
        );
        assert!(
            c["features"]
                .as_array()
                .unwrap()
                .contains(&Value::from("big-endian")),
            "{file}: no big-endian feature"
        );
    }
    assert!(named > 50, "{named}");
}

/// The rows of the feature table of the spec's section 8.2.
fn spec_features() -> BTreeSet<String> {
    let spec = fs::read_to_string(root().join("spec/npy-format.md")).expect("read the spec");
    let section = &spec[spec.find("### 8.2 Optional features").expect("section 8.2")..];
    let section = &section[..section.find("\n## ").expect("a section after 8.2")];
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn features_and_profiles_are_the_spec_s() {
    let m = manifest();
    let listed: BTreeSet<String> = m["features"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(listed, spec_features());
    let used: BTreeSet<String> = cases()
        .iter()
        .flat_map(|c| c["features"].as_array().unwrap().clone())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(used, listed, "every feature marks some case");
    let profiles: BTreeSet<String> = cases()
        .iter()
        .map(|c| c["profile"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        profiles,
        BTreeSet::from(["full".to_string(), "strict".to_string()])
    );
}
