//! `npy conformance`: this project's reader and NumPy must give every expected verdict
//! of the corpus (`conformance/`, built into the binary), the runner must survive
//! adapters that hang, crash or break the protocol, and an installed binary must find
//! its corpus wherever it runs. The corpus itself is checked by `npy-conformance`'s
//! tests.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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
            "\nF-1      magic                                       4     4     0     0     0\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            "expected accept                 0 cases,    0 pass
expected accept-with-warning    0 cases,    0 pass
expected accept-may-warn        0 cases,    0 pass
expected reject                 7 cases,    7 pass
summary: 7 cases: 7 pass, 0 fail (0 valid files refused, 0 invalid files accepted, 0 wrong \
values, 0 wrong warnings, 0 crashes, 0 timeouts, 0 protocol errors)
"
        ),
        "{text}"
    );
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
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"npy conformance\" tests=\"5\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\""), "{xml}");
    assert!(xml.contains(
        "  <testsuite name=\"F-2 version\" tests=\"5\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\""
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
        .map(|c| format!("{} {} {}", c["status"], c["failure"], c["detail"]))
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
            "\"fail\" \"refused\" \"expected accept, the reader rejected the file: nope\""
                .to_string()
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
            "\"fail\" \"timeout\" \"the reader did not finish in time and was killed\"".to_string()
        ])
    );
}

#[test]
fn an_adapter_that_crashes_or_breaks_the_protocol_fails() {
    for (script, got, failure, why) in [
        (
            "kill -SEGV $$",
            "crash",
            "crash",
            "killed by signal 11 (a crash)",
        ),
        (
            "exit 3",
            "crash",
            "crash",
            "exited with status 3 (neither 0, accept, nor 1, reject)",
        ),
        (
            "echo hello",
            "protocol-error",
            "protocol",
            "protocol error: expected value at line 1 column 1 in \"hello\"",
        ),
    ] {
        // A reject case: a crash is a failure even where a refusal was expected.
        let (run, out) = adapter_run(script, "frame_test_malformed_magic_92");
        assert_eq!(out.status.code(), Some(1), "{script}");
        assert_eq!(run["cases"][0]["got"], got, "{script}");
        assert_eq!(run["summary"]["failures"][failure], 1, "{script}");
        assert_eq!(
            details(&run),
            BTreeSet::from([format!("\"fail\" \"{failure}\" {}", Value::from(why))]),
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
            "        error: cannot run \"/nonexistent/adapter\": No such file or directory (os error \
             2)\n"
        ),
        "{text}"
    );
}

#[test]
fn an_adapter_that_accepts_with_wrong_values() {
    // Shapes holding null (JavaScript's NaN), -1 or a fraction are wrong values, not
    // protocol errors; so is the right shape with the wrong data.
    for shape in ["[null]", "[-1]", "[2.5]"] {
        let script = format!(
            "echo \"{{\\\"version\\\": \\\"1.0\\\", \\\"descr\\\": \\\"<f8\\\", \\\"fortran_order\\\": false, \
             \\\"shape\\\": {shape}, \\\"data_sha256\\\": \\\"00\\\"}}\""
        );
        let (run, out) = adapter_run(&script, "np_basic_f8_le_1d");
        assert_eq!(out.status.code(), Some(1), "{shape}");
        assert_eq!(run["cases"][0]["failure"], "wrong", "{shape}");
        assert_eq!(run["summary"]["failures"]["wrong"], 1, "{shape}");
        let detail = run["cases"][0]["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("shape: expected [60], got {shape}")),
            "{detail}"
        );
    }
}

#[test]
fn unsupported_features() {
    // Declared on the command line: refusing a file that uses the feature is no failure.
    let (run, out) = run_json(&[
        "--reader",
        "sh -c 'exit 1'",
        "--only",
        "np_kind_f2_be",
        "--unsupported",
        "float16,v4",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(run["summary"]["unsupported"], 1);
    assert_eq!(run["cases"][0]["status"], "unsupported");
    assert_eq!(
        run["cases"][0]["unsupported"],
        serde_json::json!(["float16"])
    );
    // Named by the adapter as it refuses.
    let (run, out) = adapter_run(
        "echo \"{\\\"unsupported\\\": [\\\"big-endian\\\"]}\"; exit 1",
        "np_kind_f2_",
    );
    assert_eq!(out.status.code(), Some(1));
    let status: BTreeSet<String> = run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["file"], c["status"]))
        .collect();
    assert_eq!(
        status,
        BTreeSet::from([
            "\"corpus/accept/np_kind_f2_be.npy\" \"unsupported\"".to_string(),
            "\"corpus/accept/np_kind_f2_le.npy\" \"fail\"".to_string(),
        ])
    );
    let out = npy(&["conformance", "--list-features"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("profiles (--profile):\n  full "), "{text}");
    assert!(
        text.contains("\n  float16          2-byte floats (`f2`) ("),
        "{text}"
    );
}

#[test]
fn the_strict_profile_runs_its_cases_only() {
    let strict: BTreeSet<String> = cases()
        .iter()
        .filter(|c| c["profile"] == "strict")
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    // Every refused file is in it, and some valid ones are not.
    assert!(cases()
        .iter()
        .all(|c| c["verdict"] != "reject" || c["profile"] == "strict"));
    assert!(strict.len() < cases().len());
    let (run, out) = run_json(&["--profile", "strict"]);
    assert_eq!(out.status.code(), Some(0), "{:#?}", failures(&run));
    let ran: BTreeSet<String> = run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ran, strict);
    assert_eq!(run["profile"], "strict");
}

#[test]
fn usage_errors() {
    let out = npy(&["conformance", "--unsupported", "float17"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: unknown feature \"float17\": the manifest defines big-endian, "),
        "{err}"
    );
    let out = npy(&["conformance", "--profile", "lenient"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: unknown profile \"lenient\": the manifest defines full, strict\n"
    );
    let out = npy(&["conformance", "--corpus", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: cannot read /nonexistent/manifest.json: No such file or directory (os error 2) \
         (--corpus takes a directory holding manifest.json, such as conformance/ in the \
         repository; without --corpus the built-in corpus runs)\n"
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

/// Where mounting a filesystem is not permitted, says why: the test is skipped, unless
/// the environment variable `CI` is set (there it fails).
fn skip_without_mounts(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but the repository cannot be hidden ({why}): run the tests as root"
    );
    eprintln!(
        "skipped: the repository cannot be hidden ({why}); run the tests as root to include \
         this part"
    );
}

/// `npy conformance` as `cargo install` leaves it: the binary alone in a directory of its
/// own, run from an empty directory with an empty environment, finds its corpus (the
/// one built in). Then again with the repository hidden under an empty tmpfs (in a
/// private mount namespace, as root): a binary that looked for the corpus where it was
/// built would fail there.
#[test]
fn an_installed_binary_finds_its_corpus_anywhere() {
    let root = root().canonicalize().unwrap();
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().canonicalize().unwrap();
    assert!(
        !home_path.starts_with(&root),
        "the temporary directory {} is inside the repository: set TMPDIR elsewhere",
        home_path.display()
    );
    let bin = home_path.join("bin").join("npy");
    fs::create_dir(home_path.join("bin")).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_npy"), &bin).unwrap();
    let work = home_path.join("work");
    fs::create_dir(&work).unwrap();
    let expect_every_case_passes = |out: Output| {
        let run: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(out.status.code(), Some(0), "{:#?}", failures(&run));
        assert_eq!(run["corpus"], "built in");
        assert_eq!(run["summary"]["pass"], cases().len());
    };

    let out = Command::new(&bin)
        .args(["conformance", "--format", "json"])
        .current_dir(&work)
        .env_clear()
        .output()
        .expect("run the copied npy");
    expect_every_case_passes(out);

    let unshare = |script: &str, args: &[&std::ffi::OsStr]| {
        Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
            ])
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .output()
    };
    let hide = "mount -t tmpfs tmpfs \"$1\" || exit 97";
    match unshare(hide, &[root.as_os_str()]) {
        Err(e) => return skip_without_mounts(&format!("cannot run unshare: {e}")),
        Ok(out) if !out.status.success() => {
            return skip_without_mounts(String::from_utf8_lossy(&out.stderr).trim())
        }
        Ok(_) => {}
    }
    let out = unshare(
        &format!(
            "{hide}; test -e \"$1/Cargo.toml\" && exit 98; cd \"$3\" && exec \"$2\" \
             conformance --format json"
        ),
        &[root.as_os_str(), bin.as_os_str(), work.as_os_str()],
    )
    .expect("run unshare");
    assert_ne!(
        out.status.code(),
        Some(98),
        "the repository is still visible"
    );
    expect_every_case_passes(out);
}
