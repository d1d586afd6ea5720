//! The conformance corpus (`conformance/`): this project's reader and NumPy must give
//! every expected verdict, every requirement of the spec must have a case, the files
//! must be what the manifest says and what the generator writes, and the runner must
//! survive adapters that hang, crash or break the protocol.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn npy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run npy")
}

fn run_json(args: &[&str]) -> (Value, Output) {
    let mut all = vec!["conformance", "--format", "json"];
    all.extend_from_slice(args);
    let out = npy(&all);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (json, out)
}

/// The failing cases of a JSON run, for the assertion message.
fn failures(run: &Value) -> Vec<String> {
    run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| format!("{}: {}", c["file"], c["detail"]))
        .collect()
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

#[test]
fn our_reader_passes_every_case() {
    let (run, out) = run_json(&[]);
    assert_eq!(out.status.code(), Some(0), "{:#?}", failures(&run));
    assert_eq!(run["summary"]["cases"], cases().len());
    assert_eq!(run["summary"]["pass"], cases().len());
    assert_eq!(run["reader"], "npy (this project's reader, built in)");
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn numpy_gives_every_verdict_but_the_recorded_differences() {
    let python = python();
    let cmd = format!(
        "'{}' conformance/adapters/numpy_adapter.py",
        python.display()
    );
    let (run, out) = run_json(&["--reader", &cmd, "--known", "numpy"]);
    assert_eq!(out.status.code(), Some(0), "{:#?}", failures(&run));
    // Every recorded difference is still observed: a NumPy that changes its mind
    // shows up here, and the record can be dropped.
    let recorded: BTreeSet<String> = cases()
        .iter()
        .filter(|c| !c["known_differences"]["numpy"].is_null())
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    let observed: BTreeSet<String> = run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "known")
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(observed, recorded);
    // Format 4.0 is among them: NumPy refuses it by its version byte (V4-6).
    assert!(recorded.iter().any(|f| f.contains("v4_")));
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
        let (group, n) = id.rsplit_once('-').expect("ids are GROUP-N");
        assert!(
            ["F", "H", "D", "V4", "W", "R", "A", "G", "S", "DIFF"].contains(&group)
                && n.parse::<u32>().is_ok(),
            "not a requirement id: {id}"
        );
        let withdrawn = after.starts_with("withdrawn)");
        assert!(
            ids.insert(id.to_string(), withdrawn).is_none(),
            "{id} twice"
        );
    }
    for id in [
        "F-1", "H-8", "D-9", "V4-9", "W-12", "R-13", "A-8", "G-5", "S-10", "DIFF-17",
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
fn text_output_groups_cases_by_requirement() {
    let out = npy(&["conformance", "--only", "frame_test_malformed_magic"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let expected_cases = "
F-1 magic
  pass  reject              corpus/reject/frame_test_malformed_magic_92.npy
  pass  reject              corpus/reject/frame_test_malformed_magic_00.npy
  pass  reject              corpus/reject/frame_test_malformed_magic_lower.npy
  pass  reject              corpus/reject/frame_test_malformed_magic_matlb.npy

F-2 version
  pass  reject              corpus/reject/frame_test_malformed_magic_no_minor.npy

F-3 header length
  pass  reject              corpus/reject/frame_test_malformed_magic_magic_only.npy
  pass  reject              corpus/reject/frame_test_malformed_magic_empty.npy
";
    assert!(text.contains(expected_cases), "{text}");
    assert!(
        text.contains(
            "\nF-1      magic                                       4     4     0     0\n"
        ),
        "{text}"
    );
    assert!(text.ends_with(
        "expected accept                 0 cases,    0 pass
expected accept-with-warning    0 cases,    0 pass
expected reject                 7 cases,    7 pass
summary: 7 cases: 7 pass, 0 fail
"
    ));
}

#[test]
fn junit_output() {
    let out = npy(&[
        "conformance",
        "--format",
        "junit",
        "--only",
        "frame_test_bad_version",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"npy conformance\" tests=\"5\" failures=\"0\" skipped=\"0\" time=\""), "{xml}");
    assert!(xml.contains(
        "  <testsuite name=\"F-2 version\" tests=\"5\" failures=\"0\" skipped=\"0\" time=\""
    ));
    assert!(xml.contains("    <testcase classname=\"conformance.F-2\" name=\"corpus/reject/frame_test_bad_version_1_1.npy\" time=\""));
    assert!(xml.ends_with("  </testsuite>\n</testsuites>\n"));
}

/// A run of an adapter made of a shell command on a few cases.
fn adapter_run(script: &str, only: &str) -> (Value, Output) {
    let cmd = format!("sh -c '{script}'");
    run_json(&["--reader", &cmd, "--only", only, "--timeout", "1"])
}

fn details(run: &Value) -> BTreeSet<String> {
    run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["status"], c["detail"]))
        .collect()
}

#[test]
fn an_adapter_that_rejects_everything() {
    let (run, out) = adapter_run("echo nope >&2; exit 1", "text_key_order_1");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(run["cases"][0]["got"], "reject");
    assert_eq!(run["cases"][0]["reader_message"], "nope");
    assert_eq!(
        details(&run),
        BTreeSet::from([
            "\"fail\" \"expected accept, the reader rejected the file: nope\"".to_string()
        ])
    );
    let (run, out) = adapter_run("exit 1", "frame_test_malformed_magic_92");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(run["summary"]["pass"], 1);
}

#[test]
fn an_adapter_that_hangs_is_killed_and_fails() {
    let start = std::time::Instant::now();
    let (run, out) = adapter_run("sleep 30", "frame_test_malformed_magic_92");
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(run["cases"][0]["got"], "timeout");
    assert_eq!(
        details(&run),
        BTreeSet::from([
            "\"fail\" \"the reader did not finish in time and was killed\"".to_string()
        ])
    );
}

#[test]
fn an_adapter_that_crashes_or_breaks_the_protocol_fails() {
    for (script, why) in [
        ("kill -SEGV $$", "killed by signal 11 (a crash)"),
        (
            "exit 3",
            "exited with status 3 (neither 0, accept, nor 1, reject)",
        ),
        (
            "echo hello",
            "protocol error: expected value at line 1 column 1 in \"hello\"",
        ),
    ] {
        // A reject case: a crash is a failure even where a refusal was expected.
        let (run, out) = adapter_run(script, "frame_test_malformed_magic_92");
        assert_eq!(out.status.code(), Some(1), "{script}");
        assert_eq!(run["cases"][0]["got"], "error", "{script}");
        assert_eq!(
            details(&run),
            BTreeSet::from([format!("\"fail\" {}", Value::from(why))]),
            "{script}"
        );
    }
    let out = npy(&[
        "conformance",
        "--reader",
        "/nonexistent/adapter",
        "--only",
        "frame_test_malformed_magic_92",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "        cannot run \"/nonexistent/adapter\": No such file or directory (os error 2)\n"
        ),
        "{text}"
    );
}

#[test]
fn usage_errors() {
    let out = npy(&["conformance", "--corpus", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: cannot read /nonexistent/manifest.json: No such file or directory (os error 2) \
         (pass the conformance directory with --corpus DIR)\n"
    );
    let out = npy(&["conformance", "--reader", "'unclosed"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: cannot split the reader command \"'unclosed\": missing closing quote\n"
    );
    let out = npy(&["conformance", "--timeout", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --timeout must be a positive number of seconds\n"
    );
}

#[test]
fn a_corpus_file_that_does_not_match_the_manifest_fails_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest();
    let case = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["file"] == "corpus/reject/frame_test_malformed_magic_92.npy")
        .unwrap()
        .clone();
    let mut small = m.clone();
    small["cases"] = Value::Array(vec![case]);
    fs::write(dir.path().join("manifest.json"), small.to_string()).unwrap();
    fs::create_dir_all(dir.path().join("corpus/reject")).unwrap();
    fs::write(
        dir.path()
            .join("corpus/reject/frame_test_malformed_magic_92.npy"),
        b"changed",
    )
    .unwrap();
    let (run, out) = run_json(&["--corpus", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        run["cases"][0]["detail"],
        "corpus/reject/frame_test_malformed_magic_92.npy does not match the manifest's SHA-256: \
         regenerate the corpus (conformance/generate.py)"
    );
}
