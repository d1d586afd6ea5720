//! Real `SIGKILL`s: a child process (this test binary, re-run with
//! [`CHILD`] set) appends distinct rows in a loop with `sync()` every few appends and
//! prints each row count a returned `sync()` acknowledged; the parent kills it at a
//! random time, then runs `recover` (both [`Adopt`] policies) on copies of the file.
//! The oracle: the recovered rows are a prefix of what was appended, with no hole,
//! and include every acknowledged row; `WholeRows` keeps every whole row that reached
//! the file (the page cache survives a process kill).
//!
//! `NPY_APPEND_KILLS=N` runs N kill cycles instead of the CI count ([`CI_KILLS`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use npy_append::{recover, Adopt, Appender, Durability, HeaderPolicy, RecoverOptions};
use npy_header::Version;
use npy_testing::Rng;

use crate::workload::{check_recovered, rows, Workload, ROW_BYTES};

/// Set in the child's environment: what to append where (see [`Plan`]).
const CHILD: &str = "NPY_APPEND_SIGKILL_CHILD";
/// Set in the environment of the process that runs the kill cycles.
const DRIVER: &str = "NPY_APPEND_SIGKILL_DRIVER";
/// This test's name, for `--exact`.
const TEST: &str = "sigkill::sigkill_at_random_times_loses_no_acknowledged_row";
/// Kill cycles in CI (each takes tens of milliseconds).
const CI_KILLS: u64 = 200;
/// The child stops (and closes the file) after this many rows if nobody kills it.
const MAX_ROWS: u64 = 1_000_000;

/// One child's settings, passed through the environment as text.
#[derive(Clone, Debug)]
struct Plan {
    path: String,
    version: u8,
    every_write: bool,
    synced: bool,
    fortran: bool,
    buffer: usize,
    /// `sync()` after every this many appends.
    sync_every: u64,
    /// Appends are of 1 to this many rows.
    max_rows: u64,
}

impl Plan {
    fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}",
            self.path,
            self.version,
            self.every_write,
            self.synced,
            self.fortran,
            self.buffer,
            self.sync_every,
            self.max_rows
        )
    }

    fn decode(s: &str) -> Plan {
        let f: Vec<&str> = s.split('|').collect();
        assert_eq!(f.len(), 8, "bad {CHILD}: {s}");
        Plan {
            path: f[0].to_string(),
            version: f[1].parse().unwrap(),
            every_write: f[2].parse().unwrap(),
            synced: f[3].parse().unwrap(),
            fortran: f[4].parse().unwrap(),
            buffer: f[5].parse().unwrap(),
            sync_every: f[6].parse().unwrap(),
            max_rows: f[7].parse().unwrap(),
        }
    }

    fn workload(&self) -> Workload {
        Workload {
            version: match self.version {
                1 => Version::V1_0,
                2 => Version::V2_0,
                3 => Version::V3_0,
                _ => Version::V4_0,
            },
            fortran: self.fortran,
            policy: if self.every_write {
                HeaderPolicy::EveryWrite
            } else {
                HeaderPolicy::OnFlush
            },
            buffer: self.buffer,
            durability: if self.synced {
                Durability::Synced
            } else {
                Durability::None
            },
            steps: Vec::new(),
        }
    }
}

/// The child: appends until killed, printing `@ready` once the file exists and
/// `@ack N` after each returned `sync()` (N rows acknowledged).
fn child(plan: &Plan) -> ! {
    let w = plan.workload();
    let out = std::io::stdout();
    let say = |line: String| {
        let mut out = out.lock();
        // The marker starts a line of its own even after the harness's "test ... ".
        writeln!(out, "\n@{line}").unwrap();
        out.flush().unwrap();
    };
    let app = Appender::create(&plan.path, &w.new_array(), w.options()).unwrap();
    say("ready".into());
    let (mut appended, mut appends) = (0, 0);
    while appended < MAX_ROWS {
        let n = 1 + (appended * 7 + appends) % plan.max_rows;
        app.append_bytes(&rows(appended, n)).unwrap();
        appended += n;
        appends += 1;
        if appends % plan.sync_every == 0 {
            app.sync().unwrap();
            say(format!("ack {appended}"));
        }
    }
    app.close().unwrap();
    say(format!("done {appended}"));
    std::process::exit(0)
}

/// Whole rows' worth of bytes after the header of the file at `path`, before any
/// recovery.
fn whole_rows(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let parsed = npy_header::parse(&bytes).unwrap();
    (bytes.len() as u64 - parsed.data_offset()) / ROW_BYTES
}

#[test]
fn sigkill_at_random_times_loses_no_acknowledged_row() {
    if let Ok(spec) = std::env::var(CHILD) {
        child(&Plan::decode(&spec));
    }
    if !crate::common::in_a_process_of_its_own(TEST, DRIVER) {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let cycles = crate::common::kill_cycles(CI_KILLS);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::with_seed(0x5160_0009);
    let (mut killed, mut with_acks, mut past_acks) = (0, 0, 0);
    for i in 0..cycles {
        // Every combination of version, header policy and durability, in turn.
        let path = dir.path().join(format!("kill-{i}.npy"));
        let plan = Plan {
            path: path.to_str().unwrap().to_string(),
            version: u8::try_from(i % 4).unwrap() + 1,
            every_write: (i / 4) % 2 == 0,
            synced: (i / 8) % 2 == 0,
            fortran: rng.bool(),
            buffer: [0, 64, 4096][rng.usize(0..3)],
            sync_every: rng.u64(1..20),
            max_rows: rng.u64(1..50),
        };
        let mut child = Command::new(&exe)
            .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, plan.encode())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stderr = child.stderr.take().unwrap();
        let errors = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).unwrap();
            s
        });
        // Parses the child's markers into (acknowledged, done).
        let seen = |line: &str, acknowledged: &mut u64, done: &mut bool| {
            if let Some(n) = line.strip_prefix("@ack ") {
                *acknowledged = n.parse().unwrap();
            } else if line.starts_with("@done ") {
                *done = true;
            }
        };
        let ready = crate::common::ran_one_test_until(&mut lines, "@ready");
        assert!(
            ready,
            "cycle {i}: the child ran no test or stopped before creating the file: {}\n{plan:?}",
            errors.join().unwrap()
        );
        // Most kills come after a few acknowledgements, so that the check of acknowledged
        // rows has something to check however slow the machine; then a random delay.
        let (mut acknowledged, mut done, mut acks) = (0, false, 0);
        let wait_acks = rng.u64(0..4);
        while acks < wait_acks && !done {
            let Some(Ok(line)) = lines.next() else { break };
            seen(&line, &mut acknowledged, &mut done);
            acks += u64::from(line.starts_with("@ack "));
        }
        std::thread::sleep(Duration::from_micros(rng.u64(0..15_000)));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        for line in lines.map_while(Result::ok) {
            seen(&line, &mut acknowledged, &mut done);
        }
        let errors = errors.join().unwrap();
        {
            use std::os::unix::process::ExitStatusExt;
            assert!(
                status.signal() == Some(9) || (done && status.success()),
                "cycle {i}: the child failed ({status}): {errors}\n{plan:?}"
            );
        }
        killed += u64::from(!done);
        with_acks += u64::from(acknowledged > 0);

        let in_file = whole_rows(&path);
        for adopt in [Adopt::WholeRows, Adopt::Counted] {
            let copy = dir.path().join(format!("kill-{i}-{adopt:?}.npy"));
            std::fs::copy(&path, &copy).unwrap();
            // The journal of a header rewrite in flight goes with the file.
            let journal = npy_append::Sidecar::beside(&path).unwrap();
            if journal.path().exists() {
                let to = npy_append::Sidecar::beside(&copy).unwrap();
                std::fs::copy(journal.path(), to.path()).unwrap();
            }
            let done = recover(&copy, &RecoverOptions::new().adopt(adopt))
                .unwrap_or_else(|e| panic!("cycle {i}, {adopt:?}: {e}\n{plan:?}"));
            let n = check_recovered(&std::fs::read(&copy).unwrap(), acknowledged, true)
                .unwrap_or_else(|e| panic!("cycle {i}, {adopt:?}: {e}\n{plan:?}\n{done:?}"));
            assert_eq!(n, done.rows);
            // Nothing but rows is ever past the data (the journal is beside the file), so
            // whole-row recovery keeps exactly what the size holds.
            if adopt == Adopt::WholeRows || plan.version == 4 {
                assert_eq!(n, in_file, "cycle {i}, {adopt:?}: {done:?}\n{plan:?}");
            }
            std::fs::remove_file(&copy).unwrap();
        }
        past_acks += u64::from(in_file > acknowledged);
        std::fs::remove_file(&path).unwrap();
    }
    // The kills must land while rows are being appended, not before or after.
    assert!(killed * 10 >= cycles * 9, "{killed} of {cycles} killed");
    assert!(
        with_acks * 2 >= cycles,
        "{with_acks} of {cycles} acknowledged"
    );
    assert!(
        past_acks * 4 >= cycles,
        "{past_acks} of {cycles} past the acks"
    );
}
