//! First failure-injection tests (`npy_testing::FaultyFile`): each failure point of a
//! workload in turn. The writer reports the error, is poisoned (later calls fail
//! loudly, and it never retries an fsync), and the file stays recoverable without
//! losing an acknowledged row. A short write is not an error.

use npy_append::{recover_on, Appender, Durability, ErrorKind, RecoverOptions};
use npy_header::Version;
use npy_testing::{Call, Fault, FaultyFile, MemFile, Rng};

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
                    assert_eq!(err.kind(), &ErrorKind::Io, "{err}");
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
        assert_eq!(e.kind(), &ErrorKind::Poisoned);
        assert_eq!(
            e.to_string(),
            "the writer stopped after an earlier error (cannot sync the data (fdatasync): Input/output error (os error 5)); rows appended since the last successful flush may be lost: run recover on the file"
        );
    }
    assert_eq!(app.close().unwrap_err().kind(), &ErrorKind::Poisoned);
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

/// The writer's fault matrix: each version (1.0, 3.0, 4.0), header policy and
/// durability, with a fixed workload whose count gains digits (9 → 10, 99 → 100): for
/// every storage call, to the array or its journal, it fails with `ENOSPC` or `EIO`,
/// the process is killed before it, or the power fails before it (8 draws a call; 64
/// with `NPY_APPEND_FAULTS=all`).
/// Afterwards `recover` under both policies keeps every acknowledged row and nothing
/// but a prefix of the appended rows, except where the crate docs' table says garbage
/// may follow (whole-row recovery or a 4.0 file after a power loss): then every
/// acknowledged row is still there.
#[test]
fn the_fault_matrix_of_the_writer() {
    use npy_append::{Adopt, HeaderPolicy};
    use npy_testing::CrashFile;

    let rounds = match std::env::var("NPY_APPEND_FAULTS").as_deref() {
        Ok("all") => 64,
        _ => 8,
    };
    let mut rng = Rng::with_seed(0xfa_1175);
    let mut report = Vec::new();
    for version in [Version::V1_0, Version::V3_0, Version::V4_0] {
        for policy in [HeaderPolicy::EveryWrite, HeaderPolicy::OnFlush] {
            for durability in [Durability::None, Durability::Synced] {
                let w = Workload {
                    version,
                    fortran: version == Version::V3_0,
                    policy,
                    buffer: 16,
                    durability,
                    steps: vec![(3, false), (6, true), (1, false), (89, true), (2, false)],
                };
                let name = format!("{version} {policy:?} {durability:?}");
                let template = {
                    let f = MemFile::new();
                    drop(Appender::create_on(
                        &f,
                        MemFile::new(),
                        &w.new_array(),
                        w.options(),
                    ));
                    f.bytes()
                };
                let (mut failures, mut kills, mut losses) = (0, 0, 0);
                // (a), (b)
                let clean = FaultyFile::new(MemFile::new());
                assert!(w.run(&clean, clean.sharing(MemFile::new())).error.is_none());
                for (nth, &call) in clean.calls().iter().enumerate() {
                    if matches!(call, Call::Read | Call::Len) {
                        continue;
                    }
                    let nth_of_kind = clean.calls()[..nth].iter().filter(|&&c| c == call).count();
                    for fault in [Fault::Eio, Fault::NoSpace] {
                        failures += 1;
                        let file = FaultyFile::new(MemFile::new());
                        let journal = file.sharing(MemFile::new());
                        file.fail(call, nth_of_kind as u64, fault);
                        let outcome = w.run(&file, &journal);
                        let what = format!("{name}: {call:?} #{nth_of_kind} fails with {fault:?}");
                        assert!(outcome.error.is_some(), "{what}: no error");
                        if !outcome.created {
                            continue;
                        }
                        exact_after_recover(
                            &file.inner().bytes(),
                            &journal.inner().bytes(),
                            &template,
                            &outcome,
                            &what,
                        );
                    }
                }
                // (c), (d)
                let dry = CrashFile::new();
                w.run(&dry, dry.on_same_disk());
                for at in 0..=dry.ops() {
                    let file = CrashFile::new();
                    let journal = file.on_same_disk();
                    file.crash_after(at);
                    let outcome = w.run(&file, &journal);
                    if !outcome.created {
                        continue;
                    }
                    kills += 1;
                    let what = format!("{name}: killed before call {at}");
                    exact_after_recover(
                        &file.page_cache(),
                        &journal.page_cache(),
                        &template,
                        &outcome,
                        &what,
                    );
                    for round in 0..rounds {
                        losses += 1;
                        let what = format!("{name}: power loss before call {at} (round {round})");
                        let digits_may_tear = durability == Durability::None
                            && version != Version::V4_0
                            && count_digits(&file.durable()) != count_digits(&file.page_cache());
                        let image = file.power_loss(&mut rng);
                        let jimage = journal.power_loss(&mut rng);
                        for adopt in [Adopt::WholeRows, Adopt::Counted] {
                            // The crate docs' table: only Counted recovery of a Synced
                            // 1.0-3.0 file promises nothing but appended rows.
                            let exact = adopt == Adopt::Counted
                                && durability == Durability::Synced
                                && version != Version::V4_0;
                            let disk = MemFile::from_bytes(image.clone());
                            let j = MemFile::from_bytes(jimage.clone());
                            let opts = RecoverOptions::new()
                                .adopt(adopt)
                                .template(&template)
                                .unwrap();
                            match recover_on(&disk, &j, &opts) {
                                Ok(_) => {}
                                // An unsynced writer promises nothing before a sync().
                                Err(_)
                                    if outcome.acknowledged == 0
                                        && durability == Durability::None =>
                                {
                                    continue
                                }
                                Err(e) => panic!("{what}, {adopt:?}: {e}"),
                            }
                            // The table's one exception: an unsynced rewrite that changed
                            // the count's number of digits may tear into a smaller count,
                            // which Counted believes.
                            let acknowledged = if adopt == Adopt::Counted && digits_may_tear {
                                0
                            } else {
                                outcome.acknowledged
                            };
                            check_recovered(&disk.bytes(), acknowledged, exact)
                                .unwrap_or_else(|e| panic!("{what}, {adopt:?}: {e}"));
                        }
                    }
                }
                report.push(format!(
                    "append {name}: {failures} failures, {kills} kills, {losses} power losses"
                ));
            }
        }
    }
    println!("{}", report.join("\n"));
    assert_eq!(report.len(), 12);
}

/// The number of digits of a 1.0–3.0 header's count, if the bytes start with a header.
fn count_digits(bytes: &[u8]) -> Option<usize> {
    let count = npy_header::parse(bytes).ok()?.header.growth_len()?;
    Some(count.to_string().len())
}

/// After a failure or a process crash (every written byte kept): `recover` under both
/// policies gives exactly a prefix of the rows attempted that holds every acknowledged
/// row.
fn exact_after_recover(
    array: &[u8],
    journal: &[u8],
    template: &[u8],
    outcome: &crate::workload::Outcome,
    what: &str,
) {
    use npy_append::Adopt;
    for adopt in [Adopt::WholeRows, Adopt::Counted] {
        let disk = MemFile::from_bytes(array.to_vec());
        let j = MemFile::from_bytes(journal.to_vec());
        let opts = RecoverOptions::new()
            .adopt(adopt)
            .template(template)
            .unwrap();
        recover_on(&disk, &j, &opts).unwrap_or_else(|e| panic!("{what}: {e}"));
        let n = check_recovered(&disk.bytes(), outcome.acknowledged, true)
            .unwrap_or_else(|e| panic!("{what}, {adopt:?}: {e}"));
        assert!(n <= outcome.attempted, "{what}, {adopt:?}");
    }
}
