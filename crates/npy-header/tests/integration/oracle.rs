//! The NumPy oracle: real NumPy (installed by `cargo xtask setup`) decides what is right.
//!
//! - Headers NumPy writes for a few hundred (dtype, shape, order) cases: we parse them to
//!   NumPy's meaning and emit the same bytes.
//! - Headers we emit for arbitrary headers of our model: NumPy reads them and, writing
//!   the same array, writes the same bytes.
//! - Type strings: we accept exactly what `np.dtype` accepts, apart from the deliberate
//!   differences of `spec/npy-format.md`.
//! - The accept and reject tables: NumPy agrees, except for listed deliberate differences.

use npy_header::{parse, HeaderParser, Limits, Version};
use proptest::prelude::*;

use npy_testing::header::raw;

fn lenient() -> HeaderParser {
    HeaderParser::with_limits(Limits::none())
}

/// What NumPy makes of a file's header, and the header NumPy writes for the same array.
struct NumpyView {
    version: Version,
    rewritten: Vec<u8>,
    descr_str: String,
    itemsize: u64,
    shape: Vec<u64>,
    fortran: bool,
}

fn numpy_view(file: &[u8]) -> Result<NumpyView, String> {
    let hex: String = file.iter().map(|b| format!("{b:02x}")).collect();
    let code = format!(
        r#"
data = bytes.fromhex('{hex}')
f = io.BytesIO(data)
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    v = fmt.read_magic(f)
    shape, fo, dt = fmt_impl._read_array_header(f, v, max_header_size=2**40)
    buf = io.BytesIO()
    fmt_impl._write_array_header(buf, {{'descr': fmt.dtype_to_descr(dt), 'fortran_order': fo, 'shape': shape}}, v)
result = {{'bytes': buf.getvalue().hex(), 'str': dt.str, 'itemsize': dt.itemsize,
          'shape': [str(x) for x in shape], 'fortran': fo, 'version': list(v)}}
"#
    );
    let v = npy_oracle::eval_json(&code)?;
    let bytes = v["bytes"].as_str().unwrap();
    let rewritten = (0..bytes.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&bytes[i..i + 2], 16).unwrap())
        .collect();
    let version = Version::from_bytes(
        u8::try_from(v["version"][0].as_u64().unwrap()).unwrap(),
        u8::try_from(v["version"][1].as_u64().unwrap()).unwrap(),
    )
    .unwrap();
    Ok(NumpyView {
        version,
        rewritten,
        descr_str: v["str"].as_str().unwrap().to_string(),
        itemsize: v["itemsize"].as_u64().unwrap(),
        shape: v["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().parse::<u64>().unwrap_or(u64::MAX))
            .collect(),
        fortran: v["fortran"].as_bool().unwrap(),
    })
}

/// Checks one file NumPy accepts: our reading equals NumPy's, and re-emitting gives the
/// bytes NumPy writes for that array.
fn agrees_with_numpy(file: &[u8], what: &str) -> Result<(), String> {
    let np = numpy_view(file).map_err(|e| format!("{what}: NumPy rejected: {e}"))?;
    let ours = lenient()
        .parse(file)
        .map_err(|e| format!("{what}: we rejected: {e}"))?;
    let h = &ours.header;
    let check = |ok: bool, field: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("{what}: {field} differs"))
        }
    };
    check(ours.version == np.version, "version")?;
    check(h.fixed_shape() == Some(&np.shape[..]), "shape")?;
    check(h.fortran_order() == np.fortran, "fortran_order")?;
    check(h.dtype().itemsize() == np.itemsize, "itemsize")?;
    if let npy_header::Dtype::Scalar(s) = h.dtype() {
        check(s.to_string() == np.descr_str, "dtype.str")?;
    }
    let emitted = h
        .emit(Some(ours.version))
        .map_err(|e| format!("{what}: emit: {e}"))?;
    if emitted.bytes != np.rewritten {
        return Err(format!(
            "{what}: emitted bytes differ\n ours:  {:?}\n numpy: {:?}",
            String::from_utf8_lossy(&emitted.bytes),
            String::from_utf8_lossy(&np.rewritten)
        ));
    }
    Ok(())
}

fn scalar_exprs() -> Vec<String> {
    let types = [
        "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "f16", "c8", "c16",
        "c32", "b1", "S0", "S1", "S10", "U0", "U1", "U7", "V0", "V1", "V16", "M8", "M8[ns]",
        "M8[25s]", "M8[Y]", "m8[D]", "m8", "m8[as]", "O",
    ];
    let mut out = Vec::new();
    for bo in ["<", ">"] {
        for t in types {
            out.push(format!("'{bo}{t}'"));
        }
    }
    out
}

const STRUCTURED: &[&str] = &[
    "[('a', '<i4'), ('b', '>f8')]",
    "[(('title A', 'a'), '<i4'), (('B', 'b'), '|S3')]",
    "{'names': ['a', 'b'], 'formats': ['<i4', '<f8'], 'offsets': [4, 16], 'itemsize': 32}",
    "[('a', '<f8', (2, 3)), ('b', '<i2', (0,)), ('c', '|u1', 4)]",
    "[('a', [('b', [('c', '>c16', (2,))]), ('d', '|b1')])]",
    "[('a', ('<f8', (2,)), (3,))]",
    "[('温度', '<f8'), ('時間', '<M8[ns]')]",
    "[(\"it's\", '<f4'), ('say \"hi\"', '<f4'), ('both \\'\"', '<f4')]",
    "[('tab\\there', '<f4'), ('nl\\nx', '<f4'), ('nbsp\\xa0x', '<f4'), ('zw\\u200bx', '<f4'), ('emoji\\U0001f600', '<f4')]",
    "[('café', '<U3'), ('ÿ', '|V5')]",
    "[('', '<f8'), ('x', '<f8')]",
    "[('empty', [])]",
    "[('o', '|O'), ('i', '<i8')]",
    "{'names': ['x'], 'formats': ['<u2'], 'offsets': [0], 'itemsize': 9}",
    "[('a', '<i4', (2, 2)), ('b', [('c', '<f2'), ('d', '|S0')], (3,))]",
];

const SHAPES: &[&str] = &[
    "()",
    "(0,)",
    "(3,)",
    "(3, 4)",
    "(0, 5)",
    "(2, 3, 4)",
    "(2**40, 3)",
    "(1, 10**17)",
];

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn numpy_written_headers_parse_to_numpys_meaning_and_re_emit_identically() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut cases: Vec<(String, &str)> = Vec::new();
    for d in scalar_exprs() {
        for s in SHAPES {
            cases.push((d.clone(), s));
        }
    }
    for d in STRUCTURED {
        for s in ["()", "(3,)", "(2, 5)"] {
            cases.push((d.to_string(), s));
        }
    }
    for (dtype, shape) in &cases {
        for fortran in [false, true] {
            let what = format!("dtype={dtype} shape={shape} fortran={fortran}");
            let bytes = match npy_oracle::header_bytes(dtype, shape, fortran, None) {
                Ok(b) => b,
                Err(e) => panic!("{what}: NumPy could not write it: {e}"),
            };
            if let Err(e) = agrees_with_numpy(&bytes, &what) {
                failures.push(e);
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("oracle: {checked} NumPy-written headers agree");
    assert!(checked >= 500);
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn explicit_versions_match_numpy() {
    let mut checked = 0;
    for version in [(1, 0), (2, 0), (3, 0)] {
        for dtype in ["'<f8'", "[('a', '>i2', (2,))]", "[('café', '<f8')]"] {
            for shape in ["()", "(7,)", "(3, 4)"] {
                let bytes = npy_oracle::header_bytes(dtype, shape, false, Some(version)).unwrap();
                agrees_with_numpy(&bytes, &format!("{dtype} {shape} {version:?}")).unwrap();
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 27);
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn headers_around_the_64_kib_boundary_match_numpy() {
    // Each field ('fNNNNN', '<f8') adds 19 characters; sweep across the point where the
    // header stops fitting a 1.0 length field.
    let mut versions = std::collections::BTreeSet::new();
    for n in (3435..3460).step_by(1) {
        let dtype = format!("[('f%05d' % i, '<f8') for i in range({n})]");
        let bytes = npy_oracle::header_bytes(&dtype, "(2,)", false, None).unwrap();
        agrees_with_numpy(&bytes, &format!("{n} fields")).unwrap();
        versions.insert(parse_version(&bytes));
    }
    assert_eq!(
        versions.into_iter().collect::<Vec<_>>(),
        [Version::V1_0, Version::V2_0]
    );
}

fn parse_version(bytes: &[u8]) -> Version {
    lenient().parse(bytes).unwrap().version
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever header we emit (1.0-3.0), NumPy reads it and writes the same bytes.
    #[test]
    #[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
    fn our_emitted_headers_are_what_numpy_writes((h, version) in crate::props::header()) {
        prop_assume!(!h.is_open_ended() && version != Some(Version::V4_0));
        let Ok(out) = h.emit(version) else { return Ok(()) };
        agrees_with_numpy(&out.bytes, &format!("{h:?}")).map_err(TestCaseError::fail)?;
    }
}

/// NumPy's verdict on `np.dtype(s)`: `Some((str, itemsize))` or `None`.
fn numpy_dtype(s: &str) -> Option<(String, u64)> {
    let lit = serde_json::to_string(s).unwrap();
    npy_oracle::dtype_info(&lit)
        .ok()
        .map(|d| (d.str_, d.itemsize))
}

/// Forms `np.dtype` accepts that this reader deliberately does not (`DIFF-` ids of
/// spec/npy-format.md): comma strings, repeat counts, StringDType, signs or spaces in
/// sizes, datetime divisors.
fn deliberately_rejected(s: &str) -> bool {
    let body = s.trim_start_matches(['<', '>', '|', '=']);
    s.contains(',')
        || s.contains('/')
        || body.starts_with(|c: char| c.is_ascii_digit() || c == '(')
        || body.starts_with('T')
        || body.chars().skip(1).any(|c| c == ' ' || c == '+')
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn type_strings_are_accepted_exactly_as_np_dtype_accepts_them() {
    let mut candidates: Vec<String> = Vec::new();
    let codes = "?bBhHiIlLqQpPnNefdgFDGOSUVaMmcTuxyzXYZjJkKrRsEtAw";
    let sizes = [
        "", "0", "1", "2", "3", "4", "8", "16", "32", "08", "64", "128", "+4", " 4", "4 ",
    ];
    for bo in ["", "<", ">", "|", "=", "!"] {
        for c in codes.chars() {
            for sz in sizes {
                candidates.push(format!("{bo}{c}{sz}"));
            }
        }
        for name in [
            "bool",
            "int8",
            "int64",
            "uint32",
            "float16",
            "float64",
            "float128",
            "complex64",
            "complex256",
            "longdouble",
            "str",
            "bytes",
            "void",
            "object",
            "datetime64",
            "timedelta64",
            "datetime64[ns]",
            "timedelta64[25s]",
            "int",
            "float",
            "complex",
            "unicode",
            "half",
            "single",
            "double",
            "intp",
            "uintp",
            "long",
            "ulong",
            "longlong",
            "byte",
            "ubyte",
            "short",
            "ushort",
            "intc",
            "uintc",
            "float32x",
            "Float64",
            "int128",
            "string",
            "f8,i4",
            "2f8",
            "(2,)f8",
        ] {
            candidates.push(format!("{bo}{name}"));
        }
    }
    for k in ["M8", "m8", "M", "datetime64"] {
        for u in [
            "Y",
            "M",
            "W",
            "D",
            "h",
            "m",
            "s",
            "ms",
            "us",
            "μs",
            "ns",
            "ps",
            "fs",
            "as",
            "B",
            "generic",
            "10ns",
            "0s",
            "1Y",
            "02ns",
            "2147483647s",
            "2147483648s",
            "ns/2",
            "-1s",
            "",
            "1",
            " 2s",
            "+2s",
            "2 s",
            "ns2",
            "2generic",
        ] {
            candidates.push(format!("{k}[{u}]"));
        }
    }
    let mut accepted = 0;
    let mut failures = Vec::new();
    for c in &candidates {
        let text = format!(
            "{{'descr': {}, 'fortran_order': False, 'shape': ()}}",
            serde_json::to_string(c).unwrap()
        );
        let ours = parse(&raw(Version::V3_0, &text)).map(|p| p.header);
        match (numpy_dtype(c), ours) {
            (Some((s, size)), Ok(h)) => {
                accepted += 1;
                if h.dtype().to_descr() != format!("'{s}'") || h.dtype().itemsize() != size {
                    failures.push(format!(
                        "{c:?}: NumPy {s} ({size} bytes), ours {} ({} bytes)",
                        h.dtype().to_descr(),
                        h.dtype().itemsize()
                    ));
                }
            }
            (Some((s, _)), Err(e)) if !deliberately_rejected(c) => {
                failures.push(format!("{c:?}: NumPy accepts as {s}, we reject: {e}"));
            }
            (None, Ok(h)) => failures.push(format!(
                "{c:?}: NumPy rejects, we accept as {}",
                h.dtype().to_descr()
            )),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} candidates disagree:\n{}",
        failures.len(),
        candidates.len(),
        failures.join("\n")
    );
    eprintln!(
        "oracle: {} type strings checked, {accepted} accepted by both",
        candidates.len()
    );
}

/// Reject-table cases NumPy's header reader accepts, each a documented deliberate
/// difference (spec/npy-format.md, "Deliberate differences").
const NUMPY_ACCEPTS: &[&str] = &[
    "'shape': (True,)",
    "'shape': (-2,)",
    "'shape': (-1, 3)}",
    "'shape': (), 'shape': (2,)",
    "\\N{LATIN SMALL LETTER F}",
    "\\ud800",
    "'f8,i4'",
    "'<M8[ns/2]'",
    "('<f8', (2,))",
    "{'ab': 0}",
    "['ab']",
    "(9223372036854775808,)",
    "(4611686018427387904, 4)",
    "(0, 2305843009213693952)",
    "('<f8', (0,)), 3)",
];

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn reject_table_agrees_with_numpy_except_documented_differences() {
    let mut unexpected = Vec::new();
    for &(version, text, _, _) in crate::reject::CASES {
        if version == Version::V4_0 {
            continue; // NumPy rejects every 4.0 file by its version byte.
        }
        let numpy_ok = numpy_view(&raw(version, text)).is_ok();
        let documented = NUMPY_ACCEPTS.iter().any(|s| text.contains(s));
        if numpy_ok != documented {
            unexpected.push(format!(
                "{text}: NumPy {}",
                if numpy_ok { "accepts" } else { "rejects" }
            ));
        }
    }
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn accept_table_agrees_with_numpy() {
    for &(version, text, ..) in crate::accept::CASES {
        if version == Version::V4_0 {
            continue;
        }
        agrees_with_numpy(&npy_testing::header::padded(version, text), text).unwrap();
    }
    for text in crate::accept::LAYOUT_CASES {
        agrees_with_numpy(&raw(Version::V1_0, text), text).unwrap();
    }
    for text in [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2 L L, 3\x0cL)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2\\\nL, 3L)}",
    ] {
        agrees_with_numpy(&npy_testing::header::padded(Version::V2_0, text), text).unwrap();
    }
    // NumPy reads the Python 2 suffix too.
    let text = "{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4 L), }";
    agrees_with_numpy(&npy_testing::header::padded(Version::V1_0, text), text).unwrap();
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn numpy_refuses_4_0_by_its_version_byte() {
    let h = parse(&npy_testing::header::padded(
        Version::V4_0,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3), }",
    ))
    .unwrap();
    let bytes = h.header.emit(None).unwrap().bytes;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let err = npy_oracle::eval_json(&format!(
        "result = np.load(io.BytesIO(bytes.fromhex('{hex}'))).tolist()"
    ))
    .unwrap_err();
    assert!(
        err.contains("we only support format version (1,0), (2,0), and (3,0), not (4, 0)"),
        "{err}"
    );
}
