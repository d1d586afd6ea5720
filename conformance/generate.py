#!/usr/bin/env python3
"""Write the conformance corpus: conformance/corpus/**.npy and conformance/manifest.json.

Run from anywhere, with the Python that has the NumPy pinned in
requirements-oracle.txt (``cargo xtask setup`` creates it):

    .venv/bin/python conformance/generate.py            # rewrite the committed corpus
    .venv/bin/python conformance/generate.py --out DIR  # write a fresh copy into DIR

Every case states its expected verdict (accept, accept-with-warning, reject), the
requirement ids of spec/npy-format.md it exercises and, for accepted files, what a
reader must report: version, descr, fortran_order, resolved shape and the SHA-256 of
the data bytes. The expectations are written here by hand (or, for files NumPy
writes, taken from the array that was saved); they are then checked against NumPy
through adapters/numpy_adapter.py, and the script stops if NumPy disagrees with a
case without the disagreement being declared as a known difference (a deliberate
difference of the spec's section 12, or NumPy's refusal of version 4.0).

The output is deterministic: no randomness, no timestamps, explicit byte orders;
running the script twice gives the same bytes.
"""

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import struct
import sys
import warnings
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = ROOT / "spec" / "npy-format.md"
sys.path.insert(0, str(HERE / "adapters"))
import numpy_adapter  # noqa: E402  (the adapter doubles as the generator's check)

DEFAULT_MAX_HEADER_LEN = 10000
MAGIC = b"\x93NUMPY"
ACCEPT, WARN, REJECT = "accept", "accept-with-warning", "reject"
DIRS = {ACCEPT: "accept", WARN: "warn", REJECT: "reject"}

CASES = []
NAMES = set()


# --- building blocks ---------------------------------------------------------------


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def pattern(n, seed=0):
    """n deterministic bytes that are not all alike (data for hand-made files)."""
    return bytes((i * 131 + 7 + seed * 17) % 251 for i in range(n))


def bools(n):
    return bytes((i * 7 + 3) % 3 == 0 for i in range(n))


def preamble(version, hlen):
    major, minor = version
    if (major, minor) == (1, 0):
        return MAGIC + bytes([1, 0]) + struct.pack("<H", hlen)
    return MAGIC + bytes([major, minor]) + struct.pack("<I", hlen)


def raw_file(version, text, data=b"", encoding=None):
    """A file whose header text is exactly `text` (str or bytes), no padding added."""
    if isinstance(text, str):
        text = text.encode(encoding or ("latin1" if version[0] < 3 else "utf8"))
    return preamble(version, len(text)) + text + data


def padded_file(version, text, data=b"", encoding=None):
    """A file whose header text is `text` padded with spaces and a newline so that the
    data starts on a multiple of 64, as NumPy pads (never by zero bytes)."""
    if isinstance(text, str):
        text = text.encode(encoding or ("latin1" if version[0] < 3 else "utf8"))
    pre = 10 if version == (1, 0) else 12
    hlen = len(text) + 1
    pad = 64 - ((pre + hlen) % 64)
    return preamble(version, hlen + pad) + text + b" " * pad + b"\n" + data


def dict_text(descr, fortran, shape):
    """NumPy's dict text for the given Python-literal parts (W-1), without spare space."""
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


def numpy_layout(version, descr, fortran, shape, growth_digits, data=b""):
    """A header laid out exactly as NumPy lays it out (W-1..W-5), for a dict given as
    text; `growth_digits` is the length of the growth-axis entry (None for shape ())."""
    text = dict_text(descr, fortran, shape)
    if growth_digits is not None:
        text += " " * max(0, 21 - growth_digits)
    return padded_file(version, text, data)


def header_v4(dtype, fortran, shape, data=b""):
    """A 4.0 file as section 7 of the spec defines it: NumPy's 3.0 layout with -1 on the
    growth axis, then the major version byte set to 4."""
    descr = repr(npformat.dtype_to_descr(np.dtype(dtype)))
    growth = shape[-1] if fortran else shape[0]
    text = dict_text(descr, fortran, repr(tuple(shape)))
    text += " " * (21 - len(repr(growth)))
    f = padded_file((3, 0), text, data)
    return f[:6] + b"\x04" + f[7:]


def saved(arr, version=None, allow_pickle=False):
    """What NumPy writes for `arr` (np.save, or write_array for a given version)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if version is None:
            np.save(buf, arr, allow_pickle=allow_pickle)
        else:
            npformat.write_array(buf, arr, version=version, allow_pickle=allow_pickle)
    return buf.getvalue()


def to_json(descr):
    """NumPy's descr (str or list of tuples) with tuples as lists: `npy inspect --json`."""
    if isinstance(descr, (list, tuple)):
        return [to_json(x) for x in descr]
    return descr


def expected(version, dtype, fortran, shape, data):
    dtype = np.dtype(dtype)
    return {
        "version": "%d.%d" % version,
        "descr": to_json(npformat.dtype_to_descr(dtype)),
        "fortran_order": bool(fortran),
        "shape": [int(d) for d in shape],
        "data_sha256": sha256(data),
    }


def file_version(b):
    return (b[6], b[7])


def data_of(b):
    """The bytes after the header of a file with a valid preamble."""
    if file_version(b) == (1, 0):
        hlen = struct.unpack("<H", b[8:10])[0]
        return b[10 + hlen :]
    hlen = struct.unpack("<I", b[8:12])[0]
    return b[12 + hlen :]


def slug(name):
    """A file name that no case-insensitive file system confuses with another."""
    return name.lower() + "_cap" if name != name.lower() else name


def add(name, reqs, verdict, content, what, *, expect=None, numpy=None, source="hand",
        max_header_len=None):
    """Registers one case. `numpy` is (verdict, why) when NumPy's verdict differs."""
    name = slug(name)
    assert name not in NAMES, name
    assert re.fullmatch(r"[a-z0-9_.-]+", name), name
    assert verdict in DIRS
    assert (expect is None) == (verdict == REJECT), name
    NAMES.add(name)
    CASES.append(
        dict(
            name=name,
            reqs=list(reqs),
            verdict=verdict,
            content=bytes(content),
            what=what,
            expect=expect,
            numpy=numpy,
            source=source,
            max_header_len=max_header_len,
        )
    )


def add_saved(name, reqs, arr, what, *, version=None, verdict=ACCEPT, allow_pickle=False,
              numpy=None, source="numpy", max_header_len=None):
    """A file written by NumPy; the expectation comes from the array itself."""
    b = saved(arr, version=version, allow_pickle=allow_pickle)
    fortran = bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)
    if arr.dtype.hasobject:
        data = data_of(b)
    else:
        data = arr.tobytes(order="F" if fortran else "C")
        assert data_of(b) == data, name
    exp = expected(file_version(b), arr.dtype, fortran, arr.shape, data)
    add(name, reqs, verdict, b, what, expect=exp, numpy=numpy, source=source,
        max_header_len=max_header_len)


def add_text(name, reqs, verdict, version, text, what, *, dtype=None, shape=None,
             fortran=False, data=None, pad=True, numpy=None, encoding=None,
             max_header_len=None, source="hand"):
    """A hand-made file from a header text. For accepted files `dtype` and `shape` give
    the meaning a reader must find; the data is generated to fit."""
    exp = None
    if verdict != REJECT:
        n = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
        if data is None:
            data = bools(n) if np.dtype(dtype) == np.bool_ else pattern(n)
        exp = expected(version, dtype, fortran, shape, data[:n])
    elif numpy and numpy[0] == "accept":
        # NumPy reads this header: give the file the data NumPy's reading needs, so
        # that NumPy accepts the whole file, not just its header.
        bare = (padded_file if pad else raw_file)(version, text, b"", encoding)
        try:
            nshape, _, ndtype = numpy_adapter.read_header_only(io.BytesIO(bare), max_header_len or 1 << 20)
            data = pattern(int(np.prod(nshape, dtype=object)) * ndtype.itemsize)
        except Exception:  # noqa: BLE001 (the NumPy check below reports the case)
            data = data or b""
    elif data is None:
        data = b""
    build = padded_file if pad else raw_file
    add(name, reqs, verdict, build(version, text, data, encoding), what, expect=exp,
        numpy=numpy, max_header_len=max_header_len, source=source)


def hdr(descr="'<f8'", fortran="False", shape="()", trailing=", "):
    """A header dict in NumPy's key order with the given Python-literal values."""
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s%s}" % (descr, fortran, shape, trailing)


# --- the cases ------------------------------------------------------------------------

SCALARS = [
    ("u1", np.uint8), ("i1", np.int8), ("u2", np.uint16), ("i2", np.int16),
    ("u4", np.uint32), ("i4", np.int32), ("u8", np.uint64), ("i8", np.int64),
    ("f4", np.float32), ("f8", np.float64), ("c8", np.complex64), ("c16", np.complex128),
]


def numpy_basic_arrays():
    """The basic arrays of NumPy's own test_format.py (every scalar type in both byte
    orders: empty, 0-d, 1-d, 2-d C, 2-d Fortran, 2-d non-contiguous), smaller."""
    for code, scalar in SCALARS:
        for endian, e in (("<", "le"), (">", "be")):
            dtype = np.dtype(scalar).newbyteorder(endian)
            if dtype.itemsize == 1 and e == "be":
                continue  # one-byte types have no byte order: '|u1' either way
            basic = np.arange(60).astype(dtype)
            arrays = [
                ("empty", np.array([], dtype=dtype), ["F-6"]),
                ("0d", np.array(10, dtype=dtype), ["F-6"]),
                ("1d", basic, ["F-6"]),
                ("2d_c", basic.reshape((6, 10)), ["F-6", "W-9"]),
                ("2d_f", basic.reshape((6, 10)).T, ["F-6", "W-9"]),
                ("2d_strided", basic.reshape((6, 10))[::-1, ::2], ["W-9"]),
            ]
            for label, arr, reqs in arrays:
                add_saved(
                    "np_basic_%s_%s_%s" % (code, e, label),
                    ["W-12", "D-2", "W-10"] + reqs,
                    arr,
                    "NumPy test_format.py basic array: %s %s, %s" % (dtype.str, label, arr.shape),
                    source="numpy test_format.py (basic_arrays), written by np.save",
                )


def numpy_more_kinds():
    """Every other dtype kind NumPy writes, in both byte orders where there are two."""
    kinds = [
        ("b1", np.array([[True, False, True], [False, False, True]])),
        ("f2_le", np.arange(6, dtype="<f2") / 4),
        ("f2_be", np.arange(6, dtype=">f2") / 4),
        # Long doubles are 10 bytes of x87 number in 16: built from bytes, since
        # arithmetic leaves the 6 padding bytes undefined (not deterministic).
        ("f16_le", np.frombuffer(pattern(64, 1), dtype="<f16")),
        ("c32_le", np.frombuffer(pattern(96, 2), dtype="<c32")),
        ("s5", np.array([b"ab", b"", b"hello"], dtype="S5")),
        ("s1", np.array([b"x", b"y"], dtype="S1")),
        ("u5_le", np.array(["alpha", "", "\u03bc"], dtype="<U5")),
        ("u5_be", np.array(["alpha", "", "\u03bc"], dtype=">U5")),
        ("v8", np.frombuffer(pattern(24), dtype="V8")),
        ("v1", np.frombuffer(pattern(3), dtype="V1")),
        ("m8ns_le", np.array(["2024-01-01T00:00:00", "NaT", "1970-01-01"], dtype="<M8[ns]")),
        ("m8ns_be", np.array(["2024-01-01T00:00:00", "NaT", "1970-01-01"], dtype=">M8[ns]")),
        ("m8d", np.array(["2024-02-29", "1900-01-01"], dtype="<M8[D]")),
        ("m8y", np.array(["2024", "1066"], dtype="<M8[Y]")),
        ("m8_generic", np.array(["NaT", "NaT"], dtype="<M8")),
        ("td_us", np.array([1, -2, 3], dtype="<m8[us]")),
        ("td_25s_be", np.array([1, 2], dtype=">m8[25s]")),
        ("td_generic", np.array([5, 6], dtype="<m8")),
    ]
    for label, arr in kinds:
        add_saved("np_kind_" + label, ["W-12", "W-8", "D-2", "F-6"], arr,
                  "NumPy writes %s, shape %s" % (arr.dtype.str, arr.shape))
    add_saved("np_kind_0d_s3", ["W-12", "D-2", "F-6"], np.array(b"abc", dtype="S3"),
              "a 0-d |S3 array")


def numpy_shapes():
    f8 = np.dtype("<f8")
    shapes = [
        ("0x5", np.zeros((0, 5), f8)),
        ("5x0", np.zeros((5, 0), f8)),
        ("0x0x3", np.zeros((0, 0, 3), f8)),
        ("3d", np.arange(24, dtype=f8).reshape(2, 3, 4)),
        ("3d_f", np.asfortranarray(np.arange(24, dtype=">i2").reshape(2, 3, 4))),
        ("1x1", np.ones((1, 1), f8)),
        ("32dims", np.ones((1,) * 31 + (2,), "<i2")),
        ("64dims", np.ones((1,) * 63 + (2,), "<i2")),
        ("empty_big_dim", np.zeros((0, 2**40), "|u1")),
    ]
    for label, arr in shapes:
        add_saved("np_shape_" + label, ["W-12", "H-5", "H-6", "F-6"], arr,
                  "NumPy writes shape %s" % (arr.shape,))
    add_saved("np_shape_f_empty", ["W-9", "F-6"], np.asfortranarray(np.zeros((0, 3), "<f4")),
              "an empty (0, 3) array: C- and F-contiguous, so fortran_order is False")
    add_saved("np_shape_f_1d", ["W-9"], np.asfortranarray(np.arange(3.0)),
              "a 1-d array is written with fortran_order False even when made Fortran")
    add_saved("np_order_c_transposed_3d", ["W-9"], np.arange(24, dtype="<u2").reshape(2, 3, 4).transpose(1, 0, 2),
              "a non-contiguous 3-d array: written in C order")


def numpy_structured():
    point = np.dtype([("x", "<f4"), ("y", "<f4")])
    cases = [
        ("simple", np.zeros(3, [("a", "<i4"), ("b", ">f8")]), ["D-3", "D-5"]),
        ("nested", np.zeros(2, [("p", point), ("q", [("r", point), ("s", "u1")])]), ["D-3", "D-5"]),
        ("titles", np.zeros(2, np.dtype({"names": ["a", "b"], "formats": ["<i4", "<u2"], "titles": ["Alpha", "Beta"]})), ["D-3", "D-7"]),
        ("padded", np.zeros(3, np.dtype({"names": ["a", "b"], "formats": ["<i4", "<f8"], "offsets": [0, 8], "itemsize": 24})), ["D-4", "D-5", "W-8"]),
        ("aligned", np.zeros(2, np.dtype("i1, i4, i1", align=True)), ["D-4", "D-5"]),
        ("subarray", np.zeros(2, [("a", "<i2", (2, 3)), ("b", "<f4", (4,))]), ["D-6"]),
        ("subarray_of_subarray", np.zeros(2, [("g", ("<u1", (2,)), (3,))]), ["D-6"]),
        ("subarray_of_struct", np.zeros(2, [("s", point, (2,))]), ["D-6"]),
        ("empty_struct", np.zeros(4, np.dtype([])), ["D-3", "D-5"]),
        ("empty_struct_itemsize8", np.zeros(3, np.dtype({"names": [], "formats": [], "itemsize": 8})), ["D-4"]),
        ("quote_in_name", np.zeros(1, [("it's", "<i4"), ('say "hi"', "<i4")]), ["W-2", "D-3"]),
        ("escapes_in_name", np.zeros(1, [("tab\there", "<i4"), ("back\\slash", "u1"), ("nl\n", "u1")]), ["W-2", "D-3"]),
        ("latin1_name", np.zeros(1, [("caf\xe9", "<f8")]), ["F-4", "W-6"]),
        ("zero_size_field", np.zeros(2, [("a", "<i4"), ("z", "<f8", (0,)), ("b", "u1")]), ["D-5", "D-6"]),
        ("s0_field", np.zeros(2, [("a", "S0"), ("b", "<i2")]), ["D-2", "D-5"]),
        ("be_mixed", np.zeros(2, [("a", ">i4"), ("b", "<i4"), ("c", ">c8")]), ["D-2", "D-3"]),
        ("datetime_field", np.zeros(2, [("t", "<M8[ms]"), ("d", ">m8[s]")]), ["D-2", "D-3"]),
    ]
    for label, arr, reqs in cases:
        # Distinct bytes so that the data hash sees the layout.
        arr = np.frombuffer(pattern(arr.nbytes, 3), dtype=arr.dtype).reshape(arr.shape) if arr.nbytes else arr
        add_saved("np_struct_" + label, ["W-12", "W-8"] + reqs, arr,
                  "NumPy writes a structured array: %s" % label)
    arr = np.frombuffer(pattern(2 * 12, 4), dtype=[("\u6e29\u5ea6", "<f8"), ("\u6e7f", "<i4")])
    add_saved("np_struct_utf8_names_v3", ["W-6", "F-4", "W-12"], arr,
              "field names outside latin-1: NumPy chooses format 3.0 (UTF-8)")
    arr = np.frombuffer(pattern(8, 5), dtype=[("\U0001f600", "<f8")])
    add_saved("np_struct_emoji_name_v3", ["W-6", "F-4"], arr, "an astral-plane field name (4 UTF-8 bytes), format 3.0")
    arr = np.frombuffer(pattern(8, 6), dtype=[("e\u0301", "<f8")])
    add_saved("np_struct_combining_name", ["W-2", "S-9"], arr, "a field name with a combining accent, kept as written")
    arr = np.zeros(1, [("rtl\u202e", "<i4"), ("ctl\x01", "<i4")])
    add_saved("np_struct_control_names", ["W-2", "S-9"], arr,
              "field names with a bidi override and a control character (NumPy escapes \\x01, keeps U+202E)")

    # test_format.py record_arrays, test_descr_to_dtype and test_load_padded_dtype dtypes.
    pdescr = [("x", "i4", (2,)), ("y", "f8", (2, 2)), ("z", "u1")]
    pbuf = [([3, 2], [[6.0, 4.0], [6.0, 4.0]], 8), ([4, 3], [[7.0, 5.0], [7.0, 5.0]], 9)]
    ndescr = [
        ("x", "i4", (2,)),
        ("Info", [("value", "c16"), ("y2", "f8"),
                  ("Info2", [("name", "S2"), ("value", "c16", (2,)), ("y3", "f8", (2,)), ("z3", "u4", (2,))]),
                  ("name", "S2"), ("z2", "b1")]),
        ("color", "S2"),
        ("info", [("Name", "U8"), ("Value", "c16")]),
        ("y", "f8", (2, 2)),
        ("z", "u1"),
    ]
    nbuf = [
        ([3, 2], (6j, 6.0, ("nn", [6j, 4j], [6.0, 4.0], [1, 2]), "NN", True), "cc", ("NN", 6j), [[6.0, 4.0], [6.0, 4.0]], 8),
        ([4, 3], (7j, 7.0, ("oo", [7j, 5j], [7.0, 5.0], [2, 1]), "OO", False), "dd", ("OO", 7j), [[7.0, 5.0], [7.0, 5.0]], 9),
    ]
    for e, el in (("<", "le"), (">", "be")):
        add_saved("np_test_record_plain_" + el, ["W-12", "D-3", "D-6"],
                  np.array(pbuf, dtype=np.dtype(pdescr).newbyteorder(e)),
                  "test_format.py record_arrays: Pdescr, %s" % el, source="numpy test_format.py, written by np.save")
        add_saved("np_test_record_nested_" + el, ["W-12", "D-3", "D-6"],
                  np.array(nbuf, dtype=np.dtype(ndescr).newbyteorder(e)),
                  "test_format.py record_arrays: Ndescr (nested), %s" % el, source="numpy test_format.py, written by np.save")
    add_saved("np_test_record_subarray_field", ["D-6"], np.zeros(1, dtype=[("c", ("<f8", (5,)), (2,))]),
              "test_format.py record_arrays: a (2,) subarray of (5,) subarrays", source="numpy test_format.py, written by np.save")
    sub = np.dtype({"names": ["a", "b"], "formats": ["i1", "i1"], "offsets": [0, 4], "itemsize": 8})
    descr_dts = [
        np.dtype([("a", np.int8), ("b", np.int16), ("c", np.int32)], align=True),
        np.dtype([("x", np.dtype((sub, (3,))), (4,))]),
        np.dtype([("x", ("<f8", (5,)), (2,))]),
        np.dtype([("x", np.dtype((np.dtype((sub, (3,))), (4,))))]),
        np.dtype([("a", np.dtype((np.dtype((np.dtype((np.dtype([("a", int), ("b", sub)]), (3,))), (4,))), (5,))))]),
    ]
    for i, dt in enumerate(descr_dts):
        arr = np.frombuffer(pattern(3 * dt.itemsize, 7 + i), dtype=dt)
        add_saved("np_test_descr_to_dtype_%d" % i, ["D-4", "D-5", "D-6", "W-8"], arr,
                  "test_format.py test_descr_to_dtype dtype %d" % i, source="numpy test_format.py, written by np.save")
    dt2 = np.dtype({"names": ["a", "b"], "formats": ["i4", "i4"], "offsets": [1, 6]})
    padded_dts = [
        np.dtype("i1, i4, i1", align=True),
        dt2,
        np.dtype({"names": ["c", "d"], "formats": ["i4", dt2]}),
        np.dtype({"names": ["a", "", "b"], "formats": ["i4"] * 3}),
        np.dtype({"names": ["a", "b"], "formats": ["i4", "i4"], "offsets": [1, 6], "titles": ["aa", "bb"]}),
        np.dtype({"names": [], "formats": [], "itemsize": 8}),
    ]
    for i, dt in enumerate(padded_dts):
        arr = np.zeros(3, dt)
        for j in range(3):
            arr[j] = j + 5
        add_saved("np_test_padded_dtype_%d" % (i + 1), ["D-4", "D-5", "W-8"], arr,
                  "test_format.py test_load_padded_dtype dt%d" % (i + 1), source="numpy test_format.py, written by np.save")
    # test_metadata_dtype: NumPy drops dtype metadata (with a warning) when writing.
    add_saved("np_test_metadata_dropped", ["W-8"], np.ones(4, dtype=np.dtype(int, metadata={"some": "stuff"})),
              "test_format.py test_metadata_dtype: metadata is not written", source="numpy test_format.py, written by np.save")


def numpy_versions_and_sizes():
    arr = np.arange(6, dtype="<i4").reshape(2, 3)
    add_saved("np_version_2_0", ["F-2", "F-3", "W-7"], arr, "NumPy write_array(version=(2, 0))", version=(2, 0))
    add_saved("np_version_3_0", ["F-2", "F-3", "W-7"], arr, "NumPy write_array(version=(3, 0))", version=(3, 0))
    add_saved("np_version_3_0_ascii", ["F-4", "W-7"], np.zeros(2, [("a", "<f8")]), "an ASCII header in format 3.0", version=(3, 0))
    # test_header_growth_axis: with the 21 spare spaces, the growth axis decides whether
    # the header takes 128 or 192 bytes. The test writes a dtype object's repr as the
    # descr; ported with a real descr, the boundary is found by widening a field name.
    for fortran in (False, True):
        def header_size(space):
            dt = np.dtype([(" " * space, "<i8")])
            arr = np.asfortranarray(np.zeros((2, 2), dt)) if fortran else np.zeros((2, 2), dt)
            b = saved(arr)
            return arr, len(b) - len(data_of(b))
        space = next(s for s in range(1, 64) if header_size(s)[1] > 128)
        for s in (space - 1, space):
            arr, size = header_size(s)
            add_saved("np_test_growth_axis_%s_%d" % ("f" if fortran else "c", s), ["W-3", "W-4", "W-12"], arr,
                      "test_format.py test_header_growth_axis, ported: a %d-space field name makes a %d-byte header" % (s, size),
                      source="numpy test_format.py, written by np.save")
    # A header just too long for 1.0: NumPy picks 2.0. The limit is raised for it.
    names = ["f%05d" % i for i in range(3600)]
    dt = np.dtype([(n, "u1") for n in names])
    b = saved(np.zeros(1, dt))
    assert file_version(b) == (2, 0)
    add_saved("np_auto_v2_long_header", ["W-6", "F-3", "R-2"], np.zeros(1, dt),
              "a header over 65535 bytes: NumPy writes format 2.0 (the reader's header limit raised to 100000)",
              max_header_len=100000)
    # test_huge_header, scaled down: a 2.0 header over NumPy's default limit.
    dt = np.dtype("i," * 800 + "i")
    arr = np.array(1, dtype=dt)
    b = saved(arr)
    add("np_test_huge_header_default_limit", ["R-2", "R-13", "W-11"], REJECT, b,
        "test_format.py test_huge_header (801 fields instead of 10001): a %d-byte header is refused under the default 10000-byte limit" % len(b),
        source="numpy test_format.py, written by np.save")
    add_saved("np_test_huge_header_raised_limit", ["R-2", "R-13"], arr,
              "the same file read with the header limit raised to 20000",
              source="numpy test_format.py, written by np.save", max_header_len=20000)
    # test_unicode_field_names.
    arr = np.array([(1, 3), (1, 2)], dtype=[("int", "<i8"), ("\u6574\u5f62", "<i8")])
    add_saved("np_test_unicode_field_names", ["F-4", "W-6"], arr, "test_format.py test_unicode_field_names, version 3.0",
              version=(3, 0), source="numpy test_format.py, written by write_array")
    # Objects: the data is a pickle (D-8). Pickles are not 8 bytes per item.
    objs = np.array([None, 1, "two", (3,)], dtype=object)
    add_saved("np_object_pickle", ["D-8", "R-8", "R-11", "S-6"], objs, "an object array: the data is a pickle",
              verdict=WARN, allow_pickle=True)
    many = np.array([None] * 200, dtype=object)
    add_saved("np_object_short_pickle", ["D-8", "F-6"], many,
              "200 None objects: the pickle is shorter than 8 bytes per item, and still valid",
              verdict=WARN, allow_pickle=True)
    add_saved("np_object_field", ["D-8"], np.array([(1, None)], dtype=[("a", "<i4"), ("o", "O")]),
              "an object field inside a structure", verdict=WARN, allow_pickle=True)


def numpy_test_data():
    """Files from NumPy's own test data (numpy/lib/tests/data), copied as they are."""
    data = Path(np.__file__).parent / "lib" / "tests" / "data"
    b = (data / "win64python2.npy").read_bytes()
    add("np_data_win64python2", ["G-5", "R-8"], WARN, b,
        "NumPy's test file win64python2.npy, written by Python 2: shape (2L,)",
        expect=expected((1, 0), "<f8", False, (2,), data_of(b)), source="numpy/lib/tests/data (BSD-3-Clause)")
    b = (data / "python3.npy").read_bytes()
    add("np_data_python3", ["F-5", "R-8"], WARN, b, "NumPy's test file python3.npy, written before NumPy aligned data to 64 bytes",
        expect=expected((1, 0), "<f8", False, (2,), data_of(b)), source="numpy/lib/tests/data (BSD-3-Clause)")
    for name in ("py2-objarr", "py3-objarr", "py2-np0-objarr"):
        b = (data / (name + ".npy")).read_bytes()
        arr_header = numpy_adapter.read_header_only(io.BytesIO(b))
        add("np_data_" + name.replace("-", "_"), ["D-8", "R-11"], WARN, b,
            "NumPy's test file %s.npy: an object array pickled by Python %s" % (name, name[2]),
            expect=expected((1, 0), "O", arr_header[1], arr_header[0], data_of(b)),
            source="numpy/lib/tests/data (BSD-3-Clause)")


def header_text_variants():
    """Hand-made headers that NumPy reads: every freedom of the reader grammar."""
    shape, dt = (2, 3), "<f8"
    ok = lambda name, reqs, text, what, version=(1, 0), **kw: add_text(  # noqa: E731
        name, reqs, kw.pop("verdict", ACCEPT), version, text, what,
        dtype=kw.pop("dtype", dt), shape=kw.pop("shape", shape), **kw)
    keys = ["'descr': '<f8'", "'fortran_order': False", "'shape': (2, 3)"]
    import itertools

    for i, perm in enumerate(itertools.permutations(keys)):
        if i == 0:
            continue
        ok("text_key_order_%d" % i, ["H-1", "H-3"], "{" + ", ".join(perm) + "}",
           "keys in another order: " + ", ".join(k.split(":")[0] for k in perm))
    ok("text_no_trailing_comma", ["H-1", "W-1"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "no comma after the last entry")
    ok("text_no_spaces", ["H-1", "G-3"], "{'descr':'<f8','fortran_order':False,'shape':(2,3)}", "no spaces at all")
    ok("text_many_spaces", ["G-3"], "{  'descr'  :  '<f8'  ,  'fortran_order'  :  False  ,  'shape'  :  ( 2 , 3 )  }", "spaces around every token")
    ok("text_tabs", ["G-3"], "{\t'descr':\t'<f8',\t'fortran_order':\tFalse,\t'shape':\t(2,\t3)}", "tabs between tokens")
    ok("text_form_feeds", ["G-3"], "{\x0c'descr': '<f8',\x0c'fortran_order': False, 'shape': (2, 3)}", "form feeds between tokens")
    ok("text_newlines_inside", ["G-1", "G-3"], "{\n'descr': '<f8',\n    'fortran_order': False,\n  'shape': (2,\n 3)\n}", "line breaks inside the braces (implicit line joining)")
    ok("text_crlf_inside", ["G-1"], "{'descr': '<f8',\r\n'fortran_order': False,\r\n'shape': (2, 3)}", "CR LF line breaks inside the braces")
    ok("text_cr_inside", ["G-1"], "{'descr': '<f8',\r'fortran_order': False,\r'shape': (2, 3)}", "bare CR line breaks inside the braces")
    ok("text_comment_inside", ["G-3", "H-1"], "{'descr': '<f8', # the type\n'fortran_order': False, # order\n'shape': (2, 3)}", "comments inside the braces")
    ok("text_comment_after", ["G-4"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)} # done", "a comment after the dict")
    ok("text_comment_lines_before", ["G-2"], "# written by hand\n# second line\n{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "comment lines before the dict")
    ok("text_blank_lines_before", ["G-2"], "\n\n   \n{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "blank lines (one of spaces) before the dict")
    ok("text_leading_spaces", ["G-2"], "   \t {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "spaces and tabs before the dict on the first line")
    ok("text_leading_form_feed", ["G-2"], "\x0c{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "a form feed before the dict")
    ok("text_ff_resets_indent", ["G-2"], "\n \x0c{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "whitespace ending with a form feed is no indentation")
    ok("text_continuation_inside", ["G-3"], "{'descr': '<f8', \\\n'fortran_order': False, 'shape': (2, 3)}", "a line continuation inside the braces")
    ok("text_continuation_then_blank", ["G-4"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\\\n\n", "a line continuation, then an empty line, at the end", pad=False, verdict=WARN)
    ok("text_trailing_blank_lines", ["G-4"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n\n  \n", "blank lines after the dict", pad=False, verdict=WARN)
    ok("text_trailing_ff_line", ["G-4"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n \x0c", "a last line of whitespace ending with a form feed", pad=False, verdict=WARN)
    ok("text_trailing_comment_line", ["G-4"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n  # c", "an indented comment as the last line", pad=False, verdict=WARN)
    ok("text_double_quotes", ["H-1"], '{"descr": "<f8", "fortran_order": False, "shape": (2, 3)}', "double-quoted strings")
    ok("text_triple_quotes", ["H-1"], "{'''descr''': \"\"\"<f8\"\"\", 'fortran_order': False, 'shape': (2, 3)}", "triple-quoted strings")
    ok("text_raw_and_u_prefix", ["H-1"], "{r'descr': u'<f8', R'fortran_order': False, U'shape': (2, 3)}", "r, u, R and U string prefixes")
    ok("text_concatenated", ["H-1"], "{'des' \"cr\": '<' 'f8', 'fortran_' 'order': False, 'shape': (2, 3)}", "adjacent string literals concatenate")
    ok("text_escapes_in_key", ["H-1"], "{'\\x64escr': '\\x3cf8', 'fortran\\137order': False, 'sh\\u0061pe': (2, 3)}", "escapes spelling the keys and descr")
    ok("text_line_continuation_in_string", ["H-1"], "{'des\\\ncr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "a backslash-newline inside a string is removed")
    ok("text_paren_values", ["H-1"], "{'descr': ('<f8'), 'fortran_order': (False), 'shape': ((2, 3))}", "parenthesised values")
    ok("text_shape_trailing_comma", ["H-5"], "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3,)}", "a trailing comma in the shape tuple")
    ok("text_shape_1d_spaces", ["H-5"], "{'descr': '<f8', 'fortran_order': False, 'shape': ( 6 , )}", "a 1-tuple with spaces", shape=(6,))
    ok("text_shape_empty_spaces", ["H-5"], "{'descr': '<f8', 'fortran_order': False, 'shape': ( )}", "an empty tuple with a space inside", shape=())
    ok("text_int_hex_oct_bin", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (0x2, 0o3)}", "hexadecimal and octal dimensions")
    ok("text_int_bin_underscore", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (0b1_0, 0o0_3)}", "binary and octal dimensions with underscores")
    ok("text_int_underscores", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (1_0, 1_2)}", "underscores between digits", shape=(10, 12))
    ok("text_int_plus", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (+2, +(3))}", "unary plus, also before a parenthesised int")
    ok("text_int_minus_zero", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (-0, 3)}", "-0 is 0", shape=(0, 3))
    ok("text_int_leading_zeros", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (00, 3)}", "00 is 0", shape=(0, 3))
    ok("text_int_paren_deep", ["H-6", "R-5"], "{'descr': '<f8', 'fortran_order': False, 'shape': (((2)), (((3))))}", "parenthesised dimensions")
    ok("text_int_uppercase_prefix", ["H-6"], "{'descr': '<f8', 'fortran_order': False, 'shape': (0X2, 0B11)}", "uppercase radix prefixes")
    ok("text_shape_max_zero", ["H-6", "H-8"], "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 9223372036854775807)}", "the largest dimension next to a zero: no data", dtype="|u1", shape=(0, 9223372036854775807))
    add_text("text_shape_max_zero_f8", ["H-8"], REJECT, (1, 0), "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 9223372036854775807)}", "the largest dimension next to a zero, of 8-byte items: the size check skips the zero and overflows")
    ok("text_shape_zero_huge_u1", ["H-8"], "{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904, 0)}", "2**62 x 0 bytes: zero entries are skipped in the size check", dtype="|u1", shape=(4611686018427387904, 0))
    ok("text_fortran_true_1d", ["H-7", "F-6"], "{'descr': '<i4', 'fortran_order': True, 'shape': (5,)}", "fortran_order True on a 1-d array (no writer does this; it means the same)", dtype="<i4", shape=(5,), fortran=True)
    ok("text_fortran_true_0d", ["H-7"], "{'descr': '<i4', 'fortran_order': True, 'shape': ()}", "fortran_order True on a 0-d array", dtype="<i4", shape=(), fortran=True)
    ok("text_fortran_true_2d", ["H-7", "F-6"], "{'descr': '<i4', 'fortran_order': True, 'shape': (3, 2)}", "fortran_order True, hand-made", dtype="<i4", shape=(3, 2), fortran=True)
    # Layout around the header: newline and alignment (F-5, R-8).
    base = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
    ok("text_unpadded", ["F-5", "R-8"], base + "\n", "no padding: the data starts unaligned", pad=False, verdict=WARN)
    ok("text_no_newline", ["F-5", "R-8", "W-5"], base + " " * 5, "padded to 64 but no newline at the end", pad=False, verdict=WARN)
    ok("text_no_newline_no_padding", ["F-5", "R-8"], base, "neither newline nor padding", pad=False, verdict=WARN)
    ok("text_pre_1_24_layout", ["F-5", "W-3", "A-1"], base + " " * 58 + "\n", "aligned, without NumPy 1.24's spare growth-axis space (valid, not appendable in place)", pad=False)
    ok("text_tab_padding", ["F-5", "G-4"], base + "\t" * 58 + "\n", "padded with tabs instead of spaces", pad=False)
    ok("text_newline_padding", ["F-5", "G-4"], base + "\n" * 59, "padded with newlines", pad=False)
    ok("text_v2_framing", ["F-3"], base, "the same dict in format 2.0", version=(2, 0))
    ok("text_v3_framing", ["F-3", "F-4"], base, "the same dict in format 3.0", version=(3, 0))
    ok("text_v1_latin1_name", ["F-4"], "{'descr': [('\xe9t\xe9', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "a latin-1 field name in a 1.0 header (byte 0xe9)", dtype=[("\xe9t\xe9", "<f8")], shape=(2,))
    ok("text_v2_latin1_name", ["F-4"], "{'descr': [('\xff', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "a latin-1 field name in a 2.0 header (byte 0xff)", dtype=[("\xff", "<f8")], shape=(2,), version=(2, 0))
    ok("text_v1_utf8_bytes_read_as_latin1", ["F-4"], "{'descr': [('\xe6\xb8\xa9', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "UTF-8 bytes in a 1.0 header mean latin-1 characters: the name is '\xe6\xb8\xa9'", dtype=[("\xe6\xb8\xa9", "<f8")], shape=(2,))
    ok("text_v3_utf8_name", ["F-4"], "{'descr': [('\u03bb', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "a UTF-8 field name in a 3.0 header", dtype=[("\u03bb", "<f8")], shape=(2,), version=(3, 0))
    ok("text_v1_escaped_astral_name", ["F-4", "W-2"], "{'descr': [('\\U0001f600', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "an escaped non-latin-1 name in a 1.0 header: the bytes are ASCII, the name is not", dtype=[("\U0001f600", "<f8")], shape=(2,))
    ok("text_name_escapes", ["D-3"], "{'descr': [('\\101\\x42\\u0043', '<f8'), ('\\t\\n\\\\', '<i2')], 'fortran_order': False, 'shape': (2,)}",
       "octal, hex and unicode escapes in field names", dtype=[("ABC", "<f8"), ("\t\n\\", "<i2")], shape=(2,))
    ok("text_name_nul_escape", ["D-3", "F-4", "S-9"], "{'descr': [('a\\x00b', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "a NUL character in a field name, written as an escape (a raw NUL byte is invalid)", dtype=[("a\x00b", "<f8")], shape=(2,))
    ok("text_raw_string_name", ["D-3"], "{'descr': [(r'a\\tb', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "a raw string keeps its backslash", dtype=[("a\\tb", "<f8")], shape=(2,))
    ok("text_unknown_escape_kept", ["D-3"], "{'descr': [('a\\qb', '<f8')], 'fortran_order': False, 'shape': (2,)}",
       "an unknown escape keeps its backslash", dtype=[("a\\qb", "<f8")], shape=(2,))
    # Python 2 'L' suffix (G-5): 1.0 and 2.0 only, with a warning.
    for i, (text, what) in enumerate([
        ("(2L, 3L)", "2L, 3L"), ("(2 L, 3\tL)", "spaces and a tab before L"), ("(2 L L, 3)", "two Ls"),
        ("(2\x0cL, 3)", "a form feed before L"), ("(2\\\nL, 3)", "a line continuation before L"),
        ("(0x2L, 0o3L)", "after hexadecimal and octal"),
    ]):
        for version in ((1, 0), (2, 0)):
            ok("text_py2_long_%d_v%d" % (i, version[0]), ["G-5", "R-8"], hdr(shape=text),
               "Python 2 long suffix: %s (format %d.0)" % (what, version[0]), version=version, verdict=WARN)
    ok("text_py2_long_subarray", ["G-5"], "{'descr': [('a', '<i2', (2L,))], 'fortran_order': False, 'shape': (3L,)}",
       "Python 2 long suffixes in a subarray shape", dtype=[("a", "<i2", (2,))], shape=(3,), verdict=WARN)
    # Layout rules of G-2/G-4 that CPython refuses and NumPy 1.0/2.0 repairs (DIFF-17).
    d = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}"
    for v in ((1, 0), (2, 0), (3, 0)):
        numpy = ("accept", "DIFF-17: NumPy re-tokenizes a 1.0/2.0 header that fails to parse, which repairs this layout") if v[0] < 3 else None
        add_text("text_last_line_indent_v%d" % v[0], ["G-4", "DIFF-17"], REJECT, v, d + "\n  ",
                 "the last line holds only indentation, without a newline after it", pad=False, data=pattern(48), numpy=numpy)
        add_text("text_last_line_tab_v%d" % v[0], ["G-4", "DIFF-17"], REJECT, v, d + "\n\t",
                 "the last line is a tab without a newline", pad=False, data=pattern(48), numpy=numpy)
        add_text("text_ff_then_indent_first_line_v%d" % v[0], ["G-2", "DIFF-17"], REJECT, v, "\x0c " + d,
                 "a form feed, then indentation before the dict on the first line", pad=False, data=pattern(48), numpy=numpy)
    add_text("text_indented_dict", ["G-2"], REJECT, (1, 0), "\n " + d, "the dict is indented on its own line", data=pattern(48))
    add_text("text_indented_after_comment", ["G-2"], REJECT, (1, 0), "# c\n " + d, "the dict is indented after a comment line", data=pattern(48))
    add_text("text_ff_indent_second_line", ["G-2", "DIFF-17"], REJECT, (1, 0), "\n\x0c " + d,
             "a form feed then indentation on a later line (NumPy's retry does not repair this one)", data=pattern(48))
    # Line continuations in the layout around the dict (G-2, G-4).
    ok("text_continuation_first_line", ["G-2"], "\\\n" + d, "a line continuation before the dict, which starts the joined line", pad=False, verdict=WARN)
    ok("text_continuation_blank_line", ["G-2"], "\n  \\\n\n" + d, "a line of spaces and a continuation, then an empty line: blank", pad=False, verdict=WARN)
    ok("text_trailing_continuation_blank", ["G-4"], d + "\n \\\n\n", "after the dict: a space, a continuation and an empty line", pad=False, verdict=WARN)
    for v in ((1, 0), (3, 0)):
        add_text("text_continuation_then_indent_v%d" % v[0], ["G-2"], REJECT, v, "\\\n " + d,
                 "a continuation, then indentation before the dict: the joined line is indented", pad=False, data=pattern(48))
        add_text("text_indent_continuation_ff_v%d" % v[0], ["G-2"], REJECT, v, "\n \\\n\x0c" + d,
                 "indentation before a continuation is kept: a form feed on the joined line does not reset it",
                 pad=False, data=pattern(48))
        add_text("text_trailing_continuation_indent_v%d" % v[0], ["G-4"], REJECT, v, d + "\n\\\n ",
                 "the last line, joined by a continuation, is indented and has no newline", pad=False, data=pattern(48))
    for v in ((1, 0), (2, 0), (3, 0)):
        numpy = ("accept", "DIFF-17: NumPy re-tokenizes a 1.0/2.0 header that fails to parse, which repairs this layout") if v[0] < 3 else None
        add_text("text_indent_then_continuation_v%d" % v[0], ["G-2", "DIFF-17"], REJECT, v, "\n  \\\n" + d,
                 "indentation, then a continuation before the dict: the dict's line is indented",
                 pad=False, data=pattern(48), numpy=numpy)
    # Layouts valid by G-2..G-5 that NumPy's retry breaks when a Python 2 suffix forces it
    # (DIFF-21): untokenize turns a form feed that starts a line into indentation.
    d3l = "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L)}"
    broken = ("reject", "DIFF-21: NumPy parses a header with a Python 2 suffix only after untokenize, which breaks this layout")
    for name, text, what in [
        ("text_py2_long_ff_line_start", "\n\x0c" + d3l, "a form feed starting the dict's line, with Python 2 suffixes"),
        ("text_py2_long_comment_ff", "# c\n\x0c" + d3l, "a comment line, then a form feed before the dict, with Python 2 suffixes"),
        ("text_py2_long_continuation_ff", "\\\n\x0c" + d3l, "a continuation, then a form feed before the dict, with Python 2 suffixes"),
    ]:
        add_text(name, ["DIFF-21", "G-2", "G-5"], WARN, (1, 0), text, what, dtype="<f8", shape=(2, 3), numpy=broken)
    add_text("text_ends_with_continuation", ["G-4"], REJECT, (1, 0), d + "\\\n", "the text ends with a line continuation", pad=False, data=pattern(48))
    add_text("text_ends_with_continuation_v3", ["G-4"], REJECT, (3, 0), d + "\\\n", "the text ends with a line continuation (3.0)", pad=False, data=pattern(48))


def type_strings():
    """Type strings NumPy reads, each with the type a reader must find (D-2)."""
    valid = [
        # (name, descr text, dtype a reader must find, requirements)
        ("float64", "float64", "<f8", []), ("f8_native", "f8", "<f8", ["R-12"]), ("eq_f8", "=f8", "<f8", ["R-12"]),
        ("bar_f8", "|f8", "<f8", ["R-12"]), ("gt_f8", ">f8", ">f8", []), ("i", "i", "<i4", []), ("b", "b", "|i1", []),
        ("b1", "b1", "|b1", []), ("qmark", "?", "|b1", []), ("bool", "bool", "|b1", []), ("bool_", "bool_", "|b1", []),
        ("B", "B", "|u1", []), ("h", "h", "<i2", []), ("H", ">H", ">u2", []), ("I", "I", "<u4", []),
        ("l", "l", "<i8", ["DIFF-14"]), ("q", "q", "<i8", []), ("p", "p", "<i8", ["DIFF-14"]), ("n", "n", "<i8", ["DIFF-14"]),
        ("L", "L", "<u8", ["DIFF-14"]), ("Q", "Q", "<u8", []), ("P", "P", "<u8", ["DIFF-14"]), ("N", "N", "<u8", ["DIFF-14"]),
        ("e", "e", "<f2", []), ("d", "d", "<f8", []), ("g", "g", "<f16", ["DIFF-14"]), ("F", "F", "<c8", []),
        ("D", "D", "<c16", []), ("G", "G", "<c32", ["DIFF-14"]), ("f", "f", "<f4", []), ("f16", "<f16", "<f16", []),
        ("c", "c", "|S1", []), ("c8", "c8", "<c8", []), ("c32", ">c32", ">c32", []), ("i08", "i08", "<i8", []),
        ("S05", "S05", "|S5", []), ("U003", "<U003", "<U3", []), ("u1_gt", ">u1", "|u1", []), ("i1_lt", "<i1", "|i1", []),
        ("b1_lt", "<b1", "|b1", []), ("S_lt", "<S3", "|S3", []), ("V_gt", ">V4", "|V4", []),
        ("int", "int", "<i8", ["DIFF-14"]), ("int_", "int_", "<i8", ["DIFF-14"]), ("intp", "intp", "<i8", ["DIFF-14"]),
        ("intc", "intc", "<i4", []), ("byte", "byte", "|i1", []), ("short", "short", "<i2", []), ("long", "long", "<i8", ["DIFF-14"]),
        ("longlong", "longlong", "<i8", []), ("ubyte", "ubyte", "|u1", []), ("ushort", "ushort", "<u2", []),
        ("uintc", "uintc", "<u4", []), ("uint", "uint", "<u8", ["DIFF-14"]), ("uintp", "uintp", "<u8", ["DIFF-14"]),
        ("ulong", "ulong", "<u8", ["DIFF-14"]), ("ulonglong", "ulonglong", "<u8", []), ("uint16", "uint16", "<u2", []),
        ("int64", "int64", "<i8", []), ("half", "half", "<f2", []), ("single", "single", "<f4", []),
        ("double", "double", "<f8", []), ("float", "float", "<f8", []), ("longdouble", "longdouble", "<f16", ["DIFF-14"]),
        ("float16", "float16", "<f2", []), ("float32", "float32", "<f4", []), ("float128", "float128", "<f16", ["DIFF-14"]),
        ("csingle", "csingle", "<c8", []), ("cdouble", "cdouble", "<c16", []), ("complex", "complex", "<c16", []),
        ("clongdouble", "clongdouble", "<c32", ["DIFF-14"]), ("complex64", "complex64", "<c8", []),
        ("complex128", "complex128", "<c16", []), ("complex256", "complex256", "<c32", ["DIFF-14"]),
        ("datetime64_ns", "datetime64[ns]", "<M8[ns]", []), ("lt_datetime64", "<datetime64[ms]", "<M8[ms]", []),
        ("datetime64", "datetime64", "<M8", []), ("timedelta64_s", ">timedelta64[s]", ">m8[s]", []),
        ("M8_space_count", "M8[ 5s]", "<M8[5s]", []), ("M8_plus_count", "M8[+5s]", "<M8[5s]", []),
        ("M8_count_generic", "M8[2generic]", "<M8", []), ("M8_generic", "M8[generic]", "<M8", []),
        ("M8_mu", "M8[\u03bcs]", "<M8[us]", []), ("M8_10us", "<M8[10us]", "<M8[10us]", []),
        ("M8_count_zero", "M8[0s]", "<M8[0s]", []), ("M8_count_max", "M8[2147483647s]", "<M8[2147483647s]", []),
        ("m8_W", "m8[W]", "<m8[W]", []), ("M8_as", "M8[as]", "<M8[as]", []), ("M8_fs", "M8[fs]", "<M8[fs]", []),
        ("M8_ps", "M8[ps]", "<M8[ps]", []), ("M8_h", "M8[h]", "<M8[h]", []), ("M8_minutes", "M8[m]", "<M8[m]", []),
        ("M8_months", "M8[M]", "<M8[M]", []), ("S_bare", "S", "|S0", []), ("bytes", "bytes", "|S0", []),
        ("U_bare", "<U", "<U0", []), ("str", "str", "<U0", []), ("void", "void", "|V0", []), ("V0", "V0", "|V0", []),
        ("S2147483647_empty", "S2147483647", "|S2147483647", ["D-9"]), ("U536870911_empty", "U536870911", "<U536870911", ["D-9"]),
    ]
    for name, s, want, reqs in valid:
        shape = (0,) if np.dtype(want).itemsize > 1 << 20 else (2,)
        text = hdr(descr=repr(s), shape=repr(shape))
        version = (3, 0) if not s.isascii() else (1, 0)
        add_text("type_" + name, ["D-1", "D-2"] + reqs, ACCEPT, version, text,
                 "type string %r means %s" % (s, want), dtype=want, shape=shape)
    for name, s, want in [("a5", "a5", "|S5"), ("lt_a5", "<a5", "|S5"), ("a", "a", "|S0")]:
        add_text("type_deprecated_" + name, ["D-2", "R-8"], WARN, (1, 0), hdr(descr=repr(s), shape="(2,)"),
                 "deprecated type code 'a': %r means %s" % (s, want), dtype=want, shape=(2,))
    for name, s in [("O", "|O"), ("O4", "O4"), ("O8", "O8"), ("object", "object"), ("object_", "object_")]:
        add_text("type_object_" + name, ["D-8", "R-8", "R-11"], WARN, (1, 0), hdr(descr=repr(s), shape="(0,)"),
                 "object type %r (an empty array: no pickle needed)" % s, dtype="O", shape=(0,))
    invalid = [
        # (name, type string, requirements, known NumPy difference or None)
        ("f3", "f3", []), ("i3", "i3", []), ("u_bare", "u", []), ("c4", "c4", []), ("i0", "i0", []), ("b2", "b2", []),
        ("float65", "float65", []), ("empty", "", []), ("space_before", " <f8", []), ("space_after", "<f8 ", []),
        ("x8", "x8", []), ("lt_a_bare", "<a", []), ("O2", "O2", []), ("M_unit", "M[ns]", []), ("M8_bad_unit", "M8[xs]", []),
        ("M8_unclosed", "M8[ns", []), ("M8_space_unit", "M8[ s]", []), ("M8_count_too_big", "M8[2147483648s]", []),
        ("f8_time_meta", "f8[ns]", []), ("M4", "M4", []),
        ("M8_divisor", "M8[ns/2]", ["DIFF-6"], "accept"), ("M8_bad_divisor", "M8[s/7]", ["DIFF-6"], None),
        ("comma_formats", "f8,i4", ["DIFF-7"], "accept"), ("repeat_count", "2f8", ["DIFF-7"], None),
        ("stringdtype", "T", ["DIFF-7"], "accept"), ("size_plus", "S+5", ["DIFF-7"], "accept"),
        ("size_space", "S 5", ["DIFF-7"], "accept"),
        ("S2147483648", "S2147483648", ["D-9"]), ("U536870912", "U536870912", ["D-9"]), ("V2147483648", "V2147483648", ["D-9"]),
        ("capital_F8", "F8", []), ("double_order", "<<f8", []), ("name_with_size", "float64[2]", []),
        ("type_number_12", "\x0c", ["DIFF-18"], "accept"), ("type_number_12_lt", "<\x0c", ["DIFF-18"], "accept"),
        ("type_number_7", "\x07", ["DIFF-18", "DIFF-14"], "accept"), ("type_number_17_object", "\x11", ["DIFF-18", "D-8"], "accept"),
        ("type_number_0_bool", "\x00", ["DIFF-18"], "accept"),
    ]
    for item in invalid:
        name, s, reqs = item[:3]
        known = item[3] if len(item) > 3 else None
        numpy = (known, "%s: NumPy's np.dtype accepts %r" % (reqs[0], s)) if known else None
        # repr() writes the control characters as escapes, so the header text is ASCII.
        add_text("type_bad_" + name, ["D-2"] + reqs, REJECT, (1, 0), hdr(descr=repr(s), shape="(2,)"),
                 "type string %r is invalid" % s, data=pattern(64), numpy=numpy)


def descr_lists():
    """Structured descrs written by hand (D-3..D-7)."""
    cases = [
        ("list_entry", "[['a', '<i4'], ['b', '<f8']]", [("a", "<i4"), ("b", "<f8")], ["D-3"], "fields as lists instead of tuples"),
        ("trailing_commas", "[('a', '<i4',), ('b', '<f8'),]", [("a", "<i4"), ("b", "<f8")], ["D-3"], "trailing commas in the list and the tuples"),
        ("title", "[(('The A', 'a'), '<i4')]", np.dtype({"names": ["a"], "formats": ["<i4"], "titles": ["The A"]}), ["D-3"], "a titled field"),
        ("none_title", "[((None, 'a'), '<i4')]", [("a", "<i4")], ["D-3", "DIFF-10"], "a None title means no title"),
        ("padding_v", "[('a', '<i4'), ('', '|V4'), ('b', '<f8')]", np.dtype({"names": ["a", "b"], "formats": ["<i4", "<f8"], "offsets": [0, 8]}), ["D-4", "D-5"], "a padding entry"),
        ("padding_end", "[('a', '<i4'), ('', '|V12')]", np.dtype({"names": ["a"], "formats": ["<i4"], "itemsize": 16}), ["D-4", "D-5"], "padding at the end"),
        ("padding_subarray", "[('', '<f8', (2,)), ('a', '<i4')]", np.dtype({"names": ["a"], "formats": ["<i4"], "offsets": [16]}), ["D-4"], "a subarray with an empty name is padding"),
        ("padding_v0_sized", "[('', 'V0', 4), ('a', '<i4')]", np.dtype({"names": ["a"], "formats": ["<i4"], "offsets": [4]}), ["D-4", "D-6"], "('', 'V0', 4) is 4 bytes of padding"),
        ("empty_name_field", "[('', '<f8'), ('a', '<i4')]", None, ["D-4"], "('', '<f8') is a field with an empty name, not padding"),
        ("empty_name_struct", "[('', [('x', '<i4')])]", None, ["D-4"], "a nested structure with an empty name is a field"),
        ("sized_S", "[('a', 'S', 3)]", [("a", "S3")], ["D-6"], "('a', 'S', 3) is an S3 field, not a subarray"),
        ("sized_S0_tuple", "[('a', ('S0', 3))]", [("a", "S3")], ["D-6"], "('a', ('S0', 3)) is an S3 field"),
        ("sized_U", "[('a', 'U', 3)]", [("a", "<U3")], ["D-6"], "('a', 'U', 3) is a U3 field of 12 bytes"),
        ("sized_a", "[('a', 'a', 3)]", [("a", "S3")], ["D-6", "R-8"], "('a', 'a', 3) is an S3 field"),
        ("sized_V", "[('a', 'V', 3)]", [("a", "V3")], ["D-6"], "('a', 'V', 3) is a V3 field"),
        ("sized_S_zero", "[('a', 'S', 0)]", [("a", "S0")], ["D-6"], "('a', 'S', 0) is an S0 field"),
        ("sized_then_subarray", "[('a', ('S0', 3), 2)]", [("a", "S3", (2,))], ["D-6"], "a subarray of the sized S3"),
        ("subarray_int", "[('a', '<f8', 3)]", [("a", "<f8", (3,))], ["D-6"], "an int subarray shape"),
        ("subarray_list_shape", "[('a', '<f8', [2, 3])]", [("a", "<f8", (2, 3))], ["D-6"], "a list subarray shape"),
        ("subarray_empty_shape", "[('a', '<f8', ())]", [("a", "<f8")], ["D-6"], "shape () is the base type itself"),
        ("subarray_tuple_type", "[('a', ('<f8', (2,)))]", [("a", "<f8", (2,))], ["D-3", "D-6"], "a (type, shape) tuple as the type"),
        ("subarray_nested", "[('a', ('<f8', (2,)), (3,))]", [("a", ("<f8", (2,)), (3,))], ["D-6"], "a subarray of subarrays stays nested"),
        ("subarray_zero_dim", "[('a', '<f8', (2, 0))]", [("a", "<f8", (2, 0))], ["D-6"], "a subarray with a zero dimension"),
        ("subarray_of_empty_struct", "[('a', [], 3)]", [("a", [], (3,))], ["D-6"], "an empty structure is not unsized"),
        ("empty_list", "[]", [], ["D-3"], "an empty structure"),
        ("nested_deep", "[('a', [('b', [('c', [('d', '<i2')])])])]", [("a", [("b", [("c", [("d", "<i2")])])])], ["D-3"], "nested structures"),
        ("name_is_title_elsewhere_ok", "[(('x', 'a'), '<i4'), (('y', 'b'), '<i4')]", np.dtype({"names": ["a", "b"], "formats": ["<i4", "<i4"], "titles": ["x", "y"]}), ["D-7"], "distinct names and titles"),
        ("two_paddings", "[('', '|V2'), ('a', '<i2'), ('', '|V2')]", np.dtype({"names": ["a"], "formats": ["<i2"], "offsets": [2], "itemsize": 6}), ["D-4", "D-7"], "two padding entries do not clash"),
        ("itemsize_max", "[('a', 'S2147483646'), ('b', 'u1')]", [("a", "S2147483646"), ("b", "u1")], ["D-9"], "a structure of exactly 2**31-1 bytes"),
    ]
    for name, text, dt, reqs, what in cases:
        if dt is None:
            # NumPy's own reading of the descr is the meaning to check against.
            dt = npformat.descr_to_dtype(eval(text))  # noqa: S307 (our own literal)
        dt = np.dtype(dt)
        shape = (0,) if dt.itemsize > 1 << 20 else (2,)
        add_text("descr_" + name, ["D-1"] + reqs, WARN if name == "sized_a" else ACCEPT, (1, 0),
                 hdr(descr=text, shape=repr(shape)), what, dtype=dt, shape=shape)
    bad = [
        ("tuple_subarray", "('<f8', (2,))", ["D-1", "DIFF-5"], "accept", "a (type, shape) tuple as the whole descr, shape (0,) (np.load fails on a non-empty one)", "(0,)"),
        ("tuple_subarray_nonempty", "('<f8', (2,))", ["D-1", "DIFF-5"], None, "a (type, shape) tuple as the whole descr, shape (2,): np.load fails too"),
        ("tuple_subarray_empty", "('<f8', ())", ["D-1", "DIFF-5"], "accept", "('<f8', ()) as the whole descr"),
        ("dict", "{'names': ['a'], 'formats': ['<f8']}", ["D-1"], None, "a dict descr in np.dtype's dict form (NumPy fails too: it unpacks the keys)"),
        ("dict_str_keys", "{'ab': 0}", ["D-1", "DIFF-8"], "accept", "a dict whose key NumPy unpacks character by character"),
        ("set", "{'ab'}", ["D-1", "DIFF-8"], "accept", "a set descr"),
        ("list_of_str", "['ab']", ["D-1", "DIFF-8"], "accept", "a list of strs"),
        ("list_of_type_str", "['<f8']", ["D-1", "DIFF-8"], None, "['<f8'] (NumPy fails too: it unpacks three characters)"),
        ("bytes", "b'<f8'", ["D-1"], None, "a bytes descr"),
        ("int", "8", ["D-1"], None, "an int descr"),
        ("none", "None", ["D-1"], None, "None as descr"),
        ("float", "8.0", ["D-1"], None, "a float descr"),
        ("entry_1_item", "[('a',)]", ["D-3"], None, "a field of one item"),
        ("entry_4_items", "[('a', '<f8', (2,), 1)]", ["D-3"], None, "a field of four items"),
        ("entry_str", "[('a', '<f8'), 'b']", ["D-3"], None, "a str where a field should be"),
        ("name_int", "[(1, '<f8')]", ["D-3"], None, "an int field name"),
        ("name_bytes", "[(b'a', '<f8')]", ["D-3"], None, "a bytes field name"),
        ("title_int", "[((1, 'a'), '<f8')]", ["D-3", "DIFF-10"], "accept", "an int title"),
        ("title_bytes", "[((b'x', 'a'), '<f8')]", ["D-3", "DIFF-10"], "accept", "a bytes title"),
        ("title_list", "[(['T', 'a'], '<i4')]", ["D-3"], None, "a (title, name) pair written as a list"),
        ("title_3_tuple", "[(('x', 'a', 'b'), '<f8')]", ["D-3"], None, "a name tuple of three"),
        ("type_int", "[('a', 8)]", ["D-3"], None, "an int field type"),
        ("type_none", "[('a', None)]", ["D-3"], None, "a None field type"),
        ("subarray_3_tuple_type", "[('a', ('<f8', (2,), 'x'))]", ["D-3", "DIFF-9"], "accept", "a 3-item (type, shape, x) type"),
        ("subarray_negative", "[('a', '<f8', -1)]", ["D-6"], None, "a negative subarray dimension"),
        ("subarray_negative_tuple", "[('a', '<f8', (2, -3))]", ["D-6"], None, "a negative dimension in a subarray shape"),
        ("subarray_bool", "[('a', '<f8', (True,))]", ["D-6"], None, "a bool subarray dimension"),
        ("subarray_float", "[('a', '<f8', (2.0,))]", ["D-6"], None, "a float subarray dimension"),
        ("subarray_str_shape", "[('a', '<f8', '2')]", ["D-6"], None, "a str subarray shape"),
        ("unsized_tuple_shape", "[('a', 'S', (3,))]", ["D-6"], None, "an unsized base with a tuple shape"),
        ("unsized_empty_shape", "[('a', 'S0', ())]", ["D-6"], None, "an unsized base with shape ()"),
        ("unsized_in_tuple_type", "[('a', ('U0', (3,)))]", ["D-6"], None, "an unsized base in a (type, shape) type"),
        ("zero_byte_base_int", "[('a', ('<f8', (0,)), 3)]", ["D-6", "DIFF-16"], "accept", "a zero-byte subarray base with an int shape"),
        ("zero_byte_base_zero", "[('a', ('<i4', (2, 0)), 0)]", ["D-6", "DIFF-16"], "accept", "a zero-byte subarray base with the int shape 0"),
        ("shape_is_struct", "[('a', '<i4', [('x', '<u2'), ('y', '<u2')])]", ["D-6", "DIFF-19"], "accept", "a list of fields as the subarray shape (NumPy lays it over the <i4)"),
        ("shape_is_empty_list", "[('a', 'S0', [])]", ["D-6", "DIFF-19"], "accept", "[] as the subarray shape of S0 (NumPy: an empty structure over S0)"),
        ("shape_is_empty_list_f8", "[('a', '<f8', [])]", ["D-6", "DIFF-19"], None, "[] as the subarray shape of <f8 (NumPy: a size mismatch)"),
        ("shape_is_none", "[('a', '<f8', None)]", ["D-6", "DIFF-19"], "accept", "None as the subarray shape"),
        ("shape_is_none_in_type", "[('a', ('<f8', None))]", ["D-6", "DIFF-19"], "accept", "None as the shape of a (type, shape) type"),
        ("zero_byte_base_tuple", "[('a', ('<f8', (0,)), (3,))]", ["D-6"], None, "a zero-byte subarray base with a tuple shape"),
        ("subarray_65_dims", "[('a', '|u1', (1,) * 65)]".replace("(1,) * 65", repr((1,) * 65)), ["D-6", "R-7", "DIFF-20"], None, "a subarray of 65 dimensions"),
        ("subarray_too_big", "[('a', '<f8', (268435456,))]", ["D-9"], None, "a subarray of 2**31 bytes"),
        ("struct_too_big", "[('a', 'S2147483647'), ('b', 'S1')]", ["D-9"], None, "a structure of 2**31 bytes"),
        ("sized_too_big", "[('a', 'U', 536870912)]", ["D-9", "D-6"], None, "('a', 'U', 536870912) is U536870912, too large"),
        ("dup_name", "[('a', '<i4'), ('a', '<f8')]", ["D-7"], None, "two fields named 'a'"),
        ("dup_name_title", "[(('x', 'a'), '<i4'), ('x', '<f8')]", ["D-7"], None, "a name equal to another field's title"),
        ("dup_title_title", "[(('x', 'a'), '<i4'), (('x', 'b'), '<f8')]", ["D-7"], None, "two fields with the same title"),
        ("title_is_own_name", "[(('a', 'a'), '<i4')]", ["D-7"], None, "a title equal to its own name"),
        ("dup_empty_names", "[('', '<i4'), ('', '<f8')]", ["D-7", "D-4"], None, "two fields with empty names"),
        ("nested_bad", "[('a', [('b', 'f3')])]", ["D-3", "D-2"], None, "an invalid type deep inside"),
        ("title_N_escape", "[(('\\N{LATIN SMALL LETTER A}', 'x'), '<f8')]", ["DIFF-11"], "accept", "a \\N{...} escape in a title"),
        ("name_N_escape", "[('\\N{LATIN SMALL LETTER A}', '<f8')]", ["DIFF-11"], "accept", "a \\N{...} escape in a field name"),
        ("name_lone_surrogate", "[('\\ud800', '<f8')]", ["DIFF-11"], "accept", "a lone surrogate in a field name"),
        ("name_f_string", "[(f'a', '<f8')]", ["H-1"], None, "an f-string field name"),
    ]
    for name, text, reqs, known, what, *shape in bad:
        numpy = (known, "%s: %s" % (reqs[-1], "NumPy's descr_to_dtype accepts it")) if known else None
        add_text("descr_bad_" + name, reqs, REJECT, (1, 0), hdr(descr=text, shape=(shape or ["(2,)"])[0]), what,
                 data=pattern(64), numpy=numpy)


def header_dict_errors():
    """Invalid header dicts (H-1..H-8)."""
    d = pattern(48)
    bad = [
        # name, text, requirements, known NumPy difference, what
        ("unclosed", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)", ["H-1"], None, "the dict is not closed"),
        ("missing_colon", "{'descr' '<f8', 'fortran_order': False, 'shape': (2, 3)}", ["H-1"], None, "a missing colon"),
        ("expression", "{'descr': '<f8', 'fortran_order': False, 'shape': (1 + 1, 3)}", ["H-1", "H-5"], None, "an addition in the shape"),
        ("call", "dict(descr='<f8', fortran_order=False, shape=(2, 3))", ["H-1", "S-4"], None, "a function call"),
        ("name", "{'descr': '<f8', 'fortran_order': false, 'shape': (2, 3)}", ["H-1", "H-7"], None, "the name false"),
        ("lambda", "{'descr': '<f8', 'fortran_order': False, 'shape': (lambda: 2)()}", ["H-1", "S-4"], None, "a lambda"),
        ("junk_after", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)} x", ["H-1", "G-4"], None, "a name after the dict"),
        ("two_dicts", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)} {}", ["H-1"], None, "two dicts"),
        ("semicolon", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)};", ["H-1"], None, "a semicolon after the dict"),
        ("unterminated_string", "{'descr': '<f8, 'fortran_order': False, 'shape': (2, 3)}", ["H-1"], None, "an unterminated string"),
        ("string_newline", "{'descr': '<f8\n', 'fortran_order': False, 'shape': (2, 3)}", ["H-1", "G-1"], None, "a line break in a single-quoted string"),
        ("unary_chain", "{'descr': '<f8', 'fortran_order': False, 'shape': (" + "+" * 3000 + "2, 3)}", ["H-1", "S-4"], None, "3000 unary plus signs (the literal_eval crash pattern, bpo-32758)"),
        ("double_minus", "{'descr': '<f8', 'fortran_order': False, 'shape': (--2, 3)}", ["H-1"], None, "two signs"),
        ("leading_zero_int", "{'descr': '<f8', 'fortran_order': False, 'shape': (02, 3)}", ["H-1", "G-3"], None, "a decimal with a leading zero"),
        ("double_underscore", "{'descr': '<f8', 'fortran_order': False, 'shape': (1__0, 3)}", ["H-1", "G-3"], None, "two underscores in a number"),
        ("trailing_underscore", "{'descr': '<f8', 'fortran_order': False, 'shape': (10_, 3)}", ["H-1", "G-3"], None, "a trailing underscore"),
        ("number_then_letter", "{'descr': '<f8', 'fortran_order': False, 'shape': (0x1for, 3)}", ["G-3"], None, "0x1for"),
        ("Nonee", "{'descr': '<f8', 'fortran_order': Nonee, 'shape': (2, 3)}", ["G-3"], None, "the name Nonee"),
        ("ellipsis", "{'descr': '<f8', 'fortran_order': ..., 'shape': (2, 3)}", ["H-7"], None, "... as fortran_order"),
        ("list", "['descr', '<f8']", ["H-2"], None, "a list"),
        ("tuple_comma", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)},", ["H-2"], None, "a trailing comma makes a tuple"),
        ("string", "'descr'", ["H-2"], None, "a str"),
        ("int", "42", ["H-2"], None, "an int"),
        ("none", "None", ["H-2"], None, "None"),
        ("set", "{'descr', 'fortran_order', 'shape'}", ["H-2"], None, "a set of the keys"),
        ("empty_dict", "{}", ["H-3"], None, "an empty dict"),
        ("missing_descr", "{'fortran_order': False, 'shape': (2, 3)}", ["H-3"], None, "no descr"),
        ("missing_fortran_order", "{'descr': '<f8', 'shape': (2, 3)}", ["H-3"], None, "no fortran_order"),
        ("missing_shape", "{'descr': '<f8', 'fortran_order': False}", ["H-3"], None, "no shape"),
        ("extra_key", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", ["H-3"], None, "a fourth key"),
        ("capital_key", "{'Descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", ["H-3"], None, "'Descr'"),
        ("bytes_key", "{b'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", ["H-3"], None, "a bytes key"),
        ("int_key", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 1: 2}", ["H-3"], None, "an int key"),
        ("dup_descr", "{'descr': '<i4', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", ["H-4", "DIFF-1"], "accept", "descr twice"),
        ("dup_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'shape': (2, 3)}", ["H-4", "DIFF-1"], "accept", "shape twice, same value"),
        ("dup_fortran", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), 'fortran_order': False}", ["H-4", "DIFF-1"], "accept", "fortran_order twice"),
        ("shape_list", "{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3]}", ["H-5"], None, "a list shape"),
        ("shape_int", "{'descr': '<f8', 'fortran_order': False, 'shape': 6}", ["H-5"], None, "an int shape"),
        ("shape_paren_int", "{'descr': '<f8', 'fortran_order': False, 'shape': (6)}", ["H-5"], None, "(6) is an int, not a tuple"),
        ("shape_float", "{'descr': '<f8', 'fortran_order': False, 'shape': (2.0, 3)}", ["H-5"], None, "a float dimension"),
        ("shape_str", "{'descr': '<f8', 'fortran_order': False, 'shape': ('2', 3)}", ["H-5"], None, "a str dimension"),
        ("shape_none", "{'descr': '<f8', 'fortran_order': False, 'shape': None}", ["H-5"], None, "None as shape"),
        ("shape_nested", "{'descr': '<f8', 'fortran_order': False, 'shape': ((2,), 3)}", ["H-5"], None, "a tuple inside the shape"),
        ("shape_bool", "{'descr': '<f8', 'fortran_order': False, 'shape': (True, 3)}", ["H-5", "DIFF-2"], None, "True as a dimension (NumPy's header check passes it; np.load fails)"),
        ("shape_false", "{'descr': '<f8', 'fortran_order': False, 'shape': (False,)}", ["H-5", "DIFF-2"], None, "False as a dimension (NumPy's header check passes it; np.load fails)"),
        ("shape_complex", "{'descr': '<f8', 'fortran_order': False, 'shape': (2+0j, 3)}", ["H-5"], None, "a complex dimension"),
        ("shape_negative", "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}", ["H-6", "DIFF-3"], None, "a negative dimension (NumPy's header check passes it; loading fails)"),
        ("shape_minus_one_v1", "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 3)}", ["H-6", "V4-2", "DIFF-3"], None, "-1 in a 1.0 header"),
        ("shape_2_63", "{'descr': '|u1', 'fortran_order': False, 'shape': (9223372036854775808,)}", ["H-6", "DIFF-4"], None, "a dimension of 2**63"),
        ("shape_2_64", "{'descr': '|u1', 'fortran_order': False, 'shape': (18446744073709551616,)}", ["H-6", "DIFF-4"], None, "a dimension of 2**64"),
        ("shape_huge", "{'descr': '|u1', 'fortran_order': False, 'shape': (10**30,)}".replace("10**30", str(10**30)), ["H-6"], None, "a dimension of 10**30"),
        ("shape_zero_and_2_63", "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 9223372036854775808)}", ["H-6", "DIFF-4"], None, "2**63 next to a zero"),
        ("fortran_0", "{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3)}", ["H-7"], None, "fortran_order 0"),
        ("fortran_1", "{'descr': '<f8', 'fortran_order': 1, 'shape': (2, 3)}", ["H-7"], None, "fortran_order 1"),
        ("fortran_none", "{'descr': '<f8', 'fortran_order': None, 'shape': (2, 3)}", ["H-7"], None, "fortran_order None"),
        ("fortran_str", "{'descr': '<f8', 'fortran_order': 'False', 'shape': (2, 3)}", ["H-7"], None, "fortran_order 'False'"),
        ("size_overflow", "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", ["H-8", "S-5", "DIFF-4"], None, "2**62 x 4 items of 8 bytes"),
        ("size_overflow_zero", "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2305843009213693952)}", ["H-8"], None, "0 x 2**61 items of 8 bytes: NumPy cannot create it"),
        ("size_2_63_u1", "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 2147483648)}", ["H-8", "S-5"], None, "2**32 x 2**31 bytes = 2**63"),
        ("size_wraps_to_small", "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952, 8)}", ["H-8", "S-5"], None, "a product that wraps to 0 in 64 bits"),
        ("size_itemsize", "{'descr': 'S2147483647', 'fortran_order': False, 'shape': (4294967298,)}", ["H-8", "D-9"], None, "2**31-1 byte items, 2**32+2 of them"),
    ]
    for name, text, reqs, known, what in bad:
        numpy = (known, "%s: NumPy's header check passes it and np.load reads it" % reqs[-1]) if known else None
        add_text("dict_bad_" + name, reqs + ["R-6"], REJECT, (1, 0), text, what, data=d, numpy=numpy)
    for v in ((1, 0), (3, 0)):
        add_text("dict_bad_empty_text_v%d" % v[0], ["H-1", "H-2"], REJECT, v, "", "a header text of spaces only", data=d)


def file_framing():
    """Magic, version, length field, encoding and data length (F-*, R-1..R-3, R-9, R-10)."""
    good = saved(np.arange(6, dtype="<f8").reshape(2, 3))
    good3 = saved(np.arange(6, dtype="<f8").reshape(2, 3), version=(3, 0))
    header_end = len(good) - 48  # the data is 48 bytes
    rej = lambda name, reqs, b, what, **kw: add(name, reqs, REJECT, b, what, **kw)  # noqa: E731
    # test_format.py malformed_magic, each with a valid rest of the file.
    for name, magic in [("92", b"\x92NUMPY"), ("00", b"\x00NUMPY"), ("lower", b"\x93numpy"), ("matlb", b"\x93MATLB")]:
        rej("frame_test_malformed_magic_" + name, ["F-1"], magic + good[6:],
            "test_format.py malformed_magic %r, followed by a valid version, header and data" % magic,
            source="numpy test_format.py (malformed_magic), ported")
    rej("frame_test_malformed_magic_no_minor", ["F-2", "F-3"], b"\x93NUMPY\x01",
        "test_format.py malformed_magic: the file ends inside the version", source="numpy test_format.py (malformed_magic)")
    rej("frame_test_malformed_magic_magic_only", ["F-3"], b"\x93NUMPY",
        "test_format.py malformed_magic: the magic only", source="numpy test_format.py (malformed_magic)")
    rej("frame_test_malformed_magic_empty", ["F-3", "S-2"], b"",
        "test_format.py malformed_magic: an empty file", source="numpy test_format.py (malformed_magic)")
    # test_format.py bad_version_magic and test_write_version's bad versions.
    for major, minor in [(1, 1), (0, 0), (0, 1), (2, 2), (255, 255)]:
        rej("frame_test_bad_version_%d_%d" % (major, minor), ["F-2"], good[:6] + bytes([major, minor]) + good[8:],
            "test_format.py bad version (%d, %d), followed by a valid 1.0 header and data" % (major, minor),
            source="numpy test_format.py (bad_version_magic, test_write_version), ported")
    body = good[10:]
    rej("frame_test_version_2_0_with_u16_length", ["F-2", "F-3"], b"\x93NUMPY\x02\x00" + body,
        "test_format.py bad_version_magic (2, 0) for a 1.0 reader: a 2.0 version with a 1.0 (u16) length field; "
        "the u32 length then takes two header bytes and the file is too short", source="numpy test_format.py (bad_version_magic), ported")
    for major, minor in [(3, 1), (4, 1), (5, 0), (1, 2)]:
        rej("frame_version_%d_%d" % (major, minor), ["F-2"], good3[:6] + bytes([major, minor]) + good3[8:],
            "version (%d, %d) with a valid 3.0-style rest" % (major, minor))
    # test_format.py test_bad_header, each failing for the reason it names.
    rej("frame_test_bad_header_no_length", ["F-3", "R-1"], b"\x93NUMPY\x01\x00",
        "test_format.py test_bad_header: a header length field of 0 bytes", source="numpy test_format.py (test_bad_header), ported")
    rej("frame_test_bad_header_length_1_byte", ["F-3"], b"\x93NUMPY\x01\x001",
        "test_format.py test_bad_header: a header length field of 1 byte", source="numpy test_format.py (test_bad_header), ported")
    rej("frame_test_bad_header_shorter_than_length", ["F-3"], b"\x93NUMPY\x01\x00\x01\x00",
        "test_format.py test_bad_header: the length field says 1 byte, the file holds none", source="numpy test_format.py (test_bad_header), ported")
    text = b"{'descr': '<f8', 'shape': (1, 2), }" + b" " * 20 + b"\n"
    rej("frame_test_bad_header_missing_key", ["H-3"], b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + pattern(16),
        "test_format.py test_bad_header: no 'fortran_order' key (the test's magic is read as the length field, and its "
        "descr 'x' is invalid too; here the framing is right and the descr valid, so only the key is wrong)",
        source="numpy test_format.py (test_bad_header), ported")
    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, {"shape": (1, 2), "fortran_order": False, "descr": "<f8", "extrakey": -1})
    rej("frame_test_bad_header_extra_key", ["H-3"], buf.getvalue() + pattern(16),
        "test_format.py test_bad_header: NumPy's own header writer with an extra key (the test reads at the end of the "
        "stream; here the file is read from its start, and the descr is valid)", source="numpy test_format.py (test_bad_header), ported")
    # test_large_header: 1.0 cannot hold a header over 65535 bytes.
    long_text = "{'descr': [('%s', '<i8')], 'fortran_order': False, 'shape': (), }" % ("x" * 256 * 256)
    b = b"\x93NUMPY\x01\x00" + struct.pack("<H", 65535) + long_text.encode("latin1") + b"\n"
    rej("frame_test_large_header_v1", ["F-3"], b,
        "test_format.py test_large_header: a 1.0 header text of more than 65535 bytes; the length field can only "
        "cover its first 65535 bytes, where the string is unterminated", source="numpy test_format.py (test_large_header), ported",
        max_header_len=70000)
    # test_file_truncated / test_roundtrip_truncated: one byte short.
    for code, scalar in SCALARS:
        arr = np.arange(12).astype(scalar).reshape(3, 4)
        b = saved(arr)
        rej("frame_test_truncated_%s" % code, ["F-6", "R-9"], b[:-1],
            "test_format.py test_file_truncated: %s (3, 4) one byte short" % arr.dtype.str,
            source="numpy test_format.py (test_file_truncated), ported")
    b = saved(np.array([], dtype="<f8"))
    rej("frame_test_truncated_empty", ["F-3"], b[:-1],
        "test_format.py test_file_truncated: an empty array one byte short (the header is cut)",
        source="numpy test_format.py (test_file_truncated), ported")
    # Length field and truncation.
    rej("frame_truncated_in_length_v1", ["F-3", "S-2"], good[:9], "the file ends inside a 1.0 length field")
    rej("frame_truncated_in_length_v2", ["F-3", "S-2"], good3[:11], "the file ends inside a 3.0 length field")
    rej("frame_truncated_in_header", ["F-3"], good[: header_end - 30], "the file ends inside the header text")
    rej("frame_truncated_before_newline", ["F-3"], good[: header_end - 1], "the file ends one byte before the header's end")
    rej("frame_length_4gib", ["F-3", "S-1", "R-1"], b"\x93NUMPY\x02\x00\xff\xff\xff\xff" + good[10:70],
        "a 2.0 length field of 4 GiB in a small file (the libnpy #44 allocation)")
    rej("frame_length_4gib_raised_limit", ["S-10", "S-1", "R-13"], b"\x93NUMPY\x02\x00\xff\xff\xff\xff" + good[10:70],
        "a 4 GiB length field with the header limit raised to its maximum: still no 4 GiB allocation, the file is truncated",
        max_header_len=0xFFFFFFFF)
    rej("frame_length_4gib_bare", ["S-1", "S-2"], b"\x93NUMPY\x03\x00\xf0\xff\xff\xff",
        "a 12-byte file whose length field is 0xFFFFFFF0")
    rej("frame_npy_rs_fuzz", ["S-2", "F-3"], b"\x93NUMPY\x01\x00\xf8\xff",
        "the 10-byte input on which fuzzing made npy-rs panic (PR #2)")
    rej("frame_length_zero", ["F-3", "H-1"], b"\x93NUMPY\x01\x00\x00\x00" + good[10:], "a header length of 0")
    rej("frame_length_one", ["F-3", "H-1"], b"\x93NUMPY\x01\x00\x01\x00" + good[10:], "a header length of 1: the text is '{'")
    t = dict_text("'<f8'", False, "(2, 3)")
    b = padded_file((1, 0), t, pattern(48))
    hl = struct.unpack("<H", b[8:10])[0]
    rej("frame_length_covers_data", ["F-3", "H-1"], b[:8] + struct.pack("<H", hl + 8) + b[10:],
        "a length field 8 bytes too large: the header text takes data bytes")
    rej("frame_length_cuts_dict", ["F-3", "H-1"], b[:8] + struct.pack("<H", len(t) - 1) + b[10:],
        "a length field that ends the header text before the dict's closing brace")
    # Header-length limit (R-2, DIFF-12).
    def sized(version, hlen):
        text = hdr(descr="[('a', '<f8')]", shape="(2,)")
        fill = hlen - len(text.encode("utf8")) - 1
        return preamble(version, hlen) + text.encode("utf8") + b" " * fill + b"\n" + pattern(16)
    add("frame_limit_exactly_10000", ["R-2"], WARN, sized((1, 0), 10000),
        "a 10000-byte header: at the default limit (unaligned data, hence the warning)",
        expect=expected((1, 0), [("a", "<f8")], False, (2,), pattern(16)))
    rej("frame_limit_10001", ["R-2", "R-13"], sized((1, 0), 10001), "a 10001-byte header: over the default limit")
    text = "{'descr': [('" + "\u00e9" * 4990 + "', '<f8')], 'fortran_order': False, 'shape': (2,), }"
    enc = text.encode("utf8")
    b = preamble((3, 0), len(enc) + 1) + enc + b"\n" + pattern(16)
    assert len(text) + 1 <= 10000 < len(enc) + 1
    rej("frame_limit_utf8_bytes", ["R-2", "DIFF-12"], b,
        "a 3.0 header of %d characters but %d bytes: over the 10000-byte limit" % (len(text) + 1, len(enc) + 1),
        numpy=("accept", "DIFF-12: NumPy compares the decoded length in characters with max_header_size"))
    # 64 KiB boundary (limit raised).
    for hlen, version, verdict, what in [
        (65526, (1, 0), ACCEPT, "the largest aligned 1.0 header (65526 bytes)"),
        (65535, (1, 0), WARN, "the largest 1.0 header (65535 bytes, unaligned)"),
        (65588, (2, 0), ACCEPT, "the smallest aligned 2.0 header above 65535 bytes (65588 bytes)"),
        (65536, (3, 0), WARN, "a 3.0 header of 65536 bytes"),
    ]:
        add("frame_64k_%s_%d" % ("v%d" % version[0], hlen), ["F-3", "R-2", "W-6"], verdict, sized(version, hlen), what,
            expect=expected(version, [("a", "<f8")], False, (2,), pattern(16)), max_header_len=70000)
    # Encoding (F-4, R-3).
    t = "{'descr': [('a\xffb', '<f8')], 'fortran_order': False, 'shape': (2,), }"
    rej("frame_v3_invalid_utf8", ["F-4", "R-3"], padded_file((3, 0), t, pattern(16), encoding="latin1"),
        "a 3.0 header with the byte 0xff (invalid UTF-8) in a field name")
    rej("frame_v3_overlong_utf8", ["F-4", "R-3"],
        padded_file((3, 0), t.replace("\xff", "").encode("latin1").replace(b"ab", b"a\xc1\x81b"), pattern(16)),
        "a 3.0 header with an overlong UTF-8 sequence (0xc1 0x81)")
    rej("frame_v3_surrogate_utf8", ["F-4", "R-3"],
        padded_file((3, 0), t.replace("\xff", "").encode("latin1").replace(b"ab", b"a\xed\xa0\x80b"), pattern(16)),
        "a 3.0 header with a UTF-8-encoded surrogate (0xed 0xa0 0x80)")
    rej("frame_v3_truncated_utf8", ["F-4", "R-3"],
        padded_file((3, 0), t.replace("\xff", "").encode("latin1").replace(b"ab", b"a\xe6\xb8b"), pattern(16)),
        "a 3.0 header with a truncated UTF-8 sequence")
    f = padded_file((3, 0), t, pattern(16), encoding="latin1")
    rej("frame_v4_invalid_utf8", ["F-4", "R-3", "V4-1"], f[:6] + b"\x04" + f[7:], "a 4.0 header with invalid UTF-8")
    for v in ((1, 0), (3, 0)):
        tn = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }\x00"
        rej("frame_nul_byte_v%d" % v[0], ["F-4", "R-3"], padded_file(v, tn, pattern(48)), "a NUL byte after the dict (format %d.0)" % v[0])
        tn = "{'descr': [('a\x00', '<f8')], 'fortran_order': False, 'shape': (2,), }"
        rej("frame_nul_in_string_v%d" % v[0], ["F-4", "R-3"], padded_file(v, tn, pattern(16)), "a raw NUL byte inside a field name (format %d.0)" % v[0])
    # Data length (F-6, R-9, R-10).
    arr = np.arange(12, dtype="<i4").reshape(3, 4)
    b = saved(arr)
    rej("data_missing", ["F-6", "R-9"], b[:-48], "the header and no data")
    rej("data_half", ["F-6", "R-9"], b[:-24], "half the data")
    add("data_extra_bytes", ["F-7", "F-6", "R-9", "R-8"], WARN, b + b"trailing", "8 bytes after the data: ignored, with a warning",
        expect=expected((1, 0), "<i4", False, (3, 4), arr.tobytes()))
    add("data_extra_row", ["F-6", "R-9", "A-4", "A-6"], WARN, b + arr[:1].tobytes(),
        "a whole extra row after the data (a crash between an append's data write and its header rewrite): the header's count stands",
        expect=expected((1, 0), "<i4", False, (3, 4), arr.tobytes()))
    t = dict_text("'|u1'", False, "(9223372036854775807,)")
    rej("data_declares_2_63_minus_1", ["R-10", "S-5", "H-8"], padded_file((1, 0), t, pattern(10)),
        "a valid header declaring 2**63-1 data bytes in a tiny file")
    t = dict_text("'<f8'", False, "(1000000000000,)")
    rej("data_declares_8tb", ["R-10", "R-9"], padded_file((1, 0), t, pattern(64)), "a header declaring 8 TB of data")


def limits_and_nesting():
    """Dimensions and nesting (R-5, R-7, S-3, S-7, DIFF-13)."""
    d = pattern(16)
    shape = (1,) * 64
    add_text("limit_64_dims", ["R-7", "H-5"], ACCEPT, (1, 0), hdr(descr="'<u2'", shape=repr(shape)),
             "64 dimensions, NumPy's NPY_MAXDIMS", dtype="<u2", shape=shape)
    shape = (1,) * 65
    add_text("limit_65_dims", ["R-7", "S-7", "DIFF-20"], REJECT, (1, 0), hdr(descr="'<u2'", shape=repr(shape)),
             "65 dimensions (NumPy cannot create such an array either)", data=d)
    # Bracket depth: the dict is 1, the shape tuple 2, each parenthesis around the int 1 more.
    for depth, verdict, known in [(64, ACCEPT, None), (65, REJECT, "accept"), (200, REJECT, "accept"), (201, REJECT, None)]:
        extra = ["S-10"] if depth == 201 else []
        n = depth - 2
        text = hdr(descr="'<u2'", shape="(" + "(" * n + "2" + ")" * n + ",)")
        numpy = (known, "DIFF-13: NumPy reads up to CPython's 200 nested brackets") if known else None
        add_text("nest_depth_%d" % depth, (["R-5", "S-3", "DIFF-13"] if known else ["R-5", "S-3"]) + extra, verdict, (1, 0), text,
                 "brackets nested %d deep (parentheses around a dimension)" % depth,
                 dtype="<u2" if verdict != REJECT else None, shape=(2,) if verdict != REJECT else None,
                 data=None if verdict != REJECT else d, numpy=numpy)
    # Nested structures: depth 2 + 2 per level; the peers with a backtracking grammar are
    # exponential in this (S-3).
    for levels in (4, 12, 20, 31):
        descr = "'<i2'"
        dt = np.dtype("<i2")
        for _ in range(levels):
            descr = "[('x', %s)]" % descr
            dt = np.dtype([("x", dt)])
        add_text("nest_struct_%d" % levels, ["S-3", "R-4", "R-5"], ACCEPT, (1, 0), hdr(descr=descr, shape="(3,)"),
                 "a structure nested %d levels (bracket depth %d)" % (levels, 2 + 2 * levels), dtype=dt, shape=(3,))
    descr = "'<i2'"
    for _ in range(32):
        descr = "[('x', %s)]" % descr
    add_text("nest_struct_32", ["R-5", "DIFF-13"], REJECT, (1, 0), hdr(descr=descr, shape="(3,)"),
             "a structure nested 32 levels (bracket depth 66)", data=d,
             numpy=("accept", "DIFF-13: NumPy reads up to CPython's 200 nested brackets"))
    add_text("nest_unclosed_deep", ["R-5", "S-3", "H-1"], REJECT, (1, 0), "{'descr': " + "[" * 5000,
             "5000 unclosed brackets", data=d)


def format_4():
    """Format 4.0 (V4-*)."""
    row = np.arange(12, dtype="<f8").reshape(4, 3)
    b = header_v4("<f8", False, (-1, 3), row.tobytes())
    add("v4_whole_rows", ["V4-1", "V4-4", "V4-9"], ACCEPT, b, "4.0, (-1, 3) of <f8, 4 whole rows",
        expect=expected((4, 0), "<f8", False, (4, 3), row.tobytes()), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    i4 = np.arange(9, dtype="<i4").tobytes()
    add("v4_partial_row", ["V4-4", "V4-5", "R-8", "S-8"], WARN, header_v4("<i4", False, (-1, 3), i4[:29]),
        "4.0, (-1, 3) of <i4, 29 data bytes: 2 rows and a 5-byte partial row",
        expect=expected((4, 0), "<i4", False, (2, 3), i4[:24]), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    add("v4_partial_first_row", ["V4-4"], WARN, header_v4("<i4", False, (-1, 3), i4[:5]),
        "4.0, 5 data bytes: no whole row yet", expect=expected((4, 0), "<i4", False, (0, 3), b""),
        numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    add("v4_no_rows", ["V4-4"], ACCEPT, header_v4("<i4", False, (-1, 3)), "4.0 with no data: 0 rows",
        expect=expected((4, 0), "<i4", False, (0, 3), b""), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    add("v4_1d", ["V4-2", "V4-4"], ACCEPT, header_v4(">u2", False, (-1,), pattern(10)), "4.0, shape (-1,) of >u2",
        expect=expected((4, 0), ">u2", False, (5,), pattern(10)), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    f = np.asfortranarray(np.arange(12, dtype="<i2").reshape(3, 4))
    add("v4_fortran", ["V4-2", "V4-4", "F-6"], ACCEPT, header_v4("<i2", True, (3, -1), f.tobytes(order="F")),
        "4.0 Fortran order, shape (3, -1): the last axis grows", expect=expected((4, 0), "<i2", True, (3, 4), f.tobytes(order="F")),
        numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    add("v4_fortran_partial", ["V4-4", "R-8"], WARN, header_v4("<i2", True, (3, -1), f.tobytes(order="F")[:20]),
        "4.0 Fortran order, 20 bytes: 3 columns of 6 bytes and 2 bytes over",
        expect=expected((4, 0), "<i2", True, (3, 3), f.tobytes(order="F")[:18]), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    dt = np.dtype([("t", "<M8[ms]"), ("v", "<f4", (2,)), ("\u540d", "S3")])
    data = pattern(dt.itemsize * 3, 9)
    add("v4_structured_utf8", ["V4-1", "F-4"], ACCEPT, header_v4(dt, False, (-1,), data),
        "4.0 structured, with a UTF-8 field name", expect=expected((4, 0), dt, False, (3,), data),
        numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    data = pattern(2 * 3 * 4 * 2)
    add("v4_3d", ["V4-4"], ACCEPT, header_v4("<u2", False, (-1, 3, 4), data), "4.0, (-1, 3, 4)",
        expect=expected((4, 0), "<u2", False, (2, 3, 4), data), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    fixed = saved(np.arange(6, dtype="<f8").reshape(2, 3), version=(3, 0))
    add("v4_fixed_shape", ["V4-1", "V4-7"], ACCEPT, fixed[:6] + b"\x04" + fixed[7:],
        "4.0 with a fixed shape (2, 3): it means what the 3.0 header means",
        expect=expected((4, 0), "<f8", False, (2, 3), data_of(fixed)), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    finalised = header_v4("<f8", False, (-1, 3), row.tobytes()[:120 - 24])
    hl = struct.unpack("<I", finalised[8:12])[0]
    text = finalised[12 : 12 + hl].decode().replace("(-1, 3), }" + " " * 19, "(4, 3), }" + " " * 20)
    fin = MAGIC + b"\x03\x00" + finalised[8:12] + text.encode() + row.tobytes()
    assert fin[:12 + hl] == saved(row, version=(3, 0))[:12 + hl]
    add("v4_finalised_to_3_0", ["V4-7", "W-12"], ACCEPT, fin, "a 4.0 file finalised in place: byte-identical to NumPy's 3.0 header",
        expect=expected((3, 0), "<f8", False, (4, 3), row.tobytes()))
    t = hdr(shape="(-0x1, 3)")
    add_text("v4_minus_hex_one", ["V4-2"], ACCEPT, (4, 0), t, "-0x1 is -1", dtype="<f8", shape=(2, 3),
             numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    add_text("v4_minus_paren_one", ["V4-2"], WARN, (4, 0), hdr(shape="(-(1), 3)"), "-(1) is -1; 50 data bytes: 2 rows and 2 bytes",
             dtype="<f8", shape=(2, 3), data=pattern(50), numpy=("reject", "V4-6: NumPy refuses version 4.0"))
    bad = [
        ("v4_minus_one_off_axis", hdr(shape="(3, -1)"), ["V4-2"], "-1 on axis 1 of a C-order header"),
        ("v4_minus_one_fortran_axis0", hdr(fortran="True", shape="(-1, 3)"), ["V4-2"], "-1 on axis 0 of a Fortran-order header"),
        ("v4_minus_one_twice", hdr(shape="(-1, -1)"), ["V4-2"], "-1 twice"),
        ("v4_minus_two", hdr(shape="(-2, 3)"), ["V4-2", "H-6"], "-2 on the growth axis"),
        ("v4_0d", hdr(shape="-1"), ["V4-2", "H-5"], "-1 as the whole shape"),
        ("v4_subarray_minus_one", hdr(descr="[('a', '<f8', (-1,))]", shape="(-1,)"), ["V4-2", "D-6"], "-1 in a subarray shape"),
        ("v4_zero_row", hdr(shape="(-1, 0)"), ["V4-3"], "rows of 0 bytes: a zero dimension"),
        ("v4_zero_item", hdr(descr="'V0'", shape="(-1,)"), ["V4-3"], "rows of 0 bytes: an item of 0 bytes"),
        ("v4_empty_struct", hdr(descr="[]", shape="(-1, 3)"), ["V4-3"], "rows of 0 bytes: an empty structure"),
        ("v4_object", hdr(descr="'|O'", shape="(-1,)"), ["V4-8", "D-8"], "-1 with an object dtype"),
        ("v4_object_field", hdr(descr="[('a', '<i4'), ('o', '|O')]", shape="(-1,)"), ["V4-8"], "-1 with an object field"),
        ("v4_row_overflow", hdr(descr="'<f8'", shape="(-1, 4611686018427387904)"), ["H-8", "V4-3"], "rows of 2**65 bytes"),
        ("v4_py2_long", hdr(shape="(-1, 3L)"), ["G-5", "V4-1"], "a Python 2 suffix in 4.0"),
    ]
    for name, text, reqs, what in bad:
        add_text(name, reqs, REJECT, (4, 0), text, what, data=pattern(48))
    for v in ((1, 0), (2, 0), (3, 0)):
        add_text("v4_minus_one_in_v%d" % v[0], ["V4-2", "V4-6", "DIFF-3"], REJECT, v, hdr(shape="(-1, 3)"),
                 "-1 on the growth axis of a %d.0 header" % v[0], data=pattern(48))
    add_text("v4_py2_long_v3", ["G-5"], REJECT, (3, 0), hdr(shape="(2L, 3)"), "a Python 2 suffix in 3.0", data=pattern(48))


def append_states():
    """Files in the states the append protocol (section 9) leaves them in."""
    arr = np.arange(15, dtype="<f4").reshape(5, 3)
    grown = saved(arr[:3])
    hl = struct.unpack("<H", grown[8:10])[0]
    text = grown[10 : 10 + hl].decode("latin1").replace("(3, 3), }" + " " * 20, "(5, 3), }" + " " * 20)
    rewritten = grown[:10] + text.encode("latin1") + arr.tobytes()
    assert rewritten == saved(arr)
    add("append_rewritten_in_place", ["A-1", "A-2", "A-5", "W-3"], ACCEPT, rewritten,
        "a (3, 3) file grown in place to (5, 3): the same bytes NumPy writes for the (5, 3) array",
        expect=expected((1, 0), "<f4", False, (5, 3), arr.tobytes()))
    torn = grown[:10] + grown[10 : 10 + hl].decode("latin1").replace("(3, 3)", "(9, 3)").encode("latin1") + arr.tobytes()
    add("append_torn_header", ["A-7", "A-8", "R-9"], REJECT, torn,
        "a header count (9) larger than the rows the data holds (5): a torn header rewrite, to be recovered")
    add("append_partial_row", ["A-8", "A-3", "A-6"], WARN, grown + arr[3:].tobytes()[:7],
        "3 rows in the header, then 7 bytes of an append in progress by the file's one writer",
        expect=expected((1, 0), "<f4", False, (3, 3), arr[:3].tobytes()))
    full = saved(arr)
    hl = struct.unpack("<H", full[8:10])[0]
    inserted = (full[:8] + struct.pack("<H", hl + 4096) + full[10 : 10 + hl - 1] + b" " * 4096 + b"\n"
                + arr.tobytes())
    add("append_range_inserted", ["A-9", "A-1", "F-5"], ACCEPT, inserted,
        "NumPy's header padded with 4096 more spaces, as an in-place ensure_appendable by range "
        "insert leaves it (data still 64-aligned, header under max_header_size)",
        expect=expected((1, 0), "<f4", False, (5, 3), arr.tobytes()))
    f = np.asfortranarray(np.arange(12, dtype="<i2").reshape(3, 4))
    g = saved(np.asfortranarray(f[:, :2]))
    hl = struct.unpack("<H", g[8:10])[0]
    text = g[10 : 10 + hl].decode("latin1").replace("(3, 2), }" + " " * 20, "(3, 4), }" + " " * 20)
    b = g[:10] + text.encode("latin1") + f.tobytes(order="F")
    assert b == saved(f)
    add("append_fortran_grown", ["A-2", "A-5"], ACCEPT, b, "a Fortran-order file grown along its last axis",
        expect=expected((1, 0), "<i2", True, (3, 4), f.tobytes(order="F")))


def writer_output():
    """Files whose header bytes are exactly what W-* requires (the reader must accept them)."""
    add_saved("writer_spare_space_1_digit", ["W-3", "W-4", "W-5"], np.zeros((5, 2), "<i2"),
              "NumPy's header: a 1-digit growth axis and 20 spare spaces")
    t = dict_text("'|u1'", False, "(1000000000000000000, 0)")
    add_text("writer_spare_space_19_digits", ["W-3"], ACCEPT, (1, 0), t + " " * 2, "a 19-digit growth axis (2 spare spaces)",
             dtype="|u1", shape=(10**18, 0))
    # Text that would end exactly on a 64-byte boundary gets 64 more spaces (W-4).
    for name_len in range(1, 70):
        dt = np.dtype([("n" * name_len, "u1")])
        b = saved(np.zeros(1, dt))
        hl = struct.unpack("<H", b[8:10])[0]
        text = b[10 : 10 + hl]
        if text.endswith(b" " * 65 + b"\n"):
            add_saved("writer_padding_64", ["W-4"], np.zeros(1, dt), "a header padded with 64 spaces (never 0)")
            break
    else:
        raise AssertionError("no 64-space padding found")


PARTS = [
    numpy_basic_arrays, numpy_more_kinds, numpy_shapes, numpy_structured, numpy_versions_and_sizes,
    numpy_test_data, header_text_variants, type_strings, descr_lists, header_dict_errors, file_framing,
    limits_and_nesting, format_4, append_states, writer_output,
]


# --- checking and writing --------------------------------------------------------------


def spec_requirements(spec):
    """Requirement ids and titles from the spec; withdrawn ones are marked."""
    text = spec.read_text(encoding="utf-8")
    reqs = {}
    for m in re.finditer(r"^- \*\*((?:F|H|D|V4|W|R|A|G|S|DIFF)-\d+)\*\* \((.*?)\)\.", text, re.M | re.S):
        reqs[m.group(1)] = " ".join(m.group(2).split())
    return reqs


def check_with_numpy(c, path):
    """Runs the NumPy adapter on the case and compares with the declared expectation."""
    want = c["numpy"][0] if c["numpy"] else ("reject" if c["verdict"] == REJECT else "accept")
    limit = c["max_header_len"] or DEFAULT_MAX_HEADER_LEN
    try:
        # The adapter's own JSON line, so that what CI runs is what is checked here.
        got = json.loads(numpy_adapter.describe_line(str(path), limit))
        verdict = "accept"
    except Exception as e:  # noqa: BLE001 (any failure is NumPy's refusal)
        got, verdict = "%s: %s" % (type(e).__name__, str(e)[:300]), "reject"
    if verdict != want:
        raise SystemExit("%s: NumPy's verdict is %s (%s), the case expects %s" % (c["name"], verdict, got, want))
    if verdict == "accept" and c["expect"] and not c["numpy"]:
        for key, value in c["expect"].items():
            if got[key] != value:
                raise SystemExit("%s: NumPy reads %s = %r, the case expects %r" % (c["name"], key, got[key], value))


def main():
    # NumPy warns about what it reads (Python 2 suffixes, metadata, pickles): expected.
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="where to write corpus/ and manifest.json (default: conformance/)")
    ap.add_argument("--no-numpy-check", action="store_true", help="skip checking every case against NumPy")
    ap.add_argument("--spec", type=Path, default=SPEC, help="the spec whose requirement ids the manifest lists (default: spec/npy-format.md)")
    args = ap.parse_args()

    for part in PARTS:
        part()
    reqs = spec_requirements(args.spec)
    for c in CASES:
        for r in c["reqs"]:
            if r not in reqs:
                raise SystemExit("%s: %s is not a requirement of %s" % (c["name"], r, args.spec))

    corpus = args.out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    entries = []
    for c in CASES:
        rel = Path("corpus") / DIRS[c["verdict"]] / (c["name"] + ".npy")
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(c["content"])
        if not args.no_numpy_check:
            check_with_numpy(c, path)
        entry = {
            "file": rel.as_posix(),
            "sha256": sha256(c["content"]),
            "requirements": c["reqs"],
            "verdict": c["verdict"],
            "description": c["what"],
            "source": c["source"],
        }
        if c["max_header_len"]:
            entry["max_header_len"] = c["max_header_len"]
        if c["expect"]:
            entry["expected"] = c["expect"]
        if c["numpy"]:
            entry["known_differences"] = {"numpy": {"verdict": c["numpy"][0], "why": c["numpy"][1]}}
        entries.append(entry)
    manifest = {
        "format": 1,
        "generated_by": "conformance/generate.py",
        "numpy_version": np.__version__,
        "spec": "spec/npy-format.md",
        "default_max_header_len": DEFAULT_MAX_HEADER_LEN,
        "requirements": reqs,
        "cases": entries,
    }
    text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    (args.out / "manifest.json").write_text(text, encoding="utf-8")
    print("%d cases written to %s (NumPy %s)" % (len(entries), args.out, np.__version__))


if __name__ == "__main__":
    main()
