//! `npy cat` and `npy head` print exactly what NumPy's `repr` prints: NumPy (the
//! oracle) saves a few hundred arrays and reprs them, summarised, in full
//! (`threshold=sys.maxsize`) and sliced (`arr[:n]`); our printer must give the same
//! text for the saved file, from the array in memory and from only the items shown
//! read from the file. Then the commands themselves, end to end.

use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};

use npy_cli::print::{array_repr, Options, Shown};
use npy_mmap::NpyBuffer;

use crate::{npy, root, sample, stderr, stdout, Scratch};

const CASES_PY: &str = r#"
import sys
rng = np.random.default_rng(20261123)
cases = []

def add(name, arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    # What `npy cat FILE` stands for: repr(np.load(FILE)), which can differ from the
    # saved array's repr (an aligned struct loads as a plain one with offsets).
    arr = np.load(io.BytesIO(buf.getvalue()), allow_pickle=False)
    entry = {'name': name, 'file': buf.getvalue().hex(), 'repr': repr(arr), 'head': {}}
    if arr.size <= 5000:
        with np.printoptions(threshold=sys.maxsize):
            entry['all'] = repr(arr)
    if arr.ndim >= 1:
        for n in (0, 1, 3):
            entry['head'][str(n)] = repr(arr[:n])
    cases.append(entry)

def floats(n, dt):
    scale = 10.0 ** rng.integers(-12, 12, n)
    return (rng.standard_normal(n) * scale).astype(dt)

# Floats: positional and scientific layouts, rounding at 8 digits, non-finite values.
for dt in ['<f8', '>f8', '<f4', '<f2']:
    add(dt + ' mixed magnitudes', floats(7, dt))
    add(dt + ' unit range', rng.random(9).astype(dt))
    add(dt + ' integers', np.arange(-4, 5).astype(dt))
    add(dt + ' with nan and inf', np.array([1.5, np.nan, -np.inf, np.inf, -0.0], dtype=dt))
    add(dt + ' all nan', np.array([np.nan, np.nan], dtype=dt))
    add(dt + ' 0-d', np.array(3.25, dtype=dt))
    add(dt + ' 2-d', rng.random((4, 5)).astype(dt) * 100)
    add(dt + ' tiny', np.array([1e-5, 2.5e-7, 3.0], dtype=dt))
    add(dt + ' large', np.array([1e7, 1.5e9, 123456789.0], dtype=dt))
# Random magnitudes and random bit patterns (subnormals, NaN payloads, extremes).
for dt in ['<f8', '<f4', '<f2', '<c8']:
    for i in range(40):
        add('%s random %d' % (dt, i), floats(int(rng.integers(1, 8)), dt))
    for i in range(20):
        n = int(rng.integers(1, 6))
        add('%s bits %d' % (dt, i), np.frombuffer(rng.bytes(n * np.dtype(dt).itemsize), dtype=dt))
add('f8 thirds', np.array([1/3, 2/3, 1.0]))
add('f8 ties', np.array([0.001953125, 1.5, 0.125]))
add('f8 0.1+0.2', np.array([0.1 + 0.2, 1e-300, 1e300]))
add('f8 ratio 1000', np.array([1.0, 1000.0]))
add('f8 ratio 1001', np.array([1.0, 1001.0]))
for dt in ['<c16', '>c8']:
    add(dt, (floats(5, 'f8') + 1j * floats(5, 'f8')).astype(dt))
    add(dt + ' simple', np.array([1 + 2j, -0.5j, 3], dtype=dt))
    add(dt + ' nan', np.array([complex(np.nan, 1), complex(1, np.inf)], dtype=dt))

# Integers and bools.
for dt in ['|i1', '<i2', '>i4', '<i8', '|u1', '>u2', '<u4', '<u8']:
    info = np.iinfo(dt)
    add(dt, rng.integers(info.min, info.max, 8, dtype=np.dtype(dt).newbyteorder('='), endpoint=True).astype(dt))
    add(dt + ' 3-d', rng.integers(0, 100, (2, 3, 4)).astype(dt))
add('u8 max', np.array([0, 2**64 - 1], dtype='<u8'))
add('bool', np.array([True, False, True]))
add('bool 2-d', rng.random((3, 4)) > 0.5)
add('bool 0-d', np.array(False))

# Strings, bytes, void.
add('U', np.array(['alpha', "it's", 'say "hi"', '\u00e9\u4e2d', 'tab\tnl\n', ''], dtype='<U8'))
add('U big-endian', np.array(['ab', 'c'], dtype='>U3'))
add('U 0-d', np.array('x\u00a0y'))
add('S', np.array([b'ab', b'\x00\x01', b"q'", b'\xff'], dtype='S4'))
add('V', np.array([b'\x00\x01a', b'zz\x00'], dtype='V3'))

# Datetimes and timedeltas.
add('M8[ns]', np.array(['2024-01-01T00:00:00', '2024-02-29T12:30:00.000000001', 'NaT'], dtype='<M8[ns]'))
add('M8[D]', np.array(['1969-12-31', '2000-02-29', '9999-12-31'], dtype='<M8[D]'))
add('M8[D] wide years', np.array(['-0001-01-01', '10000-01-01', 'NaT'], dtype='<M8[D]'))
add('M8[W]', np.array(['2020-01-02', '1969-12-31'], dtype='<M8[W]'))
add('M8[M] big-endian', np.array(['2024-02', '1900-12'], dtype='>M8[M]'))
add('M8[Y]', np.array(['2024', '1'], dtype='<M8[Y]'))
add('M8[h] [m] [s] [ms] [us]', np.array(['2024-01-01T05'], dtype='<M8[h]'))
for unit in ['m', 's', 'ms', 'us', 'ps', 'fs', 'as', '10ms', '3h']:
    add('M8[%s]' % unit, np.array([0, 1234567, -987654], dtype='<M8[%s]' % unit))
add('m8[s]', np.array([1, 2, 'NaT'], dtype='<m8[s]'))
add('m8[10ms] big-endian', np.array([1, -20000], dtype='>m8[10ms]'))

# Structured.
add('struct packed', np.array([(1, 2.5, b'ab'), (-3, np.nan, b'')], dtype=[('a', '<i4'), ('b', '>f8'), ('c', 'S3')]))
add('struct aligned', np.zeros(2, dtype=np.dtype([('x', 'u1'), ('y', '<f8')], align=True)))
add('struct offsets', np.array([(1, 2j)], dtype={'names': ['p', 'q'], 'formats': ['<u2', '<c8'], 'offsets': [2, 8], 'itemsize': 24}))
add('struct titled', np.array([(7, True)], dtype=[(('Title', 'name'), '<i8'), ('v', '|b1')]))
add('struct titled dict', np.array([(7, 1.5)], dtype={'names': ['a', 'b'], 'formats': ['<i2', '<f4'], 'offsets': [0, 4], 'titles': ['A', None], 'itemsize': 12}))
add('struct nested', np.array([(1, (0.5, -2.0), [[1, 2, 3], [4, 5, 6]], b'x')], dtype=[('id', '<u4'), ('pos', [('x', '<f4'), ('y', '>f4')]), ('grid', '<i2', (2, 3)), ('tag', '|S2')]))
add('struct subarray of subarray', np.zeros(2, dtype=[('t', ('u1', (2,)), (3,))]))
add('struct one field', np.array([(1.5,), (2.0,)], dtype=[('only', '<f8')]))
add('struct 0-d', np.array((True, 3), dtype=[('b', '?'), ('i', '<i2')]))
add('struct 2-d', np.zeros((2, 3), dtype=[('a', '<i2'), ('b', '<f4')]))
add('struct unicode names', np.array([(21.5, 3)], dtype=[('\u6e29\u5ea6', '<f8'), ('\u6e7f\u5ea6', '<i4')]))
add('struct big subarray', np.zeros(1, dtype=[('v', '<i4', (1200,))]))

# Shapes: empty, 0-d, many dimensions, Fortran order, wrapping and summarising.
add('empty 0', np.zeros(0))
add('empty 0x5 f4', np.zeros((0, 5), dtype='<f4'))
add('empty 3x0 F', np.asfortranarray(np.zeros((3, 0), dtype='<i2')))
add('empty 2x0x4', np.zeros((2, 0, 4), dtype='|b1'))
add('0-d i8', np.array(42))
add('4-d', np.arange(2 * 2 * 3 * 2).reshape(2, 2, 3, 2))
add('Fortran 3x4', np.asfortranarray(np.arange(12.0).reshape(3, 4) / 3))
add('Fortran 2x3x4 >i2', np.asfortranarray(np.arange(24, dtype='>i2').reshape(2, 3, 4)))
add('wide row', np.arange(40.0) * 1.25)
add('wide ints', np.arange(100) * 12345)
add('long strings wrap', np.array(['x' * 30] * 5))
add('summarised 1-d', np.arange(2000.0))
add('summarised 1-d ints', np.arange(5000))
add('summarised 2-d', np.arange(30 * 50).reshape(30, 50))
add('summarised 3-d', np.arange(10 * 10 * 20, dtype='<f4').reshape(10, 10, 20) / 7)
add('summarised narrow axis', np.arange(1001 * 2).reshape(1001, 2))
add('summarised Fortran', np.asfortranarray(rng.random((40, 30))))
add('summarised bool', rng.random(1500) > 0.5)
add('summarised datetimes', np.arange(1200).astype('<M8[D]'))
add('exactly 1000', np.arange(1000))
add('1001', np.arange(1001))
result = cases
"#;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn repr_equals_numpys() {
    let cases = npy_oracle::eval_json(CASES_PY).expect("NumPy reprs the cases");
    let cases = cases.as_array().unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut check = |name: String,
                     ours: Result<String, npy_cli::print::Unsupported>,
                     numpy: &str| {
        checked += 1;
        match ours {
            Ok(text) if text == numpy => {}
            Ok(text) => failures.push(format!("{name}:\n  numpy: {numpy:?}\n  ours:  {text:?}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    };
    // Each repr is made twice: from the whole array in memory, and from only the items
    // shown, read from the file by position as `npy cat` reads a large file.
    let scratch = Scratch::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let bytes = unhex(case["file"].as_str().unwrap());
        let buffer = NpyBuffer::read(&bytes[..]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let file = File::open(scratch.write("case.npy", &bytes)).unwrap();
        let view = buffer.view();
        let shape = view.shape().to_vec();
        let mut variants = vec![(
            name.to_string(),
            shape.clone(),
            Options::default(),
            case["repr"].as_str().unwrap(),
        )];
        if let Some(all) = case["all"].as_str() {
            variants.push((
                format!("{name} (all)"),
                shape.clone(),
                Options { all: true },
                all,
            ));
        }
        for (n, text) in case["head"].as_object().unwrap() {
            let mut head = shape.clone();
            head[0] = head[0].min(n.parse().unwrap());
            variants.push((
                format!("{name} [:{n}]"),
                head,
                Options::default(),
                text.as_str().unwrap(),
            ));
        }
        for (label, shape, options, numpy) in variants {
            check(label.clone(), array_repr(&view, &shape, options), numpy);
            let shown = Shown::read(&file, buffer.layout(), &shape, options)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            check(
                format!("{label} (the items shown, read by position)"),
                array_repr(&shown, &shape, options),
                numpy,
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ from NumPy:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 400, "{checked}");
}

#[test]
fn cat_and_head_of_samples() {
    let out = npy(&["cat", &sample("c_order_f8_2d.npy")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "array([[0.  , 0.25, 0.5 , 0.75],\n       [1.  , 1.25, 1.5 , 1.75],\n       [2.  , 2.25, 2.5 , 2.75]])\n"
    );
    let out = npy(&["head", "-n", "1", &sample("fortran_be_i2.npy")]);
    assert_eq!(stdout(&out), "array([[-3, -2, -1]], dtype='>i2')\n");
    // A 4.0 file caught mid-append: the partial row is not part of the array.
    let out = npy(&["cat", &sample("v4_open_partial_row.npy")]);
    assert_eq!(
        stdout(&out),
        "array([[0, 1, 2],\n       [3, 4, 5]], dtype=int32)\n"
    );
    let out = npy(&["head", &sample("scalar_0d.npy")]);
    assert_eq!(stdout(&out), "array(3.25)\n");
    let out = npy(&["cat", &sample("datetime_ns.npy")]);
    assert_eq!(
        stdout(&out),
        "array(['2024-01-01T00:00:00.000000000', '2024-02-29T12:30:00.000000001',\n                                 'NaT'], dtype='datetime64[ns]')\n"
    );
}

#[test]
fn cat_reads_stdin() {
    let bytes = std::fs::read(root().join(sample("structured_padded.npy"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_npy"))
        .args(["cat", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let from_file = npy(&["cat", &sample("structured_padded.npy")]);
    assert_eq!(stdout(&out), stdout(&from_file));
    assert!(stdout(&out).contains("dtype={'names': ['a', 'b', 'c'], 'formats': ['<i4', '<f8', 'u1'], 'offsets': [0, 8, 16], 'itemsize': 24}"));
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn cat_all_and_summaries() {
    let s = Scratch::new();
    let v = npy_oracle::eval_json(
        "buf = io.BytesIO(); np.save(buf, np.arange(1500, dtype='<i2')); result = buf.getvalue().hex()",
    )
    .unwrap();
    let path = s.write("long.npy", &unhex(v.as_str().unwrap()));
    let out = npy(&["cat", &path]);
    assert_eq!(
        stdout(&out),
        "array([   0,    1,    2, ..., 1497, 1498, 1499],\n      shape=(1500,), dtype=int16)\n"
    );
    let out = npy(&["cat", "--all", &path]);
    let text = stdout(&out);
    assert!(text.starts_with("array([   0,    1,"), "{text}");
    assert!(text.ends_with(" 1499], dtype=int16)\n"), "{text}");
    assert_eq!(text.matches(',').count(), 1500);
    let out = npy(&["head", "-n", "2", &path]);
    assert_eq!(stdout(&out), "array([0, 1], dtype=int16)\n");
}

/// Of a 4 GiB file (sparse: it costs no disk) only the items shown are read: the text
/// is NumPy's repr of the same file memory-mapped, which reads only those items too.
/// Values sit at the edges, where they are shown, and in the middle, where they are not.
#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn cat_and_head_of_a_4_gib_file() {
    let s = Scratch::new();
    for (fortran, shape) in [(false, "(1 << 23, 64)"), (true, "(64, 1 << 23)")] {
        let path = s.dir.path().join("big.npy").display().to_string();
        let v = npy_oracle::eval_json(&format!(
            "m = np.lib.format.open_memmap({path:?}, mode='w+', dtype='<f8', shape={shape}, fortran_order={fortran_py})\n\
             rows, cols = m.shape\n\
             for i in [*range(4), *range(rows - 4, rows)]:\n\
             \x20   for j in [*range(4), *range(cols - 4, cols)]:\n\
             \x20       m[i, j] = i * 1000 + j + 0.5\n\
             m[rows // 2, cols // 2] = 7.25\n\
             m.flush(); del m\n\
             a = np.load({path:?}, mmap_mode='r')\n\
             result = {{'cat': repr(np.asarray(a)), 'head': repr(np.asarray(a[:2]))}}",
            fortran_py = if fortran { "True" } else { "False" },
        ))
        .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 128 + (4 << 30));
        let out = npy(&["cat", &path]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), format!("{}\n", v["cat"].as_str().unwrap()));
        let out = npy(&["head", "-n", "2", &path]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), format!("{}\n", v["head"].as_str().unwrap()));
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn cat_errors() {
    let out = npy(&["cat", &sample("broken_v1_short_data.npy")]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "error: conformance/samples/broken_v1_short_data.npy: data_length: file holds 96 bytes of data but the header's shape needs 128: it was truncated or an append was interrupted (recover the file to keep its whole rows)\n"
    );
    let out = npy(&["head", "no/such/file.npy"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: no/such/file.npy: io: No such file or directory (os error 2)\n"
    );

    let s = Scratch::new();
    let v = npy_oracle::eval_json(
        "buf = io.BytesIO(); np.save(buf, np.array([1.5, 2.5], dtype=np.longdouble)); result = buf.getvalue().hex()",
    )
    .unwrap();
    let path = s.write("long_double.npy", &unhex(v.as_str().unwrap()));
    let out = npy(&["cat", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {path}: cannot print longdouble (80-bit extended) values as NumPy does (its bytes are still readable: npy inspect shows the layout)\n")
    );
    let v = npy_oracle::eval_json(
        "buf = io.BytesIO(); np.save(buf, np.array([1, None], dtype=object)); result = buf.getvalue().hex()",
    )
    .unwrap();
    let path = s.write("objects.npy", &unhex(v.as_str().unwrap()));
    let out = npy(&["cat", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!("error: {path}: object_dtype: the dtype holds Python objects: the data is a pickle, which this reader never loads (unpickling runs code from the file)\n")
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn object_arrays_are_valid_whatever_the_pickle_length() {
    // NumPy pickles object arrays: 1000 Nones take fewer bytes than 8 per item, long
    // strings more. Neither is short data or trailing bytes.
    let s = Scratch::new();
    for (name, expr) in [
        ("nones", "np.array([None] * 1000, dtype=object)"),
        ("long", "np.array(['x' * 1000] * 3, dtype=object)"),
    ] {
        let v = npy_oracle::eval_json(&format!(
            "buf = io.BytesIO(); np.save(buf, {expr}, allow_pickle=True); result = buf.getvalue().hex()"
        ))
        .unwrap();
        let bytes = unhex(v.as_str().unwrap());
        let path = s.write(&format!("{name}.npy"), &bytes);
        let out = npy(&["validate", &path]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stdout(&out));
        let shape = if name == "nones" { "(1000,)" } else { "(3,)" };
        assert_eq!(
            stdout(&out),
            format!("ok   {path}  1.0 '|O' {shape} (warning: dtype holds Python objects: the data is a pickle and cannot be loaded without unpickling untrusted code)\n1 file: 1 ok, 0 failed\n")
        );
        let human = stdout(&npy(&["inspect", &path]));
        assert!(
            human.contains("\nexpected data bytes: any (a pickle of the array, not items)\n"),
            "{human}"
        );
        assert!(
            human.contains(&format!("\nactual data bytes: {}\n", bytes.len() - 128)),
            "{human}"
        );
        assert!(
            human.contains("\ntrailing bytes: none (a pickle has no rows)\n"),
            "{human}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&stdout(&npy(&["inspect", "--json", &path]))).unwrap();
        assert_eq!(json["expected_data_bytes"], serde_json::Value::Null);
        assert_eq!(json["trailing_bytes"], serde_json::Value::Null);
        assert_eq!(json["warnings"].as_array().unwrap().len(), 1);
    }
}
