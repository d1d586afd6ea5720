//! The `recover` and `append_ops` fuzz targets' checks, replayed on stable Rust.
//!
//! The properties live in `npy-fuzz-checks` (`recover` and `append_ops`), which the
//! targets call too, so `cargo test` runs exactly what the targets run over every
//! committed finding (`fuzz/regressions/<target>/`) and over seeds: the conformance
//! `.npy` files, also cut short and with bytes appended, and a fixed number of seeded
//! random operation sequences (`NPY_FUZZ_REPLAY_CASES`, default 300). Every file
//! `recover` makes from them is also loaded by NumPy. See `fuzz/README.md`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use npy_append::{finalize_on, Recovered};
use npy_header::{Dtype, Version};
use npy_testing::MemFile;

use npy_fuzz_checks::{append_ops, recover};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed findings of a target (none yet is fine: the directory may not exist).
fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = root().join("fuzz/regressions").join(target);
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.is_file())
            .map(|p| {
                let bytes = std::fs::read(&p).expect("readable regression file");
                (p, bytes)
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("cannot list {}: {e}", dir.display()),
    };
    files.sort();
    files
}

/// Every `.npy` file under `conformance/` (the adapters' build output excepted).
fn conformance() -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("conformance directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "npy") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&root().join("conformance"), &mut paths);
    paths.sort();
    assert!(paths.len() > 100, "conformance files missing");
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable conformance file");
            (p, bytes)
        })
        .collect()
}

/// The file whole, cut 3 bytes short (an interrupted row), and with 5 bytes appended.
fn variants(bytes: &[u8]) -> [Vec<u8>; 3] {
    let mut longer = bytes.to_vec();
    longer.extend_from_slice(&[0xab; 5]);
    [
        bytes.to_vec(),
        bytes[..bytes.len().saturating_sub(3)].to_vec(),
        longer,
    ]
}

/// Loads `bytes` with NumPy and checks it holds the shape `recover` reported and the
/// data the loader reads. A 4.0 file is finalized first (NumPy cannot read 4.0).
/// Returns whether NumPy read it; `Err` with the reason when it was not asked.
fn numpy_reads(bytes: &[u8], done: &Recovered, original: &[u8]) -> Result<(), String> {
    let bytes = if done.version == Version::V4_0 {
        let file = MemFile::from_bytes(bytes.to_vec());
        finalize_on(&file, &MemFile::new()).map_err(|e| format!("finalize refuses it: {e}"))?;
        file.bytes()
    } else {
        bytes.to_vec()
    };
    let (data, _, header) = recover::load(&bytes);
    let got = match npy_oracle::load_array_json(&bytes) {
        Ok(v) => v,
        Err(e) => {
            // Files this reader accepts and NumPy does not (documented differences,
            // `DIFF-*`) stay unreadable to NumPy after recovery; anything else is a bug.
            assert!(
                npy_oracle::load_array_json(original).is_err(),
                "NumPy reads the file but not what recover made of it: {e}"
            );
            return Err(format!("NumPy refuses the input as well: {e}"));
        }
    };
    let shape: Vec<u64> = got["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().expect("dimension"))
        .collect();
    let mut expected_shape = done.shape.clone();
    if let (true, Some(axis)) = (header.is_open_ended(), header.growth_axis()) {
        expected_shape[axis] = shape[axis];
    }
    assert_eq!(
        Some(&shape[..]),
        header.fixed_shape(),
        "NumPy reads another shape"
    );
    assert_eq!(
        shape, expected_shape,
        "NumPy reads another shape than recover said"
    );
    let hex = got["data_hex"].as_str().expect("data_hex");
    if !header.fortran_order() && !matches!(header.dtype(), Dtype::Record { .. }) {
        let ours: String = data.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, ours, "NumPy reads other data");
    } else {
        assert_eq!(hex.len(), data.len() * 2, "NumPy reads another data length");
    }
    Ok(())
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn recover_findings_and_seeds_pass_the_target_checks_and_load_in_numpy() {
    let mut inputs: Vec<(String, u8, Vec<u8>)> = Vec::new();
    for (path, data) in regressions("recover") {
        if let Some((&opt, file)) = data.split_first() {
            inputs.push((path.display().to_string(), opt, file.to_vec()));
        }
    }
    for (i, (path, bytes)) in conformance().into_iter().enumerate() {
        for (j, variant) in variants(&bytes).into_iter().enumerate() {
            // Every combination of options over the files, in turn.
            let opt = u8::try_from((3 * i + j) % 16).expect("below 16");
            inputs.push((path.display().to_string(), opt, variant));
        }
    }
    let mut seen = HashSet::new();
    let (mut recovered, mut numpy, mut skipped) = (0, 0, 0);
    for (name, opt, file) in &inputs {
        let opts = recover::options_from_byte_for(*opt, file);
        let Ok((bytes, done)) = recover::recover_and_check(file.clone(), Vec::new(), &opts) else {
            continue;
        };
        recovered += 1;
        if !seen.insert(bytes.clone()) {
            continue;
        }
        match numpy_reads(&bytes, &done, file) {
            Ok(()) => numpy += 1,
            Err(reason) => {
                eprintln!("{name} (options {opt}): not checked by NumPy: {reason}");
                skipped += 1;
            }
        }
    }
    eprintln!(
        "{} inputs, {recovered} recovered, {numpy} distinct results read by NumPy, {skipped} skipped",
        inputs.len()
    );
    assert!(
        numpy > 500,
        "only {numpy} recovered files were read by NumPy"
    );
    assert!(skipped * 10 < numpy, "{skipped} recovered files skipped");
}

fn replay_cases() -> usize {
    std::env::var("NPY_FUZZ_REPLAY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[test]
fn append_ops_findings_and_seeds_pass_the_target_checks() {
    for (path, data) in regressions("append_ops") {
        eprintln!("replaying {}", path.display());
        append_ops::append_ops(&data);
    }
    for (_, bytes) in conformance() {
        append_ops::append_ops(&bytes[..bytes.len().min(4096)]);
    }
    let mut rng = npy_testing::Rng::with_seed(1);
    for _ in 0..replay_cases() {
        let len = rng.usize(0..400);
        let data: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        append_ops::append_ops(&data);
    }
}

/// `append_ops/power-loss-garbles-count-digits-into-fewer-rows.bin`: a header rewrite
/// whose count kept its number of digits wrote only those digits; a power loss garbled
/// that write (the fuzzer's first find: `20` became `2\t`, a valid count of 2), and
/// `recover` with `Adopt::Counted` lost acknowledged rows. Every header rewrite now writes
/// the whole header after the preamble (`A-4`), so a garbled one fails to parse and
/// the template counts the rows from the size.
#[test]
fn a_garbled_header_rewrite_never_reads_as_fewer_rows() {
    use npy_append::{recover_on, Adopt, Appender, Durability, NewArray, Options, RecoverOptions};
    use npy_header::{ByteOrder, Kind, Scalar};
    use npy_testing::{CrashFile, Fate, Pending, Rng};

    let f4 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Little, 4).unwrap());
    let new = NewArray::new(f4, [1, 1]).version(Version::V1_0);
    for durability in [Durability::None, Durability::Synced] {
        for seed in 0..50 {
            let file = CrashFile::new();
            let journal = file.on_same_disk();
            let opts = Options::new().buffer_bytes(0).durability(durability);
            let w = Appender::create_on(&file, &journal, &new, opts).unwrap();
            let offset = w.data_offset();
            let template = file.page_cache()[..usize::try_from(offset).unwrap()].to_vec();
            for r in 0..15u32 {
                w.append(&[f32::from_bits(r)]).unwrap();
            }
            w.sync().unwrap();
            if durability == Durability::Synced {
                // The data is synced and the header written; the power fails before
                // the header's own sync.
                file.crash_after(file.ops() + 3);
            }
            for r in 15..18u32 {
                let _ = w.append(&[f32::from_bits(r)]);
            }
            drop(w);
            let header_writes: Vec<(u64, usize)> = file
                .pending()
                .into_iter()
                .filter_map(|p| match p {
                    Pending::Write { offset: at, bytes } if at < offset => Some((at, bytes.len())),
                    _ => None,
                })
                .collect();
            assert!(
                !header_writes.is_empty(),
                "{durability:?}: no header rewrite pending"
            );
            for (at, len) in header_writes {
                assert_eq!(
                    (at, at + len as u64),
                    (10, offset),
                    "{durability:?}: a header rewrite that is not the whole text after the preamble"
                );
            }
            let disk = file.power_loss_with(&mut Rng::with_seed(seed), |_, p| match p {
                Pending::Write { offset: at, .. } if *at < offset => Fate::Garbled,
                _ => Fate::Applied,
            });
            let disk = MemFile::from_bytes(disk);
            let opts = RecoverOptions::new()
                .adopt(Adopt::Counted)
                .template(&template)
                .unwrap();
            let journal = MemFile::from_bytes(journal.page_cache());
            let done = recover_on(&disk, &journal, &opts).unwrap();
            assert!(
                done.rows >= 15,
                "{durability:?}, seed {seed}: {} rows recovered of 15 acknowledged",
                done.rows
            );
            let data = disk.bytes()[usize::try_from(offset).unwrap()..].to_vec();
            let expected: Vec<u8> = (0..15u32).flat_map(u32::to_le_bytes).collect();
            assert_eq!(&data[..60], &expected[..], "{durability:?}, seed {seed}");
        }
    }
}

/// Journals of every operation, left by a process killed at each call after its
/// record was written: the array and the journal as the page cache held them.
fn real_journals() -> Vec<(Vec<u8>, Vec<u8>)> {
    use npy_append::{
        ensure_appendable_in_place_on, Appender, Durability, MoveOptions, NewArray, Options,
    };
    use npy_testing::CrashFile;

    let mut out = Vec::new();
    let mut keep = |file: &CrashFile, journal: &CrashFile| {
        let j = journal.page_cache();
        if !j.is_empty() {
            out.push((file.page_cache(), j));
        }
    };
    // A synced count that gains a digit: a header rewrite record.
    for at in 0..10 {
        let file = CrashFile::new();
        let journal = file.on_same_disk();
        let opts = Options::new()
            .durability(Durability::Synced)
            .buffer_bytes(0);
        let u1 = crate::common::dtype("'|u1'");
        let w = Appender::create_on(&file, &journal, &NewArray::new(u1, []), opts).unwrap();
        w.append_bytes(&[1; 9]).unwrap();
        file.crash_after(file.ops() + at);
        let _ = w.append_bytes(&[2]);
        drop(w);
        keep(&file, &journal);
    }
    // The in-place ensure_appendable: a range insert record and data move records.
    for insert in [true, false] {
        let original = crate::crash::tight_file(40);
        let dry = CrashFile::from_bytes(original.clone());
        let opts = MoveOptions::new().chunk_bytes(50).insert_range(insert);
        ensure_appendable_in_place_on(&dry, &dry.on_same_disk(), &opts, &mut |_, _| {}).unwrap();
        for at in 0..dry.ops() {
            let file = CrashFile::from_bytes(original.clone());
            let journal = file.on_same_disk();
            file.crash_after(at);
            let _ = ensure_appendable_in_place_on(&file, &journal, &opts, &mut |_, _| {});
            keep(&file, &journal);
        }
    }
    out
}

/// The `recover_journal` target's checks on real journals of every kind, and on each
/// of them with one byte changed (with and without a checksum made to match): a
/// journal that does not fit, or is not a journal, never damages the array, and a
/// recovered file is always whole rows. What `cargo fuzz run recover_journal` starts
/// from, run on stable Rust.
#[test]
fn recover_journal_target_checks_hold_on_real_and_damaged_journals() {
    let journals = real_journals();
    assert!(journals.len() >= 10, "{} journals", journals.len());
    let mut runs = 0;
    for (array, journal) in &journals {
        let len = u16::try_from(array.len()).unwrap().to_le_bytes();
        let input =
            |opts: u8, journal: &[u8]| [&[opts, len[0], len[1]], &array[..], journal].concat();
        for opts in [0x00, 0x01, 0x80, 0x81] {
            recover::recover_journal(&input(opts, journal));
            runs += 1;
        }
        for i in (0..journal.len()).step_by(7) {
            let mut damaged = journal.clone();
            damaged[i] ^= 0x5a;
            for opts in [0x01, 0x81] {
                recover::recover_journal(&input(opts, &damaged));
                runs += 1;
            }
        }
    }
    assert!(runs > 500, "{runs} runs");
}
