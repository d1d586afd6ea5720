//! A header's `descr` value interpreted as NumPy's `descr_to_dtype` does: a type string,
//! or a list of fields with titles, padding and subarrays.

use crate::dtype::{subarray_of, Dtype, FieldError, Kind, RecordBuilder, Scalar, MAX_ITEMSIZE};
use crate::error::{Error, ErrorKind};
use crate::literal::{Node, Value};
use crate::typestr::parse_type_str;

/// Limits and state threaded through descr interpretation.
pub(crate) struct DescrCtx {
    pub max_fields: u32,
    pub max_dims: u32,
    pub fields_seen: u64,
    /// Offset of the first deprecated type code, for a warning.
    pub deprecated_at: Option<u64>,
}

fn descr_err(node: &Node, msg: impl Into<String>) -> Error {
    Error::at(ErrorKind::InvalidDescr, node.offset, msg)
}

/// Interprets the `descr` value as `numpy.lib.format.descr_to_dtype` does (`D-1`).
/// A top-level subarray tuple is rejected (`DIFF-5`): np.load cannot load it.
pub(crate) fn descr_from_value(node: &Node, ctx: &mut DescrCtx) -> Result<Dtype, Error> {
    match &node.value {
        Value::Str(s) => {
            let (scalar, deprecated) = parse_type_str(s).map_err(|m| descr_err(node, m))?;
            if deprecated {
                ctx.deprecated_at.get_or_insert(node.offset);
            }
            Ok(Dtype::Scalar(scalar))
        }
        Value::List(items) => record_from_items(items, ctx),
        Value::Tuple(_) => Err(descr_err(
            node,
            "a (type, shape) subarray tuple is allowed only as a field's type, not as the whole descr (NumPy writes such arrays as '|V<n>')",
        )),
        other => Err(descr_err(
            node,
            format!(
                "descr must be a type string or a list of fields, not a {}",
                other.type_name()
            ),
        )),
    }
}

/// A field's type: a type string, a nested list of fields, or a `(type, shape)` tuple.
fn field_type_from_value(node: &Node, ctx: &mut DescrCtx) -> Result<Dtype, Error> {
    match &node.value {
        Value::Tuple(parts) => {
            if parts.len() != 2 {
                return Err(descr_err(
                    node,
                    format!(
                        "a subarray type is a (type, shape) pair, not a {}-tuple",
                        parts.len()
                    ),
                ));
            }
            let base = field_type_from_value(&parts[0], ctx)?;
            subarray(node, base, &parts[1], ctx)
        }
        _ => descr_from_value(node, ctx),
    }
}

/// `np.dtype((base, shape))`: an int or a tuple/list of non-negative ints; `()` is the
/// base itself; the total size must fit NumPy's C `int`.
fn subarray(node: &Node, base: Dtype, shape: &Node, ctx: &DescrCtx) -> Result<Dtype, Error> {
    // np.dtype((base, [])) is not a subarray: NumPy reads a list that is not a list of
    // ints as a second dtype viewing the same bytes (`DIFF-19`), here an empty structure.
    if matches!(&shape.value, Value::List(items) if items.is_empty()) {
        return Err(descr_err(
            shape,
            "an empty list is not a subarray shape (NumPy reads it as an empty structure over the type); write () for no subarray",
        ));
    }
    // NumPy reads a list of ints as it reads a tuple; any other list (of fields) as a
    // second dtype over the same bytes, which the shape checks below refuse (DIFF-19).
    let int_or_tuple_like = || match &shape.value {
        Value::Int(_) | Value::Tuple(_) => true,
        Value::List(items) => items.iter().all(|v| matches!(v.value, Value::Int(_))),
        _ => false,
    };
    if base.is_unsized_flexible() && int_or_tuple_like() {
        // NumPy's old spelling of a sized flexible type: ('S', 3) is 'S3', ('U', 3) is
        // 'U3'. With a tuple shape NumPy refuses it.
        return match (&base, &shape.value) {
            (Dtype::Scalar(s), Value::Int(i)) => {
                let n = dim_value(shape, *i)?;
                let per_char = if s.kind == Kind::Unicode { 4 } else { 1 };
                match n.checked_mul(per_char) {
                    Some(size) if size <= MAX_ITEMSIZE => Ok(Dtype::Scalar(Scalar {
                        itemsize: size,
                        ..s.clone()
                    })),
                    _ => Err(descr_err(
                        node,
                        format!("type is larger than the largest item NumPy supports ({MAX_ITEMSIZE} bytes)"),
                    )),
                }
            }
            // A base of 0 bytes that is itself a subarray: NumPy reads it as a type of n
            // bytes that keeps the base's shape, and writes it back with neither (DIFF-16).
            (_, Value::Int(_)) => Err(descr_err(
                node,
                "a subarray of a zero-byte subarray with an int shape is not supported: NumPy reads it as an item of that many bytes holding an empty array, which it cannot write back",
            )),
            (Dtype::Scalar(_), _) => Err(descr_err(
                node,
                "a subarray of a zero-size string or void type with a tuple shape is invalid (NumPy: \"invalid itemsize in generic type tuple\")",
            )),
            _ => Err(descr_err(
                node,
                "a subarray of a zero-byte subarray with a tuple shape is invalid (NumPy: \"invalid itemsize in generic type tuple\")",
            )),
        };
    }
    let dims: Vec<u64> = match &shape.value {
        Value::Int(i) => vec![dim_value(shape, *i)?],
        Value::Tuple(items) | Value::List(items) => {
            if items.len() > ctx.max_dims as usize {
                return Err(Error::at(
                    ErrorKind::TooManyDims {
                        limit: ctx.max_dims,
                    },
                    shape.offset,
                    format!(
                        "subarray shape has {} dimensions, more than the limit of {}",
                        items.len(),
                        ctx.max_dims
                    ),
                ));
            }
            items
                .iter()
                .map(|d| match &d.value {
                    Value::Int(i) => dim_value(d, *i),
                    other => Err(descr_err(
                        d,
                        format!(
                            "subarray dimension must be an int, not a {}",
                            other.type_name()
                        ),
                    )),
                })
                .collect::<Result<_, _>>()?
        }
        other => {
            return Err(descr_err(
                shape,
                format!(
                    "subarray shape must be an int or a tuple of ints, not a {}",
                    other.type_name()
                ),
            ))
        }
    };
    subarray_of(base, dims).map_err(|m| descr_err(node, m))
}

fn dim_value(node: &Node, i: crate::literal::Int) -> Result<u64, Error> {
    if i.negative {
        return Err(descr_err(node, "subarray dimension is negative"));
    }
    match i.magnitude {
        Some(m) if m <= MAX_ITEMSIZE => Ok(m),
        _ => Err(descr_err(node, "subarray dimension is too large")),
    }
}

fn record_from_items(items: &[Node], ctx: &mut DescrCtx) -> Result<Dtype, Error> {
    let mut record = RecordBuilder::default();
    for item in items {
        ctx.fields_seen += 1;
        if ctx.fields_seen > u64::from(ctx.max_fields) {
            return Err(Error::at(
                ErrorKind::TooManyFields {
                    limit: ctx.max_fields,
                },
                item.offset,
                format!("descr has more than the limit of {} fields", ctx.max_fields),
            ));
        }
        let parts = match &item.value {
            Value::Tuple(p) | Value::List(p) if p.len() == 2 || p.len() == 3 => p,
            Value::Tuple(p) | Value::List(p) => {
                return Err(descr_err(
                    item,
                    format!(
                        "a field is (name, type) or (name, type, shape), not {} items",
                        p.len()
                    ),
                ))
            }
            other => {
                return Err(descr_err(
                    item,
                    format!("a field must be a tuple, not a {}", other.type_name()),
                ))
            }
        };
        let (title, name) = match &parts[0].value {
            Value::Str(n) => (None, n.clone()),
            Value::Tuple(tn) if tn.len() == 2 => match (&tn[0].value, &tn[1].value) {
                (Value::Str(t), Value::Str(n)) => (Some(t.clone()), n.clone()),
                // NumPy's dict form takes a None title as no title.
                (Value::None, Value::Str(n)) => (None, n.clone()),
                (_, Value::Str(_)) => {
                    return Err(descr_err(&tn[0], "a field title must be a string"))
                }
                _ => return Err(descr_err(&tn[1], "field names must be strings")),
            },
            Value::Tuple(_) => {
                return Err(descr_err(
                    &parts[0],
                    "a titled field name is a (title, name) pair",
                ))
            }
            _ => return Err(descr_err(&parts[0], "field names must be strings")),
        };
        let mut dtype = field_type_from_value(&parts[1], ctx)?;
        if let Some(shape) = parts.get(2) {
            dtype = subarray(item, dtype, shape, ctx)?;
        }
        record.add(name, title, dtype).map_err(|e| match e {
            FieldError::Clash(m) => descr_err(&parts[0], m),
            FieldError::TooLarge(m) => descr_err(item, m),
        })?;
    }
    Ok(record.finish())
}
