//! Where the journal lives, and what that rules out: row data posing as a journal, a
//! failed journal write becoming rows (on a real full filesystem), a journal of
//! another file applied, and a count's digits torn across a sector boundary.

use std::path::Path;

use npy_append::{
    finalize, recover, recover_on, Adopt, Appender, Durability, ErrorKind, NewArray, Options,
    RecoverOptions, Replayed, Sidecar,
};
use npy_header::Version;
use npy_testing::{header, CrashFile, MemFile, Pending, Rng};

use crate::common::{dtype, lit, py, Mount};

/// 352 bytes of `u1` rows that hold, after 64 ordinary bytes, a 128-byte `<f8` header
/// and a footer with a valid CRC-32 in the journal format `magic` names, then an
/// empty footer slot: what the journal of a header rewrite looked like when it was
/// kept after the data.
fn crafted_rows(magic: &[u8; 8], data_offset: u64) -> Vec<u8> {
    let mut rows: Vec<u8> = (0..64u8).collect();
    let fake = header::padded(
        Version::V1_0,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (8,), }",
    );
    assert_eq!(fake.len(), 128);
    let payload_at = data_offset + 64;
    rows.extend_from_slice(&fake);
    let mut footer = [0u8; 80];
    footer[..8].copy_from_slice(magic);
    footer[8..12].copy_from_slice(&1u32.to_le_bytes());
    // seq, payload offset, payload length, header length, data end, and (format 2)
    // the length before.
    let fields = [0, payload_at, 128, 128, payload_at, payload_at + 288, 0];
    for (i, v) in fields.iter().enumerate() {
        footer[16 + 8 * i..24 + 8 * i].copy_from_slice(&v.to_le_bytes());
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&fake);
    crc.update(&footer[..72]);
    footer[72..76].copy_from_slice(&crc.finalize().to_le_bytes());
    rows.extend_from_slice(&footer);
    rows.extend_from_slice(&[0u8; 80]);
    assert_eq!(rows.len(), 352);
    rows
}

#[test]
fn row_data_cannot_pose_as_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    for (name, magic) in [("old", b"\x93NPYJRN\x01"), ("current", b"\x93NPYJRN\x02")] {
        for version in [Version::V1_0, Version::V4_0] {
            let path = dir.path().join(format!("{name}-{version}.npy"));
            let new = NewArray::new(dtype("'|u1'"), []).version(version);
            let w = Appender::create(&path, &new, Options::new()).unwrap();
            let offset = w.data_offset();
            let rows = crafted_rows(magic, offset);
            w.append_bytes(&rows).unwrap();
            w.close().unwrap();
            let before = std::fs::read(&path).unwrap();
            // The next writer is not refused, and recover finds nothing to do.
            let w = Appender::open(&path, Options::new())
                .unwrap_or_else(|e| panic!("{name} {version}: {e}"));
            assert_eq!(w.rows(), 352);
            drop(w);
            for adopt in [Adopt::WholeRows, Adopt::Counted] {
                let done = recover(&path, &RecoverOptions::new().adopt(adopt)).unwrap();
                assert!(!done.changed(), "{name} {version} {adopt:?}: {done:?}");
                assert_eq!((done.shape, done.replayed), (vec![352], None));
                assert!(std::fs::read(&path).unwrap() == before, "{name} {version}");
            }
        }
    }
}

fn whole_rows_v4(path: &Path) -> (u64, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let parsed = npy_header::parse(&bytes).unwrap();
    let data = bytes[usize::try_from(parsed.data_offset()).unwrap()..].to_vec();
    (data.len() as u64, data)
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn a_full_disk_during_finalize_adds_no_rows() {
    let Some(fs) = Mount::tmpfs(1024) else { return };
    let path = fs.path().join("log.npy");
    let new = NewArray::new(dtype("'|u1'"), []).version(Version::V4_0);
    let w = Appender::create(&path, &new, Options::new()).unwrap();
    let rows: Vec<u8> = (0..3868u32).map(|i| (i % 251) as u8).collect();
    w.append_bytes(&rows).unwrap();
    w.close().unwrap();
    let before = std::fs::read(&path).unwrap();
    assert_eq!(before.len(), 3996);
    let filler = fs.fill();

    let err = finalize(&path).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io, "{err}");
    assert_eq!(err.io_error().unwrap().raw_os_error(), Some(28), "{err}");
    // The array is as it was: a reader following it counts the same rows.
    assert!(std::fs::read(&path).unwrap() == before);
    assert_eq!(whole_rows_v4(&path), (3868, rows.clone()));
    // Every policy keeps exactly the rows, even on the full disk.
    for adopt in [Adopt::WholeRows, Adopt::Counted] {
        let done = recover(&path, &RecoverOptions::new().adopt(adopt)).unwrap();
        assert_eq!(done.rows, 3868, "{adopt:?}: {done:?}");
        assert!(std::fs::read(&path).unwrap() == before, "{adopt:?}");
    }
    assert!(!Sidecar::beside(&path).unwrap().path().exists());

    // With space again, finalize works and NumPy reads the original rows.
    std::fs::remove_file(filler).unwrap();
    finalize(&path).unwrap();
    let hex: String = rows.iter().map(|b| format!("{b:02x}")).collect();
    let same = py(&format!(
        "a = np.load({p})\nresult = bool(a.dtype == np.uint8 and a.tobytes() == bytes.fromhex('{hex}'))",
        p = lit(&path)
    ));
    assert_eq!(same, serde_json::Value::Bool(true));
}

#[test]
fn a_full_disk_during_a_synced_digit_change_adds_no_rows() {
    let Some(fs) = Mount::tmpfs(1024) else { return };
    for version in [Version::V1_0, Version::V3_0] {
        let path = fs.path().join(format!("log-{version}.npy"));
        let new = NewArray::new(dtype("'|u1'"), []).version(version);
        let opts = Options::new()
            .durability(Durability::Synced)
            .buffer_bytes(0);
        let w = Appender::create(&path, &new, opts).unwrap();
        w.append_bytes(&[1; 9]).unwrap();
        let filler = fs.fill();
        // 9 -> 10 rows: the count gains a digit, a journaled rewrite; the journal
        // cannot be written (or the row cannot).
        let err = w.append_bytes(&[2]).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Io, "{err}");
        drop(w);
        std::fs::remove_file(filler).unwrap();
        for adopt in [Adopt::WholeRows, Adopt::Counted] {
            let done = recover(&path, &RecoverOptions::new().adopt(adopt)).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let n = done.rows;
            assert!(n == 9 || n == 10, "{version} {adopt:?}: {done:?}");
            let data = &bytes[bytes.len() - usize::try_from(n).unwrap()..];
            assert!(data[..9] == [1; 9] && data[9..].iter().all(|&b| b == 2));
        }
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn a_journal_that_does_not_fit_the_file_is_refused() {
    let file = CrashFile::new();
    let journal = file.on_same_disk();
    let opts = Options::new()
        .durability(Durability::Synced)
        .buffer_bytes(0);
    let w = Appender::create_on(&file, &journal, &NewArray::new(dtype("'|u1'"), []), opts).unwrap();
    w.append_bytes(&[1; 9]).unwrap();
    // Killed with the journal of the 9 -> 10 rewrite written and synced.
    file.crash_after(file.ops() + 4);
    let _ = w.append_bytes(&[2]);
    drop(w);
    let journal = journal.page_cache();
    assert!(!journal.is_empty());
    // Beside another file (here: the same one with rows added since), it is refused.
    let mut other = file.page_cache();
    other.extend_from_slice(&[3; 5]);
    let disk = MemFile::from_bytes(other.clone());
    let j = MemFile::from_bytes(journal.clone());
    let err = recover_on(&disk, &j, &RecoverOptions::new()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Unrecoverable);
    assert_eq!(
        err.message(),
        "the recovery journal beside the file does not belong to it (the journal describes a file of 138 bytes, but the array's file has 143): it was left by an interrupted operation on another file of this name, or the file was changed since; nothing was changed: remove the journal if it is not this file's"
    );
    assert!(disk.bytes() == other && j.bytes() == journal);
    let err = Appender::open_on(&disk, &j, Options::new()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NeedsRecovery);
    // Beside its own file, it is finished.
    let disk = MemFile::from_bytes(file.page_cache());
    let done = recover_on(&disk, &j, &RecoverOptions::new()).unwrap();
    assert_eq!(
        (done.replayed, done.rows),
        (Some(Replayed::HeaderRewrite), 10)
    );
}

#[test]
fn a_new_file_is_not_started_beside_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.npy");
    let journal = Sidecar::beside(&path).unwrap();
    std::fs::write(journal.path(), [1, 2, 3]).unwrap();
    let err =
        Appender::create(&path, &NewArray::new(dtype("'|u1'"), []), Options::new()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Parameter);
    assert_eq!(
        err.message(),
        "a recovery journal (3 bytes) is beside the path, left by an interrupted operation on an earlier file of this name: move it away with that file, or remove it"
    );
    assert!(!path.exists());
}

/// A `<u2` 1-d array whose field name puts the count's first digits just before byte
/// 512 of the header and the last ones after it.
fn straddling_array() -> NewArray {
    for n in 300..700 {
        let name = "x".repeat(n);
        let new = NewArray::new(dtype(&format!("[('{name}', '<u2')]")), []);
        let f = MemFile::new();
        let w =
            Appender::create_on(&f, MemFile::new(), &new, Options::new().buffer_bytes(0)).unwrap();
        w.append_bytes(&vec![0; 2 * 1999]).unwrap();
        drop(w);
        let bytes = f.bytes();
        let at = bytes.windows(6).position(|w| w == b"(1999,").unwrap() + 1;
        if at == 510 {
            return new;
        }
    }
    panic!("no field name length puts the digits across byte 512");
}

#[test]
fn a_count_torn_across_a_sector_never_reads_fewer_rows() {
    let new = straddling_array();
    let mut torn_images = 0;
    for k in 0..12 {
        for seed in 0..16 {
            let file = CrashFile::new();
            let journal = file.on_same_disk();
            let opts = Options::new()
                .durability(Durability::Synced)
                .buffer_bytes(0);
            let w = Appender::create_on(&file, &journal, &new, opts).unwrap();
            let offset = w.data_offset();
            w.append_bytes(&vec![7; 2 * 1999]).unwrap();
            w.sync().unwrap();
            // 1999 -> 2000: the digits keep their number; the power fails k calls in.
            file.crash_after(file.ops() + k);
            let _ = w.append_bytes(&[8, 8]);
            drop(w);
            torn_images += u64::from(file.pending().iter().any(|p| {
                matches!(p, Pending::Write { offset: at, bytes } if *at < 512 && at + bytes.len() as u64 > 512)
            }));
            let mut rng = Rng::with_seed(seed);
            let disk = MemFile::from_bytes(file.power_loss(&mut rng));
            let j = MemFile::from_bytes(journal.power_loss(&mut rng));
            let template = {
                let f = MemFile::new();
                drop(Appender::create_on(&f, MemFile::new(), &new, Options::new()).unwrap());
                f.bytes()[..usize::try_from(offset).unwrap()].to_vec()
            };
            let opts = RecoverOptions::new()
                .adopt(Adopt::Counted)
                .template(&template)
                .unwrap();
            let done = recover_on(&disk, &j, &opts).unwrap();
            assert!(
                done.rows >= 1999,
                "power loss {k} calls into the rewrite (seed {seed}): {} rows of 1999 acknowledged",
                done.rows
            );
        }
    }
    assert!(
        torn_images > 0,
        "no header write across byte 512 was pending"
    );
}

#[test]
fn a_full_disk_during_ensure_appendable_in_place_changes_nothing() {
    use npy_append::{ensure_appendable_with, EnsureMode, Method, MoveOptions};

    let mounts: Vec<(&str, Mount)> = [("ext4", 16), ("xfs", 320)]
        .into_iter()
        .filter_map(|(fs, mib)| Mount::image(fs, mib).map(|m| (fs, m)))
        .chain(Mount::tmpfs(4096).map(|m| ("tmpfs", m)))
        .collect();
    for (fs, mount) in &mounts {
        let path = mount.path().join("a.npy");
        let original = crate::crash::tight_file(100_000);
        let mut refused = 0;
        for insert in [true, false] {
            std::fs::write(&path, &original).unwrap();
            let filler = mount.fill();
            let opts = MoveOptions::new()
                .chunk_bytes(64 << 10)
                .insert_range(insert);
            let what = format!("{fs}, insert {insert}");
            match ensure_appendable_with(&path, EnsureMode::InPlace, &opts, &mut |_, _| {}) {
                Ok(done) => panic!("{what}: made appendable on a full disk: {done:?}"),
                Err(e) => {
                    assert_eq!(e.kind(), &ErrorKind::Io, "{what}: {e}");
                    assert_eq!(
                        e.io_error().unwrap().raw_os_error(),
                        Some(28),
                        "{what}: {e}"
                    );
                    refused += 1;
                }
            }
            assert!(
                std::fs::read(&path).unwrap() == original,
                "{what}: the file changed"
            );
            for adopt in [Adopt::WholeRows, Adopt::Counted] {
                let done = recover(&path, &RecoverOptions::new().adopt(adopt)).unwrap();
                assert_eq!(done.rows, 100_000, "{what}, {adopt:?}: {done:?}");
                assert!(
                    std::fs::read(&path).unwrap() == original,
                    "{what}, {adopt:?}"
                );
            }
            assert!(!Sidecar::beside(&path).unwrap().path().exists(), "{what}");
            std::fs::remove_file(filler).unwrap();
            let _ = std::fs::remove_file(mount.path().join("filler-bulk"));
            let done = ensure_appendable_with(&path, EnsureMode::InPlace, &opts, &mut |_, _| {})
                .unwrap_or_else(|e| panic!("{what}, with space: {e}"));
            let expected = if insert && *fs != "tmpfs" {
                Method::InsertRange
            } else {
                Method::ChunkedMove
            };
            assert_eq!(done.method, expected, "{what}");
            let after = std::fs::read(&path).unwrap();
            let offset = usize::try_from(npy_header::parse(&after).unwrap().data_offset()).unwrap();
            assert!(
                after[offset..] == original[128..],
                "{what}: the data moved wrong"
            );
        }
        assert_eq!(refused, 2, "{fs}");
    }
}
