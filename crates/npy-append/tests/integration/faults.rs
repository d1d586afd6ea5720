//! First failure-injection tests (`testing::FaultyFile`): each failure point of a
//! workload in turn. The writer reports the error, is poisoned (later calls fail
//! loudly, and it never retries an fsync), and the file stays recoverable without
//! losing an acknowledged row. A short write is not an error.

use npy_append::testing::{Call, Fault, FaultyFile, MemFile, Rng};
use npy_append::{recover_on, Appender, Durability, ErrorKind, RecoverOptions};
use npy_header::Version;

use crate::workload::{check_recovered, Workload};

fn workloads() -> Vec<Workload> {
    let mut rng = Rng::with_seed(0xfa_0175);
    let mut out = Vec::new();
    for version in [Version::V1_0, Version::V3_0, Version::V4_0] {
        for durability in [Durability::Synced, Durability::None] {
            out.push(Workload::random(&mut rng, version, durability));
        }
    }
    out
}

#[test]
fn every_failure_point_poisons_and_stays_recoverable() {
    let mut points = 0;
    for w in workloads() {
        let clean = FaultyFile::new(MemFile::new());
        let outcome = w.run(&clean, clean.sharing(MemFile::new()));
        assert!(outcome.error.is_none());
        for call in [Call::Write, Call::SetLen, Call::SyncData, Call::SyncAll] {
            for fault in [Fault::Eio, Fault::NoSpace] {
                for nth in 0..clean.count(call) {
                    points += 1;
                    let file = FaultyFile::new(MemFile::new());
                    let journal = file.sharing(MemFile::new());
                    file.fail(call, nth, fault);
                    let outcome = w.run(&file, &journal);
                    let err = outcome.error.as_ref().unwrap_or_else(|| {
                        panic!(
                            "{call:?} #{nth} failed ({fault:?}) but the workload succeeded: {w:?}"
                        )
                    });
                    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
                    let os = err.io_error().unwrap().raw_os_error();
                    assert_eq!(os, Some(if fault == Fault::NoSpace { 28 } else { 5 }));
                    // No call after a failed fsync retries it.
                    let log = file.calls();
                    let failed_at = log
                        .iter()
                        .enumerate()
                        .filter(|&(_, &c)| c == call)
                        .nth(usize::try_from(nth).unwrap())
                        .unwrap()
                        .0;
                    assert!(
                        !log[failed_at + 1..]
                            .iter()
                            .any(|c| matches!(c, Call::SyncData | Call::SyncAll | Call::Write)),
                        "{call:?} #{nth}: storage used after the error: {:?}",
                        &log[failed_at..]
                    );
                    if !outcome.created {
                        continue;
                    }
                    // What the process leaves is recoverable and holds every acknowledged row.
                    let disk = MemFile::from_bytes(file.inner().bytes());
                    let journal = MemFile::from_bytes(journal.inner().bytes());
                    recover_on(&disk, &journal, &RecoverOptions::new())
                        .unwrap_or_else(|e| panic!("{call:?} #{nth}: {e}"));
                    check_recovered(&disk.bytes(), outcome.acknowledged, true)
                        .unwrap_or_else(|e| panic!("{call:?} #{nth} ({fault:?}): {e}\n{w:?}"));
                }
            }
        }
    }
    assert!(points > 100, "{points}");
}

#[test]
fn a_poisoned_writer_fails_loudly() {
    let file = FaultyFile::new(MemFile::new());
    let w = Workload::random(&mut Rng::with_seed(3), Version::V1_0, Durability::Synced);
    let app = Appender::create_on(
        &file,
        file.sharing(MemFile::new()),
        &w.new_array(),
        w.options(),
    )
    .unwrap();
    app.append_bytes(&crate::workload::rows(0, 2)).unwrap();
    file.fail(Call::SyncData, file.count(Call::SyncData), Fault::Eio);
    let first = app.sync().unwrap_err();
    assert_eq!(
        first.to_string(),
        "cannot sync the data (fdatasync): Input/output error (os error 5)"
    );
    let calls = file.calls().len();
    for e in [
        app.append_bytes(&crate::workload::rows(2, 1)).unwrap_err(),
        app.flush().unwrap_err(),
        app.sync().unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Poisoned);
        assert_eq!(
            e.to_string(),
            "the writer stopped after an earlier error (cannot sync the data (fdatasync): Input/output error (os error 5)); rows appended since the last successful flush may be lost: run recover on the file"
        );
    }
    assert_eq!(app.close().unwrap_err().kind(), ErrorKind::Poisoned);
    assert_eq!(
        file.calls().len(),
        calls,
        "the storage was used after poisoning"
    );
}

#[test]
fn short_writes_are_continued() {
    for w in workloads() {
        let clean = FaultyFile::new(MemFile::new());
        w.run(&clean, clean.sharing(MemFile::new()));
        let file = FaultyFile::new(MemFile::new());
        for nth in 0..clean.count(Call::Write) {
            file.fail(Call::Write, nth * 2, Fault::Short(3));
        }
        let outcome = w.run(&file, file.sharing(MemFile::new()));
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        assert_eq!(file.inner().bytes(), clean.inner().bytes());
        assert!(file.count(Call::Write) > clean.count(Call::Write));
    }
}
