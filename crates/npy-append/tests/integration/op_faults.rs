//! The fault matrix of the operations that rewrite a file: `recover` (both policies,
//! synced and not), the in-place `ensure_appendable` (header only, range insert,
//! chunked move, range insert refused), `finalize` and `convert` (to and from 4.0).
//! For every storage call of the operation, to the array or to its journal (counted
//! together): (a) it fails with `ENOSPC`, (b) with `EIO` (`npy_testing::FaultyFile`),
//! (c) the process is killed before it (what the page cache holds survives), and
//! (d) the power fails before it (`npy_testing::CrashFile`: every unsynced write applied,
//! dropped, torn, garbled or torn at 512-byte sectors; 8 draws per call).
//!
//! After each, `recover` under every policy (then the operation again, if it had not
//! happened) must give exactly the file the operation gives without a failure: no row
//! lost, changed or added. While the operation runs, the array never holds a byte past
//! its final length, and the rows a reader of a 4.0 file counts from its size are
//! always the original rows (nothing a journal wrote is ever in the array).
//!
//! `NPY_APPEND_FAULTS=all` draws 64 power losses per call instead of 8. The case
//! counts per operation are printed and stated in the crate docs.

use std::sync::Mutex;

use npy_append::{
    convert_on, ensure_appendable_in_place_on, finalize_on, recover_on, Adopt, Appender,
    Durability, ErrorKind, Method, MoveOptions, NewArray, Options, RecoverOptions, Result, Storage,
};
use npy_header::Version;
use npy_testing::{Call, CrashFile, Fault, FaultyFile, MemFile, Rng};

use crate::common::dtype;
use crate::crash::tight_file;
use crate::workload::{rows, ROW_ITEMS};

/// Power losses drawn per storage call: 8 in CI, 64 with `NPY_APPEND_FAULTS=all`.
fn rounds() -> u64 {
    match std::env::var("NPY_APPEND_FAULTS").as_deref() {
        Ok("all") => 64,
        _ => 8,
    }
}

/// A storage on a filesystem that cannot insert ranges (the trait's default answer).
struct NoInsert<'a>(&'a dyn Storage);

impl Storage for NoInsert<'_> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.0.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> std::io::Result<usize> {
        self.0.write_at(buf, offset)
    }
    fn len(&self) -> std::io::Result<u64> {
        self.0.len()
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.0.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.0.sync_data()
    }
    fn sync_all(&self) -> std::io::Result<()> {
        self.0.sync_all()
    }
}

/// Watches the array while an operation runs: after every call that changes it, the
/// array is no longer than `max_len`, and (4.0 inputs) the whole rows past the data
/// offset, as a reader following the file counts them, are the original rows.
/// It sits below the failure injection, so that its own reads are not counted as the
/// operation's calls.
struct Watch<S> {
    inner: S,
    max_len: u64,
    /// The data offset and the original bytes of a 4.0 input.
    v4: Option<(usize, Vec<u8>)>,
    seen: Mutex<Vec<String>>,
}

impl<S: Storage> Watch<S> {
    fn new(case: &Case, inner: S, max_len: u64) -> Watch<S> {
        let v4 = (version_of(&case.input) == Version::V4_0).then(|| {
            let offset = npy_header::parse(&case.input).unwrap().data_offset();
            (usize::try_from(offset).unwrap(), case.input.clone())
        });
        Watch {
            inner,
            max_len,
            v4,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// Panics with what the watch saw, if anything.
    fn assert_clean(&self, case: &Case, what: &str) {
        let seen = self.seen.lock().unwrap();
        assert!(
            seen.is_empty(),
            "{}, {what}: {}",
            case.name,
            seen.join("; ")
        );
    }

    fn check(&self) {
        let Ok(len) = self.inner.len() else { return };
        let mut problems = self.seen.lock().unwrap();
        if len > self.max_len {
            problems.push(format!(
                "the array grew to {len} bytes, past {}",
                self.max_len
            ));
        }
        if let Some((offset, original)) = &self.v4 {
            let mut now = vec![0u8; usize::try_from(len).unwrap()];
            if npy_append_read(&self.inner, &mut now).is_err() {
                return;
            }
            let whole = (now.len().saturating_sub(*offset) / 6) * 6;
            let span = *offset..*offset + whole;
            if now.get(span.clone()) != original.get(span.clone()) {
                problems.push(format!(
                    "a reader following the file counts {} rows that are not the original ones",
                    whole / 6
                ));
            }
        }
    }
}

fn npy_append_read(s: &dyn Storage, buf: &mut [u8]) -> std::io::Result<()> {
    let mut at = 0;
    while at < buf.len() {
        match s.read_at(&mut buf[at..], at as u64)? {
            0 => break,
            n => at += n,
        }
    }
    Ok(())
}

impl<S: Storage> Storage for Watch<S> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> std::io::Result<usize> {
        let r = self.inner.write_at(buf, offset);
        self.check();
        r
    }
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        let r = self.inner.set_len(len);
        self.check();
        r
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.inner.sync_data()
    }
    fn sync_all(&self) -> std::io::Result<()> {
        self.inner.sync_all()
    }
    fn insert_range(&self, offset: u64, len: u64) -> std::io::Result<()> {
        let r = self.inner.insert_range(offset, len);
        self.check();
        r
    }
}

type Run = fn(&dyn Storage, &dyn Storage) -> Result<()>;

/// An operation under test, and its input file.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    run: Run,
    /// Whether the operation has already happened to a file with these bytes (then it
    /// is not run again after `recover`).
    done: fn(&[u8]) -> bool,
    /// Whether the operation is `recover` itself: then it is run again, with its own
    /// policy (the policies differ on the input, an interrupted file), instead of
    /// `recover` with each policy.
    is_recover: bool,
}

/// A file the writer made of `n` rows in `version`.
fn written(version: Version, n: u64) -> Vec<u8> {
    let f = MemFile::new();
    let new = NewArray::new(dtype("'<u2'"), [ROW_ITEMS as u64]).version(version);
    let w = Appender::create_on(&f, MemFile::new(), &new, Options::new()).unwrap();
    w.append_bytes(&rows(0, n)).unwrap();
    w.close().unwrap();
    f.bytes()
}

fn version_of(bytes: &[u8]) -> Version {
    npy_header::parse(bytes).unwrap().version
}

fn ensure_case(name: &'static str, input: Vec<u8>, run: Run) -> Case {
    Case {
        name,
        input,
        run,
        done: |_| false,
        is_recover: false,
    }
}

fn cases() -> Vec<Case> {
    // A 1.0 file counting 8 rows that holds 12 and a half: recover adopts 4 (or, with
    // Counted, cuts them) and the count gains a digit (a journaled rewrite).
    let mut interrupted = written(Version::V1_0, 8);
    interrupted.extend_from_slice(&rows(8, 4));
    interrupted.extend_from_slice(&[7, 7, 7]);
    // A 4.0 file with a partial row for finalize (and recover) to cut.
    let mut open_ended = written(Version::V4_0, 37);
    open_ended.extend_from_slice(&[9; 4]);
    // A header without room and no data: only the header grows.
    let empty_tight = tight_file(0);
    vec![
        Case {
            name: "recover, whole rows",
            input: interrupted.clone(),
            run: |s, j| recover_on(s, j, &RecoverOptions::new()).map(drop),
            done: |_| true,
            is_recover: true,
        },
        Case {
            name: "recover, counted",
            input: interrupted.clone(),
            run: |s, j| recover_on(s, j, &RecoverOptions::new().adopt(Adopt::Counted)).map(drop),
            done: |_| true,
            is_recover: true,
        },
        Case {
            name: "recover, zero-filled",
            input: interrupted,
            run: |s, j| {
                recover_on(s, j, &RecoverOptions::new().zerofill_incomplete(true)).map(drop)
            },
            done: |_| true,
            is_recover: true,
        },
        Case {
            name: "recover of a 4.0 file",
            input: open_ended.clone(),
            run: |s, j| recover_on(s, j, &RecoverOptions::new()).map(drop),
            done: |_| true,
            is_recover: true,
        },
        ensure_case(
            "ensure_appendable in place, header only",
            empty_tight,
            |s, j| {
                let done =
                    ensure_appendable_in_place_on(s, j, &MoveOptions::new(), &mut |_, _| {})?;
                assert!(matches!(done.method, Method::HeaderOnly | Method::None));
                Ok(())
            },
        ),
        ensure_case(
            "ensure_appendable in place, range insert",
            tight_file(100),
            |s, j| {
                let opts = MoveOptions::new().chunk_bytes(70);
                let done = ensure_appendable_in_place_on(s, j, &opts, &mut |_, _| {})?;
                // Or nothing, when run again after recover finished it.
                assert!(matches!(done.method, Method::InsertRange | Method::None));
                Ok(())
            },
        ),
        ensure_case(
            "ensure_appendable in place, chunked move",
            tight_file(100),
            |s, j| {
                let opts = MoveOptions::new().chunk_bytes(70).insert_range(false);
                let done = ensure_appendable_in_place_on(s, j, &opts, &mut |_, _| {})?;
                assert!(matches!(done.method, Method::ChunkedMove | Method::None));
                Ok(())
            },
        ),
        ensure_case(
            "ensure_appendable in place, chunked move of a small file",
            tight_file(3),
            |s, j| {
                let opts = MoveOptions::new().insert_range(false);
                let done = ensure_appendable_in_place_on(s, j, &opts, &mut |_, _| {})?;
                assert!(matches!(done.method, Method::ChunkedMove | Method::None));
                Ok(())
            },
        ),
        ensure_case(
            "ensure_appendable in place, range insert refused",
            tight_file(100),
            |s, j| {
                let opts = MoveOptions::new().chunk_bytes(70);
                let done = ensure_appendable_in_place_on(&NoInsert(s), j, &opts, &mut |_, _| {})?;
                assert!(matches!(done.method, Method::ChunkedMove | Method::None));
                Ok(())
            },
        ),
        Case {
            name: "finalize",
            input: open_ended,
            run: |s, j| finalize_on(s, j).map(drop),
            done: |b| version_of(b) != Version::V4_0,
            is_recover: false,
        },
        Case {
            name: "convert to 4.0",
            input: written(Version::V2_0, 100),
            run: |s, j| convert_on(s, j, Version::V4_0).map(drop),
            done: |b| version_of(b) == Version::V4_0,
            is_recover: false,
        },
        Case {
            name: "convert from 4.0",
            input: written(Version::V4_0, 1000),
            run: |s, j| convert_on(s, j, Version::V3_0).map(drop),
            done: |b| version_of(b) == Version::V3_0,
            is_recover: false,
        },
        Case {
            name: "convert 1.0 to 3.0",
            input: written(Version::V1_0, 1000),
            run: |s, j| convert_on(s, j, Version::V3_0).map(drop),
            done: |b| version_of(b) == Version::V3_0,
            is_recover: false,
        },
    ]
}

/// Every policy `recover` offers, synced and not.
fn policies() -> Vec<RecoverOptions> {
    let mut out = Vec::new();
    for adopt in [Adopt::WholeRows, Adopt::Counted] {
        for durability in [Durability::Synced, Durability::None] {
            out.push(RecoverOptions::new().adopt(adopt).durability(durability));
        }
    }
    out
}

impl Case {
    /// What the operation makes of the input without a failure, and the array's
    /// longest length while it runs.
    fn expected(&self) -> (Vec<u8>, u64) {
        let f = MemFile::from_bytes(self.input.clone());
        let j = MemFile::new();
        (self.run)(&f, &j).unwrap_or_else(|e| panic!("{}: {e}", self.name));
        let out = f.bytes();
        assert_ne!(
            out, self.input,
            "{}: the operation changed nothing",
            self.name
        );
        assert_eq!(j.len().unwrap(), 0, "{}: the journal is left", self.name);
        let longest = (out.len() as u64).max(self.input.len() as u64);
        (out, longest)
    }

    /// After a failure left `left` and `journal`: `recover` with each policy, then the
    /// operation again unless it was finished, must give `expected`.
    fn check_finish(&self, left: &[u8], journal: &[u8], expected: &[u8], what: &str) {
        let policies = if self.is_recover {
            vec![None]
        } else {
            policies().into_iter().map(Some).collect()
        };
        for opts in policies {
            let f = MemFile::from_bytes(left.to_vec());
            let j = MemFile::from_bytes(journal.to_vec());
            if let Some(opts) = &opts {
                recover_on(&f, &j, opts).unwrap_or_else(|e| {
                    panic!("{}, {what}: recover ({opts:?}) failed: {e}", self.name)
                });
                assert_eq!(
                    j.len().unwrap(),
                    0,
                    "{}, {what}: the journal is left",
                    self.name
                );
            }
            if opts.is_none() || !(self.done)(&f.bytes()) {
                (self.run)(&f, &j).unwrap_or_else(|e| {
                    panic!(
                        "{}, {what}: running it again ({opts:?}) failed: {e}",
                        self.name
                    )
                });
            }
            let after = f.bytes();
            assert!(
                after == expected,
                "{}, {what}, recover {opts:?}: a different file: {:?} vs {:?} ({} vs {} bytes)",
                self.name,
                npy_header::parse(&after).map(|p| p.header.dims().collect::<Vec<_>>()),
                npy_header::parse(expected).map(|p| p.header.dims().collect::<Vec<_>>()),
                after.len(),
                expected.len()
            );
        }
    }
}

/// The counts of a matrix run, per operation.
#[derive(Default)]
struct Counts {
    calls: u64,
    failures: u64,
    kills: u64,
    power_losses: u64,
}

#[test]
fn the_fault_matrix_of_every_rewriting_operation() {
    let mut total = Counts::default();
    let mut report = Vec::new();
    let mut rng = Rng::with_seed(0x0f_a117);
    for case in cases() {
        let (expected, max_len) = case.expected();
        let mut counts = Counts::default();

        // (a), (b): each call in turn fails with ENOSPC or EIO.
        let clean = FaultyFile::new(MemFile::from_bytes(case.input.clone()));
        let clean_journal = clean.sharing(MemFile::new());
        (case.run)(&clean, &clean_journal).unwrap();
        let calls = clean.calls();
        counts.calls = calls.len() as u64;
        let kinds = [
            Call::Read,
            Call::Len,
            Call::Write,
            Call::SetLen,
            Call::SyncData,
            Call::SyncAll,
            Call::InsertRange,
        ];
        for call in kinds {
            for fault in [Fault::Eio, Fault::NoSpace] {
                for nth in 0..clean.count(call) {
                    counts.failures += 1;
                    let what = format!("{call:?} #{nth} fails with {fault:?}");
                    let watch = Watch::new(&case, MemFile::from_bytes(case.input.clone()), max_len);
                    let file = FaultyFile::new(watch);
                    let journal = file.sharing(MemFile::new());
                    file.fail(call, nth, fault);
                    let err = (case.run)(&file, &journal)
                        .err()
                        .unwrap_or_else(|| panic!("{}, {what}: no error reported", case.name));
                    file.inner().assert_clean(&case, &what);
                    assert_eq!(err.kind(), &ErrorKind::Io, "{}, {what}: {err}", case.name);
                    let os = err.io_error().unwrap().raw_os_error();
                    assert_eq!(os, Some(if fault == Fault::NoSpace { 28 } else { 5 }));
                    case.check_finish(
                        &file.inner().inner.bytes(),
                        &journal.inner().bytes(),
                        &expected,
                        &what,
                    );
                }
            }
        }
        // A short write is continued, not an error.
        let file = FaultyFile::new(MemFile::from_bytes(case.input.clone()));
        let journal = file.sharing(MemFile::new());
        for nth in 0..clean.count(Call::Write) {
            file.fail(Call::Write, nth * 2, Fault::Short(1));
        }
        (case.run)(&file, &journal).unwrap_or_else(|e| panic!("{}, short writes: {e}", case.name));
        assert!(
            file.inner().bytes() == expected,
            "{}, short writes",
            case.name
        );

        // (c), (d): the process is killed, or the power fails, before each call.
        let dry = CrashFile::from_bytes(case.input.clone());
        (case.run)(&dry, &dry.on_same_disk()).unwrap();
        assert!(dry.ops() >= 2, "{}: {} calls", case.name, dry.ops());
        for at in 0..=dry.ops() {
            let watch = Watch::new(&case, CrashFile::from_bytes(case.input.clone()), max_len);
            let journal = watch.inner.on_same_disk();
            watch.inner.crash_after(at);
            let what = format!("killed before call {at}");
            let result = (case.run)(&watch, &journal);
            watch.assert_clean(&case, &what);
            let file = &watch.inner;
            assert_eq!(result.is_ok(), at == dry.ops(), "{}, {what}", case.name);
            counts.kills += 1;
            case.check_finish(&file.page_cache(), &journal.page_cache(), &expected, &what);
            for round in 0..rounds() {
                counts.power_losses += 1;
                let what = format!("power loss before call {at} (round {round})");
                let disk = file.power_loss(&mut rng);
                let journal = journal.power_loss(&mut rng);
                case.check_finish(&disk, &journal, &expected, &what);
            }
        }
        report.push(format!(
            "{}: {} calls, {} failures, {} kills, {} power losses",
            case.name, counts.calls, counts.failures, counts.kills, counts.power_losses
        ));
        total.failures += counts.failures;
        total.kills += counts.kills;
        total.power_losses += counts.power_losses;
    }
    println!("{}", report.join("\n"));
    assert!(total.failures > 200, "{}", total.failures);
    assert!(total.kills > 100, "{}", total.kills);
    assert!(
        total.power_losses >= 4 * total.kills,
        "{}",
        total.power_losses
    );
}
