//! A dtype as JSON, mirroring NumPy's `numpy.lib.format.dtype_to_descr` exactly,
//! with Python tuples written as JSON lists.
//!
//! * a scalar: its type string, `"<f8"`, `"|S4"`, `"<M8[ns]"`;
//! * a structured type: a list with one entry per field and per gap;
//! * a field: `[name, descr]`, or `[name, descr, shape]` for a subarray field;
//! * a titled field: the same with `[title, name]` as the name;
//! * a gap between fields or at the end: `["", "|Vn"]`;
//! * a subarray field whose base is itself a subarray: the base's descr is
//!   `[base, shape]`, as NumPy keeps it nested.
//!
//! So `json.loads(output)` in Python, with lists turned back into tuples, is
//! `dtype_to_descr(dtype)`.

use npy_header::Dtype;
use serde_json::Value;

/// The descr of `dtype` as JSON (see the module docs).
///
/// ```
/// use npy_cli::descr::descr_to_json;
/// use npy_header::{ByteOrder, Dtype, Kind, Scalar};
///
/// let f8 = Dtype::Scalar(Scalar::new(Kind::Float, ByteOrder::Big, 8).unwrap());
/// assert_eq!(descr_to_json(&f8), serde_json::json!(">f8"));
/// ```
pub fn descr_to_json(dtype: &Dtype) -> Value {
    match dtype {
        Dtype::Scalar(s) => Value::String(s.to_string()),
        Dtype::Subarray { base, shape } => Value::Array(vec![descr_to_json(base), dims(shape)]),
        Dtype::Record { fields, itemsize } => {
            let mut out = Vec::with_capacity(fields.len());
            let mut offset = 0u64;
            for f in fields {
                if f.offset > offset {
                    out.push(padding(f.offset - offset));
                }
                let name = match &f.title {
                    Some(title) => {
                        Value::Array(vec![title.as_str().into(), f.name.as_str().into()])
                    }
                    None => f.name.as_str().into(),
                };
                out.push(Value::Array(match &f.dtype {
                    Dtype::Subarray { base, shape } => vec![name, descr_to_json(base), dims(shape)],
                    other => vec![name, descr_to_json(other)],
                }));
                offset = f.offset + f.dtype.itemsize();
            }
            if *itemsize > offset {
                out.push(padding(itemsize - offset));
            }
            Value::Array(out)
        }
    }
}

fn padding(n: u64) -> Value {
    Value::Array(vec!["".into(), format!("|V{n}").into()])
}

fn dims(shape: &[u64]) -> Value {
    Value::Array(shape.iter().map(|&d| d.into()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dtype of a header whose descr is `descr` (Python literal text).
    fn dtype(descr: &str) -> Dtype {
        let text = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (), }}\n");
        let mut file = b"\x93NUMPY\x03\x00".to_vec();
        file.extend_from_slice(&u32::try_from(text.len()).unwrap().to_le_bytes());
        file.extend_from_slice(text.as_bytes());
        npy_header::parse(&file).unwrap().header.into_dtype()
    }

    /// Each case: the descr as NumPy 2.4.6 writes it, and
    /// `json.dumps(dtype_to_descr(dtype))` with tuples as lists, from the same NumPy.
    #[test]
    fn matches_numpy() {
        let cases = [
            ("'<f8'", r#""<f8""#),
            ("'>i2'", r#"">i2""#),
            ("'|u1'", r#""|u1""#),
            ("'<U5'", r#""<U5""#),
            ("'<M8[ns]'", r#""<M8[ns]""#),
            ("'|b1'", r#""|b1""#),
            ("'|S4'", r#""|S4""#),
            (
                "[(('Identifier', 'id'), '<u4'), ('pos', [('x', '<f4'), ('y', '<f4')]), ('samples', '<i2', (2, 3)), ('grid', ('|u1', (2,)), (3,)), ('tag', '|S4')]",
                r#"[[["Identifier","id"],"<u4"],["pos",[["x","<f4"],["y","<f4"]]],["samples","<i2",[2,3]],["grid",["|u1",[2]],[3]],["tag","|S4"]]"#,
            ),
            (
                "[('a', '<i4'), ('', '|V4'), ('b', '<f8'), ('c', '|u1'), ('', '|V7')]",
                r#"[["a","<i4"],["","|V4"],["b","<f8"],["c","|u1"],["","|V7"]]"#,
            ),
            (
                "[('', '|V4'), (('T', 'a'), '<i4'), ('', '|V4'), ('b', [('', '|V2'), ('x', '<i2'), ('', '|V2')]), ('', '|V2')]",
                r#"[["","|V4"],[["T","a"],"<i4"],["","|V4"],["b",[["","|V2"],["x","<i2"],["","|V2"]]],["","|V2"]]"#,
            ),
            ("[('温度', '<f8')]", r#"[["温度","<f8"]]"#),
            (
                "[('a', '<f8', (2, 2)), ('b', '<i4', (3,))]",
                r#"[["a","<f8",[2,2]],["b","<i4",[3]]]"#,
            ),
        ];
        for (descr, json) in cases {
            let dtype = dtype(descr);
            assert_eq!(descr_to_json(&dtype).to_string(), json, "{descr}");
            // And the crate writes the descr back as NumPy does, so the two agree.
            assert_eq!(dtype.to_descr(), descr);
        }
    }

    #[test]
    fn normalises_as_numpy_does() {
        // NumPy reads these and writes the canonical form; so does the JSON.
        assert_eq!(descr_to_json(&dtype("'u1'")), Value::from("|u1"));
        assert_eq!(
            descr_to_json(&dtype("[('a', '<i4', 2)]")),
            serde_json::json!([["a", "<i4", [2]]])
        );
        // Unnamed void fields are padding and come back as such.
        assert_eq!(
            descr_to_json(&dtype("[('', '|V3'), ('b', '|u1')]")),
            serde_json::json!([["", "|V3"], ["b", "|u1"]])
        );
    }

    #[test]
    fn top_level_subarray() {
        // Never parsed from a header (NumPy writes those as '|Vn'), but built by hand.
        let base = dtype("'<i2'");
        let sub = Dtype::Subarray {
            base: Box::new(base),
            shape: vec![2, 3],
        };
        assert_eq!(descr_to_json(&sub), serde_json::json!(["<i2", [2, 3]]));
    }
}
