//! The oracle: every file this crate writes loads in real NumPy with the data of
//! `np.concatenate` of what was appended, and its header is byte-identical to the one
//! NumPy writes for the final array.

use std::path::{Path, PathBuf};

use npy_append::{Appender, Cast, HeaderPolicy, NewArray, Options};
use npy_header::Version;
use serde_json::Value;

use crate::common::{lit, parsed, py, PY_SAME};

/// Dtypes as Python expressions for `np.dtype(...)`.
const DTYPES: &[&str] = &[
    "'<f8'",
    "'>i2'",
    "'|u1'",
    "'|b1'",
    "'<c16'",
    "'>c8'",
    "'<f2'",
    "'<f16'",
    "'|S5'",
    "'<U3'",
    "'>U2'",
    "'<M8[ns]'",
    "'>m8[25s]'",
    "'|V4'",
    "[('a', '<i4'), ('b', '|S3'), ('c', '<f8', (2,))]",
    "{'names': ['x', 'y'], 'formats': ['>u2', [('p', '|i1'), ('q', '<f4')]], 'offsets': [0, 4], 'itemsize': 12}",
    "[(('a title', 'n'), '<i2'), ('m', '<u8')]",
    "[('ψ', '<i4')]",
];

/// Saves `count` random arrays with np.save as `in{i}.npy` in `dir`: growth lengths from
/// `lengths`, orders from `orders` ('C' or 'F'); rows of shape `row_shape`, growing
/// along axis 0 (C file) or the last axis (Fortran file).
fn save_inputs(
    dir: &Path,
    dtype: &str,
    row_shape: &str,
    file_fortran: bool,
    lengths: &[u64],
    orders: &str,
    seed: u64,
) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = (0..lengths.len())
        .map(|i| dir.join(format!("in{i}.npy")))
        .collect();
    let names: Vec<String> = paths.iter().map(|p| lit(p)).collect();
    let code = format!(
        r#"
rng = np.random.default_rng({seed})
dt = np.dtype({dtype})
row = {row_shape}
for path, k, order in zip([{names}], {lengths:?}, {orders:?}):
    shape = row + (k,) if {file_f} else (k,) + row
    n = int(np.prod(shape)) * dt.itemsize
    a = rng.integers(0, 256, size=n, dtype=np.uint8).view(dt).reshape(shape)
    a = np.asfortranarray(a) if order == 'F' else np.ascontiguousarray(a)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        np.save(path, a)
result = True
"#,
        names = names.join(", "),
        file_f = if file_fortran { "True" } else { "False" },
    );
    py(&code);
    paths
}

/// NumPy's verdict on `out`: same array as the concatenation of `inputs`, header bytes
/// equal to NumPy's for it in `version` (`None`: NumPy's choice).
fn check(out: &Path, inputs: &[PathBuf], file_fortran: bool, version: Option<Version>) -> Value {
    let names: Vec<String> = inputs.iter().map(|p| lit(p)).collect();
    let version = match version {
        None => "None".to_string(),
        Some(v) => format!("({}, {})", v.major(), v.minor()),
    };
    let code = format!(
        r#"{PY_SAME}
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    out = np.load({out})
    arrs = [np.load(p) for p in [{names}]]
    # np.concatenate makes the byte order native unless told the dtype.
    ref = np.concatenate(arrs, axis={axis}, dtype=arrs[0].dtype)
    buf = io.BytesIO()
    d = {{'descr': fmt.dtype_to_descr(ref.dtype), 'fortran_order': {file_f}, 'shape': ref.shape}}
    fmt_impl._write_array_header(buf, d, {version})
with open({out}, 'rb') as f:
    head = f.read(len(buf.getvalue()))
result = {{'same': bool(same(out, ref)), 'header': head == buf.getvalue(), 'shape': list(out.shape)}}
"#,
        out = lit(out),
        names = names.join(", "),
        axis = if file_fortran { -1 } else { 0 },
        file_f = if file_fortran { "True" } else { "False" },
    );
    py(&code)
}

fn create_and_append(
    out: &Path,
    inputs: &[PathBuf],
    row_shape: &[u64],
    file_fortran: bool,
    version: Option<Version>,
    opts: Options,
) -> u64 {
    let first = parsed(&inputs[0]);
    let mut new =
        NewArray::new(first.header.dtype().clone(), row_shape.to_vec()).fortran_order(file_fortran);
    if let Some(v) = version {
        new = new.version(v);
    }
    let w = Appender::create(out, &new, opts).unwrap();
    let mut expect = 0;
    for input in inputs {
        let range = w.append_npy_file(input, Cast::No).unwrap();
        assert_eq!(range.start, expect);
        expect = range.end;
    }
    w.close().unwrap()
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn appended_files_load_in_numpy_as_the_concatenation() {
    let versions = [
        None,
        Some(Version::V1_0),
        Some(Version::V2_0),
        Some(Version::V3_0),
    ];
    let rows: [(&str, &[u64]); 3] = [("()", &[]), ("(3,)", &[3]), ("(3, 4)", &[3, 4])];
    let mut cases = 0;
    for (i, dtype) in DTYPES.iter().enumerate() {
        for file_fortran in [false, true] {
            for (j, (row_py, row)) in rows.iter().enumerate() {
                let dir = tempfile::tempdir().unwrap();
                let version = versions[(i + j) % versions.len()];
                // Non-latin-1 field names need 3.0.
                let version =
                    if dtype.contains('ψ') && version < Some(Version::V3_0) && version.is_some() {
                        Some(Version::V3_0)
                    } else {
                        version
                    };
                let lengths = [2, 5, 1, 0, 3];
                let inputs = save_inputs(
                    dir.path(),
                    dtype,
                    row_py,
                    file_fortran,
                    &lengths,
                    "CFCFF",
                    (i * 10 + j) as u64,
                );
                let out = dir.path().join("out.npy");
                let opts = Options::new().buffer_bytes([0, 7, 1 << 20][j]);
                let total = create_and_append(&out, &inputs, row, file_fortran, version, opts);
                assert_eq!(total, 11);
                let verdict = check(&out, &inputs, file_fortran, version);
                let what = format!(
                    "dtype {dtype}, row {row_py}, fortran {file_fortran}, version {version:?}"
                );
                assert_eq!(verdict["same"], true, "{what}: {verdict}");
                assert_eq!(
                    verdict["header"], true,
                    "{what}: header differs from NumPy's"
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, DTYPES.len() * 6);
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn header_on_flush_and_large_appends_give_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = save_inputs(
        dir.path(),
        "'<i8'",
        "(5,)",
        false,
        &[3000, 1, 40000, 7],
        "CFFC",
        1,
    );
    for (k, policy) in [HeaderPolicy::EveryWrite, HeaderPolicy::OnFlush]
        .into_iter()
        .enumerate()
    {
        let out = dir.path().join(format!("out{k}.npy"));
        let opts = Options::new().header_policy(policy).buffer_bytes(4096);
        assert_eq!(
            create_and_append(&out, &inputs, &[5], false, None, opts),
            43008
        );
        let verdict = check(&out, &inputs, false, None);
        assert_eq!(verdict["same"], true, "{policy:?}: {verdict}");
        assert_eq!(verdict["header"], true, "{policy:?}");
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn files_numpy_saved_can_be_continued() {
    for (dtype, row_py, fortran) in [
        ("'<f4'", "(2, 3)", false),
        ("'>u4'", "(2, 3)", true),
        ("[('a', '|S2'), ('b', '<i8')]", "(4,)", false),
        ("'<U5'", "()", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        // The first array decides the file's order, as np.save writes it.
        let orders = if fortran { "FCF" } else { "CFC" };
        let inputs = save_inputs(dir.path(), dtype, row_py, fortran, &[4, 2, 6], orders, 3);
        let out = dir.path().join("saved.npy");
        std::fs::copy(&inputs[0], &out).unwrap();
        let w = Appender::open(&out, Options::new()).unwrap();
        assert_eq!(w.rows(), 4);
        assert_eq!(w.append_npy_file(&inputs[1], Cast::No).unwrap(), 4..6);
        assert_eq!(w.append_npy_file(&inputs[2], Cast::No).unwrap(), 6..12);
        w.close().unwrap();
        let verdict = check(&out, &inputs, fortran, None);
        assert_eq!(verdict["same"], true, "{dtype}: {verdict}");
        assert_eq!(verdict["header"], true, "{dtype}");
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn typed_and_raw_appends_hold_the_values_numpy_reads() {
    let dir = tempfile::tempdir().unwrap();
    // Native order, byte-swapped order, raw bytes.
    let f8 = crate::common::dtype("'<f8'");
    let out = dir.path().join("f8.npy");
    let w = Appender::create(
        &out,
        &NewArray::new(f8, [2]),
        Options::new().buffer_bytes(16),
    )
    .unwrap();
    assert_eq!(w.append(&[0.5f64, -1.0, 3.25, 1e300]).unwrap(), 0..2);
    assert_eq!(w.append_bytes(&[0u8; 16]).unwrap(), 2..3);
    assert_eq!(w.append(&[f64::MIN_POSITIVE, 7.0]).unwrap(), 3..4);
    w.close().unwrap();
    let got = py(&format!("result = np.load({}).tolist()", lit(&out)));
    assert_eq!(
        got.to_string(),
        "[[0.5,-1.0],[3.25,1e+300],[0.0,0.0],[2.2250738585072014e-308,7.0]]"
    );

    let be = crate::common::dtype("'>i4'");
    let out = dir.path().join("be.npy");
    let w = Appender::create(
        &out,
        &NewArray::new(be, [3]).fortran_order(true),
        Options::new(),
    )
    .unwrap();
    // Fortran order: one row is the 3 values of one column.
    w.append(&[1i32, -2, 3]).unwrap();
    w.append(&[i32::MAX, i32::MIN, 0, 4, 5, 6]).unwrap();
    w.close().unwrap();
    let got = py(&format!(
        "a = np.load({}); result = [a.dtype.str, a.tolist()]",
        lit(&out)
    ));
    assert_eq!(
        got.to_string(),
        "[\">i4\",[[1,2147483647,4],[-2,-2147483648,5],[3,0,6]]]"
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn safe_casts_convert_as_numpy_does() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("'<i2'", "'<f4'"),
        ("'|u1'", "'<f2'"),
        ("'>i8'", "'<f8'"),
        ("'<u4'", "'>i8'"),
        ("'|b1'", "'<c8'"),
        ("'<f4'", "'>c16'"),
        ("'>c8'", "'<c16'"),
        ("'|S2'", "'|S5'"),
        ("'>U2'", "'<U4'"),
        ("'>M8[s]'", "'<M8[s]'"),
    ] {
        let input = dir.path().join("in.npy");
        let out = dir.path().join("out.npy");
        let _ = std::fs::remove_file(&out);
        py(&format!(
            r#"
rng = np.random.default_rng(5)
dt = np.dtype({from})
a = rng.integers(0, 256, size=6 * 2 * dt.itemsize, dtype=np.uint8).view(dt).reshape(6, 2)
if dt.kind in 'fc':
    a = rng.standard_normal((6, 2)).astype(dt)
if dt.kind == 'b':
    a = a.view(np.uint8) % 2 == 1
np.save({input}, a)
result = True
"#,
            input = lit(&input)
        ));
        let to_dtype = crate::common::dtype(to);
        let w = Appender::create(&out, &NewArray::new(to_dtype, [2]), Options::new()).unwrap();
        assert_eq!(
            w.append_npy_file(&input, Cast::No).unwrap_err().kind(),
            &npy_append::ErrorKind::DtypeMismatch
        );
        assert_eq!(w.append_npy_file(&input, Cast::Safe).unwrap(), 0..6);
        w.close().unwrap();
        let verdict = py(&format!(
            r#"{PY_SAME}
a = np.load({input})
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    ref = a.astype({to}, casting='safe')
result = bool(same(np.load({out}), ref))
"#,
            input = lit(&input),
            out = lit(&out)
        ));
        assert_eq!(verdict, true, "{from} -> {to}");
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn safe_cast_table_matches_numpy_can_cast() {
    let types = [
        "|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8",
        "<c16", ">i4", ">f8",
    ];
    let code = format!(
        "t = {types:?}\nresult = [[bool(np.can_cast(a, b, 'safe')) for b in t] for a in t]"
    );
    let numpy = py(&code);
    for (i, a) in types.iter().enumerate() {
        for (j, b) in types.iter().enumerate() {
            let ours = Cast::Safe.allows(
                &crate::common::dtype(&format!("'{a}'")),
                &crate::common::dtype(&format!("'{b}'")),
            );
            assert_eq!(Value::Bool(ours), numpy[i][j], "{a} -> {b}");
        }
    }
}
