//! Checks each oracle function against known NumPy behaviour.

use super::*;
use serde_json::json;

/// `np.save` header of a `(3,)` little-endian float64 array, format 1.0.
fn f8_3_header() -> Vec<u8> {
    let dict = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
    let mut h = b"\x93NUMPY\x01\x00v\x00".to_vec();
    h.extend_from_slice(dict);
    h.resize(127, b' ');
    h.push(b'\n');
    h
}

/// A version 1.0 file header around `dict`, padded with spaces to 64 bytes like NumPy does.
fn v1_header(dict: &str) -> Vec<u8> {
    let mut h = b"\x93NUMPY\x01\x00\x00\x00".to_vec();
    h.extend_from_slice(dict.as_bytes());
    h.resize((h.len() + 1).next_multiple_of(64) - 1, b' ');
    h.push(b'\n');
    let hlen = u16::try_from(h.len() - 10).unwrap();
    h[8..10].copy_from_slice(&hlen.to_le_bytes());
    h
}

#[test]
fn v1_header_matches_numpy_layout() {
    assert_eq!(
        v1_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"),
        f8_3_header()
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn numpy_version_is_the_pinned_one() {
    let pin = include_str!("../../../requirements-oracle.txt")
        .lines()
        .find_map(|l| l.trim().strip_prefix("numpy=="))
        .expect("requirements-oracle.txt pins numpy");
    // NPY_ORACLE_VENV may point at another NumPy on purpose; the default venv must match.
    if std::env::var_os("NPY_ORACLE_VENV").is_none() {
        assert_eq!(numpy_version(), pin);
    } else {
        assert!(numpy_version().starts_with(|c: char| c.is_ascii_digit()));
    }
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn header_bytes_f8_vector() {
    let h = header_bytes("'<f8'", "(3,)", false, None).unwrap();
    assert_eq!(h.len(), 128);
    assert_eq!(h, f8_3_header());
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn header_bytes_structured_and_explicit_versions() {
    let h = header_bytes(
        "[('a','<i4'),('b','>f8',(2,3))]",
        "(2, 5)",
        true,
        Some((3, 0)),
    )
    .unwrap();
    assert_eq!(&h[..8], b"\x93NUMPY\x03\x00");
    let hlen = u32::from_le_bytes(h[8..12].try_into().unwrap());
    assert_eq!(usize::try_from(hlen).unwrap() + 12, h.len());
    assert_eq!(h.len() % 64, 0);
    let text = std::str::from_utf8(&h[12..]).unwrap();
    assert!(
        text.starts_with(
            "{'descr': [('a', '<i4'), ('b', '>f8', (2, 3))], 'fortran_order': True, 'shape': (2, 5), }"
        ),
        "{text:?}"
    );
    assert!(text.ends_with(" \n"));

    // Padding bytes of an offsets dtype appear as ('', '|V4') entries.
    let h = header_bytes(
        "{'names':['a'],'formats':['<f8'],'offsets':[4],'itemsize':16}",
        "()",
        false,
        Some((2, 0)),
    )
    .unwrap();
    assert_eq!(&h[..8], b"\x93NUMPY\x02\x00");
    let text = std::str::from_utf8(&h[12..]).unwrap();
    assert!(
        text.starts_with("{'descr': [('', '|V4'), ('a', '<f8'), ('', '|V4')], 'fortran_order': False, 'shape': (), }"),
        "{text:?}"
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn header_bytes_picks_version_2_for_long_headers_without_raising() {
    // 6000 fields make the header longer than the 65535 bytes version 1.0 allows;
    // NumPy warns "Stored array in format 2.0", which must not turn into an error.
    let h = header_bytes(
        "[('f%d' % i, '<i4') for i in range(6000)]",
        "(1,)",
        false,
        None,
    )
    .unwrap();
    assert_eq!(&h[..8], b"\x93NUMPY\x02\x00");
    // Forcing 1.0 is NumPy's ValueError.
    let err = header_bytes(
        "[('f%d' % i, '<i4') for i in range(6000)]",
        "(1,)",
        false,
        Some((1, 0)),
    )
    .unwrap_err();
    assert!(err.starts_with("ValueError: Header length"), "{err}");
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn header_bytes_errors() {
    let err = header_bytes("'<f8'", "(3,)", false, Some((4, 0))).unwrap_err();
    assert_eq!(
        err,
        "ValueError: we only support format version (1,0), (2,0), and (3,0), not (4, 0)"
    );
    let err = header_bytes("'not a dtype'", "(3,)", false, None).unwrap_err();
    assert!(
        err.starts_with("TypeError: data type 'not a dtype' not understood"),
        "{err}"
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn read_header_f8_vector() {
    let mut file = f8_3_header();
    file.extend_from_slice(&[0u8; 24]);
    let info = read_header(&file).unwrap();
    assert_eq!(
        info,
        HeaderInfo {
            version: (1, 0),
            shape: vec![3],
            fortran_order: false,
            descr_str: "<f8".into(),
            itemsize: 8,
            descr: json!("<f8"),
            fields: None,
            data_offset: 128,
            warnings: vec![],
        }
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn read_header_structured_with_titles_and_padding() {
    let h = header_bytes(
        "{'names':['a','b'],'formats':['<i2',('>f4',(2,))],'offsets':[2,8],'titles':['T',None],'itemsize':20}",
        "(4,)",
        false,
        None,
    )
    .unwrap();
    let info = read_header(&h).unwrap();
    assert_eq!(info.itemsize, 20);
    assert_eq!(info.descr_str, "|V20");
    assert_eq!(
        info.descr,
        json!([
            ["", "|V2"],
            [["T", "a"], "<i2"],
            ["", "|V4"],
            ["b", ">f4", [2]],
            ["", "|V4"]
        ])
    );
    assert_eq!(
        info.fields,
        Some(vec![
            FieldInfo {
                name: "a".into(),
                offset: 2,
                itemsize: 2,
                title: Some("T".into()),
                descr_str: "<i2".into(),
            },
            FieldInfo {
                name: "b".into(),
                offset: 8,
                itemsize: 8,
                title: None,
                descr_str: "|V8".into(),
            },
        ])
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn read_header_python2_long_suffix_warns() {
    let h = v1_header("{'descr': '<i8', 'fortran_order': False, 'shape': (3L, 4L), }");
    let info = read_header(&h).unwrap();
    assert_eq!(info.shape, vec![3, 4]);
    assert_eq!(info.warnings.len(), 1);
    assert!(
        info.warnings[0].starts_with(
            "UserWarning: Reading `.npy` or `.npz` file required additional header parsing"
        ),
        "{:?}",
        info.warnings
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn read_header_errors() {
    let mut bad = f8_3_header();
    bad[0] = b'X';
    assert_eq!(
        read_header(&bad).unwrap_err(),
        "ValueError: the magic string is not correct; expected b'\\x93NUMPY', got b'XNUMPY'"
    );
    let err = read_header(b"\x93NUM").unwrap_err();
    assert!(
        err.starts_with("ValueError: EOF: reading magic string"),
        "{err}"
    );

    let bad_order = v1_header("{'descr': '<f8', 'fortran_order': 0, 'shape': (3,), }");
    assert_eq!(
        read_header(&bad_order).unwrap_err(),
        "ValueError: fortran_order is not a valid bool: 0"
    );
    let bad_keys = v1_header("{'descr': '<f8', 'shape': (3,), }");
    assert_eq!(
        read_header(&bad_keys).unwrap_err(),
        "ValueError: Header does not contain the correct keys: ['descr', 'shape']"
    );
    let bad_descr = v1_header("{'descr': 5, 'fortran_order': False, 'shape': (3,), }");
    assert_eq!(
        read_header(&bad_descr).unwrap_err(),
        "ValueError: descr is not a valid dtype descriptor: 5"
    );
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn read_header_limit() {
    let h = header_bytes(
        "[('f%d' % i, '<i4') for i in range(1000)]",
        "(1,)",
        false,
        None,
    )
    .unwrap();
    assert!(h.len() > 10_000);
    let err = read_header_with_limit(&h, None).unwrap_err();
    assert!(err.starts_with("ValueError: Header info length ("), "{err}");
    assert!(read_header_with_limit(&h, Some(1_000_000)).is_ok());
    assert!(read_header(&h).is_ok());
    let small = f8_3_header();
    assert!(read_header_with_limit(&small, Some(117)).is_err());
    assert!(read_header_with_limit(&small, Some(118)).is_ok());
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn read_header_huge_shape() {
    let h = header_bytes("'<u1'", "(2**70, 0)", false, None).unwrap();
    assert_eq!(read_header(&h).unwrap().shape, vec![1i128 << 70, 0]);
    let h = header_bytes("'<u1'", "(2**130,)", false, None).unwrap();
    assert!(read_header(&h).unwrap_err().starts_with("OracleError:"));
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn dtype_info_values_and_warnings() {
    assert_eq!(
        dtype_info("'>i2'").unwrap(),
        DtypeInfo {
            str_: ">i2".into(),
            itemsize: 2,
            warnings: vec![]
        }
    );
    let info = dtype_info("[('a', '<f8', (2, 3))]").unwrap();
    assert_eq!((info.str_.as_str(), info.itemsize), ("|V48", 48));
    let err = dtype_info("'<q9'").unwrap_err();
    assert!(
        err.starts_with("TypeError: data type '<q9' not understood"),
        "{err}"
    );
    // A warning from dtype construction is recorded, not raised.
    let info = dtype_info("warnings.warn('probe', DeprecationWarning) or '<f4'").unwrap();
    assert_eq!(info.str_, "<f4");
    assert_eq!(info.warnings, vec!["DeprecationWarning: probe".to_owned()]);
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn eval_json_basics() {
    assert_eq!(
        eval_json("result = {'v': fmt.MAGIC_PREFIX.hex(), 'n': np.int64(7), 'a': np.arange(3)}")
            .unwrap(),
        json!({"v": "934e554d5059", "n": 7, "a": [0, 1, 2]})
    );
    assert_eq!(
        eval_json("result = fmt_impl._MAX_HEADER_SIZE").unwrap(),
        json!(10000)
    );
    assert_eq!(
        eval_json("raise KeyError('k')").unwrap_err(),
        "KeyError: 'k'"
    );
    assert!(eval_json("x = 1").unwrap_err().starts_with("OracleError:"));
    assert!(eval_json("result = float('nan')")
        .unwrap_err()
        .starts_with("ValueError:"));
    assert!(eval_json("result = b'x'")
        .unwrap_err()
        .starts_with("TypeError:"));
}

#[test]
#[cfg_attr(not(feature = "oracle"), ignore = "asks NumPy (--features oracle)")]
fn load_array_json_round_trip() {
    let code =
        "buf = io.BytesIO(); np.save(buf, np.arange(6, dtype='>u2').reshape(2, 3, order='F')); \
                result = buf.getvalue().hex()";
    let hex = eval_json(code).unwrap();
    let file = decode_hex(hex.as_str().unwrap());
    let v = load_array_json(&file).unwrap();
    assert_eq!(v["shape"], json!([2, 3]));
    assert_eq!(v["dtype"], json!(">u2"));
    assert_eq!(v["fortran"], json!(true));
    // reshape(order='F') gives [[0, 2, 4], [1, 3, 5]]; C-order bytes, big-endian u16.
    assert_eq!(v["data_hex"], json!("000000020004000100030005"));

    let mut f8 = f8_3_header();
    f8.extend_from_slice(&1.5f64.to_le_bytes());
    let err = load_array_json(&f8).unwrap_err();
    assert!(err.starts_with("ValueError:"), "{err}");
}

#[test]
fn install_hint_is_exact() {
    assert_eq!(
        INSTALL_HINT,
        "run `cargo xtask setup` (creates .venv with the pinned NumPy) or set NPY_ORACLE_VENV to a virtualenv that has numpy"
    );
}

#[test]
fn decode_hex_works() {
    assert_eq!(decode_hex("00ff7a"), vec![0, 255, 0x7a]);
}
