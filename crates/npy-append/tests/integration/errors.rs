//! Every error kind, with its exact message, and the file left unchanged.

use std::path::Path;

use npy_append::{
    convert, ensure_appendable, finalize, recover, recover_on, status, status_on, Appender, Cast,
    EnsureMode, ErrorKind, NewArray, Options, RecoverOptions,
};
use npy_header::{Dtype, Header, Version, MAX_DIM};
use npy_testing::{header, MemFile};

use crate::common::dtype;

/// A file with NumPy's header for `header` (in `version`, or NumPy's choice) and `data`.
fn write(path: &Path, header: &Header, version: Option<Version>, data: &[u8]) {
    let mut bytes = header.emit(version).unwrap().bytes;
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

/// A 1.0 header of a structured array with one field of `ty` whose name is as long as
/// makes the header exactly 128 bytes with no padding: no room for a longer count.
fn tight(ty: &str, shape: &str) -> Vec<u8> {
    header::filled(Version::V1_0, 128, |n| {
        format!(
            "{{'descr': [('{}', '{ty}')], 'fortran_order': False, 'shape': {shape}, }}",
            "n".repeat(n)
        )
    })
}

/// A file of `header` and `data`.
fn write_raw(path: &Path, header: Vec<u8>, data: &[u8]) {
    let mut bytes = header;
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

fn f8() -> Dtype {
    dtype("'<f8'")
}

/// Checks kind and message (`PATH: ` prefixed when `path` is given), and that the file
/// is unchanged.
#[track_caller]
fn expect(
    r: Result<impl std::fmt::Debug, npy_append::Error>,
    kind: ErrorKind,
    path: Option<&Path>,
    message: &str,
) {
    let e = r.unwrap_err();
    assert_eq!(e.kind(), &kind, "{e}");
    let want = match path {
        Some(p) => format!("{}: {message}", p.display()),
        None => message.to_string(),
    };
    assert_eq!(e.to_string(), want);
    assert_eq!(e.message(), message);
}

/// Makes a file; the error opening it gives.
type Case<'a> = (Box<dyn Fn() + 'a>, ErrorKind, &'static str);

#[test]
fn open_checks_in_order_without_touching_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");

    expect(
        Appender::open(&p, Options::new()),
        ErrorKind::Io,
        Some(&p),
        "cannot open the file: No such file or directory (os error 2)",
    );

    // Each file, and the error opening it gives; the file must be unchanged after.
    let cases: Vec<Case<'_>> = vec![
        (
            Box::new(|| std::fs::write(&p, b"not an npy file at all").unwrap()),
            ErrorKind::Header(npy_header::ErrorKind::BadMagic),
            "the header is not valid: at byte 0: not a .npy file: it does not start with the magic string \\x93NUMPY",
        ),
        // Object dtype first, though the header is also not appendable and the data short.
        (
            Box::new(|| write_raw(&p, tight("|O", "(3,)"), b"")),
            ErrorKind::ObjectDtype,
            "the dtype holds Python objects: the data is a pickle, not rows, and cannot be appended to",
        ),
        (
            Box::new(|| write(&p, &Header::new(f8(), false, vec![]), None, &[0; 8])),
            ErrorKind::NoGrowthAxis,
            "the array is 0-d (shape ()): it has no axis to append along",
        ),
        // Not appendable before needing recovery (the data is short here too).
        (
            Box::new(|| write_raw(&p, tight("<f8", "(3,)"), &[0; 8])),
            ErrorKind::NotAppendable,
            "the header is not appendable: it has no spare room for a longer growth-axis length (128 bytes, NumPy's layout needs 192); run ensure_appendable first",
        ),
        (
            Box::new(|| write(&p, &Header::new(f8(), false, vec![3, 2]), None, &[0; 40])),
            ErrorKind::NeedsRecovery,
            "the file holds 40 bytes of data but its header's shape (3, 2) needs 48: run recover",
        ),
        (
            Box::new(|| {
                let open_ended = Header::open_ended(f8(), true, vec![2]);
                write(&p, &open_ended, None, &[0; 20]);
            }),
            ErrorKind::NeedsRecovery,
            "the file ends with a partial row of 4 bytes (rows are 16 bytes): run recover",
        ),
    ];
    // What `status` says of each file: (appendable, needs recovery); `None` where it
    // cannot read the header.
    let said = [
        None,
        Some((false, false)),
        Some((false, false)),
        Some((false, true)),
        Some((true, true)),
        Some((true, true)),
    ];
    assert_eq!(said.len(), cases.len());
    for ((make, kind, message), said) in cases.into_iter().zip(said) {
        make();
        let before = std::fs::read(&p).unwrap();
        expect(
            Appender::open(&p, Options::new()),
            kind.clone(),
            Some(&p),
            message,
        );
        // `status` finds the same first error, with the same message.
        match said {
            None => expect(status(&p), kind, Some(&p), message),
            Some((appendable, needs_recovery)) => {
                let st = status(&p).unwrap();
                assert_eq!(
                    (st.is_appendable(), st.needs_recovery()),
                    (appendable, needs_recovery),
                    "{message}"
                );
                let first = st.not_appendable().or(st.recovery_reason()).unwrap();
                assert_eq!((first.kind(), first.message()), (&kind, message));
                assert_eq!(first.path(), Some(p.as_path()));
                assert_eq!(st.rows(), None);
            }
        }
        assert_eq!(std::fs::read(&p).unwrap(), before, "{message}");
    }
}

#[test]
fn status_reads_a_file_a_writer_holds_and_agrees_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let opts = Options::new().buffer_bytes(0);
    let w = Appender::create(&p, &NewArray::new(f8(), [2]), opts).unwrap();
    w.append(&[0.5f64; 6]).unwrap();
    // No lock taken: the writer holds it.
    let st = status(&p).unwrap();
    assert!(st.is_appendable() && !st.needs_recovery());
    assert_eq!(st.rows(), Some(3));
    assert!(st.not_appendable().is_none() && st.recovery_reason().is_none());
    assert_eq!(w.close().unwrap(), 3);
    let open = Appender::open(&p, Options::new()).unwrap();
    assert_eq!(open.rows(), 3);
}

#[test]
fn a_journal_left_by_a_crash_means_recover_first() {
    use npy_testing::CrashFile;
    let file = CrashFile::new();
    let journal = file.on_same_disk();
    let opts = Options::new()
        .durability(npy_append::Durability::Synced)
        .buffer_bytes(0);
    let w = Appender::create_on(
        &file,
        &journal,
        &NewArray::new(dtype("'|u1'"), []),
        opts.clone(),
    )
    .unwrap();
    w.append(&[1u8; 9]).unwrap();
    // The count goes from 9 to 10 digits-wise from 1 to 2: journaled. Stop after the
    // journal is durable (write data, sync, write journal, sync = 4 calls).
    file.crash_after(file.ops() + 4);
    assert!(w.append(&[2u8]).is_err());
    drop(w);
    let disk = MemFile::from_bytes(file.page_cache());
    let journal = MemFile::from_bytes(journal.page_cache());
    let message = "an interrupted operation left a recovery journal beside the file: run recover";
    expect(
        Appender::open_on(&disk, &journal, opts),
        ErrorKind::NeedsRecovery,
        None,
        message,
    );
    let st = status_on(&disk, &journal).unwrap();
    assert!(st.needs_recovery() && st.is_appendable());
    let why = st.recovery_reason().unwrap();
    assert_eq!(
        (why.kind(), why.message()),
        (&ErrorKind::NeedsRecovery, message)
    );
    let done = recover_on(&disk, &journal, &RecoverOptions::new()).unwrap();
    assert_eq!(done.replayed, Some(npy_append::Replayed::HeaderRewrite));
    assert_eq!(done.rows, 10);
}

#[test]
fn a_second_writer_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let w = Appender::create(&p, &NewArray::new(f8(), []), Options::new()).unwrap();
    let message = "another writer has this file open (it holds the file's lock): let it finish or close it first";
    expect(
        Appender::open(&p, Options::new()),
        ErrorKind::Locked,
        Some(&p),
        message,
    );
    expect(
        recover(&p, &RecoverOptions::new()),
        ErrorKind::Locked,
        Some(&p),
        message,
    );
    expect(
        ensure_appendable(&p, EnsureMode::InPlace),
        ErrorKind::Locked,
        Some(&p),
        message,
    );
    expect(finalize(&p), ErrorKind::Locked, Some(&p), message);
    w.close().unwrap();
    drop(Appender::open(&p, Options::new()).unwrap());
    expect(
        Appender::create(&p, &NewArray::new(f8(), []), Options::new()),
        ErrorKind::Io,
        Some(&p),
        "cannot create the file: File exists (os error 17)",
    );
}

#[test]
fn mismatches_name_both_sides_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let input = dir.path().join("in.npy");
    let w = Appender::create(&p, &NewArray::new(f8(), [3]), Options::new()).unwrap();
    w.append(&[1.0f64, 2.0, 3.0]).unwrap();
    w.flush().unwrap();
    let before = std::fs::read(&p).unwrap();

    write(
        &input,
        &Header::new(f8(), false, vec![2, 4]),
        None,
        &[0; 64],
    );
    expect(
        w.append_npy_file(&input, Cast::No),
        ErrorKind::ShapeMismatch,
        Some(&p),
        "cannot append an array of shape (2, 4) to an array of shape (1, 3): the shapes may differ only on the growth axis (axis 0 in C order)",
    );
    write(&input, &Header::new(f8(), false, vec![3]), None, &[0; 24]);
    expect(
        w.append_npy_file(&input, Cast::No),
        ErrorKind::ShapeMismatch,
        Some(&p),
        "cannot append an array of shape (3,) to an array of shape (1, 3): the shapes may differ only on the growth axis (axis 0 in C order)",
    );
    write(
        &input,
        &Header::new(dtype("'<i4'"), false, vec![2, 3]),
        None,
        &[0; 24],
    );
    expect(
        w.append_npy_file(&input, Cast::No),
        ErrorKind::DtypeMismatch,
        Some(&p),
        "cannot append '<i4' (int32 little-endian) data to an array of '<f8' (float64 little-endian): the dtypes differ by a safe cast, which is made only when asked for",
    );
    write(
        &input,
        &Header::new(dtype("'<c8'"), false, vec![2, 3]),
        None,
        &[0; 48],
    );
    expect(
        w.append_npy_file(&input, Cast::Safe),
        ErrorKind::DtypeMismatch,
        Some(&p),
        "cannot append '<c8' (complex64 little-endian) data to an array of '<f8' (float64 little-endian): not a safe cast: it could lose information or change meaning",
    );
    expect(
        w.append(&[1i32, 2, 3]),
        ErrorKind::DtypeMismatch,
        Some(&p),
        "cannot append int32 values to an array of float64 little-endian ('<f8'): typed appends do not convert: append f64 values, or the rows' bytes with append_bytes",
    );
    expect(
        w.append(&[1.0f64, 2.0]),
        ErrorKind::PartialRow,
        Some(&p),
        "2 values are not a whole number of rows (a row is 3 values)",
    );
    expect(
        w.append_bytes(&[0; 25]),
        ErrorKind::PartialRow,
        Some(&p),
        "25 bytes are not a whole number of rows (a row is 24 bytes)",
    );
    // An input shorter than its header says.
    write(
        &input,
        &Header::new(f8(), false, vec![2, 3]),
        None,
        &[0; 40],
    );
    expect(
        w.append_npy_file(&input, Cast::No),
        ErrorKind::NeedsRecovery,
        Some(&input),
        "the input holds 40 bytes of data but its shape (2, 3) needs 48: it is truncated (recover it first)",
    );
    w.flush().unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), before);
    assert_eq!(w.close().unwrap(), 1);
}

#[test]
fn limits_and_parameters() {
    // A header at the largest count NumPy can address; rows of 0 bytes keep the data
    // empty.
    let u1 = dtype("'|u1'");
    let f = MemFile::from_bytes(
        Header::new(u1.clone(), false, vec![MAX_DIM, 0])
            .emit(None)
            .unwrap()
            .bytes,
    );
    let w = Appender::open_on(&f, MemFile::new(), Options::new()).unwrap();
    let input = Header::new(u1, false, vec![1, 0]).emit(None).unwrap().bytes;
    expect(
        w.append_npy(std::io::Cursor::new(input), Cast::No),
        ErrorKind::TooLarge,
        None,
        "the array would grow past 2^63-1 bytes or rows, more than NumPy can address",
    );
    expect(
        w.append_bytes(&[]),
        ErrorKind::Parameter,
        None,
        "rows of this array are 0 bytes (a zero-size dimension or item), so raw data cannot say how many rows to add: append a .npy array instead",
    );
    drop(w);

    let full = MemFile::from_bytes(vec![1, 2, 3]);
    expect(
        Appender::create_on(
            &full,
            MemFile::new(),
            &NewArray::new(f8(), []),
            Options::new(),
        ),
        ErrorKind::Parameter,
        None,
        "the file is not empty (3 bytes): open it to continue it",
    );
    let sub = Dtype::Subarray {
        base: Box::new(f8()),
        shape: vec![2],
    };
    expect(
        Appender::create_on(MemFile::new(), MemFile::new(), &NewArray::new(sub, []), Options::new()),
        ErrorKind::Parameter,
        None,
        "cannot write this header: a subarray type cannot be the whole dtype (NumPy writes such arrays as '|V<n>'); use it as a field",
    );
    expect(
        Appender::create_on(
            MemFile::new(),
            MemFile::new(),
            &NewArray::new(dtype("'|O'"), []),
            Options::new(),
        ),
        ErrorKind::ObjectDtype,
        None,
        "the dtype holds Python objects: such data is a pickle, not rows, and cannot be appended",
    );
    expect(
        Appender::create_on(
            MemFile::new(),
            MemFile::new(),
            &NewArray::new(f8(), [0]).version(Version::V4_0),
            Options::new(),
        ),
        ErrorKind::Parameter,
        None,
        "cannot write this header: an open-ended (-1) shape needs rows of at least one byte",
    );
    expect(
        NewArray::like(&Header::new(f8(), false, vec![])),
        ErrorKind::NoGrowthAxis,
        None,
        "a 0-d array (shape ()) has no axis to append along",
    );
    expect(
        RecoverOptions::new().template(b"nope"),
        ErrorKind::Header(npy_header::ErrorKind::BadMagic),
        None,
        "the template header is not valid: at byte 0: not a .npy file: it does not start with the magic string \\x93NUMPY",
    );
}

#[test]
fn recover_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");

    let mut bytes = Header::new(f8(), false, vec![3]).emit(None).unwrap().bytes;
    bytes[20] = b'@';
    std::fs::write(&p, &bytes).unwrap();
    expect(
        recover(&p, &RecoverOptions::new()),
        ErrorKind::Unrecoverable,
        Some(&p),
        "the header does not parse (at byte 20: expected a value, found '@'): if a crash tore it, recover it with a template: a file with the same dtype, order, other dimensions, version and header length, such as this file as it was created",
    );
    let template = Header::new(f8(), false, vec![0])
        .emit(Some(Version::V2_0))
        .unwrap()
        .bytes;
    expect(
        recover(&p, &RecoverOptions::new().template(&template).unwrap()),
        ErrorKind::Unrecoverable,
        Some(&p),
        "the header does not parse, and the template does not fit it: the file is format 1.0 with 128 header bytes, the template format 2.0 with 128",
    );
    assert_eq!(std::fs::read(&p).unwrap(), bytes);

    write(&p, &Header::new(f8(), false, vec![]), None, &[1, 2, 3]);
    expect(
        recover(&p, &RecoverOptions::new()),
        ErrorKind::Unrecoverable,
        Some(&p),
        "the 0-d array's data is incomplete (3 of 8 bytes) and has no rows to cut: pass zerofill_incomplete to complete it with zeros",
    );
    write_raw(
        &p,
        header::padded(
            Version::V1_0,
            "{'descr': '|O', 'fortran_order': False, 'shape': (3,), }",
        ),
        b"xyz",
    );
    expect(
        recover(&p, &RecoverOptions::new()),
        ErrorKind::ObjectDtype,
        Some(&p),
        "the dtype holds Python objects: the data is one pickle, not rows, and cannot be recovered",
    );
    // No room for a count with more digits.
    write_raw(&p, tight("|u1", "(9,)"), &[7; 12]);
    let before = std::fs::read(&p).unwrap();
    expect(
        recover(&p, &RecoverOptions::new()),
        ErrorKind::NotAppendable,
        Some(&p),
        "the header has no room for the recovered shape (12,): run ensure_appendable first, then recover",
    );
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

#[test]
fn version_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    write(&p, &Header::new(f8(), false, vec![2]), None, &[0; 16]);
    expect(
        finalize(&p),
        ErrorKind::Version,
        Some(&p),
        "the file is format 1.0, not 4.0: there is nothing to finalize (convert changes versions)",
    );
    write(
        &p,
        &Header::new(dtype("[('ψ', '<i4')]"), false, vec![2]),
        None,
        &[0; 8],
    );
    expect(
        convert(&p, Version::V1_0),
        ErrorKind::Version,
        Some(&p),
        "cannot write the header in format 1.0: the header holds characters outside latin-1, which format 1.0 cannot store (use 3.0)",
    );
    write(&p, &Header::new(f8(), false, vec![2, 0]), None, &[]);
    expect(
        convert(&p, Version::V4_0),
        ErrorKind::Version,
        Some(&p),
        "rows of this array are 0 bytes (a zero-size dimension or item): format 4.0 cannot derive their number from the file size (V4-3)",
    );
    write(&p, &Header::new(f8(), false, vec![2]), None, &[0; 17]);
    expect(
        convert(&p, Version::V4_0),
        ErrorKind::NeedsRecovery,
        Some(&p),
        "the file holds 17 bytes of data but its header's shape (2,) needs 16: run recover before converting to 4.0, whose length comes from the file size",
    );
    let out = dir.path().join("exists.npy");
    std::fs::write(&out, b"").unwrap();
    write_raw(&p, tight("<f8", "(1,)"), &[0; 8]);
    expect(
        ensure_appendable(&p, EnsureMode::To(out.clone())),
        ErrorKind::Parameter,
        Some(&out),
        "the output file exists already: choose another path or remove it",
    );
}

#[test]
fn kind_names_are_stable() {
    let names: Vec<&str> = [
        ErrorKind::Io,
        ErrorKind::Header(npy_header::ErrorKind::Syntax),
        ErrorKind::ObjectDtype,
        ErrorKind::NoGrowthAxis,
        ErrorKind::NotAppendable,
        ErrorKind::NeedsRecovery,
        ErrorKind::Locked,
        ErrorKind::Poisoned,
        ErrorKind::ShapeMismatch,
        ErrorKind::DtypeMismatch,
        ErrorKind::PartialRow,
        ErrorKind::TooLarge,
        ErrorKind::Version,
        ErrorKind::Unrecoverable,
        ErrorKind::Parameter,
        ErrorKind::LargeHeader,
    ]
    .iter()
    .map(|k| k.name())
    .collect();
    assert_eq!(
        names.join(" "),
        "io syntax object_dtype no_growth_axis not_appendable needs_recovery locked poisoned shape_mismatch dtype_mismatch partial_row too_large version unrecoverable parameter large_header"
    );
}

/// A 0-d array has no rows to append to, but its data can be cut short, which
/// `recover` repairs: `status` says so. A journal that cannot be read gives no answer.
#[test]
fn status_of_a_short_0_d_array_and_of_an_unreadable_journal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    write(&p, &Header::new(f8(), false, vec![]), None, &[0; 5]);
    let st = status(&p).unwrap();
    assert!(!st.is_appendable() && st.needs_recovery(), "{st:?}");
    assert_eq!(
        st.not_appendable().unwrap().kind(),
        &ErrorKind::NoGrowthAxis
    );
    let why = st.recovery_reason().unwrap();
    assert_eq!(
        why.message(),
        "the file holds 5 bytes of data but its header's shape () needs 8: run recover"
    );
    recover(&p, &RecoverOptions::new().zerofill_incomplete(true)).unwrap();
    assert!(!status(&p).unwrap().needs_recovery());

    // A directory where the journal would be: an I/O error, not "needs recovery".
    let journal = npy_append::Sidecar::beside(&p).unwrap();
    std::fs::create_dir(journal.path()).unwrap();
    let e = status(&p).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Io, "{e}");
}
