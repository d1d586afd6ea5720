# Helper module executed inside the interpreter embedded by the npy-oracle crate
# (see lib.rs). It is loaded only after lib.rs has put the oracle virtualenv's
# site-packages on sys.path and checked that numpy imports.
#
# Every public function returns a JSON string: {"ok": <value>} on success or
# {"err": "ExceptionType: message"} when NumPy (or the caller's code) raised.
# Keeping the boundary string-based keeps the Rust side free of pyo3 types.

import io
import json
import warnings

import numpy as np
import numpy.lib.format as fmt

# NumPy 2 keeps the private helpers (_write_array_header, _read_array_header,
# _check_version, _MAX_HEADER_SIZE) in numpy.lib._format_impl; numpy.lib.format
# only re-exports the public names. NumPy 1.x has them all in numpy.lib.format.
try:
    import numpy.lib._format_impl as fmt_impl
except ImportError:
    fmt_impl = fmt


def _err(e):
    return json.dumps({"err": f"{type(e).__name__}: {e}"})


def _ok(value):
    return json.dumps({"ok": value}, allow_nan=False)


def _namespace():
    return {"np": np, "fmt": fmt, "fmt_impl": fmt_impl, "io": io, "json": json,
            "warnings": warnings}


def _json_default(o):
    # NumPy scalars and arrays are the only non-JSON values we convert.
    if isinstance(o, (np.generic, np.ndarray)):
        return o.tolist()
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _descr_to_json(d):
    if isinstance(d, (str, int)):
        return d
    if isinstance(d, (tuple, list)):
        return [_descr_to_json(x) for x in d]
    return repr(d)


def _warning_strings(caught):
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def numpy_version():
    return _ok(np.__version__)


def eval_json(code):
    ns = _namespace()
    try:
        exec(code, ns)
    except Exception as e:  # noqa: BLE001 - every exception is reported
        return _err(e)
    if "result" not in ns:
        return json.dumps({"err": "OracleError: the code did not assign a variable named `result`"})
    try:
        return json.dumps({"ok": ns["result"]}, allow_nan=False, default=_json_default)
    except Exception as e:  # noqa: BLE001
        return _err(e)


def header_bytes(dtype_expr, shape_expr, fortran_order, version):
    ns = _namespace()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dt = np.dtype(eval(dtype_expr, ns))
            shape = tuple(eval(shape_expr, ns))
            # Exactly what header_data_from_array_1_0 builds for an array.
            d = {
                "shape": shape,
                "fortran_order": bool(fortran_order),
                "descr": fmt.dtype_to_descr(dt),
            }
            # Same as numpy.lib.format.write_array: validate, then write.
            fmt_impl._check_version(version)
            buf = io.BytesIO()
            fmt_impl._write_array_header(buf, d, version)
    except Exception as e:  # noqa: BLE001
        return _err(e)
    return _ok(buf.getvalue().hex())


def _field_infos(dtype):
    if dtype.names is None:
        return None
    out = []
    for name in dtype.names:
        entry = dtype.fields[name]
        fdt, offset = entry[0], entry[1]
        title = entry[2] if len(entry) > 2 else None
        if title is not None and not isinstance(title, str):
            title = repr(title)
        out.append({
            "name": name,
            "offset": int(offset),
            "itemsize": int(fdt.itemsize),
            "title": title,
            "descr_str": fdt.str,
        })
    return out


def read_header(data, max_header_size):
    f = io.BytesIO(data)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            version = fmt.read_magic(f)
            if max_header_size is None:
                shape, fortran_order, dtype = fmt_impl._read_array_header(f, version)
            else:
                shape, fortran_order, dtype = fmt_impl._read_array_header(
                    f, version, max_header_size=max_header_size)
            descr = fmt.dtype_to_descr(dtype)
    except Exception as e:  # noqa: BLE001
        return _err(e)
    return _ok({
        "version": list(version),
        # Decimal strings: header shapes are arbitrary Python ints.
        "shape": [str(int(x)) for x in shape],
        "fortran_order": bool(fortran_order),
        "descr_str": dtype.str,
        "itemsize": int(dtype.itemsize),
        "descr": _descr_to_json(descr),
        "fields": _field_infos(dtype),
        "data_offset": f.tell(),
        "warnings": _warning_strings(caught),
    })


def dtype_info(expr):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dt = np.dtype(eval(expr, _namespace()))
    except Exception as e:  # noqa: BLE001
        return _err(e)
    return _ok({
        "str": dt.str,
        "itemsize": int(dt.itemsize),
        "warnings": _warning_strings(caught),
    })


def load_array_json(data):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            arr = np.load(io.BytesIO(data))
            payload = arr.tobytes(order="C").hex()
    except Exception as e:  # noqa: BLE001
        return _err(e)
    return _ok({
        "shape": [int(x) for x in arr.shape],
        "dtype": arr.dtype.str,
        # flags.fnc: Fortran-contiguous and not C-contiguous, i.e. the file said
        # fortran_order=True for an array with more than one non-trivial axis.
        "fortran": bool(arr.flags.fnc),
        "data_hex": payload,
        "warnings": _warning_strings(caught),
    })
