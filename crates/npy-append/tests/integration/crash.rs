//! First crash tests with the simulated-crash file (`testing::CrashFile`): power loss
//! at every kind of point of a seeded workload, then `recover`. The crash campaign
//! proper (10 000+ crashes per policy, real SIGKILL) builds on these.
//!
//! `NPY_APPEND_CRASHES=N` runs N crashes per test instead of the CI count.

use npy_append::testing::{CrashFile, MemFile, Rng};
use npy_append::{
    ensure_appendable_in_place_on, recover_on, Adopt, Durability, MoveOptions, RecoverOptions,
    Storage,
};
use npy_header::Version;

use crate::workload::{check_recovered, Workload};

fn crashes(ci: u64) -> u64 {
    std::env::var("NPY_APPEND_CRASHES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ci)
}

/// Runs `w` once without a crash to count its storage calls, then again with the power
/// failing before a random one of them, and returns the disk after the power loss, the
/// outcome and the creation header (the recovery template).
fn crash_once(w: &Workload, rng: &mut Rng) -> (Vec<u8>, crate::workload::Outcome, Vec<u8>) {
    let dry = CrashFile::new();
    let clean = w.run(&dry);
    assert!(clean.error.is_none(), "{:?}", clean.error);
    let total = dry.ops();
    let file = CrashFile::new();
    file.crash_after(rng.u64(0..=total));
    let outcome = w.run(&file);
    let template = w.new_array_header();
    (file.power_loss(rng), outcome, template)
}

impl Workload {
    /// The header bytes `create` writes for this workload.
    fn new_array_header(&self) -> Vec<u8> {
        let f = MemFile::new();
        drop(npy_append::Appender::create_on(&f, &self.new_array(), self.options()).unwrap());
        f.bytes()
    }
}

#[test]
fn synced_writer_counted_recovery_keeps_exactly_the_acknowledged_prefix() {
    let mut rng = Rng::with_seed(0x5eed_0001);
    let mut recovered_rows = 0;
    for i in 0..crashes(300) {
        let version = [Version::V1_0, Version::V2_0, Version::V3_0][(i % 3) as usize];
        let w = Workload::random(&mut rng, version, Durability::Synced);
        let (disk, outcome, template) = crash_once(&w, &mut rng);
        if !outcome.created {
            // Nothing was acknowledged; the header itself may be lost.
            continue;
        }
        let disk = MemFile::from_bytes(disk);
        let opts = RecoverOptions::new()
            .adopt(Adopt::Counted)
            .template(&template)
            .unwrap();
        let done = recover_on(&disk, &opts).unwrap_or_else(|e| panic!("crash {i}: {e} ({w:?})"));
        let n = check_recovered(&disk.bytes(), outcome.acknowledged, true)
            .unwrap_or_else(|e| panic!("crash {i}: {e}\n{w:?}\n{done:?}"));
        assert_eq!(n, done.rows);
        recovered_rows += n;
        let again = recover_on(&disk, &opts).unwrap();
        assert!(
            !again.changed(),
            "crash {i}: recover is not idempotent: {again:?}"
        );
    }
    assert!(recovered_rows > 0);
}

#[test]
fn synced_v4_keeps_every_acknowledged_row() {
    let mut rng = Rng::with_seed(0x5eed_0004);
    for i in 0..crashes(200) {
        let w = Workload::random(&mut rng, Version::V4_0, Durability::Synced);
        let (disk, outcome, template) = crash_once(&w, &mut rng);
        if !outcome.created {
            continue;
        }
        let disk = MemFile::from_bytes(disk);
        let opts = RecoverOptions::new().template(&template).unwrap();
        recover_on(&disk, &opts).unwrap_or_else(|e| panic!("crash {i}: {e}"));
        // 4.0 has no count: rows after the last sync may be garbage (documented).
        check_recovered(&disk.bytes(), outcome.acknowledged, false)
            .unwrap_or_else(|e| panic!("crash {i}: {e}\n{w:?}"));
    }
}

#[test]
fn process_crash_loses_only_the_buffer_and_whole_rows_recovers_the_rest() {
    let mut rng = Rng::with_seed(0x5eed_0002);
    for i in 0..crashes(300) {
        let version = [Version::V1_0, Version::V3_0, Version::V4_0][(i % 3) as usize];
        let w = Workload::random(&mut rng, version, Durability::None);
        let dry = CrashFile::new();
        w.run(&dry);
        let file = CrashFile::new();
        file.crash_after(rng.u64(0..=dry.ops()));
        let outcome = w.run(&file);
        if !outcome.created {
            continue;
        }
        // The page cache survives a process crash: every written byte is there.
        let disk = MemFile::from_bytes(file.page_cache());
        let done =
            recover_on(&disk, &RecoverOptions::new()).unwrap_or_else(|e| panic!("crash {i}: {e}"));
        let n = check_recovered(&disk.bytes(), outcome.acknowledged, true)
            .unwrap_or_else(|e| panic!("crash {i}: {e}\n{w:?}"));
        assert!(n <= outcome.attempted, "crash {i}: {done:?}");
    }
}

/// A 1.0 file whose header has no spare room, durable on a `CrashFile`.
fn tight_file(rows: u64) -> Vec<u8> {
    let dict = |n: usize| {
        format!(
            "{{'descr': [('{}', '<u2')], 'fortran_order': False, 'shape': ({rows}, 3), }}",
            "n".repeat(n)
        )
    };
    let text = dict(117 - dict(0).len());
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&118u16.to_le_bytes());
    bytes.extend_from_slice(text.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(&crate::workload::rows(0, rows));
    bytes
}

#[test]
fn in_place_ensure_appendable_survives_a_crash_at_every_call() {
    let original = tight_file(100);
    let opts = MoveOptions::new().chunk_bytes(70);
    // The file it should become.
    let reference = MemFile::from_bytes(original.clone());
    ensure_appendable_in_place_on(&reference, &opts, &mut |_, _| {}).unwrap();
    let expected = reference.bytes();
    assert_ne!(expected, original);

    let dry = CrashFile::from_bytes(original.clone());
    ensure_appendable_in_place_on(&dry, &opts, &mut |_, _| {}).unwrap();
    let mut rng = Rng::with_seed(0x5eed_0003);
    let mut finished_by_recover = 0;
    for at in 0..=dry.ops() {
        for _ in 0..crashes(20) {
            let file = CrashFile::from_bytes(original.clone());
            file.crash_after(at);
            let _ = ensure_appendable_in_place_on(&file, &opts, &mut |_, _| {});
            let disk = MemFile::from_bytes(file.power_loss(&mut rng));
            let done = recover_on(&disk, &RecoverOptions::new().adopt(Adopt::Counted))
                .unwrap_or_else(|e| panic!("crash at call {at}: {e}"));
            if done.replayed.is_some() {
                finished_by_recover += 1;
            }
            // Either the move was finished, or it never started and can run again.
            ensure_appendable_in_place_on(&disk, &opts, &mut |_, _| {})
                .unwrap_or_else(|e| panic!("crash at call {at}: {e}"));
            assert_eq!(disk.bytes(), expected, "crash at call {at}: {done:?}");
            assert_eq!(disk.len().unwrap(), expected.len() as u64);
        }
    }
    assert!(finished_by_recover > 0);
}
