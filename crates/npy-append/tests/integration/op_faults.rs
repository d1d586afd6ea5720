//! Failures and crashes inside `recover`, the in-place `ensure_appendable`, `finalize`
//! and `convert`: each failing storage call in turn (`testing::FaultyFile`) and a power
//! loss before each storage call (`testing::CrashFile`). The operation reports the
//! error; afterwards `recover` (and running the operation again, if it did not finish)
//! gives exactly the file the operation gives without a failure: no row is lost,
//! changed or added.

use npy_append::testing::{Call, CrashFile, Fault, FaultyFile, MemFile, Rng};
use npy_append::{
    convert_on, ensure_appendable_in_place_on, finalize_on, recover_on, Adopt, Appender, ErrorKind,
    Method, MoveOptions, NewArray, Options, RecoverOptions, Result, Storage,
};
use npy_header::Version;

use crate::common::dtype;
use crate::crash::tight_file;
use crate::workload::{check_recovered, rows, ROW_ITEMS};

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

/// An operation under test, and its input file.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    run: fn(&dyn Storage) -> Result<()>,
    /// Whether the operation has already happened to a file with these bytes (then it
    /// is not run again).
    done: fn(&[u8]) -> bool,
    /// How `recover` treats rows past the count afterwards: as the operation itself
    /// does when it is `recover`, else only the counted ones (a failure may leave
    /// bytes of a journal record that never became valid after the data).
    adopt: Adopt,
}

/// A file the writer made of `n` rows in `version`.
fn written(version: Version, n: u64) -> Vec<u8> {
    let f = MemFile::new();
    let new = NewArray::new(dtype("'<u2'"), [ROW_ITEMS as u64]).version(version);
    let w = Appender::create_on(&f, &new, Options::new()).unwrap();
    w.append_bytes(&rows(0, n)).unwrap();
    w.close().unwrap();
    f.bytes()
}

fn version_of(bytes: &[u8]) -> Version {
    npy_header::parse(bytes).unwrap().version
}

fn cases() -> Vec<Case> {
    // A 1.0 file counting 8 rows that holds 12 and a half: recover adopts 4 and the
    // count gains a digit (a journaled rewrite).
    let mut interrupted = written(Version::V1_0, 8);
    interrupted.extend_from_slice(&rows(8, 4));
    interrupted.extend_from_slice(&[7, 7, 7]);
    // A 4.0 file with a partial row for finalize to cut.
    let mut open_ended = written(Version::V4_0, 37);
    open_ended.extend_from_slice(&[9; 4]);
    vec![
        Case {
            name: "recover",
            input: interrupted,
            run: |s| recover_on(s, &RecoverOptions::new()).map(drop),
            done: |_| true,
            adopt: Adopt::WholeRows,
        },
        Case {
            name: "ensure_appendable in place, range insert",
            input: tight_file(100),
            run: |s| {
                let done = ensure_appendable_in_place_on(
                    s,
                    &MoveOptions::new().chunk_bytes(70),
                    &mut |_, _| {},
                )?;
                // Or nothing, when run again after recover finished it.
                assert!(matches!(done.method, Method::InsertRange | Method::None));
                Ok(())
            },
            done: |_| false,
            adopt: Adopt::Counted,
        },
        Case {
            name: "ensure_appendable in place, chunked move",
            input: tight_file(100),
            run: |s| {
                let opts = MoveOptions::new().chunk_bytes(70).insert_range(false);
                let done = ensure_appendable_in_place_on(s, &opts, &mut |_, _| {})?;
                assert!(matches!(done.method, Method::ChunkedMove | Method::None));
                Ok(())
            },
            done: |_| false,
            adopt: Adopt::Counted,
        },
        Case {
            name: "ensure_appendable in place, range insert refused",
            input: tight_file(100),
            run: |s| {
                let done = ensure_appendable_in_place_on(
                    &NoInsert(s),
                    &MoveOptions::new().chunk_bytes(70),
                    &mut |_, _| {},
                )?;
                assert!(matches!(done.method, Method::ChunkedMove | Method::None));
                Ok(())
            },
            done: |_| false,
            adopt: Adopt::Counted,
        },
        Case {
            name: "finalize",
            input: open_ended,
            run: |s| finalize_on(s).map(drop),
            done: |b| version_of(b) != Version::V4_0,
            adopt: Adopt::Counted,
        },
        Case {
            name: "convert to 4.0",
            input: written(Version::V2_0, 100),
            run: |s| convert_on(s, Version::V4_0).map(drop),
            done: |b| version_of(b) == Version::V4_0,
            adopt: Adopt::Counted,
        },
        Case {
            name: "convert from 4.0",
            input: written(Version::V4_0, 1000),
            run: |s| convert_on(s, Version::V3_0).map(drop),
            done: |b| version_of(b) == Version::V3_0,
            adopt: Adopt::Counted,
        },
    ]
}

impl Case {
    /// What the operation makes of the input without a failure.
    fn expected(&self) -> Vec<u8> {
        let f = MemFile::from_bytes(self.input.clone());
        (self.run)(&f).unwrap_or_else(|e| panic!("{}: {e}", self.name));
        let out = f.bytes();
        assert_ne!(
            out, self.input,
            "{}: the operation changed nothing",
            self.name
        );
        out
    }

    /// `recover`, then the operation again unless it was finished: the bytes after.
    fn finish(&self, left: Vec<u8>, what: &str) -> Vec<u8> {
        let f = MemFile::from_bytes(left);
        recover_on(&f, &RecoverOptions::new().adopt(self.adopt))
            .unwrap_or_else(|e| panic!("{}, {what}: recover failed: {e}", self.name));
        if !(self.done)(&f.bytes()) {
            (self.run)(&f)
                .unwrap_or_else(|e| panic!("{}, {what}: running it again failed: {e}", self.name));
        }
        f.bytes()
    }
}

#[test]
fn every_failing_call_reports_the_error_and_the_file_stays_recoverable() {
    let mut points = 0;
    for case in cases() {
        let expected = case.expected();
        let clean = FaultyFile::new(MemFile::from_bytes(case.input.clone()));
        (case.run)(&clean).unwrap();
        let calls = [
            Call::Read,
            Call::Len,
            Call::Write,
            Call::SetLen,
            Call::SyncData,
            Call::SyncAll,
            Call::InsertRange,
        ];
        for call in calls {
            for fault in [Fault::Eio, Fault::NoSpace] {
                for nth in 0..clean.count(call) {
                    points += 1;
                    let what = format!("{call:?} #{nth} fails with {fault:?}");
                    let file = FaultyFile::new(MemFile::from_bytes(case.input.clone()));
                    file.fail(call, nth, fault);
                    let err = (case.run)(&file)
                        .err()
                        .unwrap_or_else(|| panic!("{}, {what}: no error reported", case.name));
                    assert_eq!(err.kind(), ErrorKind::Io, "{}, {what}: {err}", case.name);
                    let os = err.io_error().unwrap().raw_os_error();
                    assert_eq!(os, Some(if fault == Fault::NoSpace { 28 } else { 5 }));
                    let after = case.finish(file.inner().bytes(), &what);
                    assert!(
                        after == expected,
                        "{}, {what}: a different file: {:?} vs {:?} ({} vs {} bytes)",
                        case.name,
                        npy_header::parse(&after).map(|p| p.header.shape),
                        npy_header::parse(&expected).map(|p| p.header.shape),
                        after.len(),
                        expected.len()
                    );
                }
            }
        }
        // A short write is continued, not an error.
        let file = FaultyFile::new(MemFile::from_bytes(case.input.clone()));
        for nth in 0..clean.count(Call::Write) {
            file.fail(Call::Write, nth * 2, Fault::Short(1));
        }
        (case.run)(&file).unwrap_or_else(|e| panic!("{}, short writes: {e}", case.name));
        assert!(
            file.inner().bytes() == expected,
            "{}, short writes",
            case.name
        );
    }
    assert!(points > 50, "{points}");
}

#[test]
fn a_power_loss_at_every_call_leaves_a_file_recover_finishes() {
    let mut rng = Rng::with_seed(0x0f_a117);
    let mut extra = 0;
    for case in cases() {
        let expected = case.expected();
        let want_rows = check_recovered(&expected, 0, true).unwrap();
        assert!(want_rows > 0, "{}", case.name);
        let v4 = version_of(&case.input) == Version::V4_0 || version_of(&expected) == Version::V4_0;
        let dry = CrashFile::from_bytes(case.input.clone());
        (case.run)(&dry).unwrap();
        for at in 0..=dry.ops() {
            for round in 0..8 {
                let what = format!("power loss before call {at} (round {round})");
                let file = CrashFile::from_bytes(case.input.clone());
                file.crash_after(at);
                let result = (case.run)(&file);
                assert_eq!(result.is_ok(), at == dry.ops(), "{}, {what}", case.name);
                let disk = file.power_loss(&mut rng);
                let after = case.finish(disk, &what);
                if case.adopt == Adopt::WholeRows || v4 {
                    // Documented: recovering whole rows after a power loss, or a 4.0
                    // file before or after (no count to cut them), keeps every row,
                    // then possibly bytes of a torn or cut journal as rows.
                    let n = check_recovered(&after, want_rows, false)
                        .unwrap_or_else(|e| panic!("{}, {what}: {e}", case.name));
                    extra += u64::from(n > want_rows);
                } else {
                    assert!(
                        after == expected,
                        "{}, {what}: a different file: {:?} vs {:?} ({} vs {} bytes)",
                        case.name,
                        npy_header::parse(&after).map(|p| p.header.shape),
                        npy_header::parse(&expected).map(|p| p.header.shape),
                        after.len(),
                        expected.len()
                    );
                }
            }
        }
        assert!(dry.ops() > 3, "{}: {} calls", case.name, dry.ops());
    }
    assert!(
        extra > 0,
        "no power loss left a torn journal for WholeRows to adopt"
    );
}
